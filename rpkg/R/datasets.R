# DoubleML-R's data helpers: the two real data sets (read from the copies pydmlserverless ships)
# and the simulated designs, drawn in R so that set.seed() reproduces them.

dataset_return_types <- c("data.table", "matrix", "data.frame", "DoubleMLData")

# A data.table, or an error saying how to get one (data.table is only suggested).
as_data_table <- function(df) {
  if (!requireNamespace("data.table", quietly = TRUE)) {
    stop(
      "return_type = \"data.table\" needs the package data.table (Debian: r-cran-data.table); ",
      "use return_type = \"data.frame\" instead.",
      call. = FALSE
    )
  }
  data.table::as.data.table(df)
}

# Multivariate normal draws exactly as mvtnorm::rmvnorm(n, mean, sigma) (its default,
# method = "eigen"), which DoubleML-R uses: the same set.seed() gives the same numbers.
rmvnorm_eigen <- function(n, mean = rep(0, nrow(sigma)), sigma) {
  ev <- eigen(sigma, symmetric = TRUE)
  r <- t(ev$vectors %*% (t(ev$vectors) * sqrt(pmax(ev$values, 0))))
  out <- matrix(stats::rnorm(n * ncol(sigma)), nrow = n, byrow = TRUE) %*% r
  sweep(out, 2, mean, "+")
}

# A plain numeric column (the .dta's variable labels and formats dropped).
strip_attributes <- function(x) {
  x <- unclass(x)
  attributes(x) <- NULL
  x
}

# A whitespace-separated table of numbers with a header row (what read.table(header = TRUE)
# reads from penn_jae.dat), with base R only: whole-number columns as integers.
read_whitespace_table <- function(path) {
  header <- scan(path, what = "", nlines = 1, quiet = TRUE)
  values <- matrix(scan(path, skip = 1, quiet = TRUE), ncol = length(header), byrow = TRUE)
  out <- lapply(seq_along(header), function(j) {
    x <- values[, j]
    if (all(x == round(x)) && all(abs(x) < .Machine$integer.max)) as.integer(x) else x
  })
  stats::setNames(as.data.frame(out), header)
}

