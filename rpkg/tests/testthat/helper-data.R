# Small simulated data sets and the shared data folder.

sim_plr <- function(n = 200, p = 4, seed = 11) {
  withr::with_seed(seed, {
    x <- matrix(stats::rnorm(n * p), n, dimnames = list(NULL, paste0("X", seq_len(p))))
    d <- x[, 1] + stats::rnorm(n)
    data.frame(y = 0.5 * d + x[, 2] + stats::rnorm(n), d = d, x)
  })
}

sim_irm <- function(n = 300, p = 4, seed = 12) {
  withr::with_seed(seed, {
    x <- matrix(stats::rnorm(n * p), n, dimnames = list(NULL, paste0("X", seq_len(p))))
    d <- stats::rbinom(n, 1, stats::plogis(x[, 1]))
    data.frame(y = 0.5 * d + x[, 2] + stats::rnorm(n), d = d, x)
  })
}

sim_iv <- function(n = 400, p = 3, seed = 13) {
  withr::with_seed(seed, {
    x <- matrix(stats::rnorm(n * p), n, dimnames = list(NULL, paste0("X", seq_len(p))))
    z <- stats::rbinom(n, 1, 0.5)
    d <- as.numeric(stats::runif(n) < 0.2 + 0.6 * z)
    data.frame(y = 0.5 * d + x[, 1] + stats::rnorm(n), d = d, z = z, x)
  })
}

# The folder with penn_jae.dat and sipp1991.dta: PYDMLSERVERLESS_DATA_DIR, else the shared/data
# folder beside the repository (found upwards from the package sources).
shared_data_dir <- function() {
  dir <- Sys.getenv("PYDMLSERVERLESS_DATA_DIR")
  if (nzchar(dir)) {
    return(dir)
  }
  here <- normalizePath(testthat::test_path(), mustWork = FALSE)
  for (i in 1:6) {
    candidate <- file.path(here, "shared", "data")
    if (dir.exists(candidate)) {
      return(candidate)
    }
    here <- dirname(here)
  }
  ""
}

skip_if_no_shared_data <- function(file) {
  path <- file.path(shared_data_dir(), file)
  if (!file.exists(path)) {
    testthat::skip(paste0(file, " not found: set PYDMLSERVERLESS_DATA_DIR to the folder holding it."))
  }
  path
}
