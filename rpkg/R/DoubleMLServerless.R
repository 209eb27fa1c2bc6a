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
#' it) takes DoubleML-R's `tune()` arguments. mlr3, paradox and mlr3tuning are not needed:
#' plain values stand for their objects (below). Where they are installed, DoubleML-R's own
#' objects are read too, through the fields their documentation gives: a `paradox::ps()`
#' ParamSet per learner (`p_dbl`, `p_int`, `p_fct`, `p_lgl`; not with a trafo),
#' `mlr3tuning::trm("evals", n_evals = k)`, `mlr3tuning::tnr("grid_search", resolution = r)` or
#' `tnr("random_search")`, `mlr3::rsmp("cv", folds = k)` and `mlr3::msr(id)` (tested with
#' stand-ins of those classes: the packages cannot be installed where this package is built).
#' The plain values:
#' * `param_set`: per learner a named list of candidate vectors or ranges ([dmls_dbl()],
#'   [dmls_int()], [dmls_fct()], [dmls_lgl()], `list(lower =, upper =)`) in place of paradox's
#'   `ps(num.trees = p_int(10, 100))`; ranges become grid points as mlr3's grid design makes
#'   them ([dmls_param_grid()]). A [lrn()] learner's parameters are mlr3's names, translated to
#'   scikit-learn's through the same table as `lrn()` (`num.trees` -> `n_estimators`,
#'   `min.node.size` -> `min_samples_split = min.node.size + 1`, ...): each candidate value
#'   becomes the scikit-learn value `lrn()` would give. A parameter whose translation sets
#'   several scikit-learn parameters together (`regr.rpart`'s `minsplit`: `min_samples_split`
#'   and, through rpart's `minbucket = round(minsplit / 3)`, `min_samples_leaf`) makes the grid
#'   a list of single candidates (scikit-learn's list-of-dicts form; values that translate to the
#'   same estimator are one candidate, reported under the first). A parameter that changes the
#'   estimator (e.g. `regr.cv_glmnet`'s `alpha` across 1), or two that set the same one, are
#'   refused. Unknown names are an error before anything runs.
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
#' @section Optuna tuning:
#' `$tune_ml_models(ml_param_space, ...)` is DoubleML for Python's `tune_ml_models()` (DoubleML-R
#' has no counterpart): one Optuna study per nuisance model on the whole data, each trial scored
#' by `cv`-fold cross-validation whose fits are tasks on the backend; with `set_as_params = TRUE`
#' the best trial's parameters are set, so a later `$fit()` uses them. R describes each search
#' space as data, not as a function: per learner a named list of ranges ([dmls_int()] ->
#' `suggest_int`, [dmls_dbl()] -> `suggest_float`, `logscale = TRUE` -> `log = TRUE`,
#' [dmls_fct()] and [dmls_lgl()] and candidate vectors -> `suggest_categorical`; no `trafo`),
#' suggested in the order given. DoubleML sets a study's best parameters on the learner under
#' the names Optuna recorded, so an [lrn()] learner's parameter must translate to one
#' scikit-learn parameter of the same value (`num.trees` -> `n_estimators`, `mtry` ->
#' `max_features`, glmnet's `alpha` -> `l1_ratio`); one whose translation changes the value or
#' sets several (`min.node.size`, rpart's `minsplit`) is refused with a message naming it: search
#' it with `$tune()`'s grid. `optuna_settings` takes plain values: `n_trials`, `timeout`
#' (seconds), `sampler` (`"tpe"`, Optuna's default, or `"random"`, seeded with `$tune_seed`),
#' `n_jobs_optuna` (trials asked at once) and `direction`; Optuna's log is kept to warnings.
#' `scoring_methods` takes mlr3 measure ids as `tune_settings$measure` does (`NULL`: DoubleML's
#' defaults). A Python user reproduces an R Optuna tuning with `np.random.seed(k)` and
#' `model.tune_ml_models(space, optuna_settings = {"sampler": optuna.samplers.TPESampler(seed=k),
#' ...})`, `k` being `$tune_seed` and `space` the same ranges as functions of a trial.
#'
#' @section DoubleML-R's call and surface:
#' Every model class takes DoubleML-R's positional call as well as its own: when the first
#' argument is a data object ([DoubleMLData], [DoubleMLDataS3], [DoubleMLPanelData]; or a
#' learner, for `$new(data = data, ml_l, ml_m)`), the arguments are matched as DoubleML-R matches
#' them, `$new(data, ml_l, ml_m, ...)`, and `lambda_function_name` and `aws_region` can only be
#' given by name (default `NULL`): `DoubleMLPLRServerless$new(data, ml_l, ml_m, n_folds = 3)` is
#' `DoubleMLPLRServerless$new(NULL, NULL, data, ml_l, ml_m, n_folds = 3)`, and
#' `DoubleMLPLRServerless$new(data, ml_l, ml_m, lambda_function_name = "LambdaCVPredict")` is
#' `DoubleMLPLRServerless$new("LambdaCVPredict", NULL, data, ml_l, ml_m)`. The classes keep their
#' own names: no `DoubleMLPLR` alias is exported, which would mask DoubleML-R's for a user who
#' loads both.
#'
#' DoubleML-R's methods and fields are there with its names and shapes: `$fit()` (on the local
#' backend unless `backend =` names another), `$set_ml_nuisance_params()`, `$get_params()`, `$set_sample_splitting()`,
#' `$split_samples()`, `$learner_names()`, `$params_names()`, `$params`, `$psi_a`, `$psi_b`
#' (`n_obs x n_rep x n_treat`), `$predictions`, `$models` (after `store_models = TRUE`),
#' `$smpls`, `$smpls_cluster`, `$n_folds`, `$n_rep`, `$draw_sample_splitting`,
#' `$apply_cross_fitting`, `$dml_procedure`. With cluster data `$n_folds` is the number of folds
#' of the sample, `n_folds^(number of cluster variables)` (DoubleML-R's), and `print()` shows both
#' (`No. folds per cluster: 2`, `No. folds: 4`).
#'
#' Where DoubleML (Python), which estimates here, does less than DoubleML-R, the call is refused
#' before anything runs: `apply_cross_fitting = FALSE` (and sample splits without
#' cross-fitting), `dml_procedure = "dml1"`, PLIV's `partialZ = TRUE`, externally set sample
#' splits with cluster data (as DoubleML-R), and callable scores.
#'
#' Nuisance parameters set with `$set_ml_nuisance_params()` are given, for a [lrn()] learner, in
#' mlr3's names, and translated as `lrn()` translates them (merged with the learner's own
#' parameters, as DoubleML-R merges them into the learner's `param_set$values`); for a
#' scikit-learn estimator in scikit-learn's names. `$params` shows them as given.
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
    #' Fits every nuisance learner on a backend, then estimates (DoubleML-R's `fit()`, plus where
    #' the fits run): every repetition, fold, learner and treatment is a task, all in one fan-out.
    #'
    #' @param store_predictions (`logical(1)`) \cr Keep the cross-fitted predictions in
    #'   `$predictions` (DoubleML's; default `TRUE`, DoubleML-R's default is `FALSE`).
    #' @param store_models (`logical(1)`) \cr Keep the fitted learners (scikit-learn estimators,
    #'   reticulate objects) in `$models`, as DoubleML-R's `models[[nuisance]][[treatment]][[rep]][[fold]]`.
    #'   Default `FALSE`.
    #' @param backend (`character(1)`) \cr Where the fits run: `"local"` (the local process pool,
    #'   default), `"aws_lambda"` (the function `lambda_function_name`; the data must be a
    #'   [DoubleMLDataS3]), `"dask"` (a Dask cluster) or `"ray"` (a Ray cluster).
    #' @param scaling (`character(1)`) \cr `"n_folds * n_rep"` (one task per fold, default) or
    #'   `"n_rep"` (one task per repetition); the results do not depend on it.
    #' @param seed (`integer(1)` or `NULL`) \cr The fit seed; default `$seed`. `NULL` keeps the
    #'   learners' own `random_state`.
    #' @param ... The backend's settings by name (`"local"`: `n_jobs`; `"aws_lambda"`:
    #'   `max_concurrency`, `memory_mb`, `function_timeout_s`, ...; `"dask"`: `client` (a
    #'   scheduler address) and `ship`; `"ray"`: `address`, `ship`, `max_retries`), the run's
    #'   options (`resume`, `verbose`) and `progress` (`NULL`, the default: a progress bar in
    #'   interactive sessions, none in knitr or `Rscript`; `TRUE` or `FALSE` to choose; see
    #'   [dmls_progress]).
    #' @return self, invisibly.
    fit = function(store_predictions = TRUE, store_models = FALSE, backend = "local",
                   scaling = "n_folds * n_rep", seed = self$seed, ...) {
      checkmate::assert_string(backend)
      private$run_fit(backend, seed, c(
        list(scaling = scaling), fit_store_options(store_predictions, store_models), list(...)
      ))
    },

    #' @description
    #' `$fit(backend = "local", n_jobs = n_jobs, ...)`: the fits on a local process pool.
    #'
    #' @param n_jobs (`integer(1)`) \cr Worker processes; -1 (default) uses all cores, 1 runs in
    #'   the R session's Python.
    #' @param ... As for `$fit()`.
    #' @return self, invisibly.
    fit_local = function(n_jobs = -1, ...) {
      checkmate::assert_int(n_jobs)
      self$fit(backend = "local", n_jobs = as.integer(n_jobs), ...)
    },

    #' @description
    #' `$fit(backend = "aws_lambda", ...)`: every fit an invocation of the AWS Lambda function
    #' `lambda_function_name` (see the vignette "AWS Lambda from R").
    #'
    #' @param ... As for `$fit()`.
    #' @return self, invisibly.
    fit_aws_lambda = function(...) {
      self$fit(backend = "aws_lambda", ...)
    },

    #' @description
    #' `$fit(backend = "dask", client = address, ...)`: the fits on a Dask cluster (SLURM through
    #' dask-jobqueue, Kubernetes, Coiled). Needs `pydmlserverless[dask]` in the Python that R uses.
    #'
    #' @param address (`character(1)` or `NULL`) \cr The scheduler's address, e.g.
    #'   `"tcp://10.0.0.5:8786"`; `NULL` uses the Python session's current default client.
    #' @param ... As for `$fit()` (e.g. `ship = "store"`, `resume`).
    #' @return self, invisibly.
    fit_dask = function(address = NULL, ...) {
      checkmate::assert_string(address, null.ok = TRUE)
      self$fit(backend = "dask", client = address, ...)
    },

    #' @description
    #' `$fit(backend = "ray", address = address, ...)`: the fits on a Ray cluster. Needs
    #' `pydmlserverless[ray]` in the Python that R uses.
    #'
    #' @param address (`character(1)` or `NULL`) \cr Used only when the Python session is not
    #'   connected to Ray yet: the cluster's address (`"auto"`, a head node's `"10.0.0.5:6379"`,
    #'   `"ray://host:10001"`); `NULL` follows Ray's own rule (`RAY_ADDRESS`, else a new local
    #'   Ray instance on this machine's cores).
    #' @param ... As for `$fit()` (e.g. `ship = "store"`, `max_retries = 3`, `resume`).
    #' @return self, invisibly.
    fit_ray = function(address = NULL, ...) {
      checkmate::assert_string(address, null.ok = TRUE)
      self$fit(backend = "ray", address = address, ...)
    },

    #' @description
    #' Predicts the wall time and cost of `$fit_aws_lambda()` for each memory size and scaling
    #' from a few probe tasks (the Python `plan_aws_lambda()`), with a local comparison row.
    #'
    #' @param ... Named arguments of the Python `plan_aws_lambda()`, e.g. `memory_mb = c(512, 1024)`,
    #'   `probe = "local"`, `probe_tasks = 4`, `max_concurrency = 100`, `strategy = "cost"`.
    #' @return A data.frame, one row per configuration (`backend`, `memory_mb`, `scaling`,
    #'   `n_tasks`, `wall_s`, `gb_s`, `usd`, `fits_timeout`, ...), with attributes `probe`
    #'   (the probe's own invocations, seconds, GB-s and USD) and `recommendation` (by strategy).
    plan_aws_lambda = function(...) {
      out <- py_call(bridge()$plan_aws_lambda, private$py_, list(...))
      frame <- as.data.frame(lapply(out$columns, unlist), stringsAsFactors = FALSE)
      frame[] <- lapply(frame, function(col) if (is.numeric(col)) replace(col, is.nan(col), NA) else col)
      attr(frame, "probe") <- out$probe
      attr(frame, "recommendation") <- out$recommendation
      attr(frame, "notes") <- unlist(out$notes)
      frame
    },

    #' @description
    #' Tunes the learners' hyperparameters as DoubleML's `tune()` does (a grid or randomized
    #' search with `n_folds_tune`-fold cross-validation per treatment and nuisance model, on the
    #' whole data or, with `tune_on_folds = TRUE`, on each outer fold's training rows), with every
    #' (candidate, inner fold) fit a task on a backend; the chosen parameters are then set, so a
    #' later `$fit()` uses them. See the section Tuning.
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
    #' @param backend (`character(1)`) \cr Where the fits run, as for `$fit()`: `"local"`
    #'   (default), `"aws_lambda"`, `"dask"` or `"ray"`.
    #' @param scaling (`character(1)`) \cr `"n_folds * n_rep"` (one task per inner fold, default)
    #'   or `"n_rep"` (one task per candidate); the results do not depend on it.
    #' @param ... The backend's settings and the run's options, as for `$fit()` (e.g. `n_jobs`,
    #'   `max_concurrency`, `resume`), and `progress`.
    #' @return self, invisibly.
    tune = function(param_set, tune_settings = list(), tune_on_folds = FALSE, backend = "local",
                    scaling = "n_folds * n_rep", ...) {
      checkmate::assert_string(backend)
      private$run_tune(backend, param_set, tune_settings, tune_on_folds, c(list(scaling = scaling), list(...)))
    },

    #' @description
    #' `$tune(..., backend = "local", n_jobs = n_jobs)`: the tuning on a local process pool.
    #'
    #' @param param_set,tune_settings,tune_on_folds As for `$tune()`.
    #' @param n_jobs (`integer(1)`) \cr Worker processes; -1 (default) uses all cores.
    #' @param ... As for `$tune()`.
    #' @return self, invisibly.
    tune_local = function(param_set, tune_settings = list(), tune_on_folds = FALSE, n_jobs = -1, ...) {
      checkmate::assert_int(n_jobs)
      self$tune(param_set, tune_settings, tune_on_folds, backend = "local", n_jobs = as.integer(n_jobs), ...)
    },

    #' @description
    #' `$tune(..., backend = "aws_lambda")`: every (candidate, inner fold) fit an invocation of
    #' the AWS Lambda function `lambda_function_name` (the data must be a [DoubleMLDataS3]).
    #'
    #' @param param_set,tune_settings,tune_on_folds As for `$tune()`.
    #' @param ... As for `$tune()` (e.g. `max_concurrency`, `memory_mb`).
    #' @return self, invisibly.
    tune_aws_lambda = function(param_set, tune_settings = list(), tune_on_folds = FALSE, ...) {
      self$tune(param_set, tune_settings, tune_on_folds, backend = "aws_lambda", ...)
    },

    #' @description
    #' `$tune(..., backend = "dask", client = address)`: the tuning on a Dask cluster.
    #'
    #' @param param_set,tune_settings,tune_on_folds As for `$tune()`.
    #' @param address (`character(1)` or `NULL`) \cr As for `$fit_dask()`.
    #' @param ... As for `$tune()`.
    #' @return self, invisibly.
    tune_dask = function(param_set, tune_settings = list(), tune_on_folds = FALSE, address = NULL, ...) {
      checkmate::assert_string(address, null.ok = TRUE)
      self$tune(param_set, tune_settings, tune_on_folds, backend = "dask", client = address, ...)
    },

    #' @description
    #' `$tune(..., backend = "ray", address = address)`: the tuning on a Ray cluster.
    #'
    #' @param param_set,tune_settings,tune_on_folds As for `$tune()`.
    #' @param address (`character(1)` or `NULL`) \cr As for `$fit_ray()`.
    #' @param ... As for `$tune()`.
    #' @return self, invisibly.
    tune_ray = function(param_set, tune_settings = list(), tune_on_folds = FALSE, address = NULL, ...) {
      checkmate::assert_string(address, null.ok = TRUE)
      self$tune(param_set, tune_settings, tune_on_folds, backend = "ray", address = address, ...)
    },

    #' @description
    #' Tunes the learners' hyperparameters with Optuna as DoubleML's `tune_ml_models()` does,
    #' every trial's cross-validation fits a task on a backend. See the section Optuna tuning.
    #'
    #' @param ml_param_space (named `list()`) \cr Per learner to tune (some of
    #'   `$learner_names()`), a named list of parameters: ranges ([dmls_int()], [dmls_dbl()],
    #'   [dmls_fct()], [dmls_lgl()], `list(lower =, upper =)`) or candidate vectors. [lrn()]
    #'   learners take mlr3's names, scikit-learn estimators scikit-learn's.
    #' @param scoring_methods (`NULL`, `character(1)` or named `list()`) \cr mlr3 measure ids,
    #'   one for every learner or named by learner; `NULL` (default): DoubleML's defaults.
    #' @param cv (`integer(1)`) \cr Cross-validation folds per trial (DoubleML's
    #'   `KFold(cv, shuffle = TRUE, random_state = 42)`). Default 5.
    #' @param set_as_params (`logical(1)`) \cr Set the best parameters. Default `TRUE`.
    #' @param return_tune_res (`logical(1)`) \cr Return the studies' results instead of the
    #'   object. Default `FALSE`.
    #' @param optuna_settings (named `list()`) \cr `n_trials` (DoubleML's default 100),
    #'   `timeout`, `sampler` (`"tpe"` or `"random"`), `n_jobs_optuna`, `direction`.
    #' @param backend (`character(1)`) \cr Where the fits run, as for `$fit()`.
    #' @param scaling (`character(1)`) \cr `"n_folds * n_rep"` (one task per fold of a trial,
    #'   default) or `"n_rep"` (one task per trial); the results do not depend on it.
    #' @param ... The backend's settings and the run's options, as for `$fit()`.
    #' @return self, invisibly; with `return_tune_res = TRUE` the results: per treatment, per
    #'   nuisance model, `best_params` (under the names tuned), `best_score` (scikit-learn's,
    #'   higher is better), `tuned` and `trials` (a data.frame: `number`, `value`, `state` and
    #'   the parameters). They are kept as `$optuna_res` too.
    #' @examples
    #' \donttest{
    #' set.seed(2)
    #' data <- make_plr_CCDDHNR2018(n_obs = 200, dim_x = 5)
    #' plr <- DoubleMLPLRServerless$new(data, lrn("regr.glmnet", lambda = 0.1), lrn("regr.glmnet", lambda = 0.1))
    #' plr$tune_ml_models(list(ml_l = list(lambda = dmls_dbl(0.001, 1, logscale = TRUE)),
    #'                         ml_m = list(lambda = dmls_dbl(0.001, 1, logscale = TRUE))),
    #'                    cv = 3, optuna_settings = list(n_trials = 5), n_jobs = 1, progress = FALSE)
    #' plr$params$ml_l$d
    #' }
    tune_ml_models = function(ml_param_space, scoring_methods = NULL, cv = 5, set_as_params = TRUE,
                              return_tune_res = FALSE, optuna_settings = list(), backend = "local",
                              scaling = "n_folds * n_rep", ...) {
      checkmate::assert_string(backend)
      checkmate::assert_count(cv)
      if (cv < 2) stop(dmls_condition("InvalidInputError", "cv must be a whole number, at least 2."))
      checkmate::assert_flag(set_as_params)
      checkmate::assert_flag(return_tune_res)
      checkmate::assert_list(optuna_settings, names = "unique")
      checkmate::assert_string(scaling)
      spaces <- optuna_spaces(ml_param_space, self$learner_names())
      scoring <- if (!is.null(scoring_methods)) {
        task_types <- py_call(bridge()$learner_task_types, private$py_)
        as.list(translate_measures(scoring_methods, self$learner_names(), task_types)[names(spaces)])
      }
      settings <- list(scoring_methods = scoring, cv = as.integer(cv), set_as_params = set_as_params)
      specs <- lapply(private$learners_, function(l) {
        if (inherits(l, "dmls_learner")) list(id = l$id, params = plain_params(l$params))
      })
      py_call(bridge()$check_optuna_tuning, private$py_, specs, spaces, optuna_settings) # fails before the seed is drawn
      private$tune_seed_ <- draw_seed()
      options <- c(list(scaling = scaling), list(...))
      res <- py_call(
        bridge()$tune_ml_models, private$py_, backend, private$tune_seed_, specs, spaces, settings,
        optuna_settings, options
      )
      if (set_as_params) {
        private$tune_on_folds_ <- FALSE
        private$set_params_ <- list() # the tuned parameters are DoubleML's now, read back by $params
      }
      private$optuna_res_ <- r_optuna_res(res$tuning_res, private$data_$d_cols)
      private$tune_report_ <- res$report
      if (return_tune_res) private$optuna_res_ else invisible(self)
    },

    #' @description
    #' Sets hyperparameters of a nuisance model, as DoubleML-R's `set_ml_nuisance_params()`:
    #' for every fold, or (`set_fold_specific = TRUE`) per repetition and fold. A [lrn()]
    #' learner's parameters are mlr3's names, translated as `lrn()` translates them and merged with
    #' the learner's own; a scikit-learn estimator's are scikit-learn's. The next fit uses them.
    #'
    #' @param learner (`character(1)`) \cr The nuisance model (one of `$params_names()`).
    #' @param treat_var (`character(1)`) \cr The treatment variable.
    #' @param params (named `list()`) \cr The parameters; with `set_fold_specific = TRUE` a list
    #'   of `n_rep` lists of `n_folds` named lists.
    #' @param set_fold_specific (`logical(1)`) \cr Fold-specific parameters. Default `FALSE`.
    #' @return self, invisibly.
    set_ml_nuisance_params = function(learner = NULL, treat_var = NULL, params, set_fold_specific = FALSE) {
      checkmate::assert_character(learner, len = 1)
      valid <- self$params_names()
      if (identical(learner, "ml_g") && !("ml_g" %in% valid) && "ml_l" %in% valid &&
        identical(private$score_, "partialling out")) {
        warning(paste0(
          "Learner ml_g was renamed to ml_l. ",
          "Please adapt the argument learner accordingly. ",
          "The provided parameters are set for ml_l. ",
          "The redirection will be removed in a future version."
        ), call. = FALSE)
        learner <- "ml_l"
      }
      checkmate::assert_choice(learner, valid)
      checkmate::assert_choice(treat_var, private$data_$d_cols)
      checkmate::assert_list(params)
      checkmate::assert_logical(set_fold_specific, len = 1)
      if (set_fold_specific) {
        if (length(params) != self$n_rep) stop("Length of (outer) parameter list does not match n_rep.")
        if (!all(lengths(params) == self$n_folds)) stop("Length of (inner) parameter list does not match n_folds.")
        send <- lapply(params, function(rep) lapply(rep, plain_params))
      } else {
        send <- plain_params(params)
      }
      py_call(bridge()$set_nuisance_params, private$py_, learner, treat_var, private$learner_spec(learner), send, set_fold_specific)
      if (set_fold_specific) private$fold_specific_ <- TRUE
      if (is.null(private$set_params_[[learner]])) private$set_params_[[learner]] <- list()
      private$set_params_[[learner]][treat_var] <- list(params)
      invisible(self)
    },

    #' @description
    #' The hyperparameters of a nuisance model for the current treatment variable (the first one
    #' before a fit, the last one after it, as DoubleML-R's), as `$params` shows them; with
    #' fold-specific parameters those of the first repetition (a list per fold).
    #'
    #' @param learner (`character(1)`) \cr The nuisance model (one of `$params_names()`).
    #' @return A named `list()` of parameters, or `NULL` where none are set.
    get_params = function(learner) {
      checkmate::assert_character(learner, len = 1)
      checkmate::assert_choice(learner, self$params_names())
      d_cols <- private$data_$d_cols
      treat <- if (is.null(private$results_)) d_cols[1] else d_cols[length(d_cols)]
      params <- self$params[[learner]][[treat]]
      if (private$fold_specific()) params[[1]] else params
    },

    #' @description
    #' Sets the sample splits, as DoubleML-R's `set_sample_splitting()`: `n_folds` and `n_rep` are
    #' derived from them. Test sets must partition the observations in every repetition (with at
    #' least two folds): DoubleML (Python) always cross-fits. Parameters set for every fold are
    #' kept; fold-specific ones are dropped. Not with cluster data (as DoubleML-R).
    #'
    #' @param smpls (`list()`) \cr Per repetition a list with `train_ids` and `test_ids`, one
    #'   vector of (1-based) row numbers per fold; or one such list for `n_rep = 1`.
    #' @return self, invisibly.
    set_sample_splitting = function(smpls) {
      if (private$is_cluster_data()) {
        stop(paste(
          "Externally setting the sample splitting for DoubleML is",
          "not yet implemented with clustering."
        ))
      }
      reps <- if (checkmate::test_list(smpls, names = "unnamed")) smpls else list(smpls)
      n_obs <- private$data_$n_obs
      for (rep in reps) check_smpls_rep(rep, n_obs)
      n_folds <- vapply(reps, function(x) length(x$train_ids), integer(1L))
      if (!all(n_folds == n_folds[1])) stop("Different number of folds for repeated cross-fitting.")
      partitions <- vapply(reps, function(x) is_partition(x$test_ids, n_obs), logical(1L))
      if (!all(partitions) || n_folds[1] < 2) {
        stop(dmls_condition("InvalidInputError", paste0(
          "Sample splitting without cross-fitting (apply_cross_fitting = FALSE) is not supported: ",
          "DoubleML for Python, which estimates here, always cross-fits. Give at least two folds ",
          "whose test_ids form a partition of the ", n_obs, " observations in every repetition."
        )))
      }
      ids <- function(folds) lapply(folds, function(f) as.list(as.integer(f)))
      send <- lapply(reps, function(x) list(train_ids = ids(x$train_ids), test_ids = ids(x$test_ids)))
      private$adopt_splits(py_call(bridge()$set_splits, private$py_, send))
      invisible(self)
    },

    #' @description
    #' Draws new sample splits (`n_folds`, `n_rep`), as DoubleML-R's `split_samples()`: DoubleML
    #' draws them after `np.random.seed(k)`, `k` drawn from R's generator (kept as `$split_seed`).
    #' Parameters set for every fold are kept; fold-specific ones are dropped.
    #'
    #' @return self, invisibly.
    split_samples = function() {
      private$split_seed_ <- draw_seed()
      private$adopt_splits(py_call(bridge()$draw_splits, private$py_, private$split_seed_))
      invisible(self)
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
        if (private$is_cluster_data()) paste0("No. folds per cluster: ", private$n_folds_per_cluster_, "\n"),
        "No. folds: ", self$n_folds, "\n",
        "No. repeated sample splits: ", self$n_rep, "\n",
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
    params_names = function() as.character(unlist(py_call(function() private$py_$params_names))),

    #' @description
    #' DoubleML's sensitivity analysis of omitted-variable bias after a fit (see
    #' [dmls_results]); the results are in `$sensitivity_params` and `$sensitivity_summary`.
    #' @param cf_y (`numeric(1)`) \cr Confounding strength in the outcome (default 0.03).
    #' @param cf_d (`numeric(1)`) \cr Confounding strength in the treatment (default 0.03).
    #' @param rho (`numeric(1)`) \cr The correlation of the confounding (default 1).
    #' @param level (`numeric(1)`) \cr Confidence level (default 0.95).
    #' @param null_hypothesis (`numeric()`) \cr The null hypothesis per treatment (default 0).
    #' @return self, invisibly.
    sensitivity_analysis = function(cf_y = 0.03, cf_d = 0.03, rho = 1, level = 0.95, null_hypothesis = 0) {
      private$sensitivity_ <- run_sensitivity_analysis(self, private, cf_y, cf_d, rho, level, null_hypothesis)
      invisible(self)
    },

    #' @description
    #' DoubleML's evaluation of the cross-fitted predictions (root mean squared error against the
    #' targets) after a fit (see [dmls_results]).
    #' @param learners (`character()` or `NULL`) \cr The nuisance models to evaluate (e.g.
    #'   `"ml_l"`); all by default.
    #' @return A named list, one matrix `n_rep x n_treat` per nuisance model.
    evaluate_learners = function(learners = NULL) run_evaluate_learners(self, private, learners)
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
    #' @field all_coef (`matrix()`) \cr Estimates per treatment (rows) and repetition (columns);
    #'   `NA` before a fit.
    all_coef = function(value) ro(value, "all_coef", private$results_$all_coef %||% private$na_matrix()),
    #' @field all_se (`matrix()`) \cr Standard errors per treatment and repetition.
    all_se = function(value) ro(value, "all_se", private$results_$all_se %||% private$na_matrix()),
    #' @field psi (`array()`) \cr The score function's values, `n_obs x n_rep x n_treat`.
    psi = function(value) ro(value, "psi", private$results_$psi %||% private$score_element("psi")),
    #' @field psi_a (`array()`) \cr The score's component \eqn{\psi_a(W; \eta)} (DoubleML's
    #'   `psi_elements$psi_a`), `n_obs x n_rep x n_treat`; `NA` before a fit.
    psi_a = function(value) ro(value, "psi_a", private$score_element("psi_a")),
    #' @field psi_b (`array()`) \cr The score's component \eqn{\psi_b(W; \eta)}, as `psi_a`.
    psi_b = function(value) ro(value, "psi_b", private$score_element("psi_b")),
    #' @field predictions (named `list()`) \cr The cross-fitted predictions of each nuisance model,
    #'   arrays `n_obs x n_rep x n_treat`, after a fit with `store_predictions = TRUE`.
    predictions = function(value) ro(value, "predictions", private$results_$predictions),
    #' @field models (named `list()`) \cr After a fit with `store_models = TRUE`, the fitted
    #'   learners (scikit-learn estimators) as DoubleML-R's:
    #'   `models[[nuisance]][[treatment]][[rep]][[fold]]`.
    models = function(value) ro(value, "models", private$models_),
    #' @field smpls (`list()`) \cr The sample splits: per repetition a list with `train_ids` and
    #'   `test_ids` (1-based row numbers per fold), as DoubleML-R's; `NULL` with
    #'   `draw_sample_splitting = FALSE` until splits are drawn or set.
    smpls = function(value) ro(value, "smpls", private$splits()$smpls),
    #' @field smpls_cluster (`list()` or `NULL`) \cr With cluster data, the clusters of each fold:
    #'   per repetition `train_ids` and `test_ids`, per fold a list with the cluster values per
    #'   cluster variable (DoubleML-R's); `NULL` without clusters.
    smpls_cluster = function(value) ro(value, "smpls_cluster", private$splits()$smpls_cluster),
    #' @field draw_sample_splitting (`logical(1)`) \cr Whether the splits were drawn at `$new()`.
    draw_sample_splitting = function(value) ro(value, "draw_sample_splitting", private$draw_sample_splitting_),
    #' @field split_seed (`integer(1)` or `NULL`) \cr The integer drawn for the last
    #'   `$split_samples()`.
    split_seed = function(value) ro(value, "split_seed", private$split_seed_),
    #' @field boot_coef (`matrix()`) \cr Bootstrapped coefficients (treatments x
    #'   `n_rep_boot * n_rep`) after `$bootstrap()`; before it, as DoubleML-R, an `NA` matrix
    #'   of 500 replications per repetition.
    boot_coef = function(value) ro(value, "boot_coef", private$boot_$coef %||% private$no_boot()),
    #' @field boot_t_stat (`matrix()`) \cr Bootstrapped t-statistics after `$bootstrap()`; an
    #'   `NA` matrix before it, as `boot_coef`.
    boot_t_stat = function(value) ro(value, "boot_t_stat", private$boot_$t_stat %||% private$no_boot()),
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
      ro(value, "params", private$r_params())
    },
    #' @field tuning_res (named `list()` or `NULL`) \cr The last tuning's searches, per treatment
    #'   (with `tune_on_folds = TRUE`: per repetition, then treatment): `params` (the chosen
    #'   parameters per nuisance model and training set) and `tune_res` (per nuisance model, e.g.
    #'   `l_tune`, and training set: `best_params`, `best_score` (scikit-learn's score, higher is
    #'   better), `best_index` (1-based), `n_splits` and `cv_results`, a data.frame with one row
    #'   per candidate: its parameters, `split0_test_score`, ..., `mean_test_score`,
    #'   `std_test_score`, `rank_test_score`).
    tuning_res = function(value) ro(value, "tuning_res", private$tuning_res_),
    #' @field optuna_res (named `list()` or `NULL`) \cr The last `$tune_ml_models()`'s studies,
    #'   per treatment and nuisance model (see `$tune_ml_models()`).
    optuna_res = function(value) ro(value, "optuna_res", private$optuna_res_),
    #' @field tune_seed (`integer(1)` or `NULL`) \cr The integer drawn for the last tuning (see
    #'   Seeds and reproducibility).
    tune_seed = function(value) ro(value, "tune_seed", private$tune_seed_),
    #' @field tune_report (`character(1)` or `NULL`) \cr Timing summary of the last tuning.
    tune_report = function(value) ro(value, "tune_report", private$tune_report_),
    #' @field tune_param_grids (named `list()` or `NULL`) \cr The grids the last tuning searched,
    #'   per learner, in scikit-learn's names and values (the Python `param_grids`).
    tune_param_grids = function(value) ro(value, "tune_param_grids", private$tune_param_grids_),
    #' @field py (Python object) \cr The Python model (for everything else DoubleML offers).
    py = function(value) ro(value, "py", private$py_),
    #' @field sensitivity_params (`list()` or `NULL`) \cr After `$sensitivity_analysis()`:
    #'   `theta`, `se`, `ci` (each `lower` and `upper`), `rv`, `rva` and `input`, as DoubleML's.
    sensitivity_params = function(value) ro(value, "sensitivity_params", private$sensitivity_$params),
    #' @field sensitivity_summary (`character(1)` or `NULL`) \cr DoubleML's summary of the
    #'   sensitivity analysis (print it with `cat()`).
    sensitivity_summary = function(value) ro(value, "sensitivity_summary", private$sensitivity_$summary),
    #' @field nuisance_loss (`list()` or `NULL`) \cr DoubleML's losses of the nuisance models
    #'   after a fit, as `$evaluate_learners()`'s list.
    nuisance_loss = function(value) ro(value, "nuisance_loss", nuisance_loss_of(self, private)),
    #' @field task_metrics (`data.frame` or `NULL`) \cr One row per task of the last fit.
    task_metrics = function(value) ro(value, "task_metrics", metrics_of(private, "task_metrics")),
    #' @field tune_metrics (`data.frame` or `NULL`) \cr One row per task of the last backend tuning.
    tune_metrics = function(value) ro(value, "tune_metrics", metrics_of(private, "tune_metrics")),
    #' @field aws_lambda_metrics (`data.frame` or `NULL`) \cr One row per Lambda invocation of the
    #'   last Lambda fit or tuning.
    aws_lambda_metrics = function(value) ro(value, "aws_lambda_metrics", metrics_of(private, "aws_lambda_metrics"))
  ),
  private = list(
    py_ = NULL,
    sensitivity_ = NULL,
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
    optuna_res_ = NULL,
    tune_report_ = NULL,
    tune_param_grids_ = NULL,
    models_ = NULL,
    elements_ = NULL,
    draw_sample_splitting_ = TRUE,
    n_folds_per_cluster_ = NA_integer_,
    split_seed_ = NULL,
    fold_specific_ = FALSE,
    set_params_ = list(),

    init_model = function(model, lambda_function_name, aws_region, data, learners,
                          n_folds, n_rep, score, options = list(), draw_sample_splitting = TRUE,
                          apply_cross_fitting = TRUE, dml_procedure = "dml2") {
      checkmate::assert_string(lambda_function_name, null.ok = TRUE)
      checkmate::assert_string(aws_region, null.ok = TRUE)
      checkmate::assert_class(data, "DoubleMLData")
      checkmate::assert_count(n_folds, positive = TRUE)
      checkmate::assert_count(n_rep, positive = TRUE)
      if (is.function(score)) {
        stop(dmls_condition("InvalidInputError", paste0(
          "A callable score is not supported: the estimation is DoubleML's (Python), with its ",
          "scores by name (see the argument score)."
        )))
      }
      checkmate::assert_string(score)
      checkmate::assert_choice(dml_procedure, c("dml1", "dml2"))
      checkmate::assert_logical(draw_sample_splitting, len = 1)
      checkmate::assert_logical(apply_cross_fitting, len = 1)
      if (dml_procedure != "dml2") {
        stop(dmls_condition("InvalidInputError", paste0(
          "dml_procedure = \"", dml_procedure, "\" is not supported: DoubleML for Python, which ",
          "estimates here, has only \"dml2\" (its dml1 was removed in DoubleML 0.8)."
        )))
      }
      if (!apply_cross_fitting || n_folds == 1) {
        stop(dmls_condition("InvalidInputError", paste0(
          "Estimation without cross-fitting (apply_cross_fitting = FALSE",
          if (n_folds == 1) " or n_folds = 1", ") is not supported: DoubleML for Python, which ",
          "estimates here, always cross-fits. Use apply_cross_fitting = TRUE and n_folds >= 2."
        )))
      }
      learners <- learners[!vapply(learners, is.null, logical(1))]
      learners <- lapply(learners, function(l) if (is.character(l)) lrn(l) else l)
      check_learners(model, learners, data) # DoubleML-R's task-type checks, before any Python call
      # mlr3's learners are references that DoubleML-R clones; a model keeps its own copies
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
      private$draw_sample_splitting_ <- draw_sample_splitting
      private$py_ <- py_call(
        bridge()$make_model_r, model, lambda_function_name, aws_region, data$py, py_learners,
        c(
          list(n_folds = private$n_folds_, n_rep = private$n_rep_, score = score),
          options, list(draw_sample_splitting = draw_sample_splitting)
        ),
        private$seed_
      )
      if (private$is_cluster_data()) private$n_folds_per_cluster_ <- private$n_folds_
      private$n_folds_ <- as.integer(py_call(function() private$py_$n_folds))
      invisible(self)
    },

    # DoubleML-R's bootstrap arrays before a bootstrap: NA, treatments x (500 * n_rep)
    no_boot = function() {
      array(NA_real_, dim = c(length(self$data$d_cols), 500L * self$n_rep))
    },

    run_fit = function(backend, seed, options) {
      if (!is.null(seed)) {
        checkmate::assert_count(seed)
        seed <- as.integer(seed)
      }
      checkmate::assert_string(options$scaling)
      private$fit_report_ <- py_call(bridge()$fit, private$py_, backend, seed, options)
      private$results_ <- private$fetch_results()
      private$elements_ <- NULL
      private$models_ <- if (isTRUE(options$store_models)) py_call(bridge()$fitted_models, private$py_)
      private$boot_ <- NULL
      invisible(self)
    },

    run_tune = function(backend, param_set, tune_settings, tune_on_folds, options) {
      checkmate::assert_flag(tune_on_folds)
      checkmate::assert_string(options$scaling)
      param_set <- from_paradox_param_sets(param_set)
      tune_settings <- from_mlr3_tune_settings(tune_settings)
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
      private$set_params_ <- list() # tuning sets every nuisance model's parameters anew
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
        predictions = if (length(r$predictions)) lapply(r$predictions, as_r_array)
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
        raw <- py_call(bridge()$sample_splits, private$py_)
        if (is.null(raw$smpls)) {
          return(list(smpls = NULL, smpls_cluster = NULL)) # not drawn yet: asked again next time
        }
        private$smpls_ <- r_splits(raw)
      }
      private$smpls_
    },

    # New splits from Python (set or drawn): folds and repetitions from them; a fit's results,
    # the bootstrap and fold-specific parameters no longer apply.
    adopt_splits = function(raw) {
      private$smpls_ <- r_splits(raw)
      private$n_folds_ <- as.integer(raw$n_folds)
      private$n_rep_ <- as.integer(raw$n_rep)
      private$results_ <- NULL
      private$boot_ <- NULL
      private$models_ <- NULL
      private$elements_ <- NULL
      if (private$fold_specific()) {
        private$fold_specific_ <- FALSE
        private$tune_on_folds_ <- FALSE
        private$set_params_ <- list()
      }
      invisible(self)
    },

    is_cluster_data = function() length(private$data_$cluster_cols) > 0L,

    fold_specific = function() isTRUE(private$tune_on_folds_) || isTRUE(private$fold_specific_),

    # DoubleML's params under R's names (tuned ones by the tuning's names), parameters set with
    # $set_ml_nuisance_params() as given.
    r_params = function() {
      out <- r_params(py_call(bridge()$tuned_params, private$py_), private$fold_specific())
      for (nuisance in names(private$set_params_)) {
        for (treat in names(private$set_params_[[nuisance]])) {
          out[[nuisance]][treat] <- private$set_params_[[nuisance]][treat]
        }
      }
      out
    },

    # The lrn() spec of the learner a nuisance model is fitted with (IRM's ml_g0: ml_g), or NULL.
    learner_spec = function(nuisance) {
      names <- names(private$learners_)
      hit <- names[startsWith(nuisance, names)]
      if (!length(hit)) {
        return(NULL)
      }
      learner <- private$learners_[[hit[which.max(nchar(hit))]]]
      if (inherits(learner, "dmls_learner")) list(id = learner$id, params = plain_params(learner$params))
    },

    score_element = function(name) {
      if (is.null(private$elements_)) {
        raw <- py_call(bridge()$score_elements, private$py_)
        private$elements_ <- lapply(raw, as_r_array)
        if (is.null(raw)) private$elements_ <- list()
      }
      element <- private$elements_[[name]]
      if (is.null(element) && identical(name, "psi")) element <- private$elements_$psi_a * NA_real_
      element
    },

    na_matrix = function() {
      d_cols <- private$data_$d_cols
      matrix(NA_real_, length(d_cols), private$n_rep_, dimnames = list(d_cols, NULL))
    },

    assert_fitted = function(what) {
      if (is.null(private$results_)) stop("Apply fit() before ", what, "().")
    }
  )
)

