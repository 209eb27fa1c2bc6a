# Tuning: the grid design, the translation of tune_settings, parity with the Python tune_local().

test_that("ranges expand as mlr3's grid design does", {
  grid <- dmls_param_grid(list(
    ml_l = list(
      a = dmls_dbl(0, 1), b = dmls_int(1, 10), c = dmls_int(1, 4), d = dmls_fct(c("x", "y", "z")),
      e = dmls_lgl(), f = dmls_dbl(1e-3, 1, logscale = TRUE), g = dmls_dbl(-2, 0, trafo = function(x) 10^x)
    ),
    ml_m = list(
      a = list(lower = 0.5, upper = 1.5), b = list(lower = 2L, upper = 4L), c = list(lower = 2, upper = 3, type = "int"),
      d = list(levels = c("sqrt", "log2")), e = c(50, 100), f = list(NULL, 3L), g = dmls_int(3, 3)
    )
  ), resolution = 5)
  expect_equal(grid$ml_l$a, c(0, 0.25, 0.5, 0.75, 1))
  expect_identical(grid$ml_l$b, c(1L, 3L, 6L, 8L, 10L))
  expect_identical(grid$ml_l$c, 1:4) # 4 integers, resolution 5: each once
  expect_identical(grid$ml_l$d, c("x", "y", "z"))
  expect_identical(grid$ml_l$e, c(TRUE, FALSE))
  expect_equal(grid$ml_l$f, 10^c(-3, -2.25, -1.5, -0.75, 0))
  expect_equal(grid$ml_l$g, 10^c(-2, -1.5, -1, -0.5, 0))
  expect_equal(grid$ml_m$a, c(0.5, 0.75, 1, 1.25, 1.5))
  expect_identical(grid$ml_m$b, 2:4)
  expect_identical(grid$ml_m$c, 2:3)
  expect_identical(grid$ml_m$d, c("sqrt", "log2"))
  expect_identical(grid$ml_m$e, c(50, 100)) # candidates as given: no resolution
  expect_identical(grid$ml_m$f, list(NULL, 3L))
  expect_identical(grid$ml_m$g, 3L)
  # paradox maps [0, 1] onto the integers in equal parts: not round(seq(1, 4, length.out = 3))
  expect_identical(dmls_param_grid(list(ml_l = list(k = dmls_int(1, 4))), resolution = 3)$ml_l$k, c(1L, 3L, 4L))
  expect_identical(dmls_param_grid(list(ml_l = list(k = dmls_int(0, 100))), resolution = 3)$ml_l$k, c(0L, 50L, 100L))
  expect_identical(dmls_param_grid(list(ml_l = list(x = dmls_dbl(2, 4))), resolution = 1)$ml_l$x, 2)

  expect_error(dmls_dbl(2, 1), "lower must not be greater than upper")
  expect_error(dmls_dbl(0, 1, logscale = TRUE), "logscale = TRUE needs lower > 0")
  expect_error(dmls_int(1.5, 3))
  expect_error(dmls_param_grid(list(ml_l = list(x = list(lower = 1)))), "param_set\\$ml_l\\$x: a named list must be a range")
  expect_error(dmls_param_grid(list(ml_l = list(x = c(1, NA)))), "param_set\\$ml_l\\$x: candidates must not be NA")
  expect_error(dmls_param_grid(list(ml_l = list(x = list(lower = 1, upper = 2, type = "chr")))), "type must be")
  expect_error(dmls_param_grid(list(ml_l = c(1, 2))), "param_set\\$ml_l must be a named list")
  expect_output(print(dmls_int(1, 5)), "<dmls_param_range> int \\{1, \\.\\.\\., 5\\}")
})

