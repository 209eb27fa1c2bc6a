#' @title Partially linear regression with serverless cross-fitting
#'
#' @description
#' DoubleML's partially linear regression model
#' \deqn{Y = D \theta_0 + g_0(X) + \zeta, \quad D = m_0(X) + V,}
#' with the nuisance fits on AWS Lambda (`$fit_aws_lambda()`) or a local process pool
#' (`$fit_local()`). Everything after the fit is DoubleML's (see [DoubleMLServerless]).
#'
#' @section DoubleML-R's call:
#' `DoubleMLPLRServerless$new(data, ml_l, ml_m, ...)`, DoubleML-R's `DoubleMLPLR$new()` call,
#' works as it is: with a data object first, the arguments are matched as DoubleML-R's
#' (`data, ml_l, ml_m, ml_g, n_folds, n_rep, score, dml_procedure, draw_sample_splitting,
#' apply_cross_fitting`), and `lambda_function_name` and `aws_region` are named-only (default
#' `NULL`). See [DoubleMLServerless], section DoubleML-R's call and surface.
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
#'   # DoubleML-R's call, unchanged but for the class name
#'   ml_l <- lrn("regr.rpart", maxdepth = 3)
#'   ml_m <- ml_l$clone()
#'   dml_plr <- DoubleMLPLRServerless$new(dml_data, ml_l, ml_m, n_folds = 2)
#'   dml_plr$set_ml_nuisance_params("ml_l", "d", list(maxdepth = 2))
#'   dml_plr$fit(store_models = TRUE, n_jobs = 1)
#'   dml_plr$params$ml_l$d
#'   dim(dml_plr$psi_a)
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
    #' @param dml_procedure (`character(1)`) \cr DoubleML-R's; only `"dml2"` (DoubleML's only
    #'   procedure).
    #' @param draw_sample_splitting (`logical(1)`) \cr Draw the sample splits now (default `TRUE`);
    #'   `FALSE` leaves them to `$set_sample_splitting()` or `$split_samples()`.
    #' @param apply_cross_fitting (`logical(1)`) \cr DoubleML-R's; only `TRUE` (DoubleML always
    #'   cross-fits).
    initialize = function(lambda_function_name = NULL, aws_region = NULL, data, ml_l, ml_m,
                          ml_g = NULL, n_folds = 5, n_rep = 1, score = "partialling out",
                          dml_procedure = "dml2", draw_sample_splitting = TRUE, apply_cross_fitting = TRUE) {
      if (is_doubleml_r_call(lambda_function_name)) return(doubleml_r_initialize(sys.function(), parent.frame()))
      private$init_model(
        "PLR", lambda_function_name, aws_region, data,
        list(ml_l = ml_l, ml_m = ml_m, ml_g = ml_g), n_folds, n_rep, score,
        draw_sample_splitting = draw_sample_splitting, apply_cross_fitting = apply_cross_fitting,
        dml_procedure = dml_procedure
      )
    }
  )
)