#' Data set on financial wealth and 401(k) plan participation
#'
#' @description
#' DoubleML-R's `fetch_401k()`: the 401(k) data of the SIPP 1991 (9,915 households), as in
#' Chernozhukov et al. (2018), read from the copy this package ships (`dmls_data_file("sipp1991.dta")`,
#' read with [haven::read_dta()]), so no internet connection is needed.
#'
#' Columns: `net_tfa` (net total financial assets, the outcome), the covariates `age`, `inc`,
#' `educ`, `fsize`, `marr`, `twoearn`, `db`, `pira`, `hown` and `e401` (= 1 if the employer
#' offers a 401(k) plan, the treatment); with `instrument = TRUE` also `p401` (= 1 if the
#' individual participates), then the treatment, instrumented by `e401`.
#'
#' @param return_type (`character(1)`) \cr `"DoubleMLData"` (default, a [DoubleMLData]),
#'   `"data.frame"` or `"data.table"` (needs the package data.table).
#' @param polynomial_features (`logical(1)`) \cr If `TRUE`, the covariates are DoubleML-R's
#'   polynomial features (the replication file of Chernozhukov et al. (2018)): all pairwise
#'   interactions of polynomials of `age` (degree 6), `inc` (8), `educ` (4), `fsize` (2) and the
#'   binary covariates, named as [stats::model.matrix()] and [data.frame()] name them.
#' @param instrument (`logical(1)`) \cr If `TRUE`, the data hold `p401` and `e401`, and a
#'   `DoubleMLData` has `d_cols = "p401"`, `z_cols = "e401"`; if `FALSE`, `p401` is dropped and
#'   `d_cols = "e401"`.
#' @return A data object according to `return_type`.
#' @references Chernozhukov, V., Chetverikov, D., Demirer, M., Duflo, E., Hansen, C., Newey, W.
#'   and Robins, J. (2018), Double/debiased machine learning for treatment and structural
#'   parameters. The Econometrics Journal, 21: C1-C68.
#' @family datasets
#' @export
#' @examples
#' if (pydmlserverless_available() && requireNamespace("haven", quietly = TRUE)) {
#'   dml_data <- fetch_401k()
#'   dml_data
#'   dim(fetch_401k(return_type = "data.frame", instrument = TRUE))
#' }
fetch_401k <- function(return_type = "DoubleMLData", polynomial_features = FALSE,
                       instrument = FALSE) {
  checkmate::assert_choice(return_type, c("data.table", "data.frame", "DoubleMLData"))
  checkmate::assert_flag(polynomial_features)
  checkmate::assert_flag(instrument)
  if (!requireNamespace("haven", quietly = TRUE)) {
    stop("fetch_401k() reads sipp1991.dta with haven::read_dta(); install haven (Debian: r-cran-haven).",
      call. = FALSE
    )
  }
  raw <- haven::read_dta(dmls_data_file("sipp1991.dta"))
  raw <- as.data.frame(lapply(raw, strip_attributes))
  formula_x <- if (polynomial_features) {
    stats::as.formula(
      "~ -1 + (poly(age, 6, raw = TRUE) + poly(inc, 8, raw = TRUE) + poly(educ, 4, raw = TRUE) +
        poly(fsize, 2, raw = TRUE) + marr + twoearn + db + pira + hown)^2"
    )
  } else {
    ~ -1 + age + inc + educ + fsize + marr + twoearn + db + pira + hown
  }
  x <- stats::model.matrix(formula_x, raw)
  if (instrument) {
    data <- data.frame(net_tfa = raw$net_tfa, x, p401 = raw$p401, e401 = raw$e401)
    d_cols <- "p401"
    z_cols <- "e401"
  } else {
    data <- data.frame(net_tfa = raw$net_tfa, x, e401 = raw$e401)
    d_cols <- "e401"
    z_cols <- NULL
  }
  switch(return_type,
    data.frame = data,
    data.table = as_data_table(data),
    DoubleMLData = DoubleMLData$new(data, y_col = "net_tfa", d_cols = d_cols, z_cols = z_cols)
  )
}

#' Data set on the Pennsylvania Reemployment Bonus experiment
#'
#' @description
#' DoubleML-R's `fetch_bonus()`: the Pennsylvania reemployment bonus experiment as in
#' Chernozhukov et al. (2018), read from the copy this package ships
#' (`dmls_data_file("penn_jae.dat")`), so no internet connection is needed. As DoubleML-R: the
#' claimants of treatment groups 0 and 4 (5,099 rows), `tg` = 1 for group 4, `inuidur1` = the
#' log of the unemployment duration (weeks), and the number of dependents `dep` as the dummies
#' `dep1` and `dep2`.
#'
#' Columns: `inuidur1` (the outcome), the covariates `female`, `black`, `othrace`, `dep1`,
#' `dep2`, `q2`--`q6`, `agelt35`, `agegt54`, `durable`, `lusd`, `husd`, and `tg` (the
#' treatment).
#'
#' @param return_type (`character(1)`) \cr `"DoubleMLData"` (default, a [DoubleMLData]),
#'   `"data.frame"` or `"data.table"` (needs the package data.table).
#' @param polynomial_features (`logical(1)`) \cr If `TRUE`, the covariates and all their
#'   pairwise interactions (named `female.black`, ..., as [data.frame()] names
#'   `model.matrix(~ -1 + (female + ...)^2)`'s columns).
#' @return A data object according to `return_type`.
#' @references Bilias Y. (2000), Sequential Testing of Duration Data: The Case of Pennsylvania
#'   'Reemployment Bonus' Experiment. Journal of Applied Econometrics, 15(6): 575-594.
#' @family datasets
#' @export
#' @examples
#' if (pydmlserverless_available()) {
#'   df_bonus <- fetch_bonus(return_type = "data.frame")
#'   head(df_bonus)
#'   fetch_bonus()
#' }
fetch_bonus <- function(return_type = "DoubleMLData", polynomial_features = FALSE) {
  checkmate::assert_choice(return_type, c("data.table", "data.frame", "DoubleMLData"))
  checkmate::assert_flag(polynomial_features)
  raw <- read_whitespace_table(dmls_data_file("penn_jae.dat"))
  data <- raw[raw$tg == 0 | raw$tg == 4, ]
  data$tg[data$tg == 4] <- 1
  data$inuidur1 <- log(data$inuidur1)
  data$dep1 <- as.integer(data$dep == 1)
  data$dep2 <- as.integer(data$dep == 2)
  data <- data[, names(data) != "dep"]
  covariates <- "female + black + othrace + dep1 + dep2 + q2 + q3 + q4 + q5 + q6 + agelt35 + agegt54 + durable + lusd + husd"
  formula_x <- stats::as.formula(
    if (polynomial_features) paste0("~ -1 + (", covariates, ")^2") else paste("~ -1 +", covariates)
  )
  data <- data.frame(inuidur1 = data$inuidur1, stats::model.matrix(formula_x, data), tg = data$tg)
  switch(return_type,
    data.frame = data,
    data.table = as_data_table(data),
    DoubleMLData = DoubleMLData$new(data, y_col = "inuidur1", d_cols = "tg")
  )
}

