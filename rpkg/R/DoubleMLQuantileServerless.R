#' @title Quantile models with serverless cross-fitting: what PQ and CVAR share
#'
#' @description
#' The base of [DoubleMLPQServerless] and [DoubleMLCVARServerless]: a treatment level and a
#' quantile, DoubleML's propensity options, and the fields that report them. DoubleML estimates
#' both inside every fold (a preliminary quantile on one half of the training rows, `ml_g` on the
#' treated rows of the other half, `ml_m` refitted on the fold); each of those fits is a task.
#'
#' @format [R6::R6Class] object inheriting from [DoubleMLServerless].
#' @family models
#' @export
DoubleMLQuantileServerless <- R6::R6Class("DoubleMLQuantileServerless",
  inherit = DoubleMLServerless,
  active = list(
    #' @field treatment (`integer(1)`) \cr The treatment level.
    treatment = function(value) ro(value, "treatment", private$treatment_),
    #' @field quantile (`numeric(1)`) \cr The quantile.
    quantile = function(value) ro(value, "quantile", private$quantile_),
    #' @field normalize_ipw (`logical(1)`) \cr Whether the inverse probability weights are normalised.
    normalize_ipw = function(value) ro(value, "normalize_ipw", private$normalize_ipw_)
  ),
  private = list(
    treatment_ = NULL,
    quantile_ = NULL,
    normalize_ipw_ = NULL,
    # The arguments of DoubleML's PQ and CVAR, checked, and the model made (`model`: "PQ" or "CVAR").
    init_quantile = function(model, lambda_function_name, aws_region, data, ml_g, ml_m, treatment, quantile,
                             n_folds, n_rep, score, normalize_ipw, trimming_rule, trimming_threshold,
                             ps_processor_config, draw_sample_splitting) {
      checkmate::assert_choice(treatment, c(0, 1))
      checkmate::assert_number(quantile, lower = 0, upper = 1)
      checkmate::assert_flag(normalize_ipw)
      checkmate::assert_string(trimming_rule)
      checkmate::assert_number(trimming_threshold)
      checkmate::assert_list(ps_processor_config, names = "unique", null.ok = TRUE)
      options <- list(
        treatment = as.integer(treatment), quantile = quantile, normalize_ipw = normalize_ipw,
        trimming_rule = trimming_rule, trimming_threshold = trimming_threshold
      )
      if (!is.null(ps_processor_config)) options$ps_processor_config <- ps_processor_config
      private$treatment_ <- as.integer(treatment)
      private$quantile_ <- quantile
      private$normalize_ipw_ <- normalize_ipw
      private$init_model(
        model, lambda_function_name, aws_region, data, list(ml_g = ml_g, ml_m = ml_m),
        n_folds, n_rep, score, options,
        draw_sample_splitting = draw_sample_splitting
      )
    }
  )
)
