test_that("multivariate normal draws follow mvtnorm::rmvnorm's order (row-wise standard normals)", {
  # with the identity, mvtnorm's eigen method is rnorm() filled by rows: so are DoubleML-R's draws
  a <- withr::with_seed(5, rmvnorm_eigen(4, rep(0, 3), diag(3)))
  b <- withr::with_seed(5, matrix(rnorm(12), nrow = 4, byrow = TRUE))
  expect_equal(a, b)
  sigma <- stats::toeplitz(0.7^(0:2))
  draws <- withr::with_seed(1, rmvnorm_eigen(20000, c(1, 2, 3), sigma))
  expect_equal(colMeans(draws), c(1, 2, 3), tolerance = 0.03)
  expect_equal(stats::cov(draws), sigma, tolerance = 0.03)
})

test_that("make_plr_CCDDHNR2018 has DoubleML-R's defaults, columns and return types; set.seed reproduces it", {
  expect_identical(formals(make_plr_CCDDHNR2018)$n_obs, 500)
  expect_identical(formals(make_plr_CCDDHNR2018)$dim_x, 20)
  expect_identical(formals(make_plr_CCDDHNR2018)$alpha, 0.5)
  set.seed(3141)
  df <- make_plr_CCDDHNR2018(n_obs = 100, dim_x = 5, return_type = "data.frame")
  expect_identical(dim(df), c(100L, 7L))
  expect_identical(names(df), c(paste0("X", 1:5), "y", "d"))
  expect_equal(unname(unlist(df[1, ])),
    c(0.2347153, -0.8967262, 0.2745087, 0.7903311, 0.8587248, 2.368279, 0.6538822),
    tolerance = 1e-6
  )
  set.seed(3141)
  data <- make_plr_CCDDHNR2018(n_obs = 100, dim_x = 5)
  expect_s3_class(data, "DoubleMLData")
  expect_identical(data$x_cols, paste0("X", 1:5))
  expect_equal(data$data$y, df$y)
  set.seed(3141)
  m <- make_plr_CCDDHNR2018(n_obs = 100, dim_x = 5, return_type = "matrix")
  expect_identical(names(m), c("X", "y", "d"))
  expect_identical(colnames(m$X), paste0("X", 1:5))
  expect_equal(m$d[, 1], df$d)
  skip_if_not_installed("data.table")
  set.seed(3141)
  dt <- make_plr_CCDDHNR2018(n_obs = 100, dim_x = 5, return_type = "data.table")
  expect_s3_class(dt, "data.table")
  expect_equal(dt$X3, df$X3)
})

test_that("make_irm_data, make_iivm_data and make_pliv_CHS2015 draw DoubleML-R's designs", {
  set.seed(3141)
  irm <- make_irm_data(n_obs = 100, dim_x = 5, theta = 0.5, return_type = "data.frame")
  expect_identical(names(irm), c(paste0("X", 1:5), "y", "d"))
  expect_equal(unname(unlist(irm[1, ])),
    c(-0.1894973, 0.3677949, 0.06216197, -0.591117, -0.6387806, -1.260451, 0),
    tolerance = 1e-6
  )
  expect_true(all(irm$d %in% 0:1))
  expect_equal(mean(irm$d), 0.41)

  set.seed(3141)
  iivm <- make_iivm_data(n_obs = 100, dim_x = 5, return_type = "data.frame")
  expect_identical(names(iivm), c(paste0("x", 1:5), "y", "d", "z"))
  expect_equal(unname(unlist(iivm[1, ])),
    c(1.209594, 0.1990513, -0.7694516, 0.9354829, 2.05097, 1.733473, 0, 1),
    tolerance = 1e-6
  )
  expect_identical(c(sum(iivm$d), sum(iivm$z)), c(54, 41))
  set.seed(3141)
  iivm_data <- make_iivm_data(n_obs = 100, dim_x = 5)
  expect_identical(iivm_data$z_cols, "z")
  expect_identical(iivm_data$x_cols, paste0("x", 1:5))
  set.seed(3141)
  expect_identical(colnames(make_iivm_data(n_obs = 100, dim_x = 5, return_type = "matrix")$X), paste0("X", 1:5))

  expect_identical(deparse(formals(make_pliv_CHS2015)$n_obs), "") # no default, as DoubleML-R
  set.seed(3141)
  pliv <- make_pliv_CHS2015(n_obs = 100, dim_x = 10, dim_z = 2, return_type = "data.frame")
  expect_identical(names(pliv), c(paste0("X", 1:10), "y", "d", "Z1", "Z2"))
  expect_equal(unname(unlist(pliv[1, c("X1", "y", "d", "Z1", "Z2")])),
    c(1.2031, 1.571911, 0.200275, 0.3267813, 0.1412746),
    tolerance = 1e-6
  )
  set.seed(3141)
  pliv_data <- make_pliv_CHS2015(n_obs = 100, dim_x = 10, dim_z = 2)
  expect_identical(pliv_data$z_cols, c("Z1", "Z2"))
  expect_identical(pliv_data$n_instr, 2L)
  expect_error(make_pliv_CHS2015(10, dim_x = 2, dim_z = 3), "Dimension of X should be greater than dimension of Z.")
})

