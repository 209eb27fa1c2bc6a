# DoubleML-R's surface on the model classes: its positional call, methods, fields and constructor
# arguments, with values checked against the Python core.

# Python's view of a model: `code` runs with `m` bound to the Python model, `out` is returned.
py_eval <- function(model, code) {
  main <- reticulate::import_main()
  main$m <- model$py
  reticulate::py_run_string(code)
  out <- main$out
  reticulate::py_run_string("del m, out")
  out
}

plr_data <- function() DoubleMLData$new(sim_plr(), y_col = "y", d_cols = "d")

test_that("DoubleML-R's positional call equals the two-NULL call, for every model class", {
  skip_if_no_pydmlserverless()
  plr <- plr_data()
  irm <- DoubleMLData$new(sim_irm(), y_col = "y", d_cols = "d")
  iv <- DoubleMLData$new(sim_iv(), y_col = "y", d_cols = "d", z_cols = "z")
  ml <- lrn("regr.lm")
  clf <- lrn("classif.log_reg")
  same <- function(make_ours, make_theirs) {
    set.seed(5)
    ours <- make_ours()
    set.seed(5)
    theirs <- make_theirs()
    expect_identical(ours$seed, theirs$seed)
    expect_identical(ours$smpls, theirs$smpls)
    expect_identical(class(ours), class(theirs))
    ours
  }
  m <- same(
    function() DoubleMLPLRServerless$new(plr, ml, ml$clone(), n_folds = 3),
    function() DoubleMLPLRServerless$new(NULL, NULL, plr, ml, ml, n_folds = 3)
  )
  expect_identical(m$n_folds, 3L)
  expect_null(m$lambda_function_name)
  # DoubleML-R's order after the learners: ml_g, n_folds, n_rep, score
  m <- same(
    function() DoubleMLPLRServerless$new(plr, ml, ml, ml, 4, 2, "IV-type"),
    function() DoubleMLPLRServerless$new(NULL, NULL, plr, ml, ml, ml, n_folds = 4, n_rep = 2, score = "IV-type")
  )
  expect_identical(c(m$n_folds, m$n_rep), c(4L, 2L))
  expect_identical(m$score, "IV-type")
  same(
    function() DoubleMLPLRServerless$new(data = plr, ml, ml, n_folds = 2),
    function() DoubleMLPLRServerless$new(NULL, NULL, plr, ml, ml, n_folds = 2)
  )
  named <- DoubleMLPLRServerless$new(plr, ml, ml, lambda_function_name = "LambdaCVPredict", aws_region = "eu-central-1")
  expect_identical(c(named$lambda_function_name, named$aws_region), c("LambdaCVPredict", "eu-central-1"))
  same(
    function() DoubleMLPLIVServerless$new(iv, ml, ml, ml, n_folds = 2),
    function() DoubleMLPLIVServerless$new(NULL, NULL, iv, ml, ml, ml, n_folds = 2)
  )
  same(
    function() DoubleMLIRMServerless$new(irm, ml, clf, 3, 1, "ATTE"),
    function() DoubleMLIRMServerless$new(NULL, NULL, irm, ml, clf, n_folds = 3, score = "ATTE")
  )
  m <- same(
    function() DoubleMLIIVMServerless$new(iv, ml, clf, clf, 2, 1, "LATE", list(always_takers = FALSE, never_takers = TRUE)),
    function() DoubleMLIIVMServerless$new(NULL, NULL, iv, ml, clf, clf, n_folds = 2,
                                          subgroups = list(always_takers = FALSE, never_takers = TRUE))
  )
  expect_identical(m$subgroups, list(always_takers = FALSE, never_takers = TRUE))
  apo <- DoubleMLData$new(transform(sim_irm(), d = d + (X1 > 1)), y_col = "y", d_cols = "d")
  same(
    function() DoubleMLAPOServerless$new(apo, ml, clf, treatment_level = 1, n_folds = 2),
    function() DoubleMLAPOServerless$new(NULL, NULL, apo, ml, clf, treatment_level = 1, n_folds = 2)
  )
  same(
    function() DoubleMLDIDServerless$new(irm, ml, clf, n_folds = 2),
    function() DoubleMLDIDServerless$new(NULL, NULL, irm, ml, clf, n_folds = 2)
  )
  expect_error(DoubleMLPLRServerless$new(plr, ml, ml, 3, nonsense = 1), "unused argument")
})

