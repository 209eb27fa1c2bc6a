# The Python side: where it comes from, whether it is there, and how its errors arrive in R.

.dmls <- new.env(parent = emptyenv())

default_envname <- function() "r-pydmlserverless"

.onLoad <- function(libname, pkgname) {
  # RETICULATE_PYTHON wins (reticulate reads it itself); otherwise prefer the virtualenv that
  # install_pydmlserverless() makes, if there is one.
  if (!nzchar(Sys.getenv("RETICULATE_PYTHON")) &&
    reticulate::virtualenv_exists(default_envname())) {
    reticulate::use_virtualenv(default_envname(), required = FALSE)
  }
  .dmls$bridge <- reticulate::import("pydmlserverless.r.bridge", delay_load = TRUE)
  .dmls$available <- NULL
  reg.finalizer(.dmls, shutdown_workers, onexit = TRUE)
}

# Python embedded in R is not finalised at R's exit: stop the local pool's workers ourselves.
shutdown_workers <- function(env = .dmls) {
  if (isTRUE(env$available) && reticulate::py_available(initialize = FALSE)) {
    # at_exit: Python's own exit handlers (joblib's temporary folders) run too; see pydmlserverless.r.runs.shutdown
    try(env$bridge$shutdown(at_exit = TRUE), silent = TRUE)
  }
  invisible(NULL)
}

#' Install the Python package pydmlserverless for R
#'
#' Installs `pydmlserverless` (and with it DoubleML, scikit-learn, NumPy, pandas and boto3)
#' into a Python environment that reticulate uses. When `RETICULATE_PYTHON` is set, that Python
#' is used as it is (the package is installed into it with its own pip); otherwise a virtualenv
#' named `envname` is created (or reused) and the package is loaded from it the next time
#' DoubleMLServerless is loaded.
#'
#' Restart R after installing.
#'
#' @param package (`character()`) \cr
#'   What pip installs: the package name (default), a local checkout (a path to the
#'   repository), or a pip requirement such as `"pydmlserverless==0.1.0"`.
#' @param envname (`character(1)`) \cr
#'   Name or path of the virtualenv, used when `RETICULATE_PYTHON` is not set.
#' @param python (`character(1)`) \cr
#'   The Python used to create the virtualenv (default: `python3` on the `PATH`, else
#'   reticulate's choice).
#' @param extra_packages (`character()`) \cr
#'   More pip requirements, e.g. `"xgboost"` for `lrn("regr.xgboost")`.
#' @param ... Passed to [reticulate::virtualenv_install()].
#'
#' @return The path of the Python interpreter, invisibly.
#' @export
#' @examples
#' \dontrun{
#' install_pydmlserverless()
#' install_pydmlserverless("/path/to/pydmlserverless-checkout")
#' }
install_pydmlserverless <- function(package = "pydmlserverless",
                                    envname = default_envname(),
                                    python = NULL, extra_packages = character(),
                                    ...) {
  checkmate::assert_character(package, min.len = 1, any.missing = FALSE)
  checkmate::assert_character(extra_packages, any.missing = FALSE)
  packages <- c(package, extra_packages)
  configured <- Sys.getenv("RETICULATE_PYTHON")
  restore <- without_r_library_path()
  on.exit(restore(), add = TRUE)
  if (nzchar(configured)) {
    message("RETICULATE_PYTHON is set: installing into ", configured)
    status <- system2(configured, c("-m", "pip", "install", shQuote(packages)))
    if (!identical(status, 0L)) {
      stop(dmls_condition(
        "ConfigurationError",
        sprintf("pip install into %s failed (exit status %s).", configured, status)
      ))
    }
    return(invisible(configured))
  }
  if (is.null(python) && nzchar(Sys.which("python3"))) {
    python <- unname(Sys.which("python3"))
  }
  if (!reticulate::virtualenv_exists(envname)) {
    reticulate::virtualenv_create(envname, python = python)
  }
  reticulate::virtualenv_install(envname, packages = packages, ...)
  message("Installed into the virtualenv '", envname, "'. Restart R to use it.")
  invisible(reticulate::virtualenv_python(envname))
}

