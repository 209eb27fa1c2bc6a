#' Sensitivity analysis, learner evaluation and metrics tables as R values
#'
#' Every model class (see [DoubleMLServerless]) has these methods and fields, which give
#' DoubleML's (Python) results as R vectors, matrices, lists and data.frames:
#'
#' * `$sensitivity_analysis(cf_y = 0.03, cf_d = 0.03, rho = 1, level = 0.95,
#'   null_hypothesis = 0)`: DoubleML's sensitivity analysis of omitted-variable bias after a fit
#'   (returns the model, invisibly). Afterwards `$sensitivity_params` is a list as DoubleML's
#'   `sensitivity_params`: `theta`, `se` and `ci` (each a list of `lower` and `upper`, one
#'   value per treatment), `rv`, `rva` (robustness values, per treatment) and `input` (the
#'   arguments); `$sensitivity_summary` is DoubleML's text (print it with `cat()`).
#' * `$evaluate_learners(learners = NULL)`: DoubleML's evaluation of the cross-fitted
#'   predictions (the root mean squared error against the targets): a named list, one matrix
#'   `n_rep x n_treat` per nuisance model (`learners`: the nuisance models to evaluate, e.g.
#'   `"ml_l"`; all by default).
#' * `$nuisance_loss`: DoubleML's losses of the nuisance models after a fit (RMSE, log loss for
#'   classifiers), as `$evaluate_learners()`'s list; `NULL` before a fit.
#' * `$task_metrics`, `$tune_metrics`, `$aws_lambda_metrics`: data.frames with one row per task
#'   of the last fit, per task of the last backend tuning, and per Lambda invocation of the last
#'   Lambda fit or tuning (durations, memory, billed duration, cold starts, ...); `NULL` when
#'   there is none.
#'
#' @name dmls_results
#' @examples
#' if (pydmlserverless_available()) {
#'   set.seed(2)
#'   n <- 200
#'   x <- matrix(rnorm(n * 3), n)
#'   d <- x[, 1] + rnorm(n)
#'   df <- data.frame(y = 0.5 * d + x[, 2] + rnorm(n), d = d, x)
#'   model <- DoubleMLPLRServerless$new(NULL, NULL, DoubleMLData$new(df, y_col = "y", d_cols = "d"),
#'     ml_l = lrn("regr.lm"), ml_m = lrn("regr.lm"), n_folds = 2)
#'   model$fit_local(n_jobs = 1)
#'   model$sensitivity_analysis(cf_y = 0.04, cf_d = 0.03)
#'   model$sensitivity_params$theta
#'   cat(model$sensitivity_summary)
#'   model$evaluate_learners()
#'   head(model$task_metrics)
#' }
NULL

# A list of the bridge's arrays ({values, dim}) as matrices n_rep x n_treat named by treatment.
r_loss_matrices <- function(x, treatments) {
  if (is.null(x)) {
    return(NULL)
  }
  lapply(x, function(a) {
    m <- as_r_array(a)
    m <- matrix(m, nrow = dim(m)[1], ncol = if (length(dim(m)) > 1) dim(m)[2] else 1L)
    if (ncol(m) == length(treatments)) colnames(m) <- treatments
    m
  })
}

# The bridge's table ({names, columns: [{type, values}]}) as a data.frame (None -> NA).
r_data_frame <- function(x) {
  if (is.null(x)) {
    return(NULL)
  }
  columns <- lapply(x$columns, function(col) {
    values <- col$values
    if (!length(values)) {
      return(vector(col$type, 0L))
    }
    missing <- vapply(values, is.null, logical(1))
    values[missing] <- NA
    out <- unlist(values, use.names = FALSE)
    switch(col$type,
      logical = as.logical(out),
      integer = as.integer(out),
      double = as.numeric(out),
      as.character(out)
    )
  })
  names(columns) <- as.character(unlist(x$names))
  as.data.frame(columns, stringsAsFactors = FALSE, optional = TRUE)
}

# Sensitivity parameters from the bridge: numbers per treatment, named.
r_sensitivity_params <- function(x, treatments) {
  named <- function(v) {
    v <- as.numeric(unlist(v))
    if (length(v) == length(treatments)) names(v) <- treatments
    v
  }
  bounds <- function(b) list(lower = named(b$lower), upper = named(b$upper))
  input <- x$input
  list(
    theta = bounds(x$theta), se = bounds(x$se), ci = bounds(x$ci),
    rv = named(x$rv), rva = named(x$rva),
    input = list(
      cf_y = as.numeric(input$cf_y), cf_d = as.numeric(input$cf_d), rho = as.numeric(input$rho),
      level = as.numeric(input$level), null_hypothesis = named(input$null_hypothesis)
    )
  )
}

model_treatments <- function(self) names(self$coef)

# $sensitivity_analysis(): DoubleML's analysis through the bridge, as R values.
run_sensitivity_analysis <- function(self, private, cf_y, cf_d, rho, level, null_hypothesis) {
  private$assert_fitted("sensitivity_analysis")
  checkmate::assert_number(cf_y, lower = 0, upper = 1)
  checkmate::assert_number(cf_d, lower = 0, upper = 1)
  checkmate::assert_number(rho, lower = -1, upper = 1)
  checkmate::assert_number(level, lower = 0, upper = 1)
  checkmate::assert_numeric(null_hypothesis, any.missing = FALSE, min.len = 1)
  res <- py_call(
    bridge()$sensitivity_analysis, private$py_, cf_y, cf_d, rho, level, as.list(as.numeric(null_hypothesis))
  )
  list(params = r_sensitivity_params(res$params, model_treatments(self)), summary = res$summary)
}

run_evaluate_learners <- function(self, private, learners) {
  private$assert_fitted("evaluate_learners")
  checkmate::assert_character(learners, null.ok = TRUE, any.missing = FALSE, min.len = 1)
  res <- py_call(bridge()$evaluate_learners, private$py_, if (!is.null(learners)) as.list(learners))
  r_loss_matrices(res, model_treatments(self))
}

nuisance_loss_of <- function(self, private) {
  r_loss_matrices(py_call(bridge()$nuisance_loss, private$py_), model_treatments(self))
}

metrics_of <- function(private, table) r_data_frame(py_call(bridge()$metrics_frame, private$py_, table))
