#' Parameter ranges for tuning
#'
#' Stand-ins for paradox's `p_dbl()`, `p_int()`, `p_fct()` and `p_lgl()` (paradox and
#' mlr3tuning are not needed, and these names do not mask theirs): a range of a parameter, for
#' the models' `$tune_local()`, `$tune_aws_lambda()` and `$tune()`. A range becomes candidate
#' values as mlr3's grid design (paradox's `generate_design_grid()`) makes them, with the
#' `resolution` of `tune_settings` (see [dmls_param_grid()]).
#'
#' Plain lists work too: `list(lower = 0.01, upper = 1)` is `dmls_dbl(0.01, 1)`,
#' `list(lower = 1L, upper = 10L)` (both integers) or `list(lower = 1, upper = 10, type = "int")`
#' is `dmls_int(1, 10)`, `list(levels = c("a", "b"))` is `dmls_fct(c("a", "b"))`.
#'
#' @param lower,upper (`numeric(1)`) \cr The bounds (included); whole numbers for `dmls_int()`.
#' @param logscale (`logical(1)`) \cr Space the grid evenly on the log scale (as paradox's
#'   `logscale = TRUE`); needs `lower > 0`.
#' @param levels (`character()`) \cr The levels.
#' @param trafo (`function` or `NULL`) \cr Applied to each grid value (as paradox's `trafo`):
#'   the grid is spaced on the untransformed scale.
#' @return An object of class `dmls_param_range`.
#' @seealso [dmls_param_grid()]
#' @name dmls_param_range
#' @examples
#' dmls_param_grid(list(ml_l = list(
#'   num.trees = dmls_int(10, 100),
#'   mtry.ratio = dmls_dbl(0.2, 1),
#'   lambda = dmls_dbl(-4, 0, trafo = function(x) 10^x)
#' )), resolution = 3)
NULL

#' @rdname dmls_param_range
#' @export
dmls_dbl <- function(lower, upper, logscale = FALSE, trafo = NULL) {
  checkmate::assert_number(lower, finite = TRUE)
  checkmate::assert_number(upper, finite = TRUE)
  checkmate::assert_flag(logscale)
  checkmate::assert_function(trafo, null.ok = TRUE)
  if (lower > upper) stop("dmls_dbl(): lower must not be greater than upper.", call. = FALSE)
  if (logscale && lower <= 0) stop("dmls_dbl(): logscale = TRUE needs lower > 0.", call. = FALSE)
  if (logscale && !is.null(trafo)) stop("dmls_dbl(): give logscale = TRUE or a trafo, not both.", call. = FALSE)
  param_range("dbl", lower = as.numeric(lower), upper = as.numeric(upper), logscale = logscale, trafo = trafo)
}

#' @rdname dmls_param_range
#' @export
dmls_int <- function(lower, upper, trafo = NULL) {
  checkmate::assert_int(lower)
  checkmate::assert_int(upper)
  checkmate::assert_function(trafo, null.ok = TRUE)
  if (lower > upper) stop("dmls_int(): lower must not be greater than upper.", call. = FALSE)
  param_range("int", lower = as.integer(round(lower)), upper = as.integer(round(upper)), trafo = trafo)
}

#' @rdname dmls_param_range
#' @export
dmls_fct <- function(levels, trafo = NULL) {
  checkmate::assert_character(levels, min.len = 1, any.missing = FALSE, unique = TRUE)
  checkmate::assert_function(trafo, null.ok = TRUE)
  param_range("fct", levels = levels, trafo = trafo)
}

#' @rdname dmls_param_range
#' @export
dmls_lgl <- function(trafo = NULL) {
  checkmate::assert_function(trafo, null.ok = TRUE)
  param_range("lgl", trafo = trafo)
}

param_range <- function(type, ..., trafo = NULL) {
  structure(list(type = type, ..., trafo = trafo), class = "dmls_param_range")
}

