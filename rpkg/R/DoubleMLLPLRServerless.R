#' @title Logistic partially linear regression with serverless cross-fitting
#'
#' @description
#' DoubleML's logistic partially linear model for a binary outcome,
#' \eqn{E[Y | D, X] = \Lambda(D \theta_0 + g_0(X))}; fits as for [DoubleMLPLRServerless].
#' DoubleML for Python's `DoubleMLLPLR` (DoubleML-R has none): `ml_M` and `ml_a` are cross-fitted
#' twice (on inner folds within each outer fold's training rows), then `ml_m` and `ml_t` on the
#' outer folds, `ml_t` on a target DoubleML computes from the inner predictions; every one of
#' those fits is a task on the backend.
#'
#' @format [R6::R6Class] object inheriting from [DoubleMLServerless].
#' @family models
#' @export
#' @examples
#' if (pydmlserverless_available()) {
#'   set.seed(3)
#'   n <- 400
#'   x <- matrix(rnorm(n * 3), n)
#'   d <- x[, 1] + rnorm(n)
#'   y <- rbinom(n, 1, plogis(0.5 * d + x[, 2]))
#'   dml_data <- DoubleMLData$new(data.frame(y = y, d = d, x), y_col = "y", d_cols = "d")
#'   model <- DoubleMLLPLRServerless$new(NULL, NULL, dml_data, ml_M = lrn("classif.log_reg"),
#'     ml_t = lrn("regr.lm"), ml_m = lrn("regr.lm"), n_folds = 3, n_folds_inner = 3)
#'   model$fit_local(n_jobs = 1)
#'   model$confint()
#' }
DoubleMLLPLRServerless <- R6::R6Class("DoubleMLLPLRServerless",
  inherit = DoubleMLServerless,
  public = list(
    #' @description
    #' Creates a model and draws its sample splits (the outer and the inner ones).
    #'
    #' @param lambda_function_name,aws_region,data,n_folds,n_rep See [DoubleMLPLRServerless].
    #' @param ml_M (classification learner) \cr For \eqn{P(Y = 1 | D, X)}.
    #' @param ml_t (regression learner) \cr For the conditional mean of the logit of `ml_M`'s
    #'   inner predictions.
    #' @param ml_m (learner) \cr For \eqn{E[D | X]} (a classifier for a binary treatment).
    #' @param ml_a (learner or `NULL`) \cr For \eqn{E[D | X]} within the inner folds; `NULL`
    #'   (default): `ml_m`.
    #' @param n_folds_inner (`integer(1)`) \cr Inner folds; must equal `n_folds` (DoubleML 0.11
    #'   takes LPLR's predictions only then). Default 5.
    #' @param score (`character(1)`) \cr `"nuisance_space"` (default) or `"instrument"`.
    #' @param draw_sample_splitting (`logical(1)`) \cr Draw the sample splits now (default `TRUE`).
    initialize = function(lambda_function_name = NULL, aws_region = NULL, data, ml_M, ml_t, ml_m, ml_a = NULL,
                          n_folds = 5, n_folds_inner = 5, n_rep = 1, score = "nuisance_space",
                          draw_sample_splitting = TRUE) {
      checkmate::assert_count(n_folds_inner, positive = TRUE)
      private$n_folds_inner_ <- as.integer(n_folds_inner)
      private$init_model(
        "LPLR", lambda_function_name, aws_region, data,
        list(ml_M = ml_M, ml_t = ml_t, ml_m = ml_m, ml_a = ml_a), n_folds, n_rep, score,
        list(n_folds_inner = as.integer(n_folds_inner)),
        draw_sample_splitting = draw_sample_splitting
      )
    }
  ),
  active = list(
    #' @field n_folds_inner (`integer(1)`) \cr The number of inner folds.
    n_folds_inner = function(value) ro(value, "n_folds_inner", private$n_folds_inner_)
  ),
  private = list(
    n_folds_inner_ = NULL
  )
)