# The return_type switch of the simulated designs, as DoubleML-R's (the matrix list as given).
dataset_return <- function(return_type, matrices, frame, make_data) {
  switch(return_type,
    matrix = matrices,
    data.frame = frame,
    data.table = as_data_table(frame),
    make_data(frame)
  )
}

#' Simulated data from the partially linear regression of Chernozhukov et al. (2018)
#'
#' @description
#' DoubleML-R's `make_plr_CCDDHNR2018()`, drawn with R's generator as DoubleML-R draws it
#' (`set.seed()` before the call gives DoubleML-R's numbers):
#' \deqn{d_i = m_0(x_i) + s_1 v_i, \quad y_i = \alpha d_i + g_0(x_i) + s_2 \zeta_i,}
#' with \eqn{v_i, \zeta_i \sim N(0, 1)}, \eqn{x_i \sim N(0, \Sigma)},
#' \eqn{\Sigma_{kj} = 0.7^{|j-k|}},
#' \eqn{m_0(x_i) = a_0 x_{i,1} + a_1 \frac{\exp(x_{i,3})}{1+\exp(x_{i,3})}},
#' \eqn{g_0(x_i) = b_0 \frac{\exp(x_{i,1})}{1+\exp(x_{i,1})} + b_1 x_{i,3}}, \eqn{a_0 = b_0 = 1},
#' \eqn{a_1 = b_1 = 0.25}, \eqn{s_1 = s_2 = 1}. Columns `X1`, ..., `y`, `d`.
#'
#' @param n_obs (`integer(1)`) \cr The number of observations. Default 500.
#' @param dim_x (`integer(1)`) \cr The number of covariates. Default 20.
#' @param alpha (`numeric(1)`) \cr The causal parameter. Default 0.5.
#' @param return_type (`character(1)`) \cr `"DoubleMLData"` (default), `"data.frame"`,
#'   `"data.table"` (needs data.table) or `"matrix"` (a list of matrices `X`, `y`, `d`).
#' @return A data object according to `return_type`.
#' @references Chernozhukov, V., Chetverikov, D., Demirer, M., Duflo, E., Hansen, C., Newey, W.
#'   and Robins, J. (2018), Double/debiased machine learning for treatment and structural
#'   parameters. The Econometrics Journal, 21: C1-C68.
#' @family datasets
#' @export
#' @examples
#' set.seed(3141)
#' dml_data <- make_plr_CCDDHNR2018(n_obs = 200, dim_x = 5)
#' dml_data
make_plr_CCDDHNR2018 <- function(n_obs = 500, dim_x = 20, alpha = 0.5, return_type = "DoubleMLData") {
  checkmate::assert_choice(return_type, dataset_return_types)
  checkmate::assert_count(n_obs)
  checkmate::assert_count(dim_x)
  checkmate::assert_number(alpha)
  cov_mat <- stats::toeplitz(0.7^(0:(dim_x - 1)))
  x <- rmvnorm_eigen(n_obs, rep(0, dim_x), cov_mat)
  d <- as.matrix(x[, 1] + 0.25 * (exp(x[, 3]) / (1 + exp(x[, 3]))) + stats::rnorm(n_obs))
  y <- as.matrix(alpha * d + exp(x[, 1]) / (1 + exp(x[, 1])) + 0.25 * x[, 3] + stats::rnorm(n_obs))
  colnames(x) <- paste0("X", seq_len(dim_x))
  colnames(y) <- "y"
  colnames(d) <- "d"
  dataset_return(return_type, list(X = x, y = y, d = d), data.frame(x, y, d), function(df) {
    DoubleMLData$new(df, y_col = "y", d_cols = "d")
  })
}

