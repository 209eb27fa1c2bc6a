# DoubleML-R's own examples (DoubleML-R 1.0.x: its getting-started vignette and the roxygen examples
# of its model and data classes), ported the minimal way: the class names (DoubleMLPLR ->
# DoubleMLPLRServerless, ...), nothing else. library(DoubleML), library(mlr3) and
# library(mlr3learners) and mlr3's logger line are dropped: those packages are not needed (lrn()
# is this package's). DoubleML-R's positional call (data first) and $fit() are kept as they are.
# Each example runs in its own environment, to the end, and its estimate is checked for sense.

port <- function(code) {
  dropped <- "^\\s*(library\\((DoubleML|mlr3|mlr3learners|mlr3tuning)\\)|lgr::get_logger.*)\\s*$"
  lines <- strsplit(code, "\n", fixed = TRUE)[[1]]
  lines <- lines[!grepl(dropped, lines)]
  lines <- gsub("DoubleML(PLR|PLIV|IRM|IIVM)\\$new", "DoubleML\\1Serverless$new", lines)
  paste(lines, collapse = "\n")
}

run_example <- function(code) {
  env <- new.env(parent = globalenv())
  utils::capture.output(eval(parse(text = port(code)), envir = env)) # its objects are checked, not its print
  env
}

skip_if_no_python <- function() {
  skip_if_not(pydmlserverless_available(), "the Python core is not available")
}