test_that("make_pliv_multiway_cluster_CKMS2021 gives DoubleMLClusterData with two cluster variables", {
  set.seed(3141)
  df <- make_pliv_multiway_cluster_CKMS2021(N = 10, M = 10, dim_X = 5, return_type = "data.frame")
  expect_identical(names(df), c(paste0("X", 1:5), "Y", "D", "cluster_var_i", "cluster_var_j", "Z"))
  expect_identical(nrow(df), 100L)
  expect_equal(unname(unlist(df[1, ])),
    c(-0.1337588, -0.333532, 0.5248497, -0.5543277, 0.2774938, -1.387742, -0.8879933, 1, 1, -0.2048961),
    tolerance = 1e-6
  )
  expect_identical(df$cluster_var_i, rep(1:10, each = 10))
  expect_identical(df$cluster_var_j, rep(1:10, times = 10))
  set.seed(3141)
  data <- make_pliv_multiway_cluster_CKMS2021(N = 10, M = 10, dim_X = 5)
  expect_s3_class(data, c("DoubleMLClusterData", "DoubleMLData"))
  expect_identical(data$cluster_cols, c("cluster_var_i", "cluster_var_j"))
  expect_identical(data$n_cluster_vars, 2L)
  expect_identical(data$x_cols, paste0("X", 1:5))
  expect_identical(data$z_cols, "Z")
  expect_identical(capture.output(print(data)), c(
    "================= DoubleMLClusterData Object ==================",
    "",
    "",
    "------------------ Data summary      ------------------",
    "Outcome variable: Y",
    "Treatment variable(s): D",
    "Cluster variable(s): cluster_var_i, cluster_var_j",
    "Covariates: X1, X2, X3, X4, X5",
    "Instrument(s): Z",
    "Selection variable: ",
    "No. Observations: 100"
  ))
  set.seed(3141)
  m <- make_pliv_multiway_cluster_CKMS2021(N = 10, M = 10, dim_X = 5, return_type = "matrix")
  expect_identical(names(m), c("X", "y", "d", "cluster_vars", "z"))
})

test_that("DoubleMLClusterData takes DoubleML-R's arguments and checks the roles", {
  set.seed(2)
  df <- make_pliv_multiway_cluster_CKMS2021(N = 5, M = 4, dim_X = 3, return_type = "data.frame")
  # positional, in DoubleML-R's order: data, x_cols, y_col, d_cols, cluster_cols, z_cols
  data <- DoubleMLClusterData$new(df, NULL, "Y", "D", c("cluster_var_i", "cluster_var_j"), "Z")
  expect_identical(data$x_cols, paste0("X", 1:3))
  expect_error(DoubleMLClusterData$new(df, y_col = "Y", d_cols = "D"), "cluster_cols")
  expect_error(
    DoubleMLClusterData$new(df, y_col = "Y", d_cols = "D", x_cols = c("X1", "cluster_var_i"), cluster_cols = "cluster_var_i"),
    "set as covariate ('x_cols') and as a cluster variable", fixed = TRUE
  )
  expect_error(
    DoubleMLClusterData$new(df, y_col = "Y", d_cols = "D", cluster_cols = "Y"),
    "cannot be set as outcome variable 'y_col' and cluster variable", fixed = TRUE
  )
  expect_error(DoubleMLClusterData$new(df, y_col = "Y", d_cols = "D", cluster_cols = "Z", s_col = "X1"), "not supported")
  from_df <- double_ml_data_from_data_frame(df, y_col = "Y", d_cols = "D", z_cols = "Z", cluster_cols = "cluster_var_i")
  expect_s3_class(from_df, "DoubleMLClusterData")
  expect_identical(from_df$x_cols, c(paste0("X", 1:3), "cluster_var_j"))
})

