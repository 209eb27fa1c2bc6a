#' @title Interactive regression model with serverless cross-fitting
#'
#' @description
#' DoubleML's interactive regression model for a binary treatment
#' \deqn{Y = g_0(D, X) + U, \quad D = m_0(X) + V,}
#' estimating the ATE or ATTE; fits as for [DoubleMLPLRServerless]. `ml_g` is fitted separately
#' on the treated and the untreated (`ml_g1`, `ml_g0`).
#'
#' @format [R6::R6Class] object inheriting from [DoubleMLServerless].
#' @family models
#' @export
#' @examples
#' if (pydmlserverless_available()) {
#'   set.seed(2)
#'   n <- 300
#'   x <- matrix(rnorm(n * 3), n)
#'   d <- rbinom(n, 1, plogis(x[, 1]))
#'   df <- data.frame(y = 0.5 * d + x[, 2] + rnorm(n), d = d, x)
#'   dml_data <- DoubleMLData$new(df, y_col = "y", d_cols = "d")
#'   model <- DoubleMLIRMServerless$new(NULL, NULL, dml_data,
#'     ml_g = lrn("regr.lm"), ml_m = lrn("classif.log_reg"), n_folds = 2)
#'   model$fit_local(n_jobs = 1)
#'   model$confint()
#' }
DoubleMLIRMServerless <- R6::R6Class("DoubleMLIRMServerless",
  inherit = DoubleMLServerless,
  public = list(
    #' @description
    #' Creates a model and draws its sample splits.
    #'
    #' @param lambda_function_name,aws_region,data,n_folds,n_rep See [DoubleMLPLRServerless].
    #' @param ml_g (regression learner) \cr For \eqn{E[Y|X, D]}.
    #' @param ml_m (classification learner) \cr For the propensity score \eqn{P(D = 1|X)}.
    #' @param score (`character(1)`) \cr `"ATE"` (default) or `"ATTE"`.
    #' @param trimming_rule (`character(1)`) \cr `"truncate"` (default).
    #' @param trimming_threshold (`numeric(1)`) \cr Propensity scores are clipped to
    #'   `[trimming_threshold, 1 - trimming_threshold]`. Default 0.01 (DoubleML for Python's).
    #' @param normalize_ipw (`logical(1)`) \cr Normalise the inverse probability weights.
    #'   Default `FALSE`.
    initialize = function(lambda_function_name = NULL, aws_region = NULL, data, ml_g, ml_m,
                          n_folds = 5, n_rep = 1, score = "ATE", trimming_rule = "truncate",
                          trimming_threshold = 1e-2, normalize_ipw = FALSE) {
      checkmate::assert_string(trimming_rule)
      checkmate::assert_number(trimming_threshold)
      checkmate::assert_flag(normalize_ipw)
      private$init_model(
        "IRM", lambda_function_name, aws_region, data, list(ml_g = ml_g, ml_m = ml_m),
        n_folds, n_rep, score,
        list(
          trimming_rule = trimming_rule, trimming_threshold = trimming_threshold,
          normalize_ipw = normalize_ipw
        )
      )
    }
  )
)