#' @export
print.dmls_param_range <- function(x, ...) {
  what <- switch(x$type,
    dbl = paste0("[", format(x$lower), ", ", format(x$upper), "]", if (isTRUE(x$logscale)) " (log scale)"),
    int = paste0("{", x$lower, ", ..., ", x$upper, "}"),
    fct = paste0("{", paste(x$levels, collapse = ", "), "}"),
    lgl = "{TRUE, FALSE}"
  )
  cat("<dmls_param_range> ", x$type, " ", what, if (!is.null(x$trafo)) " with trafo", "\n", sep = "")
  invisible(x)
}

#' Candidate values of a parameter set, as the tuning expands it
#'
#' What `$tune_local()` and `$tune_aws_lambda()` make of `param_set`: per learner and
#' parameter, the candidate values, before the translation to scikit-learn's names.
#'
#' @section Grid design:
#' As paradox's `generate_design_grid(param_set, resolution)`, which DoubleML-R's grid search
#' uses. With `u = seq(0, 1, length.out = resolution)`:
#' * a double range [dmls_dbl()] gives `lower + u * (upper - lower)` (`u * upper - (u - 1) * lower`,
#'   as paradox computes it; on the log scale with `logscale = TRUE`);
#' * an integer range [dmls_int()] gives `floor(lower + u * (upper - lower + 1))`, capped at
#'   `upper`, without duplicates: paradox maps the unit interval onto the `upper - lower + 1`
#'   integers in equal parts. E.g. `dmls_int(1, 10)` with resolution 5 gives 1, 3, 6, 8, 10
#'   (`round(seq(1, 10, length.out = 5))` would give 1, 3, 6, 8, 10 here too, but not always:
#'   `dmls_int(1, 4)` with resolution 3 gives 1, 3, 4 where rounding gives 1, 2, 4);
#' * a factor [dmls_fct()] gives all its levels, a logical [dmls_lgl()] `TRUE, FALSE`, whatever
#'   the resolution;
#' * a vector (`c(50, 100)`, `c("sqrt", "log2")`) or an unnamed list (`list(NULL, 3L)`, for
#'   values a vector cannot hold) is the candidates as given: `resolution` does not apply.
#'
#' A `trafo` is applied to each value afterwards. The candidates of the parameters are then
#' crossed (scikit-learn's `ParameterGrid`).
#'
#' @param param_set (named `list()`) \cr Per learner (`ml_l`, `ml_m`, ...), a named list of
#'   parameters: ranges ([dmls_dbl()], [dmls_int()], [dmls_fct()], [dmls_lgl()] or plain
#'   `list(lower =, upper =)` / `list(levels =)`), vectors or unnamed lists of candidates.
#' @param resolution (`integer(1)`) \cr Grid points per numeric range. Default 5.
#' @return A named list: per learner, a named list of candidate vectors (lists where a candidate
#'   is `NULL` or the values are of several types).
#' @export
#' @examples
#' dmls_param_grid(list(
#'   ml_l = list(num.trees = c(50, 100), max.depth = dmls_int(1, 10)),
#'   ml_m = list(alpha = list(lower = 0, upper = 1), standardize = dmls_lgl())
#' ), resolution = 5)
dmls_param_grid <- function(param_set, resolution = 5) {
  checkmate::assert_count(resolution, positive = TRUE)
  check_param_set_shape(param_set)
  lapply(stats::setNames(names(param_set), names(param_set)), function(learner) {
    params <- param_set[[learner]]
    out <- lapply(names(params), function(name) {
      param_candidates(params[[name]], resolution, paste0("param_set$", learner, "$", name))
    })
    stats::setNames(out, names(params))
  })
}

