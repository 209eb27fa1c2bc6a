# The translation itself (every id, every parameter, every message) is tested in Python:
# tests/unit/test_mlr3_learners.py. Here: what crosses the bridge and what R users see.

test_that("lrn() checks ids and parameter names and coerces integers", {
  skip_if_no_pydmlserverless()
  l <- lrn("regr.ranger", num.trees = 100, mtry = 2, min.node.size = 3)
  expect_s3_class(l, "dmls_learner")
  expect_identical(unclass(l), list(
    id = "regr.ranger", task_type = "regr", params = list(num.trees = 100L, mtry = 2L, min.node.size = 3L)
  ))
  expect_identical(unclass(lrn("regr.lm")), list(id = "regr.lm", task_type = "regr", params = list()))
  expect_identical(lrn("regr.glmnet", lambda = c(0.1, 0.2), s = 0.1)$params, list(lambda = c(0.1, 0.2), s = 0.1))
  expect_identical(lrn("classif.rpart", cp = 1L)$params$cp, 1L)
  expect_error(lrn("regr.nope"), class = "dmls_LearnerError", regexp = "Unknown learner id 'regr.nope'")
  expect_error(lrn("regr.ranger", ntree = 5), class = "dmls_LearnerError", regexp = "unsupported parameter\\(s\\) 'ntree'")
  expect_error(lrn("regr.ranger", 5), class = "dmls_LearnerError", regexp = "all parameters must be named", fixed = TRUE)
  expect_error(lrn("regr.ranger", num.trees = 1.5), regexp = "num.trees must be a whole number; got 1.5.", fixed = TRUE)
  expect_error(lrn("regr.ranger", num.trees = NA), regexp = "num.trees must be a whole number; got NA.", fixed = TRUE)
  expect_error(lrn("regr.ranger", max.depth = NULL), regexp = "max.depth must be a whole number; got NULL.", fixed = TRUE)
  expect_error(lrn("regr.ranger", replace = NA), regexp = "replace must be TRUE or FALSE; got NA.", fixed = TRUE)
  expect_error(lrn("regr.cv_glmnet", s = "lambda.1se"), class = "dmls_LearnerError", regexp = "lambda.min")
  expect_error(lrn("regr.glmnet", lambda = c(0.1, 0.2)), class = "dmls_LearnerError", regexp = "give s")
  expect_output(print(l), "<LearnerRegrRanger:regr.ranger>\n* Model: -\n* Parameters: num.trees=100, mtry=2, min.node.size=3\n", fixed = TRUE)
  learners <- dmls_learners()
  expect_identical(names(learners), c("id", "task_type", "estimator"))
  expect_true(all(c("regr.ranger", "classif.log_reg", "regr.xgboost") %in% learners$id))
  expect_identical(learners$task_type[learners$id == "classif.ranger"], "classif")
})

