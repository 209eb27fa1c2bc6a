#' @title Abstract class DoubleMLServerless
#'
#' @description
#' The surface the model classes share, as DoubleML-R's `DoubleML` class: fitting on a
#' backend, then `coef`, `se`, `t_stat`, `pval`, `bootstrap()`, `confint()`, `p_adjust()`,
#' `summary()` and `print()`. The estimation itself is DoubleML's (Python), on the cross-fitted
#' predictions that the backend computes.
#'
#' @section Seeds and reproducibility:
#' `$new()` draws one integer `k <- sample.int(.Machine$integer.max, 1)` from R's generator and
#' keeps it as `$seed`. In Python, `np.random.seed(k)` is set right before the model is built
#' (DoubleML draws the sample splits from it), and the fits pass `seed = k` on (it sets every
#' learner's `random_state` per treatment, learner, repetition and fold). So
#' `set.seed(s); model <- DoubleMLPLRServerless$new(...); model$fit_local()` in R equals, in
#' Python, `np.random.seed(k); model = DoubleMLPLRServerless(...); model.fit_local(seed=k)` with
#' the same data and learners: identical `coef` and `se`. `$bootstrap()` draws another integer
#' the same way (kept as `$boot_seed`) and calls `np.random.seed(boot_seed)` before DoubleML's
#' bootstrap.
#'
#' @format [R6::R6Class] object.
#' @family models
#' @export
DoubleMLServerless <- R6::R6Class("DoubleMLServerless",
  public = list(
    #' @description
    #' DoubleMLServerless is an abstract class that can't be initialized.
    initialize = function() {
      stop("DoubleMLServerless is an abstract class that can't be initialized.")
    },

    #' @description
    #' Fits every nuisance learner on a local process pool, then estimates.
    #'
    #' @param n_jobs (`integer(1)`) \cr Worker processes; -1 (default) uses all cores, 1 runs in
    #'   the R session's Python.
    #' @param scaling (`character(1)`) \cr `"n_folds * n_rep"` (one task per fold, default) or
    #'   `"n_rep"` (one task per repetition); the results do not depend on it.
    #' @param seed (`integer(1)` or `NULL`) \cr The fit seed; default `$seed`. `NULL` keeps the
    #'   learners' own `random_state`.
    #' @return self, invisibly.
    fit_local = function(n_jobs = -1, scaling = "n_folds * n_rep", seed = self$seed) {
      checkmate::assert_int(n_jobs)
      private$run_fit("local", seed, list(n_jobs = as.integer(n_jobs), scaling = scaling))
    },

    #' @description
    #' Fits every nuisance learner on the AWS Lambda function `lambda_function_name`, then
    #' estimates. Needs a deployed function (see the vignette "AWS Lambda from R") and a
    #' pydmlserverless version with `fit_aws_lambda()`.
    #'
    #' @param scaling (`character(1)`) \cr `"n_folds * n_rep"` (one invocation per fold, default)
    #'   or `"n_rep"` (one per repetition).
    #' @param seed (`integer(1)` or `NULL`) \cr The fit seed; default `$seed`.
    #' @param ... More named arguments of the Python `fit_aws_lambda()` (numbers and strings).
    #' @return self, invisibly.
    fit_aws_lambda = function(scaling = "n_folds * n_rep", seed = self$seed, ...) {
      private$run_fit("aws_lambda", seed, c(list(scaling = scaling), list(...)))
    },

    #' @description
    #' Multiplier bootstrap (DoubleML's), seeded from R's generator.
    #'
    #' @param method (`character(1)`) \cr `"normal"` (default), `"Bayes"` or `"wild"`.
    #' @param n_rep_boot (`integer(1)`) \cr Number of bootstrap replications. Default 500.
    #' @return self, invisibly.
    bootstrap = function(method = "normal", n_rep_boot = 500) {
      if (is.null(private$results_)) stop("Apply fit() before bootstrap().")
      checkmate::assert_choice(method, c("normal", "Bayes", "wild"))
      checkmate::assert_count(n_rep_boot, positive = TRUE)
      private$boot_seed_ <- draw_seed()
      res <- py_call(bridge()$bootstrap, private$py_, method, as.integer(n_rep_boot), private$boot_seed_)
      arr <- as_r_array(res$boot_t_stat) # (n_rep_boot, n_treat, n_rep)
      dims <- dim(arr)
      blocks <- lapply(seq_len(dims[3]), function(r) t(matrix(arr[, , r], nrow = dims[1], ncol = dims[2])))
      t_stat <- do.call(cbind, blocks)
      coef <- do.call(cbind, lapply(seq_along(blocks), function(r) blocks[[r]] * self$all_se[, r]))
      rownames(t_stat) <- rownames(coef) <- names(self$coef)
      private$boot_ <- list(t_stat = t_stat, coef = coef)
      invisible(self)
    },

    #' @description
    #' Confidence intervals (DoubleML's).
    #'
    #' @param parm (`numeric()` or `character()`) \cr Which coefficients (numbers or treatment
    #'   names); all if missing.
    #' @param joint (`logical(1)`) \cr Joint intervals from the bootstrap. Default `FALSE`.
    #' @param level (`numeric(1)`) \cr The confidence level. Default 0.95.
    #' @return A `matrix()` with one row per coefficient and columns such as `"2.5 %"`, `"97.5 %"`.
    confint = function(parm, joint = FALSE, level = 0.95) {
      private$assert_fitted("confint")
      checkmate::assert_flag(joint)
      checkmate::assert_number(level)
      if (level <= 0 || level >= 1) stop("'level' must be > 0 and < 1.")
      if (joint && is.null(private$boot_)) {
        stop("Multiplier bootstrap has not yet been performed. First call bootstrap() and then try confint() again.")
      }
      if (missing(parm)) {
        parm <- names(self$coef)
      } else {
        checkmate::assert(
          checkmate::check_subset(parm, names(self$coef), empty.ok = FALSE),
          checkmate::check_integerish(parm, lower = 1, upper = length(self$coef), min.len = 1)
        )
        if (is.numeric(parm)) parm <- names(self$coef)[parm]
      }
      ci <- py_call(bridge()$confint, private$py_, joint, level)
      a <- (1 - level) / 2
      res <- matrix(as.numeric(unlist(ci$values)),
        ncol = 2,
        dimnames = list(unlist(ci$rows), format_perc(c(a, 1 - a)))
      )
      res[parm, , drop = FALSE]
    },

    #' @description
    #' Multiple testing adjustment: Romano-Wolf (DoubleML's, from the bootstrap) or any method of
    #' [stats::p.adjust()].
    #'
    #' @param method (`character(1)`) \cr `"romano-wolf"` (default, needs `$bootstrap()`),
    #'   `"bonferroni"`, `"holm"`, ...
    #' @param return_matrix (`logical(1)`) \cr Return a matrix with the estimates. Default `TRUE`.
    #' @return A `matrix()` with columns `"Estimate."` and `"pval"`, or the adjusted p-values.
    p_adjust = function(method = "romano-wolf", return_matrix = TRUE) {
      if (is.null(private$results_)) stop("apply fit() before p_adjust().")
      checkmate::assert_string(method)
      checkmate::assert_flag(return_matrix)
      if (tolower(method) %in% c("rw", "romano-wolf")) {
        if (is.null(private$boot_)) stop("apply fit() & bootstrap() before p_adjust().")
        p_val <- as.numeric(unlist(py_call(bridge()$p_adjust_romano_wolf, private$py_)))
      } else if (method %in% stats::p.adjust.methods) {
        p_val <- stats::p.adjust(self$pval, method = method, n = length(self$pval))
      } else {
        stop("Invalid method ", method, " argument specified in p_adjust().")
      }
      names(p_val) <- names(self$coef)
      if (!return_matrix) {
        return(p_val)
      }
      res <- cbind(self$coef, p_val)
      colnames(res) <- c("Estimate.", "pval")
      res
    },

    #' @description
    #' Estimates and significance tests, printed with [stats::printCoefmat()].
    #'
    #' @param digits (`integer(1)`) \cr Significant digits.
    #' @return The coefficient table, invisibly.
    summary = function(digits = max(3L, getOption("digits") - 3L)) {
      if (is.null(private$results_)) {
        message("fit() not yet called.")
        return(invisible(NULL))
      }
      table <- cbind(self$coef, self$se, self$t_stat, self$pval)
      dimnames(table) <- list(names(self$coef), c("Estimate.", "Std. Error", "t value", "Pr(>|t|)"))
      cat("Estimates and significance testing of the effect of target variables\n")
      res <- as.matrix(stats::printCoefmat(table, digits = digits, P.values = TRUE, has.Pvalue = TRUE))
      cat("\n")
      cat("\n")
      invisible(res)
    },

    #' @description
    #' Prints the model in DoubleML-R's layout: data, score, learners, resampling, fit summary.
    print = function() {
      learners <- vapply(names(private$learners_), function(name) {
        paste0(name, ": ", learner_label(private$learners_[[name]]), "\n")
      }, "")
      cat(
        "================= ", class(self)[1], " Object ==================\n",
        "\n",
        "\n------------------ Data summary      ------------------\n",
        data_summary_text(private$data_),
        "\n------------------ Score & algorithm ------------------\n",
        "Score function: ", private$score_, "\n",
        "DML algorithm: dml2\n",
        "\n------------------ Machine learner   ------------------\n",
        learners,
        "\n------------------ Resampling        ------------------\n",
        "No. folds: ", private$n_folds_, "\n",
        "No. repeated sample splits: ", private$n_rep_, "\n",
        "Apply cross-fitting: TRUE\n",
        "\n------------------ Fit summary       ------------------\n ",
        sep = ""
      )
      self$summary()
      invisible(self)
    },

    #' @description
    #' Names of the learners.
    #' @return `character()`.
    learner_names = function() names(private$learners_),

    #' @description
    #' Names of the nuisance models (DoubleML's `params_names`, e.g. `ml_g0`, `ml_g1`, `ml_m`).
    #' @return `character()`.
    params_names = function() as.character(unlist(py_call(function() private$py_$params_names)))
  ),
  active = list(
    #' @field coef (`numeric()`) \cr Estimates of the causal parameter(s) after a fit.
    coef = function(value) ro(value, "coef", private$result("coef")),
    #' @field se (`numeric()`) \cr Standard errors after a fit.
    se = function(value) ro(value, "se", private$result("se")),
    #' @field t_stat (`numeric()`) \cr t-statistics after a fit.
    t_stat = function(value) ro(value, "t_stat", private$result("t_stat")),
    #' @field pval (`numeric()`) \cr p-values after a fit.
    pval = function(value) ro(value, "pval", private$result("pval")),
    #' @field all_coef (`matrix()`) \cr Estimates per treatment (rows) and repetition (columns).
    all_coef = function(value) ro(value, "all_coef", private$results_$all_coef),
    #' @field all_se (`matrix()`) \cr Standard errors per treatment and repetition.
    all_se = function(value) ro(value, "all_se", private$results_$all_se),
    #' @field psi (`array()`) \cr The score function's values, `n_obs x n_rep x n_treat`.
    psi = function(value) ro(value, "psi", private$results_$psi),
    #' @field predictions (named `list()`) \cr The cross-fitted predictions of each nuisance model,
    #'   arrays `n_obs x n_rep x n_treat`.
    predictions = function(value) ro(value, "predictions", private$results_$predictions),
    #' @field smpls (`list()`) \cr The sample splits: per repetition a list with `train_ids` and
    #'   `test_ids` (1-based row numbers per fold), as DoubleML-R's.
    smpls = function(value) ro(value, "smpls", private$splits()),
    #' @field boot_coef (`matrix()`) \cr Bootstrapped coefficients (treatments x
    #'   `n_rep_boot * n_rep`) after `$bootstrap()`.
    boot_coef = function(value) ro(value, "boot_coef", private$boot_$coef),
    #' @field boot_t_stat (`matrix()`) \cr Bootstrapped t-statistics after `$bootstrap()`.
    boot_t_stat = function(value) ro(value, "boot_t_stat", private$boot_$t_stat),
    #' @field data ([DoubleMLData]) \cr The data object.
    data = function(value) ro(value, "data", private$data_),
    #' @field learner (named `list()`) \cr The learners, as given.
    learner = function(value) ro(value, "learner", private$learners_),
    #' @field n_folds (`integer(1)`) \cr Number of folds.
    n_folds = function(value) ro(value, "n_folds", private$n_folds_),
    #' @field n_rep (`integer(1)`) \cr Number of repeated sample splits.
    n_rep = function(value) ro(value, "n_rep", private$n_rep_),
    #' @field score (`character(1)`) \cr The score.
    score = function(value) ro(value, "score", private$score_),
    #' @field dml_procedure (`character(1)`) \cr Always `"dml2"` (DoubleML's only procedure).
    dml_procedure = function(value) ro(value, "dml_procedure", "dml2"),
    #' @field apply_cross_fitting (`logical(1)`) \cr Always `TRUE`.
    apply_cross_fitting = function(value) ro(value, "apply_cross_fitting", TRUE),
    #' @field seed (`integer(1)`) \cr The integer drawn from R's generator at `$new()` (see
    #'   Seeds and reproducibility).
    seed = function(value) ro(value, "seed", private$seed_),
    #' @field boot_seed (`integer(1)`) \cr The integer drawn for the last `$bootstrap()`.
    boot_seed = function(value) ro(value, "boot_seed", private$boot_seed_),
    #' @field lambda_function_name (`character(1)` or `NULL`) \cr The Lambda function's name.
    lambda_function_name = function(value) ro(value, "lambda_function_name", private$lambda_function_name_),
    #' @field aws_region (`character(1)` or `NULL`) \cr The Lambda function's region.
    aws_region = function(value) ro(value, "aws_region", private$aws_region_),
    #' @field fit_report (`character(1)`) \cr Timing summary of the last fit.
    fit_report = function(value) ro(value, "fit_report", private$fit_report_),
    #' @field py (Python object) \cr The Python model (for everything else DoubleML offers).
    py = function(value) ro(value, "py", private$py_)
  ),
  private = list(
    py_ = NULL,
    data_ = NULL,
    learners_ = NULL,
    n_folds_ = NULL,
    n_rep_ = NULL,
    score_ = NULL,
    seed_ = NULL,
    boot_seed_ = NULL,
    lambda_function_name_ = NULL,
    aws_region_ = NULL,
    results_ = NULL,
    boot_ = NULL,
    smpls_ = NULL,
    fit_report_ = NULL,

    init_model = function(model, lambda_function_name, aws_region, data, learners,
                          n_folds, n_rep, score, options = list()) {
      checkmate::assert_string(lambda_function_name, null.ok = TRUE)
      checkmate::assert_string(aws_region, null.ok = TRUE)
      checkmate::assert_class(data, "DoubleMLData")
      checkmate::assert_count(n_folds, positive = TRUE)
      checkmate::assert_count(n_rep, positive = TRUE)
      checkmate::assert_string(score)
      learners <- learners[!vapply(learners, is.null, logical(1))]
      learners <- lapply(learners, function(l) if (is.character(l)) lrn(l) else l)
      py_learners <- lapply(names(learners), function(name) {
        tryCatch(as_sklearn(learners[[name]]), dmls_LearnerError = function(e) {
          e$message <- paste0(name, ": ", conditionMessage(e))
          stop(e)
        })
      })
      names(py_learners) <- names(learners)
      private$data_ <- data
      private$learners_ <- learners
      private$n_folds_ <- as.integer(n_folds)
      private$n_rep_ <- as.integer(n_rep)
      private$score_ <- score
      private$lambda_function_name_ <- lambda_function_name
      private$aws_region_ <- aws_region
      private$seed_ <- draw_seed()
      private$py_ <- py_call(
        bridge()$make_model, model, lambda_function_name, aws_region, data$py, py_learners,
        c(list(n_folds = private$n_folds_, n_rep = private$n_rep_, score = score), options),
        private$seed_
      )
      invisible(self)
    },

    run_fit = function(backend, seed, options) {
      if (!is.null(seed)) {
        checkmate::assert_count(seed)
        seed <- as.integer(seed)
      }
      checkmate::assert_string(options$scaling)
      private$fit_report_ <- py_call(bridge()$fit, private$py_, backend, seed, options)
      private$results_ <- private$fetch_results()
      private$boot_ <- NULL
      invisible(self)
    },

    fetch_results = function() {
      r <- py_call(bridge()$results, private$py_)
      # the treatments; an APOS's treatment levels, a DIDMulti's group-time cells
      names <- as.character(unlist(r$names))
      named <- function(x) stats::setNames(as.numeric(unlist(x)), names)
      list(
        coef = named(r$coef), se = named(r$se), t_stat = named(r$t_stat), pval = named(r$pval),
        all_coef = as_r_array(r$all_coef, list(names, NULL)),
        all_se = as_r_array(r$all_se, list(names, NULL)),
        psi = if (!is.null(r$psi)) as_r_array(r$psi),
        predictions = lapply(r$predictions, as_r_array)
      )
    },

    result = function(name) {
      if (is.null(private$results_)) {
        return(stats::setNames(rep(NA_real_, length(private$data_$d_cols)), private$data_$d_cols))
      }
      private$results_[[name]]
    },

    splits = function() {
      if (is.null(private$smpls_)) {
        raw <- py_call(bridge()$splits, private$py_)
        ids <- function(folds) lapply(folds, function(f) as.integer(unlist(f)))
        private$smpls_ <- lapply(raw, function(rep) list(train_ids = ids(rep$train_ids), test_ids = ids(rep$test_ids)))
      }
      private$smpls_
    },

    assert_fitted = function(what) {
      if (is.null(private$results_)) stop("Apply fit() before ", what, "().")
    }
  )
)

learner_label <- function(learner) {
  if (inherits(learner, "dmls_learner")) {
    return(learner$id)
  }
  py_call(bridge()$learner_label, learner)
}

# Percent labels as R's confint() writes them ("2.5 %", "97.5 %").
format_perc <- function(probs, digits = 3) {
  paste(format(100 * probs, trim = TRUE, scientific = FALSE, digits = digits), "%")
}