#' Simulated data from an interactive regression (IRM) model
#'
#' @description
#' DoubleML-R's `make_irm_data()` (after Belloni et al., 2017), drawn as DoubleML-R draws it:
#' \deqn{d_i = 1\{\frac{\exp(c_d x_i'\beta)}{1 + \exp(c_d x_i'\beta)} > v_i\}, \quad
#' y_i = \theta d_i + c_y x_i'\beta d_i + \zeta_i,}
#' with \eqn{v_i \sim U(0, 1)}, \eqn{\zeta_i \sim N(0, 1)}, \eqn{x_i \sim N(0, \Sigma)},
#' \eqn{\Sigma_{kj} = 0.5^{|j-k|}}, \eqn{\beta_j = 1/j^2},
#' \eqn{c_y = R_y^2 / ((1 - R_y^2) \beta'\Sigma\beta)} and
#' \eqn{c_d = (\pi^2/3) R_d^2 / ((1 - R_d^2) \beta'\Sigma\beta)} (DoubleML-R's code; its help
#' page writes square roots of these). Columns `X1`, ..., `y`, `d`.
#'
#' @param n_obs (`integer(1)`) \cr The number of observations. Default 500.
#' @param dim_x (`integer(1)`) \cr The number of covariates. Default 20.
#' @param theta (`numeric(1)`) \cr The causal parameter. Default 0.
#' @param R2_d,R2_y (`numeric(1)`) \cr The parameters \eqn{R_d^2} and \eqn{R_y^2}. Default 0.5.
#' @param return_type (`character(1)`) \cr `"DoubleMLData"` (default), `"data.frame"`,
#'   `"data.table"` or `"matrix"` (a list of matrices `X`, `y`, `d`).
#' @return A data object according to `return_type`.
#' @references Belloni, A., Chernozhukov, V., Fernandez-Val, I. and Hansen, C. (2017). Program
#'   Evaluation and Causal Inference With High-Dimensional Data. Econometrica, 85: 233-298.
#' @family datasets
#' @export
#' @examples
#' set.seed(3141)
#' head(make_irm_data(n_obs = 100, dim_x = 5, theta = 0.5, return_type = "data.frame"))
make_irm_data <- function(n_obs = 500, dim_x = 20, theta = 0, R2_d = 0.5, R2_y = 0.5,
                          return_type = "DoubleMLData") {
  checkmate::assert_choice(return_type, dataset_return_types)
  checkmate::assert_count(n_obs)
  checkmate::assert_count(dim_x)
  checkmate::assert_number(theta)
  checkmate::assert_number(R2_d)
  checkmate::assert_number(R2_y)
  v <- stats::runif(n_obs)
  zeta <- stats::rnorm(n_obs)
  cov_mat <- stats::toeplitz(0.5^(0:(dim_x - 1)))
  x <- rmvnorm_eigen(n_obs, rep(0, dim_x), cov_mat)
  beta <- 1 / seq_len(dim_x)^2
  b_sigma_b <- c(beta %*% cov_mat %*% beta)
  c_y <- R2_y / ((1 - R2_y) * b_sigma_b)
  c_d <- pi^2 / 3 * R2_d / ((1 - R2_d) * b_sigma_b)
  xx <- exp(x %*% (beta * c_d))
  d <- 1 * ((xx / (1 + xx)) > v)
  y <- d * theta + d * x %*% (beta * c_y) + zeta
  colnames(x) <- paste0("X", seq_len(dim_x))
  colnames(y) <- "y"
  colnames(d) <- "d"
  dataset_return(return_type, list(X = x, y = y, d = d), data.frame(x, y, d), function(df) {
    DoubleMLData$new(df, y_col = "y", d_cols = "d")
  })
}