test_that("DoubleML-R's getting-started vignette runs with the class name changed", {
  skip_if_no_python()
  env <- run_example('
library(DoubleML)
# Load bonus data
df_bonus = fetch_bonus(return_type = "data.table")
head(df_bonus)
# Simulate data
set.seed(3141)
n_obs = 500
n_vars = 100
theta = 3
X = matrix(rnorm(n_obs * n_vars), nrow = n_obs, ncol = n_vars)
d = X[, 1:3] %*% c(5, 5, 5) + rnorm(n_obs)
y = theta * d + X[, 1:3] %*% c(5, 5, 5) + rnorm(n_obs)
# Specify the data and variables for the causal model
dml_data_bonus = DoubleMLData$new(df_bonus,
  y_col = "inuidur1",
  d_cols = "tg",
  x_cols = c("female", "black", "othrace", "dep1", "dep2",
    "q2", "q3", "q4", "q5", "q6", "agelt35", "agegt54",
    "durable", "lusd", "husd"))
print(dml_data_bonus)
# matrix interface to DoubleMLData
dml_data_sim = double_ml_data_from_matrix(X = X, y = y, d = d)
dml_data_sim
library(mlr3)
library(mlr3learners)
# surpress messages from mlr3 package during fitting
lgr::get_logger("mlr3")$set_threshold("warn")
learner = lrn("regr.ranger", num.trees = 500, max.depth = 5, min.node.size = 2)
ml_l_bonus = learner$clone()
ml_m_bonus = learner$clone()
learner = lrn("regr.glmnet", lambda = sqrt(log(n_vars) / (n_obs)))
ml_l_sim = learner$clone()
ml_m_sim = learner$clone()
set.seed(3141)
obj_dml_plr_bonus = DoubleMLPLR$new(dml_data_bonus, ml_l = ml_l_bonus, ml_m = ml_m_bonus)
obj_dml_plr_bonus$fit()
print(obj_dml_plr_bonus)
obj_dml_plr_sim = DoubleMLPLR$new(dml_data_sim, ml_l = ml_l_sim, ml_m = ml_m_sim)
obj_dml_plr_sim$fit()
print(obj_dml_plr_sim)
')
  # DoubleML-R's vignette prints -0.0752 (se 0.0354) for the bonus and 3.02 (se 0.045) for the simulation
  expect_true(abs(env$obj_dml_plr_bonus$coef - -0.075) < 0.03)
  expect_true(abs(env$obj_dml_plr_sim$coef - 3) < 0.15)
  expect_equal(dim(env$df_bonus), c(5099L, 17L))
})

test_that("DoubleML-R's model examples (PLR, PLIV, IRM, IIVM) run with the class name changed", {
  skip_if_no_python()
  plr <- run_example('
library(DoubleML)
library(mlr3)
library(mlr3learners)
library(data.table)
set.seed(2)
ml_g = lrn("regr.ranger", num.trees = 10, max.depth = 2)
ml_m = ml_g$clone()
obj_dml_data = make_plr_CCDDHNR2018(alpha = 0.5)
dml_plr_obj = DoubleMLPLR$new(obj_dml_data, ml_g, ml_m)
dml_plr_obj$fit()
dml_plr_obj$summary()
')
  expect_true(abs(plr$dml_plr_obj$coef - 0.5) < 0.2)
  pliv <- run_example('
library(DoubleML)
library(mlr3)
library(mlr3learners)
library(data.table)
set.seed(2)
ml_l = lrn("regr.ranger", num.trees = 100, mtry = 20, min.node.size = 2, max.depth = 5)
ml_m = ml_l$clone()
ml_r = ml_l$clone()
obj_dml_data = make_pliv_CHS2015(alpha = 1, n_obs = 500, dim_x = 20, dim_z = 1)
dml_pliv_obj = DoubleMLPLIV$new(obj_dml_data, ml_l, ml_m, ml_r)
dml_pliv_obj$fit()
dml_pliv_obj$summary()
')
  expect_true(abs(pliv$dml_pliv_obj$coef - 1) < 0.3)
  irm <- run_example('
library(DoubleML)
library(mlr3)
library(mlr3learners)
library(data.table)
set.seed(2)
ml_g = lrn("regr.ranger",
  num.trees = 100, mtry = 20,
  min.node.size = 2, max.depth = 5)
ml_m = lrn("classif.ranger",
  num.trees = 100, mtry = 20,
  min.node.size = 2, max.depth = 5)
obj_dml_data = make_irm_data(theta = 0.5)
dml_irm_obj = DoubleMLIRM$new(obj_dml_data, ml_g, ml_m)
dml_irm_obj$fit()
dml_irm_obj$summary()
')
  expect_true(abs(irm$dml_irm_obj$coef - 0.5) < 0.5)
  iivm <- run_example('
library(DoubleML)
library(mlr3)
library(mlr3learners)
library(data.table)
set.seed(2)
ml_g = lrn("regr.ranger",
  num.trees = 100, mtry = 20,
  min.node.size = 2, max.depth = 5)
ml_m = lrn("classif.ranger",
  num.trees = 100, mtry = 20,
  min.node.size = 2, max.depth = 5)
ml_r = ml_m$clone()
obj_dml_data = make_iivm_data(
  theta = 0.5, n_obs = 1000,
  alpha_x = 1, dim_x = 20)
dml_iivm_obj = DoubleMLIIVM$new(obj_dml_data, ml_g, ml_m, ml_r)
dml_iivm_obj$fit()
dml_iivm_obj$summary()
')
  expect_true(abs(iivm$dml_iivm_obj$coef - 0.5) < 0.5)
})

test_that("DoubleML-R's data-class examples run unchanged", {
  skip_if_no_python()
  data <- run_example('
library(DoubleML)
df = make_plr_CCDDHNR2018(return_type = "data.table")
obj_dml_data = DoubleMLData$new(df,
  y_col = "y",
  d_cols = "d")
')
  expect_equal(data$obj_dml_data$n_obs, 500L)
  cluster <- run_example('
library(DoubleML)
dt = make_pliv_multiway_cluster_CKMS2021(return_type = "data.table")
obj_dml_data = DoubleMLClusterData$new(dt,
  y_col = "Y",
  d_cols = "D",
  z_cols = "Z",
  cluster_cols = c("cluster_var_i", "cluster_var_j"))
')
  expect_s3_class(cluster$obj_dml_data, "DoubleMLClusterData")
  frame <- run_example('
df = make_plr_CCDDHNR2018(return_type = "data.frame")
x_names = names(df)[grepl("X", names(df))]
obj_dml_data = double_ml_data_from_data_frame(
  df = df, x_cols = x_names,
  y_col = "y", d_cols = "d")
')
  expect_equal(length(frame$obj_dml_data$x_cols), 20L)
  matrix_data <- run_example('
matrix_list = make_plr_CCDDHNR2018(return_type = "matrix")
obj_dml_data = double_ml_data_from_matrix(
  X = matrix_list$X,
  y = matrix_list$y,
  d = matrix_list$d)
')
  expect_equal(matrix_data$obj_dml_data$n_obs, 500L)
  bonus <- run_example('
library(DoubleML)
df_bonus = fetch_bonus(return_type = "data.table")
obj_dml_data_bonus = DoubleMLData$new(df_bonus,
  y_col = "inuidur1",
  d_cols = "tg",
  x_cols = c(
    "female", "black", "othrace", "dep1", "dep2",
    "q2", "q3", "q4", "q5", "q6", "agelt35", "agegt54",
    "durable", "lusd", "husd"
  )
)
obj_dml_data_bonus
')
  expect_equal(bonus$obj_dml_data_bonus$n_obs, 5099L)
})

test_that("DoubleML-R's tune examples (PLR, IRM) run with paradox's ranges given as dmls_ ranges", {
  skip_if_no_python()
  # paradox and mlr3tuning are not installed: their objects are the one further edit,
  # paradox::ps(cp = paradox::p_dbl(...)) -> list(cp = dmls_dbl(...)), trm()/tnr() -> plain values
  to_plain <- function(code) {
    code <- gsub("paradox::ps\\(", "list(", code)
    code <- gsub("paradox::p_dbl\\(", "dmls_dbl(", code)
    code <- gsub("paradox::p_int\\(", "dmls_int(", code)
    code <- gsub('mlr3tuning::trm\\("evals", n_evals = ([0-9]+)\\)', "list(n_evals = \\1)", code)
    gsub('mlr3tuning::tnr\\("grid_search", resolution = ([0-9]+)\\)', '"grid_search", resolution = \\1', code)
  }
  plr <- run_example(to_plain('
library(DoubleML)
library(mlr3)
library(mlr3learners)
library(mlr3tuning)
library(data.table)
set.seed(2)
ml_l = lrn("regr.rpart")
ml_m = ml_l$clone()
obj_dml_data = make_plr_CCDDHNR2018(alpha = 0.5)
dml_plr_obj = DoubleMLPLR$new(obj_dml_data, ml_l, ml_m)

param_grid = list(
  "ml_l" = paradox::ps(
    cp = paradox::p_dbl(lower = 0.01, upper = 0.02),
    minsplit = paradox::p_int(lower = 1, upper = 2)),
  "ml_m" = paradox::ps(
    cp = paradox::p_dbl(lower = 0.01, upper = 0.02),
    minsplit = paradox::p_int(lower = 1, upper = 2)))

# minimum requirements for tune_settings
tune_settings = list(
  terminator = mlr3tuning::trm("evals", n_evals = 5),
  algorithm = mlr3tuning::tnr("grid_search", resolution = 5))
dml_plr_obj$tune(param_set = param_grid, tune_settings = tune_settings)
dml_plr_obj$fit()
dml_plr_obj$summary()
'))
  expect_true(plr$dml_plr_obj$params$ml_l$d$cp >= 0.01 && plr$dml_plr_obj$params$ml_l$d$cp <= 0.02)
  expect_true(abs(plr$dml_plr_obj$coef - 0.5) < 0.3)
  irm <- run_example(to_plain('
library(DoubleML)
library(mlr3)
library(mlr3learners)
library(mlr3tuning)
library(data.table)
set.seed(2)
ml_g = lrn("regr.rpart")
ml_m = lrn("classif.rpart")
obj_dml_data = make_irm_data(theta = 0.5)
dml_irm_obj = DoubleMLIRM$new(obj_dml_data, ml_g, ml_m)

param_grid = list(
  "ml_g" = paradox::ps(
    cp = paradox::p_dbl(lower = 0.01, upper = 0.02),
    minsplit = paradox::p_int(lower = 1, upper = 2)),
  "ml_m" = paradox::ps(
    cp = paradox::p_dbl(lower = 0.01, upper = 0.02),
    minsplit = paradox::p_int(lower = 1, upper = 2)))

# minimum requirements for tune_settings
tune_settings = list(
  terminator = mlr3tuning::trm("evals", n_evals = 5),
  algorithm = mlr3tuning::tnr("grid_search", resolution = 5))
dml_irm_obj$tune(param_set = param_grid, tune_settings = tune_settings)
dml_irm_obj$fit()
dml_irm_obj$summary()
'))
  expect_false(is.null(irm$dml_irm_obj$params$ml_g0$d)) # IRM tunes ml_g0 and ml_g1 (DoubleML-R's names)
  expect_true(is.finite(irm$dml_irm_obj$coef))
})