# DoubleML's fit() arguments store_predictions and store_models, checked.
fit_store_options <- function(store_predictions, store_models) {
  checkmate::assert_flag(store_predictions)
  checkmate::assert_flag(store_models)
  list(store_predictions = store_predictions, store_models = store_models)
}

# The bridge's splits as DoubleML-R's smpls and smpls_cluster.
r_splits <- function(raw) {
  ids <- function(folds) lapply(folds, function(f) as.integer(unlist(f)))
  clusters <- function(folds) lapply(folds, function(f) lapply(f, unlist))
  list(
    smpls = lapply(raw$smpls, function(rep) list(train_ids = ids(rep$train_ids), test_ids = ids(rep$test_ids))),
    smpls_cluster = if (!is.null(raw$smpls_cluster)) {
      lapply(raw$smpls_cluster, function(rep) {
        list(train_ids = clusters(rep$train_ids), test_ids = clusters(rep$test_ids))
      })
    }
  )
}

# One repetition of DoubleML-R's smpls: train_ids and test_ids, the same number of folds, row numbers.
check_smpls_rep <- function(rep, n_obs) {
  checkmate::assert_list(rep)
  checkmate::assert_names(names(rep), must.include = c("train_ids", "test_ids"))
  checkmate::assert_list(rep$train_ids, min.len = 1)
  checkmate::assert_list(rep$test_ids, len = length(rep$train_ids))
  for (ids in c(rep$train_ids, rep$test_ids)) {
    checkmate::assert_integerish(ids, lower = 1, upper = n_obs, any.missing = FALSE, min.len = 1, unique = TRUE)
  }
  invisible(TRUE)
}

is_partition <- function(test_ids, n_obs) {
  identical(sort(as.integer(unlist(test_ids))), seq_len(n_obs))
}

# DoubleML-R's positional call, $new(data, ml_l, ml_m, ...): the first argument is a data object
# (or a learner, as in $new(data = data, ml_l, ml_m)) where the Lambda function's name goes.
is_doubleml_r_call <- function(first) {
  inherits(first, "DoubleMLData") || inherits(first, "dmls_learner") || inherits(first, "python.builtin.object")
}

# Match the arguments of R6's $new() (`env`, its frame, holds them as `...`) as DoubleML-R would:
# against `fun`'s formals with lambda_function_name and aws_region moved last (so named only), then
# call `fun` with every argument named.
doubleml_r_initialize <- function(fun, env) {
  args <- eval(quote(list(...)), env)
  f <- formals(fun)
  last <- c("lambda_function_name", "aws_region")
  shape <- function() NULL
  formals(shape) <- c(f[setdiff(names(f), last)], f[last])
  call <- as.call(c(list(as.name("new")), args))
  matched <- as.list(match.call(shape, call))[-1]
  do.call(fun, matched, quote = TRUE)
  invisible(NULL)
}

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