test_that("psi_a, psi_b and psi are DoubleML's, n_obs x n_rep x n_treat; NA before a fit", {
  skip_if_no_pydmlserverless()
  df <- sim_plr(n = 150)
  df$d2 <- df$X3 + stats::rnorm(150)
  data <- DoubleMLData$new(df, y_col = "y", d_cols = c("d", "d2"))
  set.seed(1)
  model <- DoubleMLPLRServerless$new(data, lrn("regr.lm"), lrn("regr.lm"), n_folds = 3, n_rep = 2)
  expect_identical(dim(model$psi_a), c(150L, 2L, 2L))
  expect_true(all(is.na(model$psi_a)) && all(is.na(model$psi_b)) && all(is.na(model$psi)))
  expect_identical(dim(model$all_coef), c(2L, 2L))
  expect_true(all(is.na(model$all_coef)))
  model$fit_local(n_jobs = 1)
  py <- py_eval(model, "out = {k: v.ravel(order='F').tolist() for k, v in m.psi_elements.items()}")
  expect_identical(as.numeric(model$psi_a), unlist(py$psi_a))
  expect_identical(as.numeric(model$psi_b), unlist(py$psi_b))
  expect_identical(dim(model$psi_b), c(150L, 2L, 2L))
  # psi = psi_a * theta + psi_b per repetition and treatment
  for (r in 1:2) for (j in 1:2) {
    expect_equal(model$psi[, r, j], model$psi_a[, r, j] * model$all_coef[j, r] + model$psi_b[, r, j])
  }
  expect_named(model$predictions, c("ml_l", "ml_m"))
  expect_identical(dim(model$predictions$ml_l), c(150L, 2L, 2L))
  expect_null(model$models)
})

test_that("store_predictions and store_models as DoubleML-R's fit(); fit() runs fit_local()", {
  skip_if_no_pydmlserverless()
  set.seed(2)
  model <- DoubleMLIRMServerless$new(DoubleMLData$new(sim_irm(), y_col = "y", d_cols = "d"),
    lrn("regr.rpart", maxdepth = 2), lrn("classif.rpart", maxdepth = 2), n_folds = 2, n_rep = 2)
  model$fit(store_predictions = FALSE, store_models = TRUE, n_jobs = 1)
  coef <- model$coef
  expect_null(model$predictions)
  expect_named(model$models, c("ml_g0", "ml_g1", "ml_m"))
  expect_named(model$models$ml_m, "d")
  expect_length(model$models$ml_m$d, 2) # repetitions
  expect_length(model$models$ml_m$d[[2]], 2) # folds
  tree <- model$models$ml_g1$d[[1]][[2]]
  expect_s3_class(tree, "sklearn.tree._classes.DecisionTreeRegressor")
  expect_identical(tree$get_params()$max_depth, 2L)
  expect_true(reticulate::py_has_attr(tree, "tree_"))
  model$fit_local(n_jobs = 1)
  expect_identical(model$coef, coef)
  expect_null(model$models)
  expect_named(model$predictions, c("ml_g0", "ml_g1", "ml_m"))
  expect_error(model$fit_local(store_models = NA), "store_models")
})

