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