#' Simulated data from an interactive IV regression (IIVM) model
#'
#' @description
#' DoubleML-R's `make_iivm_data()` (after Farbmacher, Gruber and Klaassen, 2020), drawn as
#' DoubleML-R draws it:
#' \deqn{d_i = 1\{\alpha_x z_i + v_i > 0\}, \quad y_i = \theta d_i + x_i'\beta + u_i,}
#' with \eqn{z_i \sim Bernoulli(0.5)}, \eqn{(u_i, v_i) \sim N(0, ((1, 0.3), (0.3, 1)))},
#' \eqn{x_i \sim N(0, \Sigma)}, \eqn{\Sigma_{kj} = 0.5^{|j-k|}}, \eqn{\beta_j = 1/j^2}.
#' Columns `x1`, ..., `y`, `d`, `z` (lower-case `x` as DoubleML-R; the `"matrix"` list's `X`
#' has columns `X1`, ...).
#'
#' @param n_obs (`integer(1)`) \cr The number of observations. Default 500.
#' @param dim_x (`integer(1)`) \cr The number of covariates. Default 20.
#' @param theta (`numeric(1)`) \cr The causal parameter. Default 1.
#' @param alpha_x (`numeric(1)`) \cr The parameter \eqn{\alpha_x}. Default 0.2.
#' @param return_type (`character(1)`) \cr `"DoubleMLData"` (default, with `z_cols = "z"`),
#'   `"data.frame"`, `"data.table"` or `"matrix"` (a list of matrices `X`, `y`, `d`, `z`).
#' @return A data object according to `return_type`.
#' @references Farbmacher, H., Guber, R. and Klaassen, S. (2020). Instrument Validity Tests with
#'   Causal Forests. MEA Discussion Paper No. 13-2020.
#' @family datasets
#' @export
#' @examples
#' set.seed(3141)
#' make_iivm_data(n_obs = 100, dim_x = 5)
make_iivm_data <- function(n_obs = 500, dim_x = 20, theta = 1, alpha_x = 0.2,
                           return_type = "DoubleMLData") {
  checkmate::assert_choice(return_type, dataset_return_types)
  checkmate::assert_count(n_obs)
  checkmate::assert_count(dim_x)
  checkmate::assert_number(theta)
  checkmate::assert_number(alpha_x)
  uv <- rmvnorm_eigen(n_obs, rep(0, 2), matrix(c(1, 0.3, 0.3, 1), 2))
  u <- uv[, 1]
  v <- uv[, 2]
  cov_mat <- stats::toeplitz(0.5^(0:(dim_x - 1)))
  x <- rmvnorm_eigen(n_obs, rep(0, dim_x), cov_mat)
  beta <- 1 / seq_len(dim_x)^2
  z <- matrix(sample(c(0, 1), size = n_obs, prob = c(0.5, 0.5), replace = TRUE))
  d <- matrix(1 * (alpha_x * z + v > 0))
  y <- d * theta + x %*% beta + u
  colnames(x) <- paste0("X", seq_len(dim_x))
  colnames(y) <- "y"
  colnames(d) <- "d"
  colnames(z) <- "z"
  matrices <- list(X = x, y = y, d = d, z = z)
  colnames(x) <- paste0("x", seq_len(dim_x))
  dataset_return(return_type, matrices, data.frame(x, y, d, z), function(df) {
    DoubleMLData$new(df, y_col = "y", d_cols = "d", x_cols = colnames(x), z_cols = "z")
  })
}