test_that("the documented translations give these scikit-learn parameters", {
  skip_if_no_pydmlserverless()
  params <- function(learner) as_sklearn(learner)$get_params(deep = FALSE)
  model <- function(learner) as_sklearn(learner)$named_steps[["model"]]
  rf <- as_sklearn(lrn("regr.ranger", num.trees = 100, mtry = 3, min.node.size = 2, max.depth = 4,
                       sample.fraction = 0.5, seed = 9))
  expect_s3_class(rf, "sklearn.ensemble._forest.RandomForestRegressor")
  expected <- list(
    n_estimators = 100L, max_features = 3L, min_samples_split = 3L, min_samples_leaf = 1L,
    max_depth = 4L, bootstrap = TRUE, max_samples = 0.5, n_jobs = 1L, random_state = 9L
  )
  expect_identical(rf$get_params()[names(expected)], expected)
  expect_identical(params(lrn("classif.ranger"))$min_samples_split, 11L)
  expect_identical(params(lrn("regr.ranger"))$max_features, "sqrt")

  cv <- as_sklearn(lrn("regr.cv_glmnet", alpha = 0.5, nfolds = 5))
  expect_s3_class(cv, "sklearn.pipeline.Pipeline")
  expect_s3_class(cv$named_steps[["scale"]], "sklearn.preprocessing._data.StandardScaler")
  expect_s3_class(cv$named_steps[["model"]], "sklearn.linear_model._coordinate_descent.ElasticNetCV")
  expect_identical(cv$named_steps[["model"]]$get_params()[c("l1_ratio", "cv")], list(l1_ratio = 0.5, cv = 5L))
  expect_s3_class(as_sklearn(lrn("regr.cv_glmnet", standardize = FALSE)), "sklearn.linear_model._coordinate_descent.LassoCV")

  glmnet <- model(lrn("regr.glmnet", lambda = 0.1, alpha = 0.3))$get_params()
  expect_identical(glmnet[c("alpha", "l1_ratio")], list(alpha = 0.1, l1_ratio = 0.3))
  clf <- model(lrn("classif.cv_glmnet"))
  expect_identical(clf$get_params()[c("Cs", "cv", "solver", "scoring", "max_iter")],
                   list(Cs = 10L, cv = 10L, solver = "saga", scoring = "neg_log_loss", max_iter = 1000L))

  tree <- params(lrn("regr.rpart", maxdepth = 4, cp = 0.001))
  expect_identical(tree[c("min_samples_split", "min_samples_leaf", "max_depth", "ccp_alpha")],
                   list(min_samples_split = 20L, min_samples_leaf = 7L, max_depth = 4L, ccp_alpha = 0.001))
  expect_identical(params(lrn("classif.log_reg"))[c("C", "max_iter")], list(C = Inf, max_iter = 1000L))
  expect_s3_class(as_sklearn(lrn("regr.lm")), "sklearn.linear_model._base.LinearRegression")
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
  expect_s3_class(as_sklearn("regr.lm"), "sklearn.linear_model._base.LinearRegression")
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

test_that("learners have mlr3's clone(), param_set$values (read and set, checked), id and print", {
  skip_if_no_pydmlserverless()
  ml_l <- lrn("regr.ranger", num.trees = 100, max.depth = 5)
  expect_identical(ml_l$id, "regr.ranger")
  expect_identical(ml_l$task_type, "regr")
  expect_identical(ml_l$param_set$values, list(num.trees = 100L, max.depth = 5L))
  ml_m <- ml_l$clone()
  expect_identical(ml_m, ml_l)
  expect_identical(ml_l$clone(deep = TRUE), ml_l)
  ml_m$param_set$values$num.trees <- 10
  ml_m$param_set$values$mtry <- 2
  expect_identical(ml_m$param_set$values, list(num.trees = 10L, max.depth = 5L, mtry = 2L))
  expect_identical(ml_l$param_set$values, list(num.trees = 100L, max.depth = 5L)) # the original is untouched
  expect_identical(as_sklearn(ml_m)$get_params()[c("n_estimators", "max_features", "max_depth")],
                   list(n_estimators = 10L, max_features = 2L, max_depth = 5L))
  ml_m$param_set$values <- list(min.node.size = 3)
  expect_identical(ml_m$param_set$values, list(min.node.size = 3L))
  expect_identical(as_sklearn(ml_m)$get_params()$min_samples_split, 4L)
  ml_m$param_set$values$min.node.size <- NULL
  expect_identical(ml_m$param_set$values, list())
  # checked as lrn() checks
  expect_error(ml_m$param_set$values$num.trees <- 1.5, class = "dmls_LearnerError", regexp = "num.trees must be a whole number; got 1.5.")
  expect_error(ml_m$param_set$values$ntree <- 5, class = "dmls_LearnerError", regexp = "unsupported parameter\\(s\\) 'ntree'")
  expect_error(ml_m$param_set$values <- list(5), class = "dmls_LearnerError", regexp = "named list")
  expect_error(ml_m$id <- "regr.lm", class = "dmls_LearnerError", regexp = "can't set field id")
  expect_identical(ml_m$param_set$values, list())
  expect_error(ml_m$clone(deep = NA), "deep")
  expect_output(print(ml_l), paste0(
    "^<LearnerRegrRanger:regr.ranger>\n\\* Model: -\n\\* Parameters: num.trees=100, max.depth=5\n",
    "\\* Estimator: sklearn.ensemble.RandomForestRegressor"
  ))
  expect_output(print(lrn("classif.cv_glmnet", s = "lambda.min")), "<LearnerClassifCVGlmnet:classif.cv_glmnet>.*Predict Types:  \\[response\\], prob")
  expect_output(print(lrn("regr.lm")), "<LearnerRegrLM:regr.lm>\n\\* Model: -\n\\* Parameters: list\\(\\)")
  expect_output(print(lrn("classif.log_reg")$param_set), "values of classif.log_reg")
})
