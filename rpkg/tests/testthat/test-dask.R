# $fit_dask(address = ...): a Dask scheduler and worker started as processes on loopback, as on a cluster.

test_that("fit_dask() on a scheduler's address gives fit_local()'s numbers", {
  skip_if_no_pydmlserverless()
  if (!reticulate::py_module_available("distributed")) {
    skip("dask.distributed is not installed (pip install pydmlserverless[dask])")
  }
  sp <- reticulate::import("subprocess")
  socket <- reticulate::import("socket")
  sock <- socket$socket()
  sock$bind(reticulate::tuple("127.0.0.1", 0L))
  port <- sock$getsockname()[[2]]
  sock$close()
  address <- sprintf("tcp://127.0.0.1:%d", port)
  dask <- file.path(dirname(reticulate::py_exe()), "dask")
  scheduler <- sp$Popen(list(dask, "scheduler", "--host", "127.0.0.1", "--port", as.character(port),
                             "--no-dashboard"), stdout = sp$DEVNULL, stderr = sp$DEVNULL)
  worker <- sp$Popen(list(dask, "worker", address, "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"),
                     stdout = sp$DEVNULL, stderr = sp$DEVNULL)
  on.exit({
    worker$terminate()
    scheduler$terminate()
    worker$wait(15L)
    scheduler$wait(15L)
  }, add = TRUE)

  set.seed(4)
  data <- DoubleMLData$new(sim_plr(), y_col = "y", d_cols = "d")
  model <- DoubleMLPLRServerless$new(NULL, NULL, data, lrn("regr.ranger", num.trees = 10),
                                     lrn("regr.lm"), n_folds = 2, n_rep = 2)
  model$fit_local(n_jobs = 1, seed = 3, resume = FALSE)
  local <- c(model$coef, model$se)
  model$fit_dask(address = address, seed = 3, resume = FALSE)
  expect_identical(c(model$coef, model$se), local)
  metrics <- model$task_metrics
  expect_identical(nrow(metrics), 8L)
  expect_true(all(startsWith(metrics$worker, "tcp://127.0.0.1:")))
  expect_error(model$fit_dask(address = 3), "address")
})
