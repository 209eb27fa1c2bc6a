#' @title Partially linear IV regression with serverless cross-fitting
#'
#' @description
#' DoubleML's partially linear IV regression model
#' \deqn{Y - D \theta_0 = g_0(X) + \zeta, \quad Z = m_0(X) + V,}
#' with one or several instruments (`z_cols` of the data); fits as for [DoubleMLPLRServerless].
#'
#' @format [R6::R6Class] object inheriting from [DoubleMLServerless].
#' @family models
#' @export
DoubleMLPLIVServerless <- R6::R6Class("DoubleMLPLIVServerless",
  inherit = DoubleMLServerless,
  public = list(
    #' @description
    #' Creates a model and draws its sample splits.
    #'
    #' @param lambda_function_name,aws_region,data,n_folds,n_rep See [DoubleMLPLRServerless].
    #' @param ml_l,ml_m,ml_r,ml_g Learners for \eqn{E[Y|X]}, \eqn{E[Z|X]}, \eqn{E[D|X]} and, for
    #'   `score = "IV-type"`, \eqn{g_0(X)}.
    #' @param score (`character(1)`) \cr `"partialling out"` (default) or `"IV-type"`.
    initialize = function(lambda_function_name = NULL, aws_region = NULL, data, ml_l, ml_m, ml_r,
                          ml_g = NULL, n_folds = 5, n_rep = 1, score = "partialling out") {
      private$init_model(
        "PLIV", lambda_function_name, aws_region, data,
        list(ml_l = ml_l, ml_m = ml_m, ml_r = ml_r, ml_g = ml_g), n_folds, n_rep, score
      )
    }
  )
)