# R puts its own, the system's and Java's library folders first on LD_LIBRARY_PATH; a Python
# started from R with them can load the system's libpython instead of its own and fail (pip: "the
# ssl module is not available"). Drop them for the child processes; returns the restorer.
without_r_library_path <- function() {
  old <- Sys.getenv("LD_LIBRARY_PATH", unset = NA)
  if (is.na(old)) {
    return(function() invisible(NULL))
  }
  dirs <- sub("/+$", "", strsplit(old, ":", fixed = TRUE)[[1]])
  from_r <- startsWith(paste0(dirs, "/"), paste0(sub("/+$", "", R.home()), "/"))
  system <- dirs %in% c("/lib", "/usr/lib", "/lib64", "/usr/lib64") | dirname(dirs) %in% c("/lib", "/usr/lib")
  kept <- dirs[nzchar(dirs) & !from_r & !system & !grepl("/jvm/", dirs, fixed = TRUE)]
  if (length(kept)) Sys.setenv(LD_LIBRARY_PATH = paste(kept, collapse = ":")) else Sys.unsetenv("LD_LIBRARY_PATH")
  function() invisible(Sys.setenv(LD_LIBRARY_PATH = old))
}

#' Is the Python package pydmlserverless available?
#'
#' Starts Python through reticulate (if it is not running yet) and checks that
#' `pydmlserverless` can be imported. Never fails: a missing Python gives `FALSE`.
#'
#' @return `TRUE` or `FALSE`.
#' @export
#' @examples
#' pydmlserverless_available()
pydmlserverless_available <- function() {
  if (isTRUE(.dmls$available)) {
    return(TRUE)
  }
  ok <- tryCatch(
    reticulate::py_available(initialize = TRUE) &&
      reticulate::py_module_available("pydmlserverless"),
    error = function(e) FALSE
  )
  if (ok) {
    .dmls$available <- TRUE
    # the bar Python's fits and tunings drive when called from R (progress.R)
    try(.dmls$bridge$set_r_progress(r_progress), silent = TRUE)
  }
  ok
}

#' Skip a test when pydmlserverless is not available
#'
#' For testthat tests that need Python: skips (never fails) with a message saying how to
#' install the Python side.
#'
#' @return Invisibly `TRUE` when the test may go on; otherwise the test is skipped.
#' @export
skip_if_no_pydmlserverless <- function() {
  if (!requireNamespace("testthat", quietly = TRUE)) {
    stop("skip_if_no_pydmlserverless() is for testthat tests.")
  }
  if (!pydmlserverless_available()) {
    testthat::skip(paste(
      "The Python package pydmlserverless is not available to reticulate;",
      "run DoubleMLServerless::install_pydmlserverless() or set RETICULATE_PYTHON."
    ))
  }
  invisible(TRUE)
}

# The bridge module, or a classed error telling the user what to do.
bridge <- function() {
  if (!pydmlserverless_available()) {
    python <- tryCatch(reticulate::py_discover_config()$python, error = function(e) NULL)
    stop(dmls_condition(
      "NoPythonError",
      paste0(
        "The Python package 'pydmlserverless' is not available to reticulate",
        if (length(python)) paste0(" (Python: ", python, ")") else " (no Python found)",
        ". Run DoubleMLServerless::install_pydmlserverless() and restart R, ",
        "or set RETICULATE_PYTHON to a Python that has pydmlserverless installed."
      )
    ))
  }
  .dmls$bridge
}

# Python exception classes (short names) and their R condition classes.
python_error_classes <- function(classes) {
  short <- unique(sub(".*\\.", "", classes))
  short <- setdiff(short, "object")
  paste0("dmls_", short)
}

#' Conditions signalled by DoubleMLServerless
#'
#' Errors from the Python core arrive as R conditions of class `dmls_python_error` whose
#' message is the Python exception's message. Their classes also name the Python exception and
#' its bases with the prefix `dmls_`, e.g. a `pydmlserverless.errors.DataError` arrives as
#' `c("dmls_DataError", "dmls_InvalidInputError", "dmls_PyDMLServerlessError",
#' "dmls_ValueError", "dmls_Exception", "dmls_BaseException", "dmls_python_error",
#' "dmls_error", "error", "condition")`, so `tryCatch(..., dmls_DataError = ...)` catches it.
#' The fields `python_type` (the exception's qualified class) and `python_traceback` are set.
#' Errors detected in R (bad data, unknown learner parameters) use the same class names
#' without `dmls_python_error`. A missing Python gives `dmls_NoPythonError`.
#'
#' @name dmls_conditions
NULL