test_that("tune_settings translate to scikit-learn's search arguments", {
  types <- list(ml_l = "regr", ml_m = "classif")
  tr <- function(...) translate_tune_settings(list(...), c("ml_l", "ml_m"), types)
  default <- tr()
  expect_identical(default$settings$n_folds_tune, 5L)
  expect_identical(default$settings$search_mode, "grid_search")
  expect_identical(default$settings$scoring_methods, list(ml_l = "neg_mean_squared_error", ml_m = "accuracy"))
  expect_identical(default$resolution, 5L)
  expect_identical(tr(n_folds_tune = 3)$settings$n_folds_tune, 3L)
  expect_identical(tr(rsmp_tune = 4)$settings$n_folds_tune, 4L)
  expect_identical(tr(n_folds_tune = 3, rsmp_tune = list(folds = 2))$settings$n_folds_tune, 2L)
  expect_identical(tr(rsmp_tune = "cv", n_folds_tune = 6)$settings$n_folds_tune, 6L)
  random <- tr(algorithm = "random_search", terminator = list(n_evals = 7), resolution = 3)
  expect_identical(random$settings[c("search_mode", "n_iter_randomized_search")], list(search_mode = "randomized_search", n_iter_randomized_search = 7L))
  expect_identical(random$resolution, 3L)
  expect_identical(tr(algorithm = "random_search", terminator = 9)$settings$n_iter_randomized_search, 9L)

  measures <- c(
    regr.mse = "neg_mean_squared_error", regr.rmse = "neg_root_mean_squared_error",
    regr.mae = "neg_mean_absolute_error", regr.rsq = "r2", classif.ce = "accuracy", classif.acc = "accuracy",
    classif.logloss = "neg_log_loss", classif.auc = "roc_auc"
  )
  for (id in names(measures)) {
    expect_identical(tr(measure = list(ml_m = id))$settings$scoring_methods$ml_m, unname(measures[id]))
  }
  expect_identical(tr(measure = "regr.mae")$settings$scoring_methods, list(ml_l = "neg_mean_absolute_error", ml_m = "neg_mean_absolute_error"))
  expect_identical(tr(measure = list(ml_l = "regr.rsq"))$settings$scoring_methods, list(ml_l = "r2", ml_m = "accuracy"))

  expect_error(tr(measure = list(ml_l = "regr.foo")), paste0(
    "tune_settings$measure: unknown measure id(s) \"regr.foo\"; known: regr.mse, regr.rmse, regr.mae, ",
    "regr.rsq, classif.ce, classif.acc, classif.logloss, classif.auc."
  ), fixed = TRUE)
  expect_error(tr(measure = list(ml_x = "regr.mse")), "unknown learner(s) ml_x", fixed = TRUE)
  expect_error(tr(algorithm = "gensa"), "algorithm must be \"grid_search\" or \"random_search\"", fixed = TRUE)
  expect_error(tr(rsmp_tune = "holdout"), "only \"cv\"", fixed = TRUE)
  expect_error(tr(n_folds_tune = 1), "n_folds_tune must be a whole number, at least 2")
  expect_error(tr(terminator = list(run_time = 10)), "only the number of evaluations")
  expect_error(tr(resolutoin = 3), "unknown entries resolutoin", fixed = TRUE)
  expect_s3_class(tryCatch(tr(algorithm = "x"), error = identity), "dmls_InvalidInputError")
})

python_tune <- function(code) reticulate::py_run_string(code)$tune_result

