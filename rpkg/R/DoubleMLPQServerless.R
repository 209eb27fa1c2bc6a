#' @title Potential quantile with serverless cross-fitting
#'
#' @description
#' DoubleML's potential quantile of a treatment level \eqn{\theta_\tau^d} with
#' \eqn{P(Y(d) \le \theta_\tau^d) = \tau}, for a binary treatment; fits as for
#' [DoubleMLPLRServerless]. DoubleML for Python's `DoubleMLPQ` (DoubleML-R has none): within
#' every fold, a preliminary estimate of the quantile on one half of the training rows
#' (`ml_m` cross-fitted there), `ml_g` (a classifier of `y <=` that estimate) on the treated rows
#' of the other half and `ml_m` refitted on the fold; each of those fits is a task on the backend.
#'
#' @format [R6::R6Class] object inheriting from [DoubleMLQuantileServerless].
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
#'   model <- DoubleMLPQServerless$new(NULL, NULL, dml_data,
#'     ml_g = lrn("classif.log_reg"), ml_m = lrn("classif.log_reg"), quantile = 0.5, n_folds = 2)
#'   model$fit_local(n_jobs = 1)
#'   model$confint()
#' }
DoubleMLPQServerless <- R6::R6Class("DoubleMLPQServerless",
  inherit = DoubleMLQuantileServerless,
  public = list(
    #' @description
    #' Creates a model and draws its sample splits.
    #'
    #' @param lambda_function_name,aws_region,data,n_folds,n_rep See [DoubleMLPLRServerless].
    #' @param ml_g (classification learner) \cr For \eqn{P(Y \le \theta | X, D = d)}.
    #' @param ml_m (classification learner) \cr For the propensity score \eqn{P(D = 1|X)}.
    #' @param treatment (`integer(1)`) \cr The treatment level, 0 or 1. Default 1.
    #' @param quantile (`numeric(1)`) \cr The quantile, in (0, 1). Default 0.5.
    #' @param score (`character(1)`) \cr `"PQ"` (the only one).
    #' @param normalize_ipw (`logical(1)`) \cr Normalise the inverse probability weights.
    #'   Default `TRUE` (DoubleML's).
    #' @param trimming_rule (`character(1)`) \cr `"truncate"` (default).
    #' @param trimming_threshold (`numeric(1)`) \cr Propensity scores are clipped to
    #'   `[trimming_threshold, 1 - trimming_threshold]`. Default 0.01.
    #' @param ps_processor_config (named `list()` or `NULL`) \cr DoubleML's `PSProcessorConfig`
    #'   as a list: `clipping_threshold`, `extreme_threshold`, `calibration_method`,
    #'   `cv_calibration`; `NULL` (default) uses `trimming_threshold`.
    #' @param draw_sample_splitting (`logical(1)`) \cr Draw the sample splits now (default `TRUE`).
    initialize = function(lambda_function_name = NULL, aws_region = NULL, data, ml_g, ml_m,
                          treatment = 1, quantile = 0.5, n_folds = 5, n_rep = 1, score = "PQ",
                          normalize_ipw = TRUE, trimming_rule = "truncate", trimming_threshold = 1e-2,
                          ps_processor_config = NULL, draw_sample_splitting = TRUE) {
      private$init_quantile(
        "PQ", lambda_function_name, aws_region, data, ml_g, ml_m, treatment, quantile, n_folds, n_rep, score,
        normalize_ipw, trimming_rule, trimming_threshold, ps_processor_config, draw_sample_splitting
      )
    }
  )
)