check_param_set_shape <- function(param_set) {
  if (inherits(param_set, "R6") || inherits(param_set, "ParamSet")) {
    stop(dmls_condition("InvalidInputError", paste0(
      "param_set must be a named list of plain lists (paradox's ParamSet is not supported: ",
      "write list(ml_l = list(num.trees = dmls_int(10, 100)), ...), see ?dmls_param_grid)."
    )))
  }
  if (!is.list(param_set) || (length(param_set) && !checkmate::test_names(names(param_set), type = "unique"))) {
    stop(dmls_condition("InvalidInputError", "param_set must be a list named by learner (ml_l, ml_m, ...)."))
  }
  for (learner in names(param_set)) {
    params <- param_set[[learner]]
    if (inherits(params, "R6") || inherits(params, "ParamSet")) {
      stop(dmls_condition("InvalidInputError", paste0(
        "param_set$", learner, ": an R6 object that is not a paradox ParamSet; write a named list such as ",
        "list(num.trees = dmls_int(10, 100), mtry.ratio = dmls_dbl(0.2, 1))."
      )))
    }
    if (!is.list(params) || (length(params) && !checkmate::test_names(names(params), type = "unique"))) {
      stop(dmls_condition("InvalidInputError", paste0(
        "param_set$", learner, " must be a named list of parameters (candidate vectors or ranges)."
      )))
    }
  }
  invisible(TRUE)
}

# A plain list spec as a range: list(lower, upper[, type]), list(levels).
as_param_range <- function(spec, where) {
  if (inherits(spec, "dmls_param_range")) {
    return(spec)
  }
  keys <- names(spec)
  fail <- function(why) stop(dmls_condition("InvalidInputError", paste0(where, ": ", why)))
  if (all(c("lower", "upper") %in% keys)) {
    extra <- setdiff(keys, c("lower", "upper", "type", "logscale", "trafo"))
    if (length(extra)) fail(paste0("unknown field(s) ", paste(extra, collapse = ", "), " of a range."))
    type <- spec$type %||% if (is.integer(spec$lower) && is.integer(spec$upper)) "int" else "dbl"
    if (!type %in% c("dbl", "int")) fail("type must be \"dbl\" or \"int\".")
    made <- tryCatch(
      if (type == "int") {
        dmls_int(spec$lower, spec$upper, trafo = spec$trafo)
      } else {
        dmls_dbl(spec$lower, spec$upper, logscale = isTRUE(spec$logscale), trafo = spec$trafo)
      },
      error = function(e) fail(conditionMessage(e))
    )
    return(made)
  }
  if ("levels" %in% keys) {
    extra <- setdiff(keys, c("levels", "trafo"))
    if (length(extra)) fail(paste0("unknown field(s) ", paste(extra, collapse = ", "), " of a factor range."))
    return(tryCatch(dmls_fct(spec$levels, trafo = spec$trafo), error = function(e) fail(conditionMessage(e))))
  }
  fail(paste0(
    "a named list must be a range: list(lower =, upper =) or list(levels =); ",
    "give candidate values as a vector or an unnamed list."
  ))
}

param_candidates <- function(spec, resolution, where) {
  fail <- function(why) stop(dmls_condition("InvalidInputError", paste0(where, ": ", why)))
  if (inherits(spec, "dmls_param_range") || (is.list(spec) && !is.null(names(spec)) && any(nzchar(names(spec))))) {
    return(range_grid(as_param_range(spec, where), resolution))
  }
  if (is.factor(spec)) spec <- as.character(spec)
  if (is.list(spec)) {
    if (!length(spec)) fail("no candidate values.")
    return(spec)
  }
  if (!(is.numeric(spec) || is.character(spec) || is.logical(spec)) || !length(spec)) {
    fail("candidates must be a non-empty vector, an unnamed list or a range (see ?dmls_param_grid).")
  }
  if (anyNA(spec)) fail("candidates must not be NA.")
  as.vector(spec)
}

