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
#' Tuning draws one more integer the same way (kept as `$tune_seed`) and calls
#' `np.random.seed(tune_seed)` right before the Python `tune_local()` / `tune_aws_lambda()`,
#' which draw the candidates of a random search and the inner folds from it. Tuning passes no
#' seed to the learners: a learner with randomness (a random forest) is reproducible only with a
#' fixed `random_state` (`lrn("regr.ranger", seed = 1)`).
#'
#' @section Tuning:
#' `$tune_local(param_set, tune_settings, tune_on_folds)` (and `$tune()`, DoubleML-R's name for
#' it) takes DoubleML-R's `tune()` arguments. mlr3, paradox and mlr3tuning are not used; their
#' objects are replaced by plain values:
#' * `param_set`: per learner a named list of candidate vectors or ranges ([dmls_dbl()],
#'   [dmls_int()], [dmls_fct()], [dmls_lgl()], `list(lower =, upper =)`) in place of paradox's
#'   `ps(num.trees = p_int(10, 100))`; ranges become grid points as mlr3's grid design makes
#'   them ([dmls_param_grid()]). A [lrn()] learner's parameters are mlr3's names, translated to
#'   scikit-learn's through the same table as `lrn()` (`num.trees` -> `n_estimators`,
#'   `min.node.size` -> `min_samples_split = min.node.size + 1`, ...): each candidate value
#'   becomes the scikit-learn value `lrn()` would give. A parameter whose translation sets
#'   several scikit-learn parameters or changes the estimator (e.g. `regr.cv_glmnet`'s `alpha`
#'   across 1), or two that set the same one, are refused. Unknown names are an error before
#'   anything runs.
#' * `tune_settings$measure`: mlr3 measure ids become scikit-learn scorers that rank the
#'   candidates alike: `regr.mse` -> `neg_mean_squared_error`, `regr.rmse` ->
#'   `neg_root_mean_squared_error`, `regr.mae` -> `neg_mean_absolute_error`, `regr.rsq` -> `r2`,
#'   `classif.ce` and `classif.acc` -> `accuracy`, `classif.logloss` -> `neg_log_loss`,
#'   `classif.auc` -> `roc_auc`. `NULL` gives DoubleML-R's defaults, `regr.mse` and `classif.ce`.
#'   The scores in `$tuning_res` are scikit-learn's (higher is better: the negative MSE,
#'   the accuracy `1 - ce`).
#' * `algorithm = "grid_search"` evaluates the whole grid (scikit-learn's `GridSearchCV`, as
#'   DoubleML for Python; mlr3's grid search would stop at the terminator's `n_evals`
#'   evaluations, in random order). `"random_search"` draws `n_evals` candidates from the grid
#'   (scikit-learn's `ParameterSampler`, without replacement): ranges are discretised with
#'   `resolution` there too, where mlr3 samples them continuously.
#' * The folds are scikit-learn's `KFold(n_folds_tune, shuffle = TRUE)`; ties go to the first
#'   candidate in scikit-learn's order (parameters sorted by their scikit-learn names).
#'
#' Afterwards `$params` holds the chosen parameters in DoubleML-R's layout under the names they
#' were tuned with (`params$ml_l$d` is `list(num.trees = 100)`; with `tune_on_folds = TRUE`
#' `params$ml_l$d[[rep]][[fold]]`), `$tuning_res` the searches and `$tune_report` the timing. A
#' Python user reproduces an R tuning with `np.random.seed(model$tune_seed)` and
#' `model.tune_local(param_grids)`, `param_grids` being `$tune_param_grids` (the scikit-learn
#' names and values that were searched).
#'
#' @format [R6::R6Class] object.
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
#'     ml_l = lrn("regr.rpart"), ml_m = lrn("regr.glmnet"), n_folds = 2)
#'   # DoubleML-R's tune(): mlr3 names, a range expanded with resolution, a measure id
#'   model$tune_local(
#'     param_set = list(ml_l = list(maxdepth = dmls_int(1, 5), minbucket = c(5, 20)),
#'                      ml_m = list(lambda = c(0.001, 0.01, 0.1))),
#'     tune_settings = list(n_folds_tune = 3, resolution = 3, measure = list(ml_l = "regr.mae")),
#'     n_jobs = 1)
#'   model$params$ml_l$d
#'   model$tuning_res$d$tune_res$l_tune[[1]]$cv_results
#'   model$fit_local(n_jobs = 1) # with the tuned parameters
#'   model$coef
#' }
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
    #' Tunes the learners' hyperparameters as DoubleML's `tune()` does (a grid or randomized
    #' search with `n_folds_tune`-fold cross-validation per treatment and nuisance model, on the
    #' whole data or, with `tune_on_folds = TRUE`, on each outer fold's training rows), with every
    #' (candidate, inner fold) fit a task on the local process pool; the chosen parameters are then
    #' set, so a later `$fit_local()` or `$fit_aws_lambda()` uses them. See the section Tuning.
    #'
    #' @param param_set (named `list()`) \cr Per learner (every one of `$learner_names()`), a
    #'   named list of parameters to search: candidate vectors (`c(50, 100)`), ranges
    #'   ([dmls_dbl()], [dmls_int()], [dmls_fct()], [dmls_lgl()], or `list(lower =, upper =)`),
    #'   expanded with `resolution` as mlr3's grid design (see [dmls_param_grid()]); `list()` for
    #'   a learner not to tune. [lrn()] learners take mlr3's parameter names, scikit-learn
    #'   estimators scikit-learn's.
    #' @param tune_settings (named `list()`) \cr DoubleML-R's, as plain values: `n_folds_tune`
    #'   (default 5), `rsmp_tune` (`"cv"`, a number of folds or `list(folds = k)`; wins over
    #'   `n_folds_tune`), `measure` (mlr3 measure ids, one or named by learner; `NULL`: `regr.mse`
    #'   for regression learners, `classif.ce` for classifiers), `algorithm` (`"grid_search"`,
    #'   the default, or `"random_search"`), `terminator` (`n_evals` as a number or
    #'   `list(n_evals = k)`, default 20: the number of candidates a random search draws) and
    #'   `resolution` (default 5). Missing entries take these defaults.
    #' @param tune_on_folds (`logical(1)`) \cr Tune on each fold's training rows (fold-specific
    #'   parameters) instead of the whole data. Default `FALSE`.
    #' @param n_jobs (`integer(1)`) \cr Worker processes; -1 (default) uses all cores.
    #' @param scaling (`character(1)`) \cr `"n_folds * n_rep"` (one task per inner fold, default)
    #'   or `"n_rep"` (one task per candidate); the results do not depend on it.
    #' @param ... More named arguments of the Python `tune_local()` (numbers, strings and flags,
    #'   e.g. `resume`).
    #' @return self, invisibly.
    tune_local = function(param_set, tune_settings = list(), tune_on_folds = FALSE, n_jobs = -1,
                          scaling = "n_folds * n_rep", ...) {
      checkmate::assert_int(n_jobs)
      private$run_tune(
        "local", param_set, tune_settings, tune_on_folds,
        c(list(n_jobs = as.integer(n_jobs), scaling = scaling), list(...))
      )
    },

    #' @description
    #' As `$tune_local()`, with every (candidate, inner fold) fit an invocation of the AWS
    #' Lambda function `lambda_function_name` (the data must be a [DoubleMLDataS3]; see
    #' `$fit_aws_lambda()`).
    #'
    #' @param param_set,tune_settings,tune_on_folds As for `$tune_local()`.
    #' @param scaling (`character(1)`) \cr `"n_folds * n_rep"` (one invocation per inner fold,
    #'   default) or `"n_rep"` (one per candidate).
    #' @param ... More named arguments of the Python `tune_aws_lambda()` (numbers and strings,
    #'   e.g. `max_concurrency`, `memory_mb`).
    #' @return self, invisibly.
    tune_aws_lambda = function(param_set, tune_settings = list(), tune_on_folds = FALSE,
                               scaling = "n_folds * n_rep", ...) {
      private$run_tune(
        "aws_lambda", param_set, tune_settings, tune_on_folds,
        c(list(scaling = scaling), list(...))
      )
    },

    #' @description
    #' DoubleML-R's name for tuning: runs `$tune_local()` (the local process pool) with the same
    #' arguments.
    #'
    #' @param param_set,tune_settings,tune_on_folds As for `$tune_local()`.
    #' @param ... Passed to `$tune_local()` (e.g. `n_jobs`).
    #' @return self, invisibly.
    tune = function(param_set, tune_settings = list(), tune_on_folds = FALSE, ...) {
      self$tune_local(param_set, tune_settings = tune_settings, tune_on_folds = tune_on_folds, ...)
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
    #' @field params (named `list()`) \cr The learners' hyperparameters (DoubleML's, e.g. set by
    #'   tuning), as DoubleML-R's: per nuisance model (`$params_names()`) and treatment a named
    #'   list of parameters, or with fold-specific parameters (`tune_on_folds = TRUE`) a list per
    #'   repetition of a list per fold; `NULL` where none are set. Tuned parameters keep the names
    #'   they were tuned with (mlr3's for [lrn()] learners).
    params = function(value) {
      ro(value, "params", r_params(py_call(bridge()$tuned_params, private$py_), isTRUE(private$tune_on_folds_)))
    },
    #' @field tuning_res (named `list()` or `NULL`) \cr The last tuning's searches, per treatment
    #'   (with `tune_on_folds = TRUE`: per repetition, then treatment): `params` (the chosen
    #'   parameters per nuisance model and training set) and `tune_res` (per nuisance model, e.g.
    #'   `l_tune`, and training set: `best_params`, `best_score` (scikit-learn's score, higher is
    #'   better), `best_index` (1-based), `n_splits` and `cv_results`, a data.frame with one row
    #'   per candidate: its parameters, `split0_test_score`, ..., `mean_test_score`,
    #'   `std_test_score`, `rank_test_score`).
    tuning_res = function(value) ro(value, "tuning_res", private$tuning_res_),
    #' @field tune_seed (`integer(1)` or `NULL`) \cr The integer drawn for the last tuning (see
    #'   Seeds and reproducibility).
    tune_seed = function(value) ro(value, "tune_seed", private$tune_seed_),
    #' @field tune_report (`character(1)` or `NULL`) \cr Timing summary of the last tuning.
    tune_report = function(value) ro(value, "tune_report", private$tune_report_),
    #' @field tune_param_grids (named `list()` or `NULL`) \cr The grids the last tuning searched,
    #'   per learner, in scikit-learn's names and values (the Python `param_grids`).
    tune_param_grids = function(value) ro(value, "tune_param_grids", private$tune_param_grids_),
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
    tune_seed_ = NULL,
    tune_on_folds_ = FALSE,
    tuning_res_ = NULL,
    tune_report_ = NULL,
    tune_param_grids_ = NULL,

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

    run_tune = function(backend, param_set, tune_settings, tune_on_folds, options) {
      checkmate::assert_flag(tune_on_folds)
      checkmate::assert_string(options$scaling)
      check_param_set_shape(param_set)
      learners <- self$learner_names()
      unknown <- setdiff(names(param_set), learners)
      if (length(unknown)) {
        stop(dmls_condition("InvalidInputError", paste0(
          "param_set: unknown learner(s) ", paste(unknown, collapse = ", "),
          "; the learners are ", paste(learners, collapse = ", "), "."
        )))
      }
      if (!all(learners %in% names(param_set))) {
        stop(dmls_condition("InvalidInputError", paste0(
          "param_set must have an entry for every learner (", paste(learners, collapse = ", "),
          "); missing: ", paste(setdiff(learners, names(param_set)), collapse = ", "),
          ". Give list() for a learner not to tune."
        )))
      }
      task_types <- py_call(bridge()$learner_task_types, private$py_)
      translated <- translate_tune_settings(tune_settings, learners, task_types)
      settings <- c(translated$settings, list(tune_on_folds = tune_on_folds))
      if (settings$search_mode == "grid_search") settings$n_iter_randomized_search <- NULL
      grids <- lapply(dmls_param_grid(param_set, translated$resolution), function(params) {
        lapply(params, function(values) if (is.list(values)) values else as.list(values))
      })
      specs <- lapply(private$learners_, function(l) {
        if (inherits(l, "dmls_learner")) list(id = l$id, params = plain_params(l$params))
      })
      py_call(bridge()$tune_grids, private$py_, specs, grids) # a bad grid fails before the seed is drawn
      private$tune_seed_ <- draw_seed()
      res <- py_call(bridge()$tune, private$py_, backend, private$tune_seed_, specs, grids, settings, options)
      private$tune_on_folds_ <- tune_on_folds
      private$tuning_res_ <- r_tuning_res(res$tuning_res, private$data_$d_cols, tune_on_folds)
      private$tune_report_ <- res$report
      private$tune_param_grids_ <- res$param_grids
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
