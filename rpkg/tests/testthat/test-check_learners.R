test_that("a classifier for a regression nuisance is refused before Python, with DoubleML-R's message", {
  skip_if_no_pydmlserverless()
  iv <- DoubleMLData$new(sim_iv(n = 100), y_col = "y", d_cols = "d", z_cols = "z")
  # PLIV's ml_m and ml_r are regressions in DoubleML-R, binary instrument or not
  expect_error(
    DoubleMLPLIVServerless$new(NULL, NULL, iv, lrn("regr.lm"), lrn("classif.log_reg"), lrn("regr.lm")),
    "Invalid learner provided for ml_m: 'learner$task_type' must be 'regr'", fixed = TRUE,
    class = "dmls_LearnerError"
  )
  sk <- reticulate::import("sklearn.linear_model")
  expect_error(
    DoubleMLPLIVServerless$new(NULL, NULL, iv, lrn("regr.lm"), lrn("regr.lm"), sk$LogisticRegression()),
    "Invalid learner provided for ml_r: 'learner$task_type' must be 'regr'", fixed = TRUE
  )
  plr <- DoubleMLData$new(sim_plr(n = 60), y_col = "y", d_cols = "d")
  expect_error(
    DoubleMLPLRServerless$new(NULL, NULL, plr, "classif.rpart", "regr.lm"),
    "Invalid learner provided for ml_l: 'learner$task_type' must be 'regr'", fixed = TRUE
  )
})

test_that("a classifier needs a binary target; probability nuisances need classifiers", {
  skip_if_no_pydmlserverless()
  plr <- DoubleMLData$new(sim_plr(n = 60), y_col = "y", d_cols = "d")
  expect_error(
    DoubleMLPLRServerless$new(NULL, NULL, plr, lrn("regr.lm"), lrn("classif.log_reg")),
    "Invalid learner provided for ml_m: 'learner$task_type' must be 'regr' (a classifier needs a binary target with values 0 and 1; the treatment 'd' is not)",
    fixed = TRUE
  )
  irm <- DoubleMLData$new(sim_irm(n = 60), y_col = "y", d_cols = "d")
  expect_error(
    DoubleMLIRMServerless$new(NULL, NULL, irm, lrn("classif.log_reg"), lrn("classif.log_reg")),
    "Invalid learner provided for ml_g: 'learner$task_type' must be 'regr'", fixed = TRUE
  )
  expect_error(
    DoubleMLIRMServerless$new(NULL, NULL, irm, lrn("regr.lm"), lrn("regr.lm")),
    "Invalid learner provided for ml_m: 'learner$task_type' must be 'classif'", fixed = TRUE
  )
  # allowed: a classifier for a binary treatment in a PLR, as in DoubleML-R
  sk <- reticulate::import("sklearn.linear_model")
  expect_s3_class(DoubleMLPLRServerless$new(NULL, NULL, irm, lrn("regr.lm"), sk$LogisticRegression()), "DoubleMLPLRServerless")
  expect_identical(learner_task_type(sk$LinearRegression()), "regr")
  expect_identical(learner_task_type(lrn("classif.ranger")), "classif")
})