range_grid <- function(range, resolution) {
  u <- seq(0, 1, length.out = resolution)
  values <- switch(range$type,
    dbl = if (isTRUE(range$logscale)) {
      exp(u * log(range$upper) - (u - 1) * log(range$lower))
    } else {
      u * range$upper - (u - 1) * range$lower
    },
    int = as.integer(floor(pmax(pmin(u * (range$upper + 1) - (u - 1) * range$lower, range$upper), range$lower))),
    fct = range$levels,
    lgl = c(TRUE, FALSE)
  )
  values <- unique(values)
  if (!is.null(range$trafo)) {
    values <- lapply(values, range$trafo)
    simple <- all(vapply(values, function(v) is.atomic(v) && length(v) == 1L, logical(1)))
    if (simple) values <- unlist(values)
  }
  values
}

# mlr3 measure ids and the scikit-learn scorers that rank candidates alike.
mlr3_measures <- c(
  regr.mse = "neg_mean_squared_error",
  regr.rmse = "neg_root_mean_squared_error",
  regr.mae = "neg_mean_absolute_error",
  regr.rsq = "r2",
  classif.ce = "accuracy",
  classif.acc = "accuracy",
  classif.logloss = "neg_log_loss",
  classif.auc = "roc_auc"
)

tune_settings_defaults <- function() {
  list(
    n_folds_tune = 5L, rsmp_tune = NULL, measure = NULL, terminator = list(n_evals = 20L),
    algorithm = "grid_search", resolution = 5L
  )
}

# DoubleML-R's tune_settings as pydmlserverless's tuning arguments (plain values).
translate_tune_settings <- function(tune_settings, learner_names, task_types) {
  fail <- function(why) stop(dmls_condition("InvalidInputError", paste0("tune_settings: ", why)))
  if (!is.list(tune_settings) || (length(tune_settings) && !checkmate::test_names(names(tune_settings), type = "unique"))) {
    fail("must be a named list.")
  }
  known <- names(tune_settings_defaults())
  unknown <- setdiff(names(tune_settings), known)
  if (length(unknown)) {
    fail(paste0("unknown entries ", paste(unknown, collapse = ", "), "; known: ", paste(known, collapse = ", "), "."))
  }
  s <- tune_settings_defaults()
  for (name in names(tune_settings)) s[name] <- list(tune_settings[[name]])
  for (name in setdiff(known, c("rsmp_tune", "measure"))) {
    if (is.null(s[[name]])) s[[name]] <- tune_settings_defaults()[[name]]
  }

  if (!checkmate::test_count(s$n_folds_tune, positive = TRUE) || s$n_folds_tune < 2) {
    fail("n_folds_tune must be a whole number, at least 2.")
  }
  n_folds <- as.integer(s$n_folds_tune)
  rsmp <- s$rsmp_tune
  if (inherits(rsmp, "R6")) fail("rsmp_tune: of mlr3's Resampling objects only rsmp(\"cv\", folds = k) is read; give the number of folds or list(folds = k).")
  if (!is.null(rsmp)) {
    if (is.character(rsmp)) {
      if (!identical(rsmp, "cv")) fail(paste0("rsmp_tune: only \"cv\" (cross-validation) is supported; got \"", rsmp[1], "\"."))
    } else if (is.list(rsmp)) {
      extra <- setdiff(names(rsmp), c("id", "folds"))
      if (length(extra) || (!is.null(rsmp$id) && !identical(rsmp$id, "cv"))) {
        fail("rsmp_tune: a list must be list(folds = k) (or list(id = \"cv\", folds = k)).")
      }
      if (!is.null(rsmp$folds)) n_folds <- rsmp$folds
    } else {
      n_folds <- rsmp
    }
    if (!checkmate::test_count(n_folds, positive = TRUE) || n_folds < 2) {
      fail("rsmp_tune: the number of folds must be a whole number, at least 2.")
    }
    n_folds <- as.integer(n_folds)
  }

  algorithm <- s$algorithm
  if (inherits(algorithm, "R6")) fail("algorithm: of mlr3tuning's Tuner objects only tnr(\"grid_search\") and tnr(\"random_search\") are read; give \"grid_search\" or \"random_search\".")
  if (is.list(algorithm) && !is.null(algorithm$id)) algorithm <- algorithm$id
  if (!checkmate::test_string(algorithm) || !algorithm %in% c("grid_search", "random_search")) {
    fail("algorithm must be \"grid_search\" or \"random_search\".")
  }
  terminator <- s$terminator
  if (inherits(terminator, "R6")) fail("terminator: of bbotk's Terminator objects only trm(\"evals\", n_evals = k) is read; give list(n_evals = k).")
  n_evals <- if (is.list(terminator)) {
    extra <- setdiff(names(terminator), c("id", "n_evals"))
    if (length(extra) || (!is.null(terminator$id) && !identical(terminator$id, "evals"))) {
      fail("terminator: only the number of evaluations is supported, list(n_evals = k) (or list(id = \"evals\", n_evals = k)).")
    }
    terminator$n_evals
  } else {
    terminator
  }
  if (!checkmate::test_count(n_evals, positive = TRUE)) fail("terminator: n_evals must be a positive whole number.")
  if (algorithm == "random_search" && n_evals < 2) fail("terminator: random_search needs n_evals of at least 2.")
  if (!checkmate::test_count(s$resolution, positive = TRUE)) fail("resolution must be a positive whole number.")

  list(
    settings = list(
      n_folds_tune = n_folds,
      search_mode = if (algorithm == "grid_search") "grid_search" else "randomized_search",
      n_iter_randomized_search = as.integer(n_evals),
      scoring_methods = as.list(translate_measures(s$measure, learner_names, task_types))
    ),
    resolution = as.integer(s$resolution)
  )
}

