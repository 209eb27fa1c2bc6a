#' @title Difference-in-differences with serverless cross-fitting
#'
#' @description
#' DoubleML's two-period difference-in-differences for panel data, as the Python
#' `doubleml.DoubleMLDID`: the outcome `y_col` is each unit's change between the two periods,
#' `d_cols` the binary treatment; fits as for [DoubleMLPLRServerless]. `ml_g` is fitted on the
#' untreated and the treated (`ml_g0`, `ml_g1`), `ml_m` (the propensity) only for the
#' `"observational"` score.
#'
#' @format [R6::R6Class] object inheriting from [DoubleMLServerless].
#' @family models
#' @export
#' @examples
#' if (pydmlserverless_available()) {
#'   set.seed(4)
#'   n <- 400
#'   x <- matrix(rnorm(n * 3), n)
#'   d <- rbinom(n, 1, plogis(x[, 1]))
#'   df <- data.frame(y_change = 1 + d + x[, 2] + rnorm(n), d = d, x)
#'   dml_data <- DoubleMLData$new(df, y_col = "y_change", d_cols = "d")
#'   model <- DoubleMLDIDServerless$new(NULL, NULL, dml_data,
#'     ml_g = lrn("regr.lm"), ml_m = lrn("classif.log_reg"), n_folds = 3)
#'   model$fit_local(n_jobs = 1)
#'   model$summary()
#' }
DoubleMLDIDServerless <- R6::R6Class("DoubleMLDIDServerless",
  inherit = DoubleMLServerless,
  public = list(
    #' @description
    #' Creates a model and draws its sample splits.
    #'
    #' @param lambda_function_name,aws_region,data,n_folds,n_rep See [DoubleMLPLRServerless].
    #' @param ml_g (regression learner) \cr For \eqn{E[\Delta Y|X, D = d]}.
    #' @param ml_m (classification learner or `NULL`) \cr For the propensity; `NULL` for the
    #'   `"experimental"` score.
    #' @param score (`character(1)`) \cr `"observational"` (default) or `"experimental"`.
    #' @param in_sample_normalization (`logical(1)`) \cr Normalise the weights within the sample.
    #'   Default `TRUE`.
    #' @param clipping_threshold (`numeric(1)`) \cr Propensity scores are clipped to
    #'   `[clipping_threshold, 1 - clipping_threshold]`. Default 0.01.
    #' @param draw_sample_splitting (`logical(1)`) \cr Draw the sample splits now (default `TRUE`);
    #'   `FALSE` leaves them to `$set_sample_splitting()` or `$split_samples()`.
    initialize = function(lambda_function_name = NULL, aws_region = NULL, data, ml_g, ml_m = NULL,
                          n_folds = 5, n_rep = 1, score = "observational", in_sample_normalization = TRUE,
                          clipping_threshold = 1e-2, draw_sample_splitting = TRUE) {
      if (is_doubleml_r_call(lambda_function_name)) return(doubleml_r_initialize(sys.function(), parent.frame()))
      checkmate::assert_flag(in_sample_normalization)
      checkmate::assert_number(clipping_threshold)
      private$init_model(
        "DID", lambda_function_name, aws_region, data, list(ml_g = ml_g, ml_m = ml_m), n_folds, n_rep, score,
        list(in_sample_normalization = in_sample_normalization, clipping_threshold = clipping_threshold),
        draw_sample_splitting = draw_sample_splitting
      )
    }
  )
)

