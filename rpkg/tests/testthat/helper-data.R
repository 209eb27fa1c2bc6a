# Small simulated data sets (the two real ones come from dmls_data_file()).

# The tests' fits keep their results in a store of their own (a rerun of R CMD check would else
# resume them from the user's store and run no task: no warnings, no task metrics to test). Set
# before the Python core starts, which reads it.
if (!nzchar(Sys.getenv("PYDMLSERVERLESS_CACHE_DIR"))) {
  Sys.setenv(PYDMLSERVERLESS_CACHE_DIR = file.path(tempdir(), "pydmlserverless-store"))
}

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
