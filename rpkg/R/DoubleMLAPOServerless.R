#' @title Average potential outcome(s) with serverless cross-fitting
#'
#' @description
#' DoubleML's average potential outcome \eqn{\theta_0 = E[g_0(d, X)]} of a treatment level
#' `treatment_level` of a (possibly multi-valued) treatment, as the Python
#' `doubleml.DoubleMLAPO`; fits as for [DoubleMLPLRServerless]. `ml_g` is fitted on the units at
#' the level (`ml_g_d_lvl1`) and on the others (`ml_g_d_lvl0`, with the treatment as a feature),
#' `ml_m` is the propensity of the level.
#'
#' @format [R6::R6Class] object inheriting from [DoubleMLServerless].
#' @family models
#' @export
#' @examples
#' if (pydmlserverless_available()) {
#'   set.seed(3)
#'   n <- 300
#'   x <- matrix(rnorm(n * 3), n)
#'   d <- sample(0:2, n, replace = TRUE)
#'   df <- data.frame(y = d + x[, 1] + rnorm(n), d = d, x)
#'   dml_data <- DoubleMLData$new(df, y_col = "y", d_cols = "d")
#'   model <- DoubleMLAPOServerless$new(NULL, NULL, dml_data,
#'     ml_g = lrn("regr.lm"), ml_m = lrn("classif.log_reg"), treatment_level = 1, n_folds = 3)
#'   model$fit_local(n_jobs = 1)
#'   model$summary()
#' }
DoubleMLAPOServerless <- R6::R6Class("DoubleMLAPOServerless",
  inherit = DoubleMLServerless,
  public = list(
    #' @description
    #' Creates a model and draws its sample splits.
    #'
    #' @param lambda_function_name,aws_region,data,n_folds,n_rep See [DoubleMLPLRServerless].
    #' @param ml_g (regression learner) \cr For \eqn{E[Y|X, D]}.
    #' @param ml_m (classification learner) \cr For the propensity \eqn{P(D = d|X)}.
    #' @param treatment_level (`numeric(1)`) \cr The treatment level \eqn{d}.
    #' @param score (`character(1)`) \cr `"APO"` (default, the only one).
    #' @param trimming_rule,trimming_threshold,normalize_ipw See [DoubleMLIRMServerless].
    #' @param draw_sample_splitting (`logical(1)`) \cr Draw the sample splits now (default `TRUE`);
    #'   `FALSE` leaves them to `$set_sample_splitting()` or `$split_samples()`.
    initialize = function(lambda_function_name = NULL, aws_region = NULL, data, ml_g, ml_m, treatment_level,
                          n_folds = 5, n_rep = 1, score = "APO", trimming_rule = "truncate",
                          trimming_threshold = 1e-2, normalize_ipw = FALSE, draw_sample_splitting = TRUE) {
      if (is_doubleml_r_call(lambda_function_name)) return(doubleml_r_initialize(sys.function(), parent.frame()))
      checkmate::assert_number(treatment_level)
      checkmate::assert_string(trimming_rule)
      checkmate::assert_number(trimming_threshold)
      checkmate::assert_flag(normalize_ipw)
      private$init_model(
        "APO", lambda_function_name, aws_region, data, list(ml_g = ml_g, ml_m = ml_m), n_folds, n_rep, score,
        list(
          treatment_level = treatment_level, trimming_rule = trimming_rule,
          trimming_threshold = trimming_threshold, normalize_ipw = normalize_ipw
        ),
        draw_sample_splitting = draw_sample_splitting
      )
    }
  )
)

#' @title Average potential outcomes of several treatment levels with serverless cross-fitting
#'
#' @description
#' DoubleML's `DoubleMLAPOS` (Python): one average potential outcome per treatment level, all
#' levels on the same sample splits, every level's nuisance fits in one fan-out. The estimates
#' are named by level; `$causal_contrast()` gives the differences to reference levels.
#'
#' @format [R6::R6Class] object inheriting from [DoubleMLServerless].
#' @family models
#' @export
#' @examples
#' if (pydmlserverless_available()) {
#'   set.seed(3)
#'   n <- 300
#'   x <- matrix(rnorm(n * 3), n)
#'   d <- sample(0:2, n, replace = TRUE)
#'   df <- data.frame(y = d + x[, 1] + rnorm(n), d = d, x)
#'   dml_data <- DoubleMLData$new(df, y_col = "y", d_cols = "d")
#'   model <- DoubleMLAPOSServerless$new(NULL, NULL, dml_data,
#'     ml_g = lrn("regr.lm"), ml_m = lrn("classif.log_reg"), treatment_levels = 0:2, n_folds = 3)
#'   model$fit_local(n_jobs = 1)
#'   model$causal_contrast(reference_levels = 0)
#' }
DoubleMLAPOSServerless <- R6::R6Class("DoubleMLAPOSServerless",
  inherit = DoubleMLServerless,
  public = list(
    #' @description
    #' Creates a model and draws its sample splits.
    #'
    #' @param lambda_function_name,aws_region,data,n_folds,n_rep See [DoubleMLPLRServerless].
    #' @param ml_g,ml_m,score,trimming_rule,trimming_threshold,normalize_ipw See
    #'   [DoubleMLAPOServerless].
    #' @param treatment_levels (`numeric()`) \cr The treatment levels.
    #' @param draw_sample_splitting (`logical(1)`) \cr Draw the sample splits now (default `TRUE`);
    #'   `FALSE` leaves them to `$set_sample_splitting()` or `$split_samples()`.
    initialize = function(lambda_function_name = NULL, aws_region = NULL, data, ml_g, ml_m, treatment_levels,
                          n_folds = 5, n_rep = 1, score = "APO", trimming_rule = "truncate",
                          trimming_threshold = 1e-2, normalize_ipw = FALSE, draw_sample_splitting = TRUE) {
      if (is_doubleml_r_call(lambda_function_name)) return(doubleml_r_initialize(sys.function(), parent.frame()))
      checkmate::assert_numeric(treatment_levels, min.len = 1, any.missing = FALSE, unique = TRUE)
      checkmate::assert_string(trimming_rule)
      checkmate::assert_number(trimming_threshold)
      checkmate::assert_flag(normalize_ipw)
      private$init_model(
        "APOS", lambda_function_name, aws_region, data, list(ml_g = ml_g, ml_m = ml_m), n_folds, n_rep, score,
        list(
          treatment_levels = as.list(as.numeric(treatment_levels)), trimming_rule = trimming_rule,
          trimming_threshold = trimming_threshold, normalize_ipw = normalize_ipw
        ),
        draw_sample_splitting = draw_sample_splitting
      )
    },

    #' @description
    #' Average treatment effects between the treatment levels and reference levels (DoubleML's
    #' `causal_contrast()`), printed as `$summary()` prints.
    #'
    #' @param reference_levels (`numeric()`) \cr The reference level(s).
    #' @return The contrasts' table (estimate, standard error, t, p and confidence interval),
    #'   a `matrix()` with one row per contrast, invisibly.
    causal_contrast = function(reference_levels) {
      private$assert_fitted("causal_contrast")
      checkmate::assert_numeric(reference_levels, min.len = 1, any.missing = FALSE)
      res <- py_call(bridge()$causal_contrast, private$py_, as.list(as.numeric(reference_levels)))
      table <- py_table(res$summary)
      cat("Causal contrasts of the average potential outcomes\n")
      stats::printCoefmat(table[, 1:4, drop = FALSE], P.values = TRUE, has.Pvalue = TRUE)
      invisible(table)
    }
  )
)