#' @title Staggered difference-in-differences with serverless cross-fitting
#'
#' @description
#' DoubleML's `DoubleMLDIDMulti` (Python): one two-period model per group-time cell
#' (\eqn{ATT(g, t)}) of a staggered adoption design, each cell on its own subsample with its own
#' splits, every cell's nuisance fits in one fan-out. `data` is a [DoubleMLPanelData] whose
#' treatment column is the group (first treated period; `0` or `Inf` for never treated). The
#' estimates are named `ATT(g,t_pre,t_eval)`; `$aggregate()` gives DoubleML's group, time and
#' event-study aggregations.
#'
#' @format [R6::R6Class] object inheriting from [DoubleMLServerless].
#' @family models
#' @export
#' @examples
#' if (pydmlserverless_available()) {
#'   set.seed(5)
#'   n <- 150
#'   df <- data.frame(
#'     id = rep(1:n, each = 4), t = rep(1:4, n),
#'     g = rep(sample(c(0, 3, 4), n, replace = TRUE), each = 4), x = rep(rnorm(n), each = 4)
#'   )
#'   df$y <- df$x + df$t + (df$g > 0 & df$t >= df$g) + rnorm(nrow(df))
#'   panel <- DoubleMLPanelData$new(df, y_col = "y", d_cols = "g", t_col = "t", id_col = "id", x_cols = "x")
#'   model <- DoubleMLDIDMultiServerless$new(NULL, NULL, panel,
#'     ml_g = lrn("regr.lm"), ml_m = lrn("classif.log_reg"), n_folds = 3)
#'   model$fit_local(n_jobs = 1)
#'   model$aggregate("eventstudy")
#' }
DoubleMLDIDMultiServerless <- R6::R6Class("DoubleMLDIDMultiServerless",
  inherit = DoubleMLServerless,
  public = list(
    #' @description
    #' Creates a model and draws each cell's sample splits.
    #'
    #' @param lambda_function_name,aws_region,n_folds,n_rep See [DoubleMLPLRServerless].
    #' @param data ([DoubleMLPanelData]) \cr The panel (or repeated cross-sections).
    #' @param ml_g,ml_m,score,in_sample_normalization See [DoubleMLDIDServerless].
    #' @param gt_combinations (`character(1)`) \cr Which cells: `"standard"` (default),
    #'   `"all"` or `"universal"`, as DoubleML's.
    #' @param control_group (`character(1)`) \cr `"never_treated"` (default) or
    #'   `"not_yet_treated"`.
    #' @param anticipation_periods (`integer(1)`) \cr Periods of anticipation. Default 0.
    #' @param panel (`logical(1)`) \cr `TRUE` (default) for panel data, `FALSE` for repeated
    #'   cross-sections.
    #' @param draw_sample_splitting (`logical(1)`) \cr Draw the sample splits now (default `TRUE`);
    #'   `FALSE` leaves them to `$set_sample_splitting()` or `$split_samples()`.
    initialize = function(lambda_function_name = NULL, aws_region = NULL, data, ml_g, ml_m = NULL,
                          gt_combinations = "standard", control_group = "never_treated",
                          anticipation_periods = 0L, n_folds = 5, n_rep = 1, score = "observational",
                          panel = TRUE, in_sample_normalization = TRUE, draw_sample_splitting = TRUE) {
      if (is_doubleml_r_call(lambda_function_name)) return(doubleml_r_initialize(sys.function(), parent.frame()))
      checkmate::assert_class(data, "DoubleMLPanelData")
      checkmate::assert_choice(gt_combinations, c("standard", "all", "universal"))
      checkmate::assert_choice(control_group, c("never_treated", "not_yet_treated"))
      checkmate::assert_count(anticipation_periods)
      checkmate::assert_flag(panel)
      checkmate::assert_flag(in_sample_normalization)
      private$init_model(
        "DIDMulti", lambda_function_name, aws_region, data, list(ml_g = ml_g, ml_m = ml_m), n_folds, n_rep, score,
        list(
          gt_combinations = gt_combinations, control_group = control_group,
          anticipation_periods = as.integer(anticipation_periods), panel = panel,
          in_sample_normalization = in_sample_normalization
        ),
        draw_sample_splitting = draw_sample_splitting
      )
    },

    #' @description
    #' DoubleML's aggregation of the group-time effects.
    #'
    #' @param aggregation (`character(1)`) \cr `"group"` (default), `"time"` or `"eventstudy"`.
    #' @return A `dmls_aggregation` object: a list with `overall` and `effects`, matrices of
    #'   estimate, standard error, t, p and confidence interval (`effects` one row per group,
    #'   period or event time), printed in DoubleML's layout.
    aggregate = function(aggregation = "group") {
      private$assert_fitted("aggregate")
      checkmate::assert_choice(aggregation, c("group", "time", "eventstudy"))
      res <- py_call(bridge()$aggregate, private$py_, aggregation)
      structure(
        list(
          aggregation = aggregation, overall = py_table(res$overall), effects = py_table(res$effects),
          text = res$text
        ),
        class = "dmls_aggregation"
      )
    }
  )
)

#' @export
print.dmls_aggregation <- function(x, ...) {
  cat(x$text, "\n", sep = "")
  invisible(x)
}
