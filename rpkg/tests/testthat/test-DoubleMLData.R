test_that("DoubleMLData takes DoubleML-R's arguments and fills x_cols like it", {
  df <- sim_plr()
  data <- DoubleMLData$new(df, y_col = "y", d_cols = "d")
  expect_equal(data$x_cols, paste0("X", 1:4))
  expect_equal(data$n_obs, 200)
  expect_equal(data$n_treat, 1)
  positional <- DoubleMLData$new(df, c("X1", "X2"), "y", "d")
  expect_equal(positional$x_cols, c("X1", "X2"))
  expect_error(data$y_col <- "x", "can't set field y_col")
  from_df <- double_ml_data_from_data_frame(df, y_col = "y", d_cols = "d", x_cols = "X1")
  expect_s3_class(from_df, "DoubleMLData")
  expect_equal(from_df$x_cols, "X1")
})

test_that("data.table and tibble inputs give the same columns", {
  df <- sim_plr(n = 30)
  base <- DoubleMLData$new(df, y_col = "y", d_cols = "d")$data
  skip_if_not_installed("data.table")
  expect_equal(DoubleMLData$new(data.table::as.data.table(df), y_col = "y", d_cols = "d")$data, base)
  skip_if_not_installed("tibble")
  expect_equal(DoubleMLData$new(tibble::as_tibble(df), y_col = "y", d_cols = "d")$data, base)
})

test_that("labelled columns keep their values, with a note that labels are dropped", {
  skip_if_not_installed("haven")
  df <- sim_irm(n = 50)
  df$d <- haven::labelled(df$d, labels = c(untreated = 0, treated = 1))
  expect_message(
    data <- DoubleMLData$new(df, y_col = "y", d_cols = "d"),
    "Value labels of column\\(s\\) 'd' were dropped"
  )
  expect_identical(data$data$d, as.numeric(unclass(df$d)))
  expect_null(attributes(data$data$d))
})

test_that("factor covariates are an error unless expanded into documented dummies", {
  df <- sim_plr(n = 30)
  df$region <- factor(rep(c("north", "south", "west"), 10))
  df$kind <- rep(c("a", "b"), 15)
  expect_error(
    DoubleMLData$new(df, y_col = "y", d_cols = "d"),
    class = "dmls_DataError", regexp = "'region', 'kind' are factors or character"
  )
  data <- DoubleMLData$new(df, y_col = "y", d_cols = "d", factors = "dummies")
  expect_equal(data$x_cols, c(paste0("X", 1:4), "regionsouth", "regionwest", "kindb"))
  expected <- stats::model.matrix(~ region + kind, df)[, -1]
  expect_equal(as.matrix(data$data[c("regionsouth", "regionwest", "kindb")]), expected, ignore_attr = TRUE)
  df$d <- factor(df$d > 0)
  expect_error(DoubleMLData$new(df, y_col = "y", d_cols = "d", factors = "dummies"),
    class = "dmls_DataError", regexp = "'d' are factors or character; the outcome"
  )
})

test_that("missing values are an error naming the columns, or dropped listwise on request", {
  df <- sim_plr(n = 40)
  df$X1[c(2, 5)] <- NA
  df$y[5] <- NA
  df$X3[9] <- NA
  expect_error(
    DoubleMLData$new(df, y_col = "y", d_cols = "d"),
    class = "dmls_DataError",
    regexp = "missing values in column\\(s\\) 'y' \\(1 row\\), 'X1' \\(2 rows\\), 'X3' \\(1 row\\).*drop the 3 incomplete"
  )
  expect_message(
    data <- DoubleMLData$new(df, y_col = "y", d_cols = "d", missing = "listwise"),
    "Listwise deletion: dropped 3 of 40 rows"
  )
  expect_equal(data$n_obs, 37)
  expect_equal(data$dropped_rows, c(2L, 5L, 9L))
  # a missing value in an unused column does not count
  expect_silent(DoubleMLData$new(df, y_col = "d", d_cols = "X2", x_cols = "X4"))
})

test_that("unknown columns, non-data-frames and infinite values are clear errors", {
  df <- sim_plr(n = 20)
  expect_error(DoubleMLData$new(df, y_col = "nope", d_cols = "d"), "y_col: column\\(s\\) 'nope' not found")
  expect_error(DoubleMLData$new(as.matrix(df), y_col = "y", d_cols = "d"), "must be a data.frame")
  df$X1[1] <- Inf
  expect_error(DoubleMLData$new(df, y_col = "y", d_cols = "d"), "'X1' contain infinite values")
  expect_error(DoubleMLData$new(df, d_cols = "d"), "y_col is required")
})

test_that("print() follows DoubleML-R's data layout", {
  data <- DoubleMLData$new(sim_iv(n = 20), y_col = "y", d_cols = "d", z_cols = "z")
  out <- capture.output(print(data))
  expect_equal(out[1:4], c("================= DoubleMLData Object ==================", "", "",
                           "------------------ Data summary      ------------------"))
  expect_equal(out[5:10], c(
    "Outcome variable: y", "Treatment variable(s): d", "Covariates: X1, X2, X3",
    "Instrument(s): z", "Selection variable: ", "No. Observations: 20"
  ))
})

test_that("the data reach Python bit for bit, as lists or through a file", {
  skip_if_no_pydmlserverless()
  df <- sim_plr(n = 123)
  df$y[1] <- 1 / 3
  df$X1[2] <- .Machine$double.xmin
  np <- reticulate::import("numpy", convert = FALSE)
  roundtrip <- function() {
    data <- DoubleMLData$new(df, y_col = "y", d_cols = "d")
    frame <- reticulate::py_get_attr(data$py, "data")
    cols <- c(data$x_cols, data$d_cols, data$y_col)
    lapply(stats::setNames(cols, cols), function(col) {
      reticulate::py_eval("lambda f, c: f[c].tolist()")(frame, col)
    })
  }
  as_lists <- roundtrip()
  withr::local_options(DoubleMLServerless.file_transfer_cells = 10)
  as_file <- roundtrip()
  for (col in names(as_lists)) {
    expect_identical(as_lists[[col]], df[[col]])
    expect_identical(as_file[[col]], df[[col]])
  }
})
