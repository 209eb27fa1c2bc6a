# $plan_aws_lambda(): the Python planner's table as a data.frame.

test_that("plan_aws_lambda() with a local probe returns a data.frame of every configuration", {
  skip_if_no_pydmlserverless()
  set.seed(3)
  data <- DoubleMLData$new(sim_plr(), y_col = "y", d_cols = "d")
  model <- DoubleMLPLRServerless$new(NULL, NULL, data, lrn("regr.lm"), lrn("regr.lm"), n_folds = 2, n_rep = 3)
  plan <- model$plan_aws_lambda(probe = "local", memory_mb = c(512, 1769), probe_tasks = 2, compare_local = 1)
  expect_s3_class(plan, "data.frame")
  expect_identical(plan$backend, c(rep("aws_lambda", 4), "local", "local"))
  expect_identical(plan$memory_mb, c(512, 512, 1769, 1769, NA, NA))
  # 2 learners x 3 repetitions: 6 tasks with scaling 'n_rep', 12 with 'n_folds * n_rep'
  expect_identical(plan$n_tasks, c(6, 12, 6, 12, 6, 12))
  expect_true(all(plan$fits_timeout))
  expect_true(all(plan$gb_s[1:4] > 0) && all(is.na(plan$usd[5:6])))
  expect_equal(attr(plan, "probe")$tasks, 2)
  expect_true(attr(plan, "recommendation")$cost$scaling %in% c("n_rep", "n_folds * n_rep"))
})
