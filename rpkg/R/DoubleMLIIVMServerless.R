#' @title Interactive IV model with serverless cross-fitting
#'
#' @description
#' DoubleML's interactive IV model for a binary treatment and a binary instrument, estimating
#' the local average treatment effect (LATE); fits as for [DoubleMLPLRServerless].
#'
#' @section DoubleML-R's call:
#' `DoubleMLIIVMServerless$new(data, ml_g, ml_m, ml_r, ...)` works as DoubleML-R's
#' `DoubleMLIIVM$new()` (arguments `data, ml_g, ml_m, ml_r, n_folds, n_rep, score, subgroups,
#' dml_procedure, trimming_rule, trimming_threshold, draw_sample_splitting, apply_cross_fitting`,
#' then `normalize_ipw`, `ps_processor_config`); see [DoubleMLPLRServerless].
#'
#' @format [R6::R6Class] object inheriting from [DoubleMLServerless].
#' @family models
#' @export
#' @examples
#' if (pydmlserverless_available()) {
#'   set.seed(4)
#'   n <- 400
#'   x <- matrix(rnorm(n * 2), n)
#'   z <- rbinom(n, 1, 0.5)
#'   d <- as.numeric(z * rbinom(n, 1, 0.8) + (1 - z) * rbinom(n, 1, 0.2))
#'   df <- data.frame(y = d + x[, 1] + rnorm(n), d = d, z = z, x)
#'   dml_data <- DoubleMLData$new(df, y_col = "y", d_cols = "d", z_cols = "z")
#'   model <- DoubleMLIIVMServerless$new(dml_data, lrn("regr.lm"), lrn("classif.log_reg"),
#'     lrn("classif.log_reg"), n_folds = 3)
#'   model$fit(n_jobs = 1)
#'   model$subgroups
#'   model$summary()
#' }
DoubleMLIIVMServerless <- R6::R6Class("DoubleMLIIVMServerless",
  inherit = DoubleMLServerless,
  public = list(
    #' @description
    #' Creates a model and draws its sample splits.
    #'
    #' @param lambda_function_name,aws_region,data,n_folds,n_rep See [DoubleMLPLRServerless].
    #' @param ml_g (regression learner) \cr For \eqn{E[Y|X, Z]}.
    #' @param ml_m (classification learner) \cr For \eqn{P(Z = 1|X)}.
    #' @param ml_r (classification learner) \cr For \eqn{P(D = 1|X, Z)}.
    #' @param score (`character(1)`) \cr `"LATE"` (default).
    #' @param subgroups (named `list()`) \cr `always_takers` and `never_takers` (`TRUE` or
    #'   `FALSE`): whether these subgroups exist. Default both `TRUE`.
    #' @param trimming_rule,trimming_threshold,normalize_ipw,ps_processor_config See
    #'   [DoubleMLIRMServerless].
    #' @param dml_procedure (`character(1)`) \cr DoubleML-R's; only `"dml2"` (DoubleML's only
    #'   procedure).
    #' @param draw_sample_splitting (`logical(1)`) \cr Draw the sample splits now (default `TRUE`);
    #'   `FALSE` leaves them to `$set_sample_splitting()` or `$split_samples()`.
    #' @param apply_cross_fitting (`logical(1)`) \cr DoubleML-R's; only `TRUE` (DoubleML always
    #'   cross-fits).
    initialize = function(lambda_function_name = NULL, aws_region = NULL, data, ml_g, ml_m, ml_r,
                          n_folds = 5, n_rep = 1, score = "LATE",
                          subgroups = list(always_takers = TRUE, never_takers = TRUE),
                          dml_procedure = "dml2", trimming_rule = "truncate", trimming_threshold = 1e-2,
                          draw_sample_splitting = TRUE, apply_cross_fitting = TRUE,
                          normalize_ipw = FALSE, ps_processor_config = NULL) {
      if (is_doubleml_r_call(lambda_function_name)) return(doubleml_r_initialize(sys.function(), parent.frame()))
      checkmate::assert_list(subgroups, types = "logical", names = "unique")
      checkmate::assert_string(trimming_rule)
      checkmate::assert_number(trimming_threshold)
      checkmate::assert_flag(normalize_ipw)
      checkmate::assert_list(ps_processor_config, names = "unique", null.ok = TRUE)
      options <- list(
        subgroups = subgroups, trimming_rule = trimming_rule,
        trimming_threshold = trimming_threshold, normalize_ipw = normalize_ipw
      )
      if (!is.null(ps_processor_config)) options$ps_processor_config <- ps_processor_config
      private$subgroups_ <- subgroups
      private$trimming_rule_ <- trimming_rule
      private$trimming_threshold_ <- trimming_threshold
      private$normalize_ipw_ <- normalize_ipw
      private$init_model(
        "IIVM", lambda_function_name, aws_region, data, list(ml_g = ml_g, ml_m = ml_m, ml_r = ml_r),
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
    #' @field subgroups (named `list(2)`) \cr `always_takers` and `never_takers`: whether these
    #'   subgroups exist.
    subgroups = function(value) ro(value, "subgroups", private$subgroups_)
  ),
  private = list(
    trimming_rule_ = NULL,
    trimming_threshold_ = NULL,
    normalize_ipw_ = NULL,
    subgroups_ = NULL
  )
)
