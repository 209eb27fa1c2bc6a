test_that("a labelled Stata categorical read from a .dta expands into dummies with factors = \"dummies\"", {
  skip_if_not_installed("haven")
  df <- sim_plr(n = 90)
  df$region <- haven::labelled(rep(c(1, 2, 3), 30), labels = c(north = 1, south = 2, west = 3), label = "Region")
  df$marr <- haven::labelled(rep(c(0, 1), 45), labels = c(single = 0, married = 1))
  path <- file.path(tempdir(), "regions.dta")
  haven::write_dta(df, path)
  on.exit(unlink(path))
  stata <- haven::read_dta(path)
  expect_s3_class(stata$region, "haven_labelled")

  expanded <- DoubleMLData$new(stata, y_col = "y", d_cols = "d", factors = "dummies")
  # as Stata's i.region: one dummy per value but the lowest, named by value as model.matrix() names them
  expect_identical(expanded$x_cols, c(paste0("X", 1:4), "region2", "region3", "marr1"))
  expect_equal(expanded$data$region2, as.numeric(df$region == 2))
  expect_equal(expanded$data$region3, as.numeric(df$region == 3))
  expect_false("region" %in% names(expanded$data))

  # without factors = "dummies": the values, the labels dropped with a note that says how to expand
  expect_message(
    kept <- DoubleMLData$new(stata, y_col = "y", d_cols = "d"),
    "Value labels of column\\(s\\) 'region', 'marr' were dropped.*factors = \"dummies\""
  )
  expect_identical(kept$x_cols, c(paste0("X", 1:4), "region", "marr"))
  expect_equal(kept$data$region, rep(c(1, 2, 3), 30))
})

test_that("a labelled outcome or cluster column stays numeric with factors = \"dummies\"", {
  skip_if_not_installed("haven")
  df <- sim_irm(n = 40)
  df$d <- haven::labelled(df$d, labels = c(no = 0, yes = 1))
  df$site <- haven::labelled(rep(1:4, 10), labels = c(a = 1, b = 2, c = 3, d = 4))
  expect_message(
    data <- DoubleMLData$new(df, y_col = "y", d_cols = "d", cluster_cols = "site", factors = "dummies"),
    "Value labels of column\\(s\\) 'd', 'site' were dropped"
  )
  expect_identical(data$x_cols, paste0("X", 1:4))
  expect_equal(data$data$site, rep(1:4, 10))
})