dmls_condition <- function(type, message, call = NULL, python_classes = NULL, ...) {
  bases <- switch(type,
    DataError = c("InvalidInputError", "PyDMLServerlessError", "ValueError"),
    LearnerError = c("InvalidInputError", "PyDMLServerlessError", "ValueError", "TypeError"),
    ConfigurationError = c("InvalidInputError", "PyDMLServerlessError", "ValueError"),
    InvalidInputError = c("PyDMLServerlessError", "ValueError"),
    character()
  )
  classes <- if (is.null(python_classes)) {
    paste0("dmls_", c(type, bases))
  } else {
    c(python_error_classes(python_classes), "dmls_python_error")
  }
  structure(
    class = unique(c(classes, "dmls_error", "error", "condition")),
    list(message = message, call = call, ...)
  )
}

# Call a Python function; a Python exception becomes a classed R condition, and the Python
# warnings raised meanwhile (the local pool's workers' too) become R warnings (see
# signal_python_warnings()), signalled before the call's value is returned or its error raised.
py_call <- function(fun, ...) {
  recorder <- python_warning_recorder()
  on.exit(if (!is.null(recorder)) try(recorder$stop(), silent = TRUE))
  flush <- function() {
    if (is.null(recorder)) {
      return(invisible(NULL))
    }
    caught <- tryCatch(recorder$stop(), error = function(e) list())
    recorder <<- NULL
    signal_python_warnings(caught)
  }
  value <- tryCatch(fun(...), error = function(e) {
    flush()
    if (inherits(e, "dmls_error")) stop(e)
    err <- reticulate::py_last_error()
    if (is.null(err) || !grepl(err$type, conditionMessage(e), fixed = TRUE)) stop(e)
    python_classes <- class(attr(err, "exception"))
    stop(dmls_condition(
      err$type, err$value,
      python_classes = python_classes,
      python_type = python_classes[[1]],
      python_traceback = err$traceback
    ))
  })
  flush()
  value
}

# A recorder of the Python warnings of one call, or NULL while Python is not started.
python_warning_recorder <- function() {
  if (!isTRUE(.dmls$available) || !reticulate::py_available(initialize = FALSE)) {
    return(NULL)
  }
  tryCatch(.dmls$bridge$warning_recorder(), error = function(e) NULL)
}

#' Python warnings in R
#'
#' Warnings that Python raises while DoubleMLServerless calls it (scikit-learn's
#' `ConvergenceWarning`, DoubleML's `UserWarning`s, pandas' `FutureWarning`s, in the R
#' session's Python or in the local pool's worker processes) are R warnings: one per kind and
#' message, on one line, repeats collapsed with their count, e.g.
#' `ConvergenceWarning (x5): lbfgs failed to converge ...`. [suppressWarnings()] silences them
#' and `tryCatch(warning = )` or `withCallingHandlers()` catch them. Their classes are the
#' Python category and its bases with the prefix `dmls_` (`dmls_ConvergenceWarning`,
#' `dmls_UserWarning`, `dmls_Warning`), then `dmls_python_warning`, `warning`, `condition`;
#' the fields `python_category`, `count` and `python_message` (the message as Python raised it)
#' are set. Python's warning filters still apply (a warning ignored there is not signalled).
#'
#' @name dmls_python_warnings
NULL

# Signal the bridge's collapsed warnings ({category, classes, message, count, text}) as R warnings.
signal_python_warnings <- function(caught) {
  for (w in caught) {
    count <- as.integer(w$count)
    message <- paste0(w$category, if (count > 1L) paste0(" (x", count, ")"), ": ", w$message)
    classes <- setdiff(paste0("dmls_", as.character(unlist(w$classes))), c("dmls_Exception", "dmls_BaseException"))
    warning(structure(
      class = unique(c(classes, "dmls_python_warning", "warning", "condition")),
      list(
        message = message, call = NULL, python_category = w$category, count = count,
        python_message = w$text
      )
    ))
  }
  invisible(NULL)
}

# An R array from the bridge's {values, dim}.
as_r_array <- function(x, dimnames = NULL) {
  array(as.numeric(unlist(x$values)), dim = as.integer(unlist(x$dim)), dimnames = dimnames)
}

# The integer handed to Python as a seed, drawn from R's generator (set.seed() fixes it).
draw_seed <- function() sample.int(.Machine$integer.max, 1L)

# A Python table ({"columns", "rows", "values" column-major}) as a numeric matrix.
py_table <- function(x) {
  matrix(as.numeric(unlist(x$values)),
    ncol = length(unlist(x$columns)),
    dimnames = list(as.character(unlist(x$rows)), as.character(unlist(x$columns)))
  )
}
