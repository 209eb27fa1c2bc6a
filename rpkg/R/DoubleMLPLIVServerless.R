#' @title Partially linear IV regression with serverless cross-fitting
#'
#' @description
#' DoubleML's partially linear IV regression model
#' \deqn{Y - D \theta_0 = g_0(X) + \zeta, \quad Z = m_0(X) + V,}
#' with one or several instruments (`z_cols` of the data); fits as for [DoubleMLPLRServerless].
#'
#' @section DoubleML-R's call:
#' `DoubleMLPLIVServerless$new(data, ml_l, ml_m, ml_r, ...)` works as DoubleML-R's
#' `DoubleMLPLIV$new()` (arguments `data, ml_l, ml_m, ml_r, ml_g, partialX, partialZ, n_folds,
#' n_rep, score, dml_procedure, draw_sample_splitting, apply_cross_fitting`); see
#' [DoubleMLPLRServerless]. Only the partialX model (`partialX = TRUE, partialZ = FALSE`, the
#' default) runs on a backend: DoubleML (Python) fits the nuisances of its partialZ and partialXZ
#' models itself.
#'
#' @format [R6::R6Class] object inheriting from [DoubleMLServerless].
#' @family models
#' @export
#' @examples
#' if (pydmlserverless_available()) {
#'   set.seed(3)
#'   n <- 300
#'   x <- matrix(rnorm(n * 3), n)
#'   z <- x[, 1] + rnorm(n)
#'   d <- z + x[, 2] + rnorm(n)
#'   df <- data.frame(y = 0.5 * d + x[, 2] + rnorm(n), d = d, z = z, x)
#'   dml_data <- DoubleMLData$new(df, y_col = "y", d_cols = "d", z_cols = "z")
#'   ml <- lrn("regr.lm")
#'   model <- DoubleMLPLIVServerless$new(dml_data, ml, ml$clone(), ml$clone(), n_folds = 3)
#'   model$fit(n_jobs = 1)
#'   model$summary()
#' }
DoubleMLPLIVServerless <- R6::R6Class("DoubleMLPLIVServerless",
  inherit = DoubleMLServerless,
  public = list(
    #' @description
    #' Creates a model and draws its sample splits.
    #'
    #' @param lambda_function_name,aws_region,data,n_folds,n_rep See [DoubleMLPLRServerless].
    #' @param ml_l,ml_m,ml_r,ml_g Learners for \eqn{E[Y|X]}, \eqn{E[Z|X]}, \eqn{E[D|X]} and, for
    #'   `score = "IV-type"`, \eqn{g_0(X)}.
    #' @param partialX (`logical(1)`) \cr Partial out \eqn{X} (DoubleML-R's). Default `TRUE`, the
    #'   only value supported.
    #' @param partialZ (`logical(1)`) \cr Partial out \eqn{Z} (DoubleML-R's). Default `FALSE`, the
    #'   only value supported.
    #' @param score (`character(1)`) \cr `"partialling out"` (default) or `"IV-type"`.
    #' @param dml_procedure (`character(1)`) \cr DoubleML-R's; only `"dml2"` (DoubleML's only
    #'   procedure).
    #' @param draw_sample_splitting (`logical(1)`) \cr Draw the sample splits now (default `TRUE`);
    #'   `FALSE` leaves them to `$set_sample_splitting()` or `$split_samples()`.
    #' @param apply_cross_fitting (`logical(1)`) \cr DoubleML-R's; only `TRUE` (DoubleML always
    #'   cross-fits).
    initialize = function(lambda_function_name = NULL, aws_region = NULL, data, ml_l, ml_m, ml_r,
                          ml_g = NULL, partialX = TRUE, partialZ = FALSE, n_folds = 5, n_rep = 1,
                          score = "partialling out", dml_procedure = "dml2", draw_sample_splitting = TRUE,
                          apply_cross_fitting = TRUE) {
      if (is_doubleml_r_call(lambda_function_name)) return(doubleml_r_initialize(sys.function(), parent.frame()))
      checkmate::assert_logical(partialX, len = 1)
      checkmate::assert_logical(partialZ, len = 1)
      if (!partialX || partialZ) {
        stop(dmls_condition("InvalidInputError", paste0(
          "Estimation not implemented for DoubleMLPLIVServerless with partialX=", partialX,
          " and partialZ=", partialZ, ": ",
          if (!partialX && !partialZ) {
            "at least one of partialX and partialZ must be TRUE, and "
          },
          "only the partialX model (partialX=TRUE and partialZ=FALSE) runs on a backend; DoubleML ",
          "(Python) fits the nuisances of its partialZ and partialXZ models itself."
        )))
      }
      private$partialX_ <- partialX
      private$partialZ_ <- partialZ
      private$init_model(
        "PLIV", lambda_function_name, aws_region, data,
        list(ml_l = ml_l, ml_m = ml_m, ml_r = ml_r, ml_g = ml_g), n_folds, n_rep, score,
        draw_sample_splitting = draw_sample_splitting, apply_cross_fitting = apply_cross_fitting,
        dml_procedure = dml_procedure
      )
    }
  ),
  active = list(
    #' @field partialX (`logical(1)`) \cr Whether \eqn{X} is partialled out (`TRUE`).
    partialX = function(value) ro(value, "partialX", private$partialX_),
    #' @field partialZ (`logical(1)`) \cr Whether \eqn{Z} is partialled out (`FALSE`).
    partialZ = function(value) ro(value, "partialZ", private$partialZ_)
  ),
  private = list(
    partialX_ = TRUE,
    partialZ_ = FALSE
  )
)