# measure: NULL, one id for every learner, or ids named by learner; DoubleML-R's defaults for the rest.
translate_measures <- function(measure, learner_names, task_types) {
  fail <- function(why) stop(dmls_condition("InvalidInputError", paste0("tune_settings$measure: ", why)))
  if (inherits(measure, "R6")) fail("an R6 object that is not an mlr3 Measure; give measure ids such as \"regr.mse\".")
  ids <- stats::setNames(
    ifelse(unlist(task_types[learner_names]) == "classif", "classif.ce", "regr.mse"),
    learner_names
  )
  if (!is.null(measure)) {
    if (is.list(measure)) measure <- unlist(measure)
    if (!is.character(measure)) fail("give measure ids, e.g. list(ml_l = \"regr.mse\", ml_m = \"classif.ce\").")
    if (is.null(names(measure))) {
      if (length(measure) != 1L) fail("several measures must be named by learner.")
      measure <- stats::setNames(rep(measure, length(learner_names)), learner_names)
    }
    wrong <- setdiff(names(measure), learner_names)
    if (length(wrong)) {
      fail(paste0("unknown learner(s) ", paste(wrong, collapse = ", "), "; the learners are ", paste(learner_names, collapse = ", "), "."))
    }
    ids[names(measure)] <- measure
  }
  bad <- setdiff(ids, names(mlr3_measures))
  if (length(bad)) {
    fail(paste0(
      "unknown measure id(s) ", paste0("\"", bad, "\"", collapse = ", "), "; known: ",
      paste(names(mlr3_measures), collapse = ", "), "."
    ))
  }
  stats::setNames(unname(mlr3_measures[ids]), names(ids))
}

# DoubleML's params (per nuisance, treatment, rep, fold) as DoubleML-R's: the same parameters for
# every fold as one list per treatment, fold-specific ones as [[rep]][[fold]].
r_params <- function(raw, fold_specific) {
  lapply(raw, function(by_treatment) {
    lapply(by_treatment, function(reps) {
      if (is.null(reps)) {
        return(NULL)
      }
      reps <- lapply(reps, function(folds) lapply(folds, r_param_list))
      first <- reps[[1]][[1]]
      same <- all(vapply(unlist(reps, recursive = FALSE), identical, logical(1), first))
      if (same && !fold_specific) first else reps
    })
  })
}

