test_that("lrn() checks ids and parameter names and coerces integers", {
  l <- lrn("regr.ranger", num.trees = 100, mtry = 2, min.node.size = 3)
  expect_s3_class(l, "dmls_learner")
  expect_identical(l$params$num.trees, 100L)
  expect_identical(l$task_type, "regr")
  expect_error(lrn("regr.nope"), class = "dmls_LearnerError", regexp = "Unknown learner id 'regr.nope'")
  expect_error(lrn("regr.ranger", ntree = 5), class = "dmls_LearnerError", regexp = "unsupported parameter\\(s\\) 'ntree'")
  expect_error(lrn("regr.ranger", num.trees = 1.5), regexp = "num.trees must be a whole number")
  expect_error(lrn("regr.cv_glmnet", s = "lambda.1se") |> learner_spec(), regexp = "lambda.min")
  expect_output(print(l), "regr.ranger -> sklearn.ensemble.RandomForestRegressor")
  expect_true(all(c("regr.ranger", "classif.log_reg", "regr.xgboost") %in% dmls_learners()$id))
})

test_that("the documented translations give these scikit-learn parameters", {
  spec <- learner_spec(lrn("regr.ranger", num.trees = 100, mtry = 3, min.node.size = 2, max.depth = 4,
                           sample.fraction = 0.5, seed = 9))
  expect_equal(spec$`__estimator__`, "sklearn.ensemble.RandomForestRegressor")
  expect_equal(spec$params, list(
    n_estimators = 100L, max_features = 3L, min_samples_split = 3L, min_samples_leaf = 1L,
    max_depth = 4L, bootstrap = TRUE, max_samples = 0.5, n_jobs = 1L, random_state = 9L
  ))
  expect_equal(learner_spec(lrn("classif.ranger"))$params$min_samples_split, 11L)
  expect_equal(learner_spec(lrn("regr.ranger"))$params$max_features, "sqrt")

  cv <- learner_spec(lrn("regr.cv_glmnet", alpha = 0.5, nfolds = 5))
  expect_equal(cv$`__estimator__`, "sklearn.pipeline.Pipeline")
  model <- cv$params$steps[[2]]$`__tuple__`[[2]]
  expect_equal(model$`__estimator__`, "sklearn.linear_model.ElasticNetCV")
  expect_equal(model$params, list(l1_ratio = 0.5, cv = 5L))
  lasso <- learner_spec(lrn("regr.cv_glmnet", standardize = FALSE))
  expect_equal(lasso$`__estimator__`, "sklearn.linear_model.LassoCV")

  glmnet <- learner_spec(lrn("regr.glmnet", lambda = 0.1, alpha = 0.3))$params$steps[[2]]$`__tuple__`[[2]]
  expect_equal(glmnet$params, list(alpha = 0.1, l1_ratio = 0.3))

  clf <- learner_spec(lrn("classif.cv_glmnet"), numeric_version("1.9"))$params$steps[[2]]$`__tuple__`[[2]]
  expect_equal(clf$params$l1_ratios, list(1))
  old <- learner_spec(lrn("classif.cv_glmnet", alpha = 0.5), numeric_version("1.5"))$params$steps[[2]]$`__tuple__`[[2]]
  expect_equal(old$params$penalty, "elasticnet")

  tree <- learner_spec(lrn("regr.rpart", maxdepth = 4, cp = 0.001))
  expect_equal(tree$params, list(min_samples_split = 20L, min_samples_leaf = 7L, max_depth = 4L, ccp_alpha = 0.001))
  expect_equal(learner_spec(lrn("classif.log_reg"))$params, list(C = Inf, max_iter = 1000L))
  expect_equal(learner_spec(lrn("regr.lm"))$params, stats::setNames(list(), character()))
  xgb <- learner_spec(lrn("classif.xgboost", nrounds = 50, eta = 0.1))
  expect_equal(xgb$params[c("n_estimators", "learning_rate")], list(n_estimators = 50L, learning_rate = 0.1))
})

test_that("learners become scikit-learn estimators; reticulate estimators pass as they are", {
  skip_if_no_pydmlserverless()
  rf <- as_sklearn(lrn("regr.ranger", num.trees = 20, min.node.size = 4))
  params <- rf$get_params()
  expect_identical(params$n_estimators, 20L)
  expect_identical(params$min_samples_split, 5L)
  for (id in setdiff(dmls_learners()$id, c("regr.xgboost", "classif.xgboost"))) {
    expect_s3_class(as_sklearn(lrn(id)), "sklearn.base.BaseEstimator")
  }
  sk <- reticulate::import("sklearn.linear_model")
  lasso <- sk$LassoCV(cv = 3L)
  expect_identical(as_sklearn(lasso), lasso)
  expect_error(as_sklearn(list(1)), class = "dmls_LearnerError")
})

test_that("xgboost learners need the Python xgboost", {
  skip_if_no_pydmlserverless()
  if (reticulate::py_module_available("xgboost")) {
    expect_s3_class(as_sklearn(lrn("regr.xgboost", nrounds = 10)), "python.builtin.object")
  } else {
    expect_error(as_sklearn(lrn("regr.xgboost")), class = "dmls_LearnerError", regexp = "needs the Python package xgboost")
  }
})
