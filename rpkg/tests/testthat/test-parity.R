# R and the Python core, given the same data and the seed R drew, give identical estimates.

python_irm_401k <- function(path, x_cols, k) {
  # What a Python user writes: pandas reads the .dta, sklearn learners as lrn() translates them.
  main <- reticulate::py_run_string(sprintf("
import numpy as np, pandas as pd, doubleml as dml
from sklearn.ensemble import RandomForestRegressor, RandomForestClassifier
from pydmlserverless import DoubleMLIRMServerless
df = pd.read_stata(%s)
data = dml.DoubleMLData(df, 'net_tfa', 'e401', x_cols=%s)
np.random.seed(%d)
model = DoubleMLIRMServerless(None, None, data,
    RandomForestRegressor(n_estimators=30, max_depth=6, max_features='sqrt', min_samples_split=6),
    RandomForestClassifier(n_estimators=30, max_depth=6, max_features='sqrt', min_samples_split=11),
    n_folds=3)
model.fit_local(seed=%d, n_jobs=2, progress=False)
parity_result = [float(model.coef[0]), float(model.se[0])]
", encodeString(path, quote = "'"), jsonlite::toJSON(x_cols), k, k))
  unlist(main$parity_result)
}

test_that("sipp1991.dta read with haven gives the Python core's IRM estimate on the same seed", {
  skip_if_no_pydmlserverless()
  skip_if_not_installed("haven")
  skip_if_not_installed("jsonlite")
  path <- dmls_data_file("sipp1991.dta")
  df <- haven::read_dta(path)
  x_cols <- c("age", "inc", "educ", "fsize", "marr", "twoearn", "db", "pira", "hown")
  data <- DoubleMLData$new(df, x_cols = x_cols, y_col = "net_tfa", d_cols = "e401")
  set.seed(2024)
  model <- DoubleMLIRMServerless$new(NULL, NULL, data,
    ml_g = lrn("regr.ranger", num.trees = 30, max.depth = 6),
    ml_m = lrn("classif.ranger", num.trees = 30, max.depth = 6), n_folds = 3
  )
  model$fit_local(n_jobs = 2)
  expect_identical(unname(c(model$coef, model$se)), python_irm_401k(path, x_cols, model$seed))
})

test_that("a potential quantile from R equals the Python core's on the same seed, each fold's fits tasks", {
  skip_if_no_pydmlserverless()
  set.seed(7)
  n <- 300
  x <- matrix(rnorm(n * 3), n, dimnames = list(NULL, paste0("x", 1:3)))
  d <- rbinom(n, 1, plogis(x[, 1]))
  df <- data.frame(y = d + x[, 2] + rnorm(n), d = d, x)
  data <- DoubleMLData$new(df, y_col = "y", d_cols = "d")
  set.seed(8)
  model <- DoubleMLPQServerless$new(NULL, NULL, data,
    ml_g = lrn("classif.log_reg"), ml_m = lrn("classif.log_reg"), treatment = 0, quantile = 0.4, n_folds = 3,
    ps_processor_config = list(clipping_threshold = 0.02)
  )
  expect_identical(c(model$treatment, model$quantile), c(0, 0.4))
  model$fit_local(n_jobs = 2)
  reticulate::py_set_attr(reticulate::import_main(), "r_data", data$py)
  main <- reticulate::py_run_string(sprintf("
import numpy as np
from doubleml.utils import PSProcessorConfig
from pydmlserverless import DoubleMLPQServerless
from pydmlserverless.r.mlr3_learners import make_learner
np.random.seed(%d)
log_reg = make_learner('classif.log_reg', {})  # lrn('classif.log_reg') as R translates it
model = DoubleMLPQServerless(None, None, r_data, log_reg, log_reg, treatment=0,
                             quantile=0.4, n_folds=3, ps_processor_config=PSProcessorConfig(clipping_threshold=0.02))
model.fit_local(seed=%d, n_jobs=2, progress=False)
pq_result = [float(model.coef[0]), float(model.se[0]), model.fit_report.n_tasks]
", model$seed, model$seed))
  py <- unlist(main$pq_result)
  expect_identical(unname(c(model$coef, model$se)), py[1:2])
  # 3 folds x (3 preliminary folds + the refit) of ml_m, then ml_g on 3 second halves (or resumed)
  expect_true(grepl("^Fit on local", model$fit_report))
  expect_error(DoubleMLPQServerless$new(NULL, NULL, data, lrn("regr.lm"), lrn("classif.log_reg")), "ml_g")
})

test_that("a conditional value at risk from R equals the Python core's on the same seed", {
  skip_if_no_pydmlserverless()
  set.seed(9)
  n <- 300
  x <- matrix(rnorm(n * 3), n, dimnames = list(NULL, paste0("x", 1:3)))
  d <- rbinom(n, 1, plogis(x[, 1]))
  df <- data.frame(y = d + x[, 2] + rnorm(n), d = d, x)
  data <- DoubleMLData$new(df, y_col = "y", d_cols = "d")
  set.seed(10)
  model <- DoubleMLCVARServerless$new(NULL, NULL, data,
    ml_g = lrn("regr.lm"), ml_m = lrn("classif.log_reg"), treatment = 1, quantile = 0.7, n_folds = 3
  )
  model$fit_local(n_jobs = 2)
  reticulate::py_set_attr(reticulate::import_main(), "r_data", data$py)
  main <- reticulate::py_run_string(sprintf("
import numpy as np
from pydmlserverless import DoubleMLCVARServerless
from pydmlserverless.r.mlr3_learners import make_learner
np.random.seed(%d)
model = DoubleMLCVARServerless(None, None, r_data, make_learner('regr.lm', {}), make_learner('classif.log_reg', {}),
                               treatment=1, quantile=0.7, n_folds=3)
model.fit_local(seed=%d, n_jobs=2, progress=False)
cvar_result = [float(model.coef[0]), float(model.se[0])]
", model$seed, model$seed))
  expect_identical(unname(c(model$coef, model$se)), unlist(main$cvar_result))
  expect_error(DoubleMLCVARServerless$new(NULL, NULL, data, lrn("classif.log_reg"), lrn("classif.log_reg")), "ml_g")
})

test_that("a logistic partially linear model from R equals the Python core's on the same seed, every fit a task", {
  skip_if_no_pydmlserverless()
  set.seed(11)
  n <- 300
  x <- matrix(rnorm(n * 3), n, dimnames = list(NULL, paste0("x", 1:3)))
  d <- x[, 1] + rnorm(n)
  df <- data.frame(y = rbinom(n, 1, plogis(0.5 * d + x[, 2])), d = d, x)
  data <- DoubleMLData$new(df, y_col = "y", d_cols = "d")
  set.seed(12)
  model <- DoubleMLLPLRServerless$new(NULL, NULL, data,
    ml_M = lrn("classif.log_reg"), ml_t = lrn("regr.lm"), ml_m = lrn("regr.lm"), n_folds = 3, n_folds_inner = 3,
    score = "instrument"
  )
  expect_identical(model$n_folds_inner, 3L)
  model$fit_local(n_jobs = 2)
  reticulate::py_set_attr(reticulate::import_main(), "r_data", data$py)
  main <- reticulate::py_run_string(sprintf("
import numpy as np
from pydmlserverless import DoubleMLLPLRServerless
from pydmlserverless.r.mlr3_learners import make_learner
np.random.seed(%d)
lm = make_learner('regr.lm', {})
model = DoubleMLLPLRServerless(None, None, r_data, make_learner('classif.log_reg', {}), lm, lm, n_folds=3,
                               n_folds_inner=3, score='instrument')
model.fit_local(seed=%d, n_jobs=2, progress=False)
lplr_result = [float(model.coef[0]), float(model.se[0])]
", model$seed, model$seed))
  expect_identical(unname(c(model$coef, model$se)), unlist(main$lplr_result))
  expect_error(DoubleMLLPLRServerless$new(NULL, NULL, data, lrn("regr.lm"), lrn("regr.lm"), lrn("regr.lm")), "ml_M")
})
