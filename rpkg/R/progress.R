#' Progress bars
#'
#' Fits and tunings (`$fit_local()`, `$fit_aws_lambda()`, `$tune_local()`,
#' `$tune_aws_lambda()`, `$tune()`) show a progress bar that advances as the tasks finish
#' (resumed tasks included), driven from the Python core's task completions: a
#' [cli::cli_progress_bar()] when the cli package is installed, else [utils::txtProgressBar()].
#'
#' `progress = NULL` (the default) shows the bar in interactive sessions (as rlang,
#' `options(rlang_interactive = )` overrides [interactive()]), and never while knitr knits
#' (`getOption("knitr.in.progress")`) or in non-interactive R (`Rscript`, `R CMD check`);
#' `progress = TRUE` or `FALSE` chooses. Pass it to `$fit_local()`, `$fit_aws_lambda()`,
#' `$tune_local()`, `$tune_aws_lambda()` or `$tune()`: `model$fit_local(progress = TRUE)`. cli shows its bar only for runs longer than
#' `getOption("cli.progress_show_after", 2)` seconds; its other options (e.g.
#' `cli.progress_bar_style`) apply as well.
#'
#' @name dmls_progress
NULL

# Whether a fit or tuning with `progress = progress` shows a bar.
show_progress <- function(progress) {
  if (is.null(progress)) {
    # rlang's convention: options(rlang_interactive = ) overrides interactive()
    return(isTRUE(getOption("rlang_interactive", interactive())) && !isTRUE(getOption("knitr.in.progress")))
  }
  checkmate::assert_flag(progress)
  progress
}

# The progress-bar factory the Python side calls (pydmlserverless.r.feedback.set_r_progress): NULL
# (no bar) or a Python RProgress driving an R bar. The bar's functions run on R's main thread
# (RProgress sees to it), called from Python while the fit runs.
r_progress <- function(what, progress) {
  if (!show_progress(progress)) {
    return(NULL)
  }
  state <- new.env(parent = baseenv()) # cli evaluates its format's `{cli::pb_*}` here
  use_cli <- requireNamespace("cli", quietly = TRUE)
  start <- function(total) {
    state$total <- total
    state$done <- 0
    state$started <- proc.time()[["elapsed"]]
    state$drawn <- -Inf
    if (use_cli) {
      state$bar <- cli::cli_progress_bar(
        name = what, total = if (is.null(total)) NA else total, clear = FALSE,
        .auto_close = FALSE, .envir = state
      )
    } else if (!is.null(total) && total > 0) {
      cat(what, "\n", file = stderr(), sep = "")
      state$bar <- utils::txtProgressBar(min = 0, max = total, style = 3, file = stderr())
    }
    invisible(NULL)
  }
  update <- function(n) {
    state$done <- state$done + n
    if (is.null(state$bar)) {
      return(invisible(NULL))
    }
    if (use_cli) {
      # drawn 5 times a second once cli's show_after has passed, and at the last task: cli's own
      # timer would skip a short run's updates
      now <- proc.time()[["elapsed"]]
      due <- now - state$started >= getOption("cli.progress_show_after", 2) &&
        (now - state$drawn >= 0.2 || (!is.null(state$total) && state$done >= state$total))
      if (due) state$drawn <- now
      cli::cli_progress_update(inc = n, id = state$bar, force = due, .envir = state)
    } else {
      utils::setTxtProgressBar(state$bar, state$done)
    }
    invisible(NULL)
  }
  done <- function() {
    if (!is.null(state$bar)) {
      if (use_cli) cli::cli_progress_done(id = state$bar, .envir = state) else close(state$bar)
      state$bar <- NULL
    }
    invisible(NULL)
  }
  .dmls$bridge$RProgress(start, update, done)
}