test_that("the R tuning chooses what the Python tune_local() chooses on the same data and seeds", {
  skip_if_no_pydmlserverless()
  data <- DoubleMLData$new(sim_plr(n = 200), y_col = "y", d_cols = "d")
  set.seed(31)
  model <- DoubleMLPLRServerless$new(NULL, NULL, data,
    ml_l = lrn("regr.ranger", num.trees = 10, seed = 3),
    ml_m = lrn("regr.glmnet", alpha = 0.5), n_folds = 3
  )
  model$tune_local(
    list(
      ml_l = list(num.trees = c(5, 15), max.depth = dmls_int(2, 4), min.node.size = c(2, 8)),
      ml_m = list(lambda = dmls_dbl(-3, 0, trafo = function(x) 10^x))
    ),
    tune_settings = list(n_folds_tune = 3, resolution = 2), n_jobs = 1
  )
  expect_identical(model$tune_param_grids, list(
    ml_l = list(n_estimators = c(5L, 15L), max_depth = c(2L, 4L), min_samples_split = c(3L, 9L)),
    ml_m = list(model__alpha = c(0.001, 1))
  ))
  reticulate::py_set_attr(reticulate::import_main(), "r_data", data$py)
  py <- python_tune(sprintf("
import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import ElasticNet
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from pydmlserverless import DoubleMLPLRServerless
np.random.seed(%d)
model = DoubleMLPLRServerless(None, None, r_data,
    RandomForestRegressor(n_estimators=10, random_state=3, max_features='sqrt', min_samples_split=6, n_jobs=1),
    Pipeline([('scale', StandardScaler()), ('model', ElasticNet(alpha=0.01, l1_ratio=0.5))]), n_folds=3)
np.random.seed(%d)
res = model.tune_local({'ml_l': {'n_estimators': [5, 15], 'max_depth': [2, 4], 'min_samples_split': [3, 9]},
                        'ml_m': {'model__alpha': [0.001, 1.0]}}, n_folds_tune=3, n_jobs=1, progress=False,
                       scoring_methods={'ml_l': 'neg_mean_squared_error', 'ml_m': 'neg_mean_squared_error'},
                       return_tune_res=True)
model.fit_local(seed=%d, n_jobs=1, progress=False)
tune_result = {
    'l_best': res[0]['params']['ml_l'][0], 'm_best': res[0]['params']['ml_m'][0],
    'l_scores': res[0]['tune_res']['l_tune'][0].cv_results_['mean_test_score'].tolist(),
    'm_scores': res[0]['tune_res']['m_tune'][0].cv_results_['mean_test_score'].tolist(),
    'coef': float(model.coef[0]), 'se': float(model.se[0])}
", model$seed, model$tune_seed, model$seed))
  l_tune <- model$tuning_res$d$tune_res$l_tune[[1]]
  expect_identical(l_tune$cv_results$mean_test_score, unlist(py$l_scores))
  expect_identical(model$tuning_res$d$tune_res$m_tune[[1]]$cv_results$mean_test_score, unlist(py$m_scores))
  # the choice, under the R names: n_estimators -> num.trees, min_samples_split - 1 -> min.node.size
  expected_l <- list(num.trees = py$l_best$n_estimators, max.depth = py$l_best$max_depth, min.node.size = py$l_best$min_samples_split - 1L)
  expect_identical(model$params$ml_l$d[names(expected_l)], expected_l)
  expect_identical(model$params$ml_m$d, list(lambda = py$m_best$model__alpha))
  expect_identical(l_tune$best_params, model$params$ml_l$d)
  expect_identical(l_tune$best_index, which.max(l_tune$cv_results$mean_test_score))
  expect_identical(names(l_tune$cv_results)[1:3], c("max.depth", "min.node.size", "num.trees"))
  expect_match(model$tune_report, "^Tuning on local")
  # the fit uses the tuned parameters
  model$fit_local(n_jobs = 1)
  expect_identical(unname(c(model$coef, model$se)), c(py$coef, py$se))
})

test_that("random search with fold-specific tuning matches Python; params nest by repetition and fold", {
  skip_if_no_pydmlserverless()
  data <- DoubleMLData$new(sim_irm(n = 240), y_col = "y", d_cols = "d")
  set.seed(32)
  model <- DoubleMLIRMServerless$new(NULL, NULL, data, lrn("regr.rpart"), lrn("classif.rpart"), n_folds = 2, n_rep = 2)
  model$tune(
    list(ml_g = list(maxdepth = dmls_int(1, 6), minbucket = c(5, 20)), ml_m = list(maxdepth = 1:4, minbucket = 10)),
    tune_settings = list(
      rsmp_tune = list(folds = 2), algorithm = "random_search", terminator = list(n_evals = 3), resolution = 3,
      measure = list(ml_m = "classif.logloss")
    ),
    tune_on_folds = TRUE, n_jobs = 1
  )
  reticulate::py_set_attr(reticulate::import_main(), "r_data", data$py)
  py <- python_tune(sprintf("
import numpy as np
from sklearn.tree import DecisionTreeRegressor, DecisionTreeClassifier
from pydmlserverless import DoubleMLIRMServerless
np.random.seed(%d)
model = DoubleMLIRMServerless(None, None, r_data, DecisionTreeRegressor(min_samples_split=20, min_samples_leaf=7, max_depth=30),
                              DecisionTreeClassifier(min_samples_split=20, min_samples_leaf=7, max_depth=30), n_folds=2, n_rep=2)
np.random.seed(%d)
model.tune_local({'ml_g': {'max_depth': [1, 4, 6], 'min_samples_leaf': [5, 20]},
                  'ml_m': {'max_depth': [1, 2, 3, 4], 'min_samples_leaf': [10]}}, tune_on_folds=True, n_folds_tune=2,
                 search_mode='randomized_search', n_iter_randomized_search=3, n_jobs=1, progress=False,
                 scoring_methods={'ml_g': 'neg_mean_squared_error', 'ml_m': 'neg_log_loss'})
tune_result = {name: [[[p['max_depth'], p['min_samples_leaf']] for p in rep] for rep in model.params[name]['d']]
               for name in ('ml_g0', 'ml_g1', 'ml_m')}
", model$seed, model$tune_seed))
  for (name in c("ml_g0", "ml_g1", "ml_m")) {
    ours <- lapply(model$params[[name]]$d, function(rep) lapply(rep, function(p) c(p$maxdepth, p$minbucket)))
    theirs <- lapply(py[[name]], function(rep) lapply(rep, function(p) as.integer(unlist(p))))
    expect_identical(ours, theirs)
  }
  expect_length(model$params$ml_g0$d, 2) # repetitions
  expect_length(model$params$ml_g0$d[[1]], 2) # folds
  expect_length(model$tuning_res, 2)
  expect_identical(names(model$tuning_res[[1]]), "d")
  expect_identical(nrow(model$tuning_res[[1]]$d$tune_res$g0_tune[[1]]$cv_results), 3L) # n_evals candidates
})

test_that("scikit-learn estimators are tuned with scikit-learn's names", {
  skip_if_no_pydmlserverless()
  data <- DoubleMLData$new(sim_plr(n = 150), y_col = "y", d_cols = "d")
  sk <- reticulate::import("sklearn.ensemble")
  set.seed(33)
  model <- DoubleMLPLRServerless$new(NULL, NULL, data,
    ml_l = sk$RandomForestRegressor(n_estimators = 5L, random_state = 1L), ml_m = lrn("regr.lm"), n_folds = 2
  )
  model$tune_local(list(ml_l = list(n_estimators = c(3, 6), max_features = c(0.5, 1)), ml_m = list()),
    tune_settings = list(n_folds_tune = 2), n_jobs = 1
  )
  # n_estimators is an int in the estimator: R's doubles 3, 6 arrive as 3L, 6L; max_features stays as given
  expect_identical(model$tune_param_grids$ml_l, list(n_estimators = c(3L, 6L), max_features = c(0.5, 1)))
  expect_setequal(names(model$params$ml_l$d), c("n_estimators", "max_features"))
  expect_length(model$params$ml_m$d, 0) # list(): tuned on an empty grid, nothing set
  expect_error(
    model$tune_local(list(ml_l = list(num.trees = c(3, 6)), ml_m = list()), n_jobs = 1),
    "param_set$ml_l: unknown parameter(s) 'num.trees' of sklearn.ensemble._forest.RandomForestRegressor. Valid: ",
    fixed = TRUE
  )
})

test_that("bad parameter sets fail in R before anything runs, with the learner named", {
  skip_if_no_pydmlserverless()
  data <- DoubleMLData$new(sim_plr(n = 100), y_col = "y", d_cols = "d")
  set.seed(34)
  model <- DoubleMLPLRServerless$new(NULL, NULL, data, lrn("regr.ranger", num.trees = 5), lrn("regr.rpart"), n_folds = 2)
  tune <- function(ml_l = list(), ml_m = list(), ...) model$tune_local(list(ml_l = ml_l, ml_m = ml_m), n_jobs = 1, ...)
  expect_error(tune(ml_l = list(num.tree = c(5, 10))), paste0(
    "param_set$ml_l: lrn('regr.ranger'): unsupported parameter(s) 'num.tree'. Supported: num.trees, mtry, "
  ), fixed = TRUE, class = "dmls_LearnerError")
  expect_error(tune(ml_l = list(num.trees = c(5, 10.5))), "param_set$ml_l: lrn('regr.ranger'): num.trees must be a whole number; got 10.5.", fixed = TRUE)
  expect_error(tune(ml_l = list(mtry = 1:2, mtry.ratio = c(0.5, 1))), "param_set$ml_l: mtry.ratio and mtry both set the scikit-learn parameter max_features", fixed = TRUE)
  expect_error(tune(ml_m = list(xval = c(0, 10))), "param_set$ml_m: xval does not change the scikit-learn estimator", fixed = TRUE)
  expect_error(model$tune_local(list(ml_l = list()), n_jobs = 1), "param_set must have an entry for every learner (ml_l, ml_m); missing: ml_m.", fixed = TRUE)
  expect_error(model$tune_local(list(ml_l = list(), ml_m = list(), ml_g = list()), n_jobs = 1), "param_set: unknown learner(s) ml_g", fixed = TRUE)
  expect_error(tune(tune_settings = list(measure = "classif.foo")), "unknown measure id(s) \"classif.foo\"", fixed = TRUE)
  expect_null(model$tune_seed) # nothing ran, no seed drawn
  expect_null(model$tuning_res)
})

test_that("container models have no grid-search tuning and no params of their own", {
  skip_if_no_pydmlserverless()
  df <- sim_irm(n = 120)
  set.seed(35)
  apos <- DoubleMLAPOSServerless$new(NULL, NULL, DoubleMLData$new(df, y_col = "y", d_cols = "d"),
    lrn("regr.lm"), lrn("classif.log_reg"), treatment_levels = 0:1, n_folds = 2
  )
  expect_length(apos$params, 0)
  expect_error(apos$tune_local(list(ml_g = list(), ml_m = list()), n_jobs = 1),
    "DoubleMLAPOSServerless has no grid-search tuning", class = "dmls_ConfigurationError"
  )
})

test_that("a parameter translated to several scikit-learn parameters is tuned as one (rpart's minsplit)", {
  skip_if_no_pydmlserverless()
  data <- DoubleMLData$new(sim_plr(n = 120), y_col = "y", d_cols = "d")
  set.seed(35)
  model <- DoubleMLPLRServerless$new(NULL, NULL, data, lrn("regr.rpart"), lrn("regr.rpart"), n_folds = 2)
  model$tune_local(list(ml_l = list(cp = c(0.01, 0.02), minsplit = c(6, 30)), ml_m = list(cp = c(0.01, 0.02))),
    tune_settings = list(n_folds_tune = 3), n_jobs = 1)
  # minsplit sets min_samples_split and (rpart's minbucket = round(minsplit / 3)) min_samples_leaf together
  grid <- model$tune_param_grids$ml_l
  expect_length(grid, 4L)
  expect_equal(grid[[1]], list(ccp_alpha = 0.01, min_samples_leaf = 2L, min_samples_split = 6L))
  expect_equal(grid[[4]], list(ccp_alpha = 0.02, min_samples_leaf = 10L, min_samples_split = 30L))
  chosen <- model$params$ml_l$d
  expect_setequal(names(chosen), c("cp", "minsplit"))
  expect_true(chosen$minsplit %in% c(6, 30) && chosen$cp %in% c(0.01, 0.02))
  cv <- model$tuning_res$d$tune_res$l_tune[[1]]$cv_results
  expect_equal(sort(unique(cv$minsplit)), c(6, 30))
})

test_that("paradox ParamSets and mlr3tuning objects are read through their documented fields", {
  skip_if_no_pydmlserverless()
  # paradox and mlr3tuning cannot be installed here: stand-ins with the classes and fields their
  # documentation gives (ParamSet: ids(), class, lower, upper, levels, has_trafo; Terminator,
  # Tuner, Resampling: param_set$values; Measure: id) -- what DoubleML-R's tune() reads too
  param_set_like <- R6::R6Class("ParamSet", public = list(
    params = NULL,
    initialize = function(...) self$params <- list(...),
    ids = function() names(self$params)
  ), active = list(
    class = function() vapply(self$params, `[[`, "", "class"),
    lower = function() vapply(self$params, function(p) p$lower %||% NA_real_, 0),
    upper = function() vapply(self$params, function(p) p$upper %||% NA_real_, 0),
    levels = function() lapply(self$params, function(p) p$levels),
    has_trafo = function() FALSE
  ))
  with_values <- function(classes, values) {
    structure(list(param_set = list(values = values)), class = c(classes, "R6"))
  }
  data <- DoubleMLData$new(sim_plr(n = 120), y_col = "y", d_cols = "d")
  tune_both <- function(param_set, tune_settings) {
    set.seed(52)
    model <- DoubleMLPLRServerless$new(data, lrn("regr.rpart"), lrn("regr.rpart"), n_folds = 2)
    model$tune(param_set = param_set, tune_settings = tune_settings)
    model
  }
  paradox_style <- list(
    ml_l = param_set_like$new(cp = list(class = "ParamDbl", lower = 0.01, upper = 0.02),
                              minsplit = list(class = "ParamInt", lower = 1, upper = 2)),
    ml_m = param_set_like$new(cp = list(class = "ParamDbl", lower = 0.01, upper = 0.02))
  )
  mlr3_settings <- list(
    terminator = with_values(c("TerminatorEvals", "Terminator"), list(n_evals = 5)),
    algorithm = with_values(c("TunerBatchGridSearch", "TunerBatch", "Tuner"), list(resolution = 3)),
    rsmp_tune = with_values(c("ResamplingCV", "Resampling"), list(folds = 3)),
    measure = structure(list(id = "regr.mae"), class = c("MeasureRegrSimple", "Measure", "R6"))
  )
  ours <- tune_both(paradox_style, mlr3_settings)
  plain <- tune_both(
    list(ml_l = list(cp = dmls_dbl(0.01, 0.02), minsplit = dmls_int(1, 2)), ml_m = list(cp = dmls_dbl(0.01, 0.02))),
    list(terminator = list(n_evals = 5), algorithm = "grid_search", resolution = 3, n_folds_tune = 3,
         measure = "regr.mae")
  )
  expect_identical(ours$params, plain$params)
  expect_identical(ours$tune_param_grids, plain$tune_param_grids)
  expect_length(ours$tune_param_grids$ml_m$ccp_alpha, 3L) # resolution 3 from the Tuner
  expect_equal(ours$tuning_res$d$tune_res$l_tune[[1]]$cv_results$mean_test_score,
               plain$tuning_res$d$tune_res$l_tune[[1]]$cv_results$mean_test_score)
  expect_error(tune_both(paradox_style, list(terminator = with_values(c("TerminatorRunTime", "Terminator"), list()))),
               "only trm(\"evals\", n_evals = k) is read", fixed = TRUE)
})

test_that("the R Optuna tuning runs the trials the Python tune_ml_models() runs, and sets what it sets", {
  skip_if_no_pydmlserverless()
  data <- DoubleMLData$new(sim_plr(n = 200), y_col = "y", d_cols = "d")
  set.seed(41)
  model <- DoubleMLPLRServerless$new(NULL, NULL, data,
    ml_l = lrn("regr.ranger", num.trees = 10, seed = 3),
    ml_m = lrn("regr.glmnet", alpha = 0.5), n_folds = 3
  )
  res <- model$tune_ml_models(
    list(
      ml_l = list(max.depth = dmls_int(2, 5), min.node.size = c(2, 8)),
      ml_m = list(lambda = dmls_dbl(0.001, 1, logscale = TRUE))
    ),
    cv = 3, optuna_settings = list(n_trials = 4), return_tune_res = TRUE, n_jobs = 1
  )
  reticulate::py_set_attr(reticulate::import_main(), "r_data", data$py)
  py <- python_tune(sprintf("
import numpy as np
import optuna
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import ElasticNet
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from pydmlserverless import DoubleMLPLRServerless, Local
np.random.seed(%d)
model = DoubleMLPLRServerless(None, None, r_data,
    RandomForestRegressor(n_estimators=10, random_state=3, max_features='sqrt', min_samples_split=6, n_jobs=1),
    Pipeline([('scale', StandardScaler()), ('model', ElasticNet(alpha=0.01, l1_ratio=0.5))]), n_folds=3)
space = {
    'ml_l': lambda t: {'max_depth': t.suggest_int('max_depth', 2, 5),
                       'min_samples_split': t.suggest_categorical('min_samples_split', [3, 9])},
    'ml_m': lambda t: {'model__alpha': t.suggest_float('model__alpha', 0.001, 1.0, log=True)},
}
settings = {'n_trials': 4, 'sampler': optuna.samplers.TPESampler(seed=%d), 'verbosity': optuna.logging.WARNING}
np.random.seed(%d)
res = model.tune_ml_models(space, cv=3, optuna_settings=settings, return_tune_res=True, backend=Local(n_jobs=1),
                           progress=False)
model.fit(backend=Local(n_jobs=1), seed=%d, progress=False)
tune_result = {
    'l_values': [t.value for t in res[0]['ml_l'].study.trials],
    'l_depths': [t.params['max_depth'] for t in res[0]['ml_l'].study.trials],
    'm_values': [t.value for t in res[0]['ml_m'].study.trials],
    'm_alphas': [t.params['model__alpha'] for t in res[0]['ml_m'].study.trials],
    'l_best': res[0]['ml_l'].best_params, 'm_best': res[0]['ml_m'].best_params,
    'coef': float(model.coef[0]), 'se': float(model.se[0])}
", model$seed, model$tune_seed, model$tune_seed, model$seed))
  trials_l <- res$d$ml_l$trials
  expect_identical(trials_l$value, unlist(py$l_values))
  expect_identical(trials_l$max.depth, unlist(py$l_depths))
  expect_identical(res$d$ml_m$trials$value, unlist(py$m_values))
  expect_identical(res$d$ml_m$trials$lambda, unlist(py$m_alphas))
  expect_identical(trials_l$state, rep("COMPLETE", 4))
  # under R's names and values: max_depth -> max.depth, min_samples_split - 1 -> min.node.size
  expect_identical(res$d$ml_l$best_params, list(max.depth = py$l_best$max_depth, min.node.size = py$l_best$min_samples_split - 1))
  expect_true(all(trials_l$min.node.size %in% c(2L, 8L)))
  expect_identical(res$d$ml_m$best_params, list(lambda = py$m_best$model__alpha))
  expect_identical(model$params$ml_l$d[c("max.depth", "min.node.size")], res$d$ml_l$best_params)
  expect_identical(model$optuna_res, res)
  expect_match(model$tune_report, "^Tuning on local")
  model$fit(backend = "local", n_jobs = 1)
  expect_identical(unname(c(model$coef, model$se)), c(py$coef, py$se))
})

test_that("an Optuna space that cannot be searched fails before anything runs, naming the parameter", {
  skip_if_no_pydmlserverless()
  data <- DoubleMLData$new(sim_plr(n = 100), y_col = "y", d_cols = "d")
  set.seed(42)
  model <- DoubleMLPLRServerless$new(NULL, NULL, data, lrn("regr.ranger", num.trees = 5), lrn("regr.rpart"), n_folds = 2)
  tune <- function(space, optuna_settings = list(n_trials = 2), ...) {
    model$tune_ml_models(space, n_jobs = 1, optuna_settings = optuna_settings, ...)
  }
  expect_error(tune(list(ml_l = list(min.node.size = dmls_int(1, 10)))), paste0(
    "ml_param_space$ml_l$min.node.size: lrn('regr.ranger') translates min.node.size to min_samples_split with ",
    "other values"
  ), fixed = TRUE, class = "dmls_LearnerError")
  expect_error(tune(list(ml_m = list(minsplit = c(6, 12)))),
    "ml_param_space$ml_m$minsplit: lrn('regr.rpart') translates minsplit = 6 to several scikit-learn parameters",
    fixed = TRUE, class = "dmls_LearnerError"
  )
  expect_error(tune(list(ml_l = list(num.tree = dmls_int(5, 10)))), "unsupported parameter(s) 'num.tree'", fixed = TRUE)
  expect_error(tune(list(ml_l = list(max.depth = dmls_dbl(-2, 0, trafo = function(x) 10^x)))),
    "ml_param_space$ml_l$max.depth: Optuna suggests values itself, so a range's trafo cannot be applied",
    fixed = TRUE
  )
  expect_error(tune(list(ml_g = list(a = 1:2))), "ml_param_space: unknown learner(s) ml_g; the learners are ml_l, ml_m.", fixed = TRUE)
  expect_error(tune(list(ml_l = list())), "ml_param_space: no learner has a parameter to tune.", fixed = TRUE)
  expect_error(tune(list(ml_l = list(max.depth = 2:3)), optuna_settings = list(sampler = "cmaes")),
    "optuna_settings$sampler must be one of tpe, random; got 'cmaes'.", fixed = TRUE
  )
  expect_error(tune(list(ml_l = list(max.depth = 2:3)), cv = 1), "cv must be a whole number, at least 2.", fixed = TRUE)
  expect_null(model$optuna_res)
  expect_null(model$tune_seed) # nothing ran, no seed drawn
  sk <- reticulate::import("sklearn.linear_model")
  set.seed(43)
  lasso <- DoubleMLPLRServerless$new(NULL, NULL, data, sk$Lasso(), sk$Lasso(), n_folds = 2)
  expect_error(lasso$tune_ml_models(list(ml_l = list(lambda = dmls_dbl(0.01, 1))), n_jobs = 1),
    "ml_param_space$ml_l$lambda: unknown parameter(s) 'lambda' of sklearn.linear_model._coordinate_descent.Lasso",
    fixed = TRUE
  )
  expect_null(lasso$tune_seed) # nothing ran, no seed drawn
  lasso$tune_ml_models(list(ml_l = list(alpha = dmls_dbl(0.01, 1, logscale = TRUE))), cv = 2,
    optuna_settings = list(n_trials = 3, sampler = "random"), n_jobs = 1
  )
  expect_true(is.numeric(lasso$params$ml_l$d$alpha) && lasso$params$ml_l$d$alpha >= 0.01)
  expect_identical(lasso$params$ml_m$d$alpha, 1) # not searched: DoubleML sets the learner's own parameters
})