#' Simulated data from the partially linear IV model of Chernozhukov, Hansen and Spindler (2015)
#'
#' @description
#' DoubleML-R's `make_pliv_CHS2015()`, drawn as DoubleML-R draws it:
#' \deqn{z_i = \Pi x_i + \zeta_i, \quad d_i = x_i'\gamma + z_i'\delta + u_i, \quad
#' y_i = \alpha d_i + x_i'\beta + \varepsilon_i,}
#' with \eqn{(\varepsilon_i, u_i) \sim N(0, ((1, 0.6), (0.6, 1)))},
#' \eqn{\zeta_i \sim N(0, 0.25 I)}, \eqn{x_i \sim N(0, \Sigma)}, \eqn{\Sigma_{kj} = 0.5^{|j-k|}},
#' \eqn{\beta = \gamma}, \eqn{\beta_j = 1/j^2}, \eqn{\delta_j = 1/j^2} and
#' \eqn{\Pi = (I_{p_z}, 0)}. Columns `X1`, ..., `y`, `d`, `Z1`, ... (the `"matrix"` list's
#' matrices have no column names, as DoubleML-R's).
#'
#' @param n_obs (`integer(1)`) \cr The number of observations (no default, as DoubleML-R).
#' @param alpha (`numeric(1)`) \cr The causal parameter. Default 1.
#' @param dim_x (`integer(1)`) \cr The number of covariates. Default 200.
#' @param dim_z (`integer(1)`) \cr The number of instruments (at most `dim_x`). Default 150.
#' @param return_type (`character(1)`) \cr `"DoubleMLData"` (default, `z_cols` = the `Z`
#'   columns), `"data.frame"`, `"data.table"` or `"matrix"` (a list of `X`, `y`, `d`, `z`).
#' @return A data object according to `return_type`.
#' @references Chernozhukov, V., Hansen, C. and Spindler, M. (2015), Post-Selection and
#'   Post-Regularization Inference in Linear Models with Many Controls and Instruments. American
#'   Economic Review: Papers and Proceedings, 105 (5): 486-90.
#' @family datasets
#' @export
#' @examples
#' set.seed(3141)
#' make_pliv_CHS2015(n_obs = 100, dim_x = 10, dim_z = 2)
make_pliv_CHS2015 <- function(n_obs, alpha = 1, dim_x = 200, dim_z = 150, return_type = "DoubleMLData") {
  checkmate::assert_choice(return_type, dataset_return_types)
  checkmate::assert_count(n_obs)
  checkmate::assert_count(dim_x)
  checkmate::assert_count(dim_z)
  checkmate::assert_number(alpha)
  if (dim_x < dim_z) stop("Dimension of X should be greater than dimension of Z.")
  e_u <- rmvnorm_eigen(n_obs, rep(0, 2), matrix(c(1, 0.6, 0.6, 1), 2))
  epsilon <- e_u[, 1]
  u <- e_u[, 2]
  x <- rmvnorm_eigen(n_obs, rep(0, dim_x), stats::toeplitz(0.5^(0:(dim_x - 1))))
  xi <- rmvnorm_eigen(n_obs, rep(0, dim_z), 0.25 * diag(1, dim_z))
  beta <- 1 / seq_len(dim_x)^2
  delta <- 1 / seq_len(dim_z)^2
  pi_mat <- cbind(diag(1, dim_z), matrix(0, nrow = dim_z, ncol = dim_x - dim_z))
  z <- x %*% t(pi_mat) + xi
  d <- x %*% beta + z %*% delta + u
  y <- alpha * d + x %*% beta + epsilon
  matrices <- list(X = x, y = y, d = d, z = z)
  colnames(x) <- paste0("X", seq_len(dim_x))
  colnames(z) <- paste0("Z", seq_len(dim_z))
  colnames(y) <- "y"
  colnames(d) <- "d"
  dataset_return(return_type, matrices, data.frame(x, y, d, z), function(df) {
    DoubleMLData$new(df, y_col = "y", d_cols = "d", x_cols = colnames(x), z_cols = colnames(z))
  })
}