r_param_list <- function(params) {
  if (is.null(params)) {
    return(NULL)
  }
  lapply(params, function(v) if (is.list(v) && all(vapply(v, function(e) is.atomic(e) && length(e) == 1L, logical(1)))) unlist(v) else v)
}

# The bridge's tuning result as DoubleML-R's tuning_res: search results with cv_results as a data.frame.
r_tuning_res <- function(layout, d_cols, tune_on_folds) {
  one <- function(entry) {
    list(
      params = lapply(entry$params, function(sets) lapply(sets, r_param_list)),
      tune_res = lapply(entry$tune_res, r_search)
    )
  }
  if (tune_on_folds) {
    lapply(layout, function(rep) stats::setNames(lapply(rep, one), d_cols))
  } else {
    stats::setNames(lapply(layout, one), d_cols)
  }
}

r_search <- function(x) {
  if (is.null(x)) {
    return(NULL)
  }
  if (!is.null(x$cv_results)) {
    columns <- lapply(x$cv_results, function(col) {
      simple <- all(vapply(col, function(e) is.atomic(e) && length(e) == 1L, logical(1)))
      if (simple) unlist(col) else I(col)
    })
    x$cv_results <- as.data.frame(columns, check.names = FALSE, stringsAsFactors = FALSE)
    x$best_params <- r_param_list(x$best_params)
    return(x)
  }
  lapply(x, r_search)
}

# DoubleML-R's own tune() arguments, where paradox and mlr3tuning are installed: their objects
# read through the fields their documentation gives (ParamSet's ids(), class, lower, upper,
# levels, has_trafo; a Terminator's, Tuner's and Resampling's param_set$values; a Measure's id)
# and turned into the plain values above. This package never loads them itself.

# paradox ParamSets in param_set (per learner) as named lists of dmls ranges.
from_paradox_param_sets <- function(param_set) {
  if (!is.list(param_set) || inherits(param_set, "R6")) {
    return(param_set)
  }
  for (learner in names(param_set)) {
    ps <- param_set[[learner]]
    if (!inherits(ps, "ParamSet")) next
    where <- paste0("param_set$", learner)
    if (isTRUE(ps$has_trafo)) {
      stop(dmls_condition("InvalidInputError", paste0(
        where, ": a ParamSet with a trafo (e.g. logscale = TRUE) cannot be translated; give the values ",
        "(or dmls_dbl(lower, upper, logscale = TRUE))."
      )))
    }
    ids <- ps$ids()
    ranges <- lapply(ids, function(id) {
      type <- unname(ps$class[[id]])
      switch(type,
        ParamDbl = dmls_dbl(unname(ps$lower[[id]]), unname(ps$upper[[id]])),
        ParamInt = dmls_int(unname(ps$lower[[id]]), unname(ps$upper[[id]])),
        ParamFct = dmls_fct(unlist(ps$levels[[id]])),
        ParamLgl = dmls_lgl(),
        stop(dmls_condition("InvalidInputError", paste0(where, ": ", id, " is a ", type, ", which cannot be tuned here.")))
      )
    })
    param_set[[learner]] <- stats::setNames(ranges, ids)
  }
  param_set
}

# mlr3tuning's Terminator and Tuner, mlr3's Resampling and Measure objects in tune_settings as plain values.
from_mlr3_tune_settings <- function(tune_settings) {
  if (!is.list(tune_settings)) {
    return(tune_settings)
  }
  values <- function(x) x$param_set$values
  terminator <- tune_settings$terminator
  if (inherits(terminator, "TerminatorEvals")) {
    tune_settings$terminator <- list(n_evals = values(terminator)$n_evals)
  }
  algorithm <- tune_settings$algorithm
  if (inherits(algorithm, c("TunerGridSearch", "TunerBatchGridSearch"))) {
    tune_settings$algorithm <- "grid_search"
    if (is.null(tune_settings$resolution) && !is.null(values(algorithm)$resolution)) {
      tune_settings$resolution <- values(algorithm)$resolution
    }
  } else if (inherits(algorithm, c("TunerRandomSearch", "TunerBatchRandomSearch"))) {
    tune_settings$algorithm <- "random_search"
  }
  rsmp <- tune_settings$rsmp_tune
  if (inherits(rsmp, "ResamplingCV")) tune_settings$rsmp_tune <- list(folds = values(rsmp)$folds)
  measure <- tune_settings$measure
  if (inherits(measure, "Measure")) {
    tune_settings$measure <- measure$id
  } else if (is.list(measure) && length(measure) && all(vapply(measure, inherits, logical(1), "Measure"))) {
    tune_settings$measure <- lapply(measure, function(m) m$id)
  }
  tune_settings
}

