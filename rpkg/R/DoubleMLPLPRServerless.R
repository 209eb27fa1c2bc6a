#' @title Partially linear panel regression with serverless cross-fitting
#'
#' @description
#' DoubleML's `DoubleMLPLPR` (Python): the partially linear model for panel data with unit
#' effects, the panel transformed by `approach` (first differences `"fd_exact"`, within-group
#' `"wg_approx"`, or the correlated random effects approaches `"cre_general"`, `"cre_normal"`)
#' before the learners are fitted; fits as for [DoubleMLPLRServerless]. `data` is a
#' [DoubleMLPanelData] with `static_panel = TRUE`.
#'
#' @format [R6::R6Class] object inheriting from [DoubleMLServerless].
#' @family models
#' @export
#' @examples
#' if (pydmlserverless_available()) {
#'   set.seed(6)
#'   n <- 60
#'   df <- data.frame(id = rep(1:n, each = 4), t = rep(1:4, n), x = rnorm(4 * n))
#'   alpha <- rep(rnorm(n), each = 4)
#'   df$d <- df$x + alpha + rnorm(4 * n)
#'   df$y <- 0.5 * df$d + df$x + alpha + rnorm(4 * n)
#'   panel <- DoubleMLPanelData$new(df, y_col = "y", d_cols = "d", t_col = "t", id_col = "id",
#'     x_cols = "x", static_panel = TRUE)
#'   model <- DoubleMLPLPRServerless$new(NULL, NULL, panel,
#'     ml_l = lrn("regr.lm"), ml_m = lrn("regr.lm"), n_folds = 3)
#'   model$fit_local(n_jobs = 1)
#'   model$summary()
#' }
DoubleMLPLPRServerless <- R6::R6Class("DoubleMLPLPRServerless",
  inherit = DoubleMLServerless,
  public = list(
    #' @description
    #' Creates a model and draws its sample splits (by unit).
    #'
    #' @param lambda_function_name,aws_region,n_folds,n_rep,ml_l,ml_m,ml_g,score See
    #'   [DoubleMLPLRServerless].
    #' @param data ([DoubleMLPanelData]) \cr The panel, `static_panel = TRUE`.
    #' @param approach (`character(1)`) \cr `"fd_exact"` (default), `"wg_approx"`,
    #'   `"cre_general"` or `"cre_normal"`.
    #' @param draw_sample_splitting (`logical(1)`) \cr Draw the sample splits now (default `TRUE`);
    #'   `FALSE` leaves them to `$set_sample_splitting()` or `$split_samples()`.
    initialize = function(lambda_function_name = NULL, aws_region = NULL, data, ml_l, ml_m, ml_g = NULL,
                          n_folds = 5, n_rep = 1, score = "partialling out", approach = "fd_exact", draw_sample_splitting = TRUE) {
      if (is_doubleml_r_call(lambda_function_name)) return(doubleml_r_initialize(sys.function(), parent.frame()))
      checkmate::assert_class(data, "DoubleMLPanelData")
      checkmate::assert_choice(approach, c("fd_exact", "wg_approx", "cre_general", "cre_normal"))
      private$init_model(
        "PLPR", lambda_function_name, aws_region, data, list(ml_l = ml_l, ml_m = ml_m, ml_g = ml_g),
        n_folds, n_rep, score, list(approach = approach),
        draw_sample_splitting = draw_sample_splitting
      )
    }
  )
)