#' Simulated data from the partially linear IV model with two-way clusters of Chiang et al. (2021)
#'
#' @description
#' DoubleML-R's `make_pliv_multiway_cluster_CKMS2021()`, drawn as DoubleML-R draws it: `N x M`
#' observations indexed by the clusters \eqn{i = 1..N} and \eqn{j = 1..M},
#' \deqn{Z_{ij} = X_{ij}'\xi_0 + V_{ij}, \quad D_{ij} = Z_{ij}\pi_{10} + X_{ij}'\pi_{20} + v_{ij},
#' \quad Y_{ij} = D_{ij}\theta + X_{ij}'\zeta_0 + \varepsilon_{ij},}
#' each of \eqn{X, \varepsilon, v, V} being \eqn{(1 - \omega_1 - \omega_2) \alpha_{ij} +
#' \omega_1 \alpha_i + \omega_2 \alpha_j} with normal components: \eqn{\alpha^X \sim N(0,
#' \Sigma)}, \eqn{\Sigma_{kj} = s_X^{|j-k|}}; \eqn{(\alpha^\varepsilon, \alpha^v)} normal with
#' unit variances and correlation \eqn{s_{\varepsilon v}}; \eqn{\alpha^V \sim N(0, 1)}.
#' Columns `X1`, ..., `Y`, `D`, `cluster_var_i`, `cluster_var_j`, `Z`.
#'
#' @param N (`integer(1)`) \cr The number of clusters of the first dimension. Default 25.
#' @param M (`integer(1)`) \cr The number of clusters of the second dimension. Default 25.
#' @param dim_X (`integer(1)`) \cr The number of covariates. Default 100.
#' @param theta (`numeric(1)`) \cr The causal parameter. Default 1.
#' @param return_type (`character(1)`) \cr `"DoubleMLClusterData"` (default, a
#'   [DoubleMLClusterData]), `"data.frame"`, `"data.table"` or `"matrix"` (a list of `X`, `y`,
#'   `d`, `cluster_vars` (a data.frame, as DoubleML-R's) and `z`).
#' @param ... Non-default values of `pi_10` (1), `omega_X`, `omega_epsilon`, `omega_v`,
#'   `omega_V` (each `c(0.25, 0.25)`), `s_X`, `s_epsilon_v` (0.25) and the `dim_X`-vectors
#'   `zeta_0`, `pi_20`, `xi_0` (entries \eqn{0.5^j}).
#' @return A data object according to `return_type`.
#' @references Chiang, H. D., Kato K., Ma, Y. and Sasaki, Y. (2021), Multiway Cluster Robust
#'   Double/Debiased Machine Learning, Journal of Business & Economic Statistics.
#' @family datasets
#' @export
#' @examples
#' set.seed(3141)
#' make_pliv_multiway_cluster_CKMS2021(N = 10, M = 10, dim_X = 5)
make_pliv_multiway_cluster_CKMS2021 <- function(N = 25, M = 25, dim_X = 100, theta = 1,
                                                return_type = "DoubleMLClusterData", ...) {
  checkmate::assert_choice(return_type, c("data.table", "matrix", "data.frame", "DoubleMLClusterData"))
  checkmate::assert_count(N, positive = TRUE)
  checkmate::assert_count(M, positive = TRUE)
  checkmate::assert_count(dim_X, positive = TRUE)
  checkmate::assert_number(theta)
  kwargs <- list(...)
  arg <- function(name, default) if (name %in% names(kwargs)) kwargs[[name]] else default
  pi_10 <- arg("pi_10", 1)
  zeta_0 <- arg("zeta_0", 0.5^seq_len(dim_X))
  pi_20 <- arg("pi_20", 0.5^seq_len(dim_X))
  xi_0 <- arg("xi_0", 0.5^seq_len(dim_X))
  omega_X <- arg("omega_X", c(0.25, 0.25))
  omega_epsilon <- arg("omega_epsilon", c(0.25, 0.25))
  omega_v <- arg("omega_v", c(0.25, 0.25))
  omega_V <- arg("omega_V", c(0.25, 0.25))
  s_X <- arg("s_X", 0.25)
  s_epsilon_v <- arg("s_epsilon_v", 0.25)

  # the draws in DoubleML-R's order
  alpha_V <- stats::rnorm(N * M)
  alpha_V_i <- rep(stats::rnorm(N), each = M)
  alpha_V_j <- rep(stats::rnorm(M), times = N)
  cov_ev <- matrix(c(1, s_epsilon_v, s_epsilon_v, 1), nrow = 2)
  alpha_eps_v <- rmvnorm_eigen(N * M, rep(0, 2), cov_ev)
  alpha_eps_v_i <- rmvnorm_eigen(N, rep(0, 2), cov_ev)
  alpha_eps_v_j <- rmvnorm_eigen(M, rep(0, 2), cov_ev)
  cov_x <- stats::toeplitz(s_X^(0:(dim_X - 1)))
  alpha_X <- rmvnorm_eigen(N * M, rep(0, dim_X), cov_x)
  xx_i <- rmvnorm_eigen(N, rep(0, dim_X), cov_x)
  alpha_X_i <- matrix(rep(xx_i, each = M), ncol = dim_X, byrow = FALSE)
  xx_j <- rmvnorm_eigen(M, rep(0, dim_X), cov_x)
  alpha_X_j <- matrix(rep(xx_j, each = N), ncol = dim_X, byrow = TRUE)

  mix <- function(omega, a, a_i, a_j) (1 - omega[1] - omega[2]) * a + omega[1] * a_i + omega[2] * a_j
  x <- mix(omega_X, alpha_X, alpha_X_i, alpha_X_j)
  eps <- mix(
    omega_epsilon, alpha_eps_v[, 1], rep(alpha_eps_v_i[, 1], each = M), rep(alpha_eps_v_j[, 1], times = N)
  )
  v <- mix(omega_v, alpha_eps_v[, 2], rep(alpha_eps_v_i[, 2], each = M), rep(alpha_eps_v_j[, 2], times = N))
  V <- mix(omega_V, alpha_V, alpha_V_i, alpha_V_j)
  z <- x %*% xi_0 + V
  d <- z * pi_10 + x %*% pi_20 + v
  y <- d * theta + x %*% zeta_0 + eps
  cluster_vars <- expand.grid(seq_len(M), seq_len(N))[, c(2, 1)]

  colnames(x) <- paste0("X", seq_len(dim_X))
  colnames(y) <- "Y"
  colnames(d) <- "D"
  colnames(z) <- "Z"
  colnames(cluster_vars) <- c("cluster_var_i", "cluster_var_j")
  frame <- data.frame(x, y, d, cluster_vars, z)
  dataset_return(
    return_type, list(X = x, y = y, d = d, cluster_vars = cluster_vars, z = z), frame,
    function(df) {
      DoubleMLClusterData$new(df,
        y_col = "Y", d_cols = "D", x_cols = colnames(x), z_cols = "Z",
        cluster_cols = c("cluster_var_i", "cluster_var_j")
      )
    }
  )
}