# The Python model a user writes for the same data, seed and parameters.
python_plr_coef <- function(model, params_py) {
  main <- reticulate::import_main()
  main$data <- model$data$py
  py_eval(model, sprintf("
import numpy as np
from sklearn.tree import DecisionTreeRegressor
from pydmlserverless import DoubleMLPLRServerless
np.random.seed(%d)
py_model = DoubleMLPLRServerless(None, None, data,
    DecisionTreeRegressor(max_depth=3, min_samples_split=20, min_samples_leaf=7),
    DecisionTreeRegressor(max_depth=3, min_samples_split=20, min_samples_leaf=7), n_folds=2)
py_model.set_ml_nuisance_params('ml_l', 'd', %s)
py_model.fit_local(seed=%d, n_jobs=1, progress=False)
out = [float(py_model.coef[0]), float(py_model.se[0])]
", model$seed, params_py, model$seed))
}

test_that("set_ml_nuisance_params() translates mlr3 names and changes the fit exactly as in Python", {
  skip_if_no_pydmlserverless()
  set.seed(3)
  ml <- lrn("regr.rpart", maxdepth = 3)
  model <- DoubleMLPLRServerless$new(plr_data(), ml, ml$clone(), n_folds = 2)
  expect_identical(model$params, list(ml_l = list(d = NULL), ml_m = list(d = NULL)))
  model$fit_local(n_jobs = 1)
  before <- model$coef
  model$set_ml_nuisance_params("ml_l", "d", list(maxdepth = 2, minsplit = 10))
  expect_identical(model$params$ml_l$d, list(maxdepth = 2, minsplit = 10))
  expect_identical(model$get_params("ml_l"), list(maxdepth = 2, minsplit = 10))
  expect_null(model$get_params("ml_m"))
  raw <- py_eval(model, "out = m.params['ml_l']['d'][0][1]")
  expect_identical(raw, list(max_depth = 2L, min_samples_leaf = 3L, min_samples_split = 10L)[names(raw)])
  model$fit_local(n_jobs = 1)
  expect_false(identical(model$coef, before))
  py <- python_plr_coef(model, "{'max_depth': 2, 'min_samples_split': 10, 'min_samples_leaf': 3}")
  expect_identical(unname(c(model$coef, model$se)), unlist(py))

  # fold-specific, n_rep x n_folds; they replace the parameters set before (DoubleML-R's), where
  # DoubleML (Python) would merge them: minsplit = 10 no longer applies
  model$set_ml_nuisance_params("ml_l", "d", list(list(list(maxdepth = 1), list(maxdepth = 4))), set_fold_specific = TRUE)
  expect_identical(model$params$ml_l$d[[1]][[2]], list(maxdepth = 4))
  expect_identical(model$get_params("ml_l"), list(list(maxdepth = 1), list(maxdepth = 4)))
  model$fit_local(n_jobs = 1)
  py <- python_plr_coef(model, "[[{'max_depth': 1}, {'max_depth': 4}]]")
  expect_identical(unname(c(model$coef, model$se)), unlist(py))

  # DoubleML-R's checks and messages
  expect_error(model$set_ml_nuisance_params("ml_x", "d", list()), "Must be element of set")
  expect_error(model$set_ml_nuisance_params("ml_l", "nope", list()), "Must be element of set")
  expect_error(model$set_ml_nuisance_params("ml_l", "d", list(list(list())), set_fold_specific = TRUE),
               "Length of (inner) parameter list does not match n_folds.", fixed = TRUE)
  expect_error(model$set_ml_nuisance_params("ml_l", "d", list(), set_fold_specific = TRUE),
               "Length of (outer) parameter list does not match n_rep.", fixed = TRUE)
  expect_error(model$set_ml_nuisance_params("ml_l", "d", list(depth = 2)),
               class = "dmls_LearnerError", regexp = "unsupported parameter\\(s\\) 'depth'")
  expect_warning(model$set_ml_nuisance_params("ml_g", "d", list(maxdepth = 5)), "Learner ml_g was renamed to ml_l")
  expect_identical(model$params$ml_l$d, list(maxdepth = 5))
})

test_that("set_ml_nuisance_params() takes scikit-learn names for a scikit-learn estimator", {
  skip_if_no_pydmlserverless()
  tree <- reticulate::import("sklearn.tree")
  set.seed(4)
  model <- DoubleMLPLRServerless$new(plr_data(), tree$DecisionTreeRegressor(max_depth = 3L), lrn("regr.lm"), n_folds = 2)
  model$set_ml_nuisance_params("ml_l", "d", list(max_depth = 1L, min_samples_leaf = 5))
  raw <- py_eval(model, "out = m.params['ml_l']['d'][0][0]")
  expect_identical(raw, list(max_depth = 1L, min_samples_leaf = 5L)[names(raw)])
  expect_error(model$set_ml_nuisance_params("ml_l", "d", list(maxdepth = 1)), class = "dmls_LearnerError", "unknown parameter")
})

test_that("set_sample_splitting() and split_samples() update n_folds, n_rep, smpls and print()", {
  skip_if_no_pydmlserverless()
  set.seed(5)
  model <- DoubleMLPLRServerless$new(plr_data(), lrn("regr.lm"), lrn("regr.lm"), n_folds = 5)
  model$set_ml_nuisance_params("ml_l", "d", list())
  smpls <- list(
    list(train_ids = list(1:100, 101:200), test_ids = list(101:200, 1:100)),
    list(train_ids = list(seq(1, 200, 2), seq(2, 200, 2)), test_ids = list(seq(2, 200, 2), seq(1, 200, 2)))
  )
  model$set_sample_splitting(smpls)
  expect_identical(c(model$n_folds, model$n_rep), c(2L, 2L))
  expect_identical(model$smpls, lapply(smpls, function(s) lapply(s, function(f) lapply(f, as.integer))))
  expect_output(print(model), "No. folds: 2\nNo. repeated sample splits: 2\n", fixed = TRUE)
  expect_identical(model$params$ml_l$d, list()) # kept, as DoubleML-R keeps them
  model$fit_local(n_jobs = 1)
  expect_identical(dim(model$psi_a), c(200L, 2L, 1L))
  py <- py_eval(model, "out = [[(tr + 1).tolist() for tr, _ in rep] for rep in m.smpls]")
  expect_identical(lapply(py, function(rep) lapply(rep, as.integer)), lapply(model$smpls, `[[`, "train_ids"))
  # one repetition given without the outer list, as DoubleML-R allows
  model$set_sample_splitting(smpls[[1]])
  expect_identical(c(model$n_folds, model$n_rep), c(2L, 1L))
  expect_true(all(is.na(model$coef))) # the fit no longer applies
  expect_error(model$set_sample_splitting(list(list(train_ids = list(1:100), test_ids = list(101:200)))),
               class = "dmls_InvalidInputError", regexp = "without cross-fitting")
  expect_error(model$set_sample_splitting(list(smpls[[1]], list(train_ids = list(1:200), test_ids = list(1:200)))),
               "Different number of folds for repeated cross-fitting.")
  expect_error(model$set_sample_splitting(list(list(train_ids = list(1:100, 101:300), test_ids = list(101:200, 1:100)))),
               "is not <= 200")

  set.seed(6)
  model$split_samples()
  first <- model$smpls
  expect_identical(model$n_folds, 2L)
  set.seed(6)
  model$split_samples()
  expect_identical(model$smpls, first)
  expect_identical(lengths(first[[1]]$test_ids), c(100L, 100L))

  unsplit <- DoubleMLPLRServerless$new(plr_data(), lrn("regr.lm"), lrn("regr.lm"), n_folds = 4,
                                       draw_sample_splitting = FALSE)
  expect_false(unsplit$draw_sample_splitting)
  expect_null(unsplit$smpls)
  unsplit$split_samples()
  expect_length(unsplit$smpls[[1]]$train_ids, 4)
})

test_that("two-way cluster data: n_folds and print() as DoubleML-R's, smpls_cluster per fold and cluster variable", {
  skip_if_no_pydmlserverless()
  df <- sim_plr(n = 200)
  df$c1 <- rep(1:10, 20)
  df$c2 <- rep(1:8, 25)
  data <- DoubleMLData$new(df, y_col = "y", d_cols = "d", x_cols = paste0("X", 1:4), cluster_cols = c("c1", "c2"))
  set.seed(7)
  model <- DoubleMLPLRServerless$new(data, lrn("regr.lm"), lrn("regr.lm"), n_folds = 2)
  expect_identical(model$n_folds, 4L)
  expect_output(print(model), "No. folds per cluster: 2\nNo. folds: 4\nNo. repeated sample splits: 1\n", fixed = TRUE)
  expect_length(model$smpls[[1]]$train_ids, 4)
  sc <- model$smpls_cluster
  expect_length(sc, 1)
  expect_named(sc[[1]], c("train_ids", "test_ids"))
  expect_length(sc[[1]]$test_ids, 4)
  expect_length(sc[[1]]$test_ids[[1]], 2) # one set of clusters per cluster variable
  fold1 <- sc[[1]]$test_ids[[1]]
  expect_identical(model$smpls[[1]]$test_ids[[1]], which(df$c1 %in% fold1[[1]] & df$c2 %in% fold1[[2]]))
  expect_error(model$set_sample_splitting(model$smpls),
               "Externally setting the sample splitting for DoubleML is not yet implemented with clustering.", fixed = TRUE)
  expect_null(DoubleMLPLRServerless$new(plr_data(), lrn("regr.lm"), lrn("regr.lm"))$smpls_cluster)
})

test_that("DoubleML-R's constructor arguments: refused where DoubleML (Python) cannot, kept as fields", {
  skip_if_no_pydmlserverless()
  plr <- plr_data()
  iv <- DoubleMLData$new(sim_iv(), y_col = "y", d_cols = "d", z_cols = "z")
  ml <- lrn("regr.lm")
  expect_error(DoubleMLPLRServerless$new(plr, ml, ml, apply_cross_fitting = FALSE),
               class = "dmls_InvalidInputError", regexp = "always cross-fits")
  expect_error(DoubleMLPLRServerless$new(plr, ml, ml, n_folds = 1), class = "dmls_InvalidInputError", regexp = "n_folds = 1")
  expect_error(DoubleMLPLRServerless$new(plr, ml, ml, dml_procedure = "dml1"), class = "dmls_InvalidInputError", regexp = "dml2")
  expect_error(DoubleMLPLRServerless$new(plr, ml, ml, score = function(...) NULL), regexp = "callable score")
  expect_error(DoubleMLPLIVServerless$new(iv, ml, ml, ml, partialZ = TRUE), class = "dmls_InvalidInputError",
               regexp = "Estimation not implemented for DoubleMLPLIVServerless with partialX=TRUE and partialZ=TRUE")
  expect_error(DoubleMLPLIVServerless$new(iv, ml, ml, ml, partialX = FALSE, partialZ = TRUE),
               regexp = "partialX=FALSE and partialZ=TRUE", fixed = TRUE)
  pliv <- DoubleMLPLIVServerless$new(iv, ml, ml, ml, partialX = TRUE, partialZ = FALSE)
  expect_identical(c(pliv$partialX, pliv$partialZ, pliv$apply_cross_fitting, pliv$draw_sample_splitting), c(TRUE, FALSE, TRUE, TRUE))
  expect_identical(pliv$dml_procedure, "dml2")

  irm_data <- DoubleMLData$new(sim_irm(), y_col = "y", d_cols = "d")
  clf <- lrn("classif.log_reg")
  set.seed(8)
  trimmed <- DoubleMLIRMServerless$new(irm_data, ml, clf, n_folds = 2, trimming_threshold = 0.2)
  expect_identical(c(trimmed$trimming_rule, trimmed$trimming_threshold), c("truncate", "0.2"))
  expect_false(trimmed$normalize_ipw)
  trimmed$fit_local(n_jobs = 1)
  set.seed(8)
  config <- DoubleMLIRMServerless$new(irm_data, ml, clf, n_folds = 2, ps_processor_config = list(clipping_threshold = 0.2))
  config$fit_local(n_jobs = 1)
  expect_identical(config$coef, trimmed$coef)
  expect_error(DoubleMLIRMServerless$new(irm_data, ml, clf, ps_processor_config = list(nope = 1)), "ps_processor_config")

  set.seed(9)
  weighted <- DoubleMLIRMServerless$new(irm_data, ml, clf, n_folds = 2, weights = seq(0.5, 1.5, length.out = 300))
  weighted$fit_local(n_jobs = 1)
  py <- py_eval(weighted, "out = float(m.weights['weights'][-1])")
  expect_identical(py, 1.5)
  expect_length(weighted$weights, 300)
  set.seed(9)
  unweighted <- DoubleMLIRMServerless$new(irm_data, ml, clf, n_folds = 2)
  unweighted$fit_local(n_jobs = 1)
  expect_false(isTRUE(all.equal(weighted$coef, unweighted$coef)))
  expect_identical(weighted$smpls, unweighted$smpls)

  iivm <- DoubleMLIIVMServerless$new(iv, ml, clf, clf, n_folds = 2, trimming_threshold = 0.05)
  expect_identical(iivm$subgroups, list(always_takers = TRUE, never_takers = TRUE))
  expect_identical(iivm$trimming_threshold, 0.05)
  expect_identical(iivm$params_names(), c("ml_g0", "ml_g1", "ml_m", "ml_r0", "ml_r1"))
  expect_identical(iivm$learner_names(), c("ml_g", "ml_m", "ml_r"))
})

test_that("tuned parameters still show in params; set ones replace them until the next tuning", {
  skip_if_no_pydmlserverless()
  set.seed(10)
  model <- DoubleMLPLRServerless$new(plr_data(), lrn("regr.rpart"), lrn("regr.rpart"), n_folds = 2)
  model$tune_local(list(ml_l = list(maxdepth = c(1, 3)), ml_m = list(maxdepth = c(1, 3))),
                   tune_settings = list(n_folds_tune = 2), n_jobs = 1)
  tuned <- model$params$ml_m$d
  expect_named(tuned, "maxdepth")
  model$set_ml_nuisance_params("ml_l", "d", list(maxdepth = 5))
  expect_identical(model$params$ml_l$d, list(maxdepth = 5))
  expect_identical(model$params$ml_m$d, tuned)
  model$tune_local(list(ml_l = list(maxdepth = c(1, 3)), ml_m = list()), tune_settings = list(n_folds_tune = 2), n_jobs = 1)
  expect_true(model$params$ml_l$d$maxdepth %in% c(1L, 3L))
})

test_that("boot_coef and boot_t_stat are DoubleML-R's NA arrays before a bootstrap", {
  skip_if_no_pydmlserverless()
  data <- DoubleMLData$new(sim_plr(n = 100), y_col = "y", d_cols = "d")
  set.seed(41)
  model <- DoubleMLPLRServerless$new(data, lrn("regr.lm"), lrn("regr.lm"), n_folds = 2, n_rep = 2)
  expect_equal(dim(model$boot_coef), c(1L, 1000L))
  expect_true(all(is.na(model$boot_coef)) && all(is.na(model$boot_t_stat)))
  model$fit_local(n_jobs = 1)
  model$bootstrap(n_rep_boot = 10)
  expect_equal(dim(model$boot_t_stat), c(1L, 20L))
  expect_false(anyNA(model$boot_t_stat))
})
