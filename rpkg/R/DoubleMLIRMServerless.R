#' @title Interactive regression model with serverless cross-fitting
#'
#' @description
#' DoubleML's interactive regression model for a binary treatment
#' \deqn{Y = g_0(D, X) + U, \quad D = m_0(X) + V,}
#' estimating the ATE or ATTE; fits as for [DoubleMLPLRServerless]. `ml_g` is fitted separately
#' on the treated and the untreated (`ml_g1`, `ml_g0`).
#'
#' @section DoubleML-R's call:
#' `DoubleMLIRMServerless$new(data, ml_g, ml_m, ...)` works as DoubleML-R's `DoubleMLIRM$new()`
#' (arguments `data, ml_g, ml_m, n_folds, n_rep, score, trimming_rule, trimming_threshold,
#' dml_procedure, draw_sample_splitting, apply_cross_fitting`, then this package's
#' `normalize_ipw`, `weights`, `ps_processor_config`); see [DoubleMLPLRServerless]. The default
#' `trimming_threshold` is DoubleML for Python's, 0.01 (DoubleML-R's is 1e-12).
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
    #' @param dml_procedure (`character(1)`) \cr DoubleML-R's; only `"dml2"` (DoubleML's only
    #'   procedure).
    #' @param draw_sample_splitting (`logical(1)`) \cr Draw the sample splits now (default `TRUE`);
    #'   `FALSE` leaves them to `$set_sample_splitting()` or `$split_samples()`.
    #' @param apply_cross_fitting (`logical(1)`) \cr DoubleML-R's; only `TRUE` (DoubleML always
    #'   cross-fits).
    #' @param weights (`numeric()`, named `list()` or `NULL`) \cr DoubleML's weights for weighted
    #'   ATEs: one weight per observation, or `list(weights =, weights_bar =)` (`weights_bar` an
    #'   `n_obs x n_rep` matrix). `NULL` (default): none.
    #' @param ps_processor_config (named `list()` or `NULL`) \cr DoubleML's `PSProcessorConfig`
    #'   (Python) as a list: `clipping_threshold`, `extreme_threshold`, `calibration_method`,
    #'   `cv_calibration`; `NULL` (default) uses `trimming_threshold`.
    initialize = function(lambda_function_name = NULL, aws_region = NULL, data, ml_g, ml_m,
                          n_folds = 5, n_rep = 1, score = "ATE", trimming_rule = "truncate",
                          trimming_threshold = 1e-2, dml_procedure = "dml2", draw_sample_splitting = TRUE,
                          apply_cross_fitting = TRUE, normalize_ipw = FALSE, weights = NULL,
                          ps_processor_config = NULL) {
      if (is_doubleml_r_call(lambda_function_name)) return(doubleml_r_initialize(sys.function(), parent.frame()))
      checkmate::assert_string(trimming_rule)
      checkmate::assert_number(trimming_threshold)
      checkmate::assert_flag(normalize_ipw)
      checkmate::assert_list(ps_processor_config, names = "unique", null.ok = TRUE)
      options <- list(trimming_rule = trimming_rule, trimming_threshold = trimming_threshold, normalize_ipw = normalize_ipw)
      if (!is.null(weights)) options$weights <- r_weights(weights)
      if (!is.null(ps_processor_config)) options$ps_processor_config <- ps_processor_config
      private$trimming_rule_ <- trimming_rule
      private$trimming_threshold_ <- trimming_threshold
      private$normalize_ipw_ <- normalize_ipw
      private$weights_ <- weights
      private$init_model(
        "IRM", lambda_function_name, aws_region, data, list(ml_g = ml_g, ml_m = ml_m),
        n_folds, n_rep, score, options,
        draw_sample_splitting = draw_sample_splitting, apply_cross_fitting = apply_cross_fitting,
        dml_procedure = dml_procedure
      )
    }
  ),
  active = list(
    #' @field trimming_rule (`character(1)`) \cr The trimming approach.
    trimming_rule = function(value) ro(value, "trimming_rule", private$trimming_rule_),
    #' @field trimming_threshold (`numeric(1)`) \cr The threshold used for trimming.
    trimming_threshold = function(value) ro(value, "trimming_threshold", private$trimming_threshold_),
    #' @field normalize_ipw (`logical(1)`) \cr Whether the inverse probability weights are normalised.
    normalize_ipw = function(value) ro(value, "normalize_ipw", private$normalize_ipw_),
    #' @field weights (`numeric()`, `list()` or `NULL`) \cr The weights, as given.
    weights = function(value) ro(value, "weights", private$weights_)
  ),
  private = list(
    trimming_rule_ = NULL,
    trimming_threshold_ = NULL,
    normalize_ipw_ = NULL,
    weights_ = NULL
  )
)

# IRM's weights as plain values for the bridge: a vector, or list(weights =, weights_bar = matrix).
r_weights <- function(weights) {
  if (is.list(weights)) {
    checkmate::assert_names(names(weights), subset.of = c("weights", "weights_bar"), must.include = "weights")
    out <- list(weights = as.numeric(weights$weights))
    if (!is.null(weights$weights_bar)) {
      bar <- as.matrix(weights$weights_bar)
      out$weights_bar <- list(values = as.numeric(bar), dim = as.list(dim(bar)))
    }
    return(out)
  }
  checkmate::assert_numeric(weights, any.missing = FALSE, min.len = 1)
  as.numeric(weights)
}
