#' @title Interactive IV model with serverless cross-fitting
#'
#' @description
#' DoubleML's interactive IV model for a binary treatment and a binary instrument, estimating
#' the local average treatment effect (LATE); fits as for [DoubleMLPLRServerless].
#'
#' @format [R6::R6Class] object inheriting from [DoubleMLServerless].
#' @family models
#' @export
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
    #' @param trimming_rule,trimming_threshold,normalize_ipw See [DoubleMLIRMServerless].
    initialize = function(lambda_function_name = NULL, aws_region = NULL, data, ml_g, ml_m, ml_r,
                          n_folds = 5, n_rep = 1, score = "LATE",
                          subgroups = list(always_takers = TRUE, never_takers = TRUE),
                          trimming_rule = "truncate", trimming_threshold = 1e-2,
                          normalize_ipw = FALSE) {
      checkmate::assert_list(subgroups, types = "logical", names = "unique")
      checkmate::assert_string(trimming_rule)
      checkmate::assert_number(trimming_threshold)
      checkmate::assert_flag(normalize_ipw)
      private$init_model(
        "IIVM", lambda_function_name, aws_region, data, list(ml_g = ml_g, ml_m = ml_m, ml_r = ml_r),
        n_folds, n_rep, score,
        list(
          subgroups = subgroups, trimming_rule = trimming_rule,
          trimming_threshold = trimming_threshold, normalize_ipw = normalize_ipw
        )
      )
    }
  )
)