test_that("double_ml_data_from_matrix names the columns as DoubleML-R", {
  set.seed(4)
  m <- make_plr_CCDDHNR2018(n_obs = 40, dim_x = 3, return_type = "matrix")
  data <- double_ml_data_from_matrix(X = m$X, y = m$y, d = m$d)
  expect_s3_class(data, "DoubleMLData")
  expect_identical(c(data$x_cols, data$y_col, data$d_cols), c(paste0("X", 1:3), "y", "d"))
  expect_equal(data$data$y, m$y[, 1])
  two <- double_ml_data_from_matrix(X = m$X, y = m$y[, 1], d = cbind(m$d, m$d^2), z = m$X[, 1:2])
  expect_identical(two$d_cols, c("d1", "d2"))
  expect_identical(two$z_cols, c("z1", "z2"))
  clustered <- double_ml_data_from_matrix(X = m$X, y = m$y, d = m$d, cluster_vars = cbind(rep(1:4, 10), rep(1:10, 4)))
  expect_s3_class(clustered, "DoubleMLClusterData")
  expect_identical(clustered$cluster_cols, c("cluster_var1", "cluster_var2"))
  expect_error(
    double_ml_data_from_matrix(X = m$X, y = m$y, d = m$d, data_class = "DoubleMLClusterData"),
    "a matrix of cluster variables (`cluster_vars`) must be provided", fixed = TRUE
  )
  expect_error(double_ml_data_from_matrix(X = m$X, y = m$y[1:5], d = m$d), "same number of rows")
  skip_if_not_installed("data.table")
  dt <- double_ml_data_from_matrix(X = m$X, y = m$y, d = m$d, data_class = "data.table")
  expect_s3_class(dt, "data.table")
  expect_identical(names(dt), c(paste0("X", 1:3), "y", "d"))
})

test_that("fetch_bonus is DoubleML-R's bonus data, read from the shipped file", {
  skip_if_no_pydmlserverless()
  df <- fetch_bonus(return_type = "data.frame")
  expect_identical(dim(df), c(5099L, 17L))
  x_cols <- c(
    "female", "black", "othrace", "dep1", "dep2", "q2", "q3", "q4", "q5", "q6",
    "agelt35", "agegt54", "durable", "lusd", "husd"
  )
  expect_identical(names(df), c("inuidur1", x_cols, "tg"))
  # DoubleML-R's getting-started vignette prints these first rows
  expect_equal(df$inuidur1[1:4], c(2.890372, 0, 3.295837, 2.197225), tolerance = 1e-6)
  expect_equal(df$tg[1:6], c(0, 0, 0, 1, 0, 0))
  expect_equal(unname(unlist(df[1, c("dep2", "q5", "husd")])), c(1, 1, 1))
  expect_identical(c(sum(df$tg), sum(df$dep1), sum(df$dep2)), c(1745, 572L, 835L))
  expect_identical(ncol(fetch_bonus(return_type = "data.frame", polynomial_features = TRUE)), 122L)
  data <- fetch_bonus()
  expect_identical(data$x_cols, x_cols)
  expect_identical(data$n_obs, 5099L)
  set.seed(3141)
  plr <- DoubleMLPLRServerless$new(data, lrn("regr.lm"), lrn("regr.lm"), n_folds = 3)
  plr$fit_local(n_jobs = 1)
  # the bonus lowers the log unemployment duration by about 7 % (DoubleML-R: -0.07, se 0.035)
  expect_gt(plr$coef[["tg"]], -0.11)
  expect_lt(plr$coef[["tg"]], -0.04)
  expect_gt(plr$se[["tg"]], 0.03)
  expect_lt(plr$se[["tg"]], 0.04)
})

test_that("fetch_401k is DoubleML-R's 401(k) data, with and without the instrument", {
  skip_if_no_pydmlserverless()
  skip_if_not_installed("haven")
  x_cols <- c("age", "inc", "educ", "fsize", "marr", "twoearn", "db", "pira", "hown")
  df <- fetch_401k(return_type = "data.frame")
  expect_identical(dim(df), c(9915L, 11L))
  expect_identical(names(df), c("net_tfa", x_cols, "e401"))
  expect_equal(mean(df$net_tfa), 18051.53, tolerance = 1e-6)
  iv <- fetch_401k(instrument = TRUE)
  expect_identical(iv$d_cols, "p401")
  expect_identical(iv$z_cols, "e401")
  expect_identical(iv$x_cols, x_cols)
  expect_identical(ncol(fetch_401k(return_type = "data.frame", polynomial_features = TRUE)), 277L)
})

test_that("a cluster data fit runs and prints DoubleML-R's cluster resampling", {
  skip_if_no_pydmlserverless()
  set.seed(7)
  data <- make_pliv_multiway_cluster_CKMS2021(N = 10, M = 10, dim_X = 5)
  model <- DoubleMLPLIVServerless$new(data, lrn("regr.lm"), lrn("regr.lm"), lrn("regr.lm"), n_folds = 2)
  model$fit_local(n_jobs = 1)
  expect_true(is.finite(model$coef[["D"]]) && model$se[["D"]] > 0)
  out <- capture.output(print(model))
  expect_true("Cluster variable(s): cluster_var_i, cluster_var_j" %in% out)
  expect_true("No. folds per cluster: 2" %in% out)
})
