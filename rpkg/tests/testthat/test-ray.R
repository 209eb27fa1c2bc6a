# $fit_ray(): a local Ray instance started from the Python session R uses.

test_that("fit_ray() gives fit_local()'s numbers", {
  skip_if_no_pydmlserverless()
  if (!reticulate::py_module_available("ray")) {
    skip("Ray is not installed (pip install pydmlserverless[ray])")
  }
  ray <- reticulate::import("ray")
  os <- reticulate::import("os")
  os$environ$setdefault("RAY_AUTH_MODE", "disabled")  # a loopback test instance
  ray$init(num_cpus = 1L, include_dashboard = FALSE, logging_level = "ERROR", log_to_driver = FALSE)
  on.exit(ray$shutdown(), add = TRUE)

  set.seed(4)
  data <- DoubleMLData$new(sim_plr(), y_col = "y", d_cols = "d")
  model <- DoubleMLPLRServerless$new(NULL, NULL, data, lrn("regr.ranger", num.trees = 10),
                                     lrn("regr.lm"), n_folds = 2, n_rep = 2)
  model$fit_local(n_jobs = 1, seed = 3, resume = FALSE)
  local <- c(model$coef, model$se)
  model$fit_ray(seed = 3, resume = FALSE, ship = "store", max_retries = 1)
  expect_identical(c(model$coef, model$se), local)
  metrics <- model$task_metrics
  expect_identical(nrow(metrics), 8L)
  expect_true(all(!is.na(metrics$node)))
  expect_error(model$fit_ray(address = 3), "address")
})