# R's Optuna spaces as plain values: per learner, per parameter a range (type, lower, upper,
# logscale; levels) or a list of candidates. The bridge makes Optuna's suggestions from them.
optuna_spaces <- function(ml_param_space, learner_names) {
  fail <- function(why) stop(dmls_condition("InvalidInputError", paste0("ml_param_space", why)))
  if (inherits(ml_param_space, "R6") || inherits(ml_param_space, "ParamSet")) {
    fail(": a named list of plain lists per learner, e.g. list(ml_l = list(num.trees = dmls_int(10, 100))).")
  }
  if (!is.list(ml_param_space) || !length(ml_param_space) ||
    !checkmate::test_names(names(ml_param_space), type = "unique")) {
    fail(" must be a non-empty list named by learner (ml_l, ml_m, ...).")
  }
  unknown <- setdiff(names(ml_param_space), learner_names)
  if (length(unknown)) {
    fail(paste0(
      ": unknown learner(s) ", paste(unknown, collapse = ", "), "; the learners are ",
      paste(learner_names, collapse = ", "), "."
    ))
  }
  lapply(stats::setNames(names(ml_param_space), names(ml_param_space)), function(learner) {
    params <- ml_param_space[[learner]]
    if (!is.list(params) || (length(params) && !checkmate::test_names(names(params), type = "unique"))) {
      fail(paste0("$", learner, " must be a named list of parameters (ranges or candidate vectors)."))
    }
    out <- lapply(names(params), function(name) {
      spec <- params[[name]]
      where <- paste0("ml_param_space$", learner, "$", name)
      if (inherits(spec, "dmls_param_range") || (is.list(spec) && !is.null(names(spec)) && any(nzchar(names(spec))))) {
        range <- unclass(as_param_range(spec, where))
        if (!is.null(range$trafo)) {
          stop(dmls_condition("InvalidInputError", paste0(
            where, ": Optuna suggests values itself, so a range's trafo cannot be applied; give the range of ",
            "the values the learner takes (logscale = TRUE for a log scale)."
          )))
        }
        range$trafo <- NULL
        if (!is.null(range$levels)) range$levels <- as.list(range$levels)
        return(range[!vapply(range, is.null, logical(1))])
      }
      if (is.factor(spec)) spec <- as.character(spec)
      if (!length(spec)) stop(dmls_condition("InvalidInputError", paste0(where, ": no candidate values.")))
      as.list(spec)
    })
    stats::setNames(out, names(params))
  })
}

# The bridge's Optuna results as R lists: per treatment, per nuisance model; trials as a data.frame.
r_optuna_res <- function(layout, d_cols) {
  one <- function(result) {
    if (is.null(result)) {
      return(NULL)
    }
    result$best_params <- r_param_list(result$best_params)
    if (!is.null(result$trials)) {
      columns <- lapply(result$trials, function(col) {
        simple <- all(vapply(col, function(e) is.atomic(e) && length(e) == 1L, logical(1)))
        if (simple) unlist(col) else I(col)
      })
      result$trials <- as.data.frame(columns, check.names = FALSE, stringsAsFactors = FALSE)
    }
    result
  }
  stats::setNames(lapply(layout, function(per_treatment) lapply(per_treatment, one)), d_cols)
}
