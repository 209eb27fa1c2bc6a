#' @title Partially linear regression with serverless cross-fitting
#'
#' @description
#' DoubleML's partially linear regression model
#' \deqn{Y = D \theta_0 + g_0(X) + \zeta, \quad D = m_0(X) + V,}
#' with the nuisance fits on AWS Lambda (`$fit_aws_lambda()`) or a local process pool
#' (`$fit_local()`). Everything after the fit is DoubleML's (see [DoubleMLServerless]).
#'
#' @format [R6::R6Class] object inheriting from [DoubleMLServerless].
#' @family models
#' @export
#' @examples
#' if (pydmlserverless_available()) {
#'   set.seed(1)
#'   n <- 200
#'   x <- matrix(rnorm(n * 3), n)
#'   d <- x[, 1] + rnorm(n)
#'   df <- data.frame(y = 0.5 * d + x[, 2] + rnorm(n), d = d, x)
#'   dml_data <- DoubleMLData$new(df, y_col = "y", d_cols = "d")
#'   model <- DoubleMLPLRServerless$new(NULL, NULL, dml_data,
#'     ml_l = lrn("regr.lm"), ml_m = lrn("regr.lm"), n_folds = 2)
#'   model$fit_local(n_jobs = 1)
#'   model$coef
#' }
DoubleMLPLRServerless <- R6::R6Class("DoubleMLPLRServerless",
  inherit = DoubleMLServerless,
  public = list(
    #' @description
    #' Creates a model and draws its sample splits.
    #'
    #' @param lambda_function_name (`character(1)` or `NULL`) \cr The deployed Lambda function
    #'   (e.g. `"LambdaCVPredict"`); `NULL` for local fits only.
    #' @param aws_region (`character(1)` or `NULL`) \cr Its AWS region (`NULL`: the SDK's default).
    #' @param data ([DoubleMLData]) \cr The data.
    #' @param ml_l,ml_m,ml_g Learners ([lrn()], an mlr3 id, or a scikit-learn estimator):
    #'   \eqn{\ell_0(X) = E[Y|X]}, \eqn{m_0(X) = E[D|X]} (a classifier for a binary treatment is
    #'   allowed) and, for `score = "IV-type"`, \eqn{g_0(X)}.
    #' @param n_folds (`integer(1)`) \cr Number of folds. Default 5.
    #' @param n_rep (`integer(1)`) \cr Number of repeated sample splits. Default 1.
    #' @param score (`character(1)`) \cr `"partialling out"` (default) or `"IV-type"`.
    initialize = function(lambda_function_name = NULL, aws_region = NULL, data, ml_l, ml_m,
                          ml_g = NULL, n_folds = 5, n_rep = 1, score = "partialling out") {
      private$init_model(
        "PLR", lambda_function_name, aws_region, data,
        list(ml_l = ml_l, ml_m = ml_m, ml_g = ml_g), n_folds, n_rep, score
      )
    }
  )
)
