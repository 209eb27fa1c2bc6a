# R sees R: Python warnings as R warnings, Python results as R values, R's progress bar, a quiet exit.

irm_log_reg <- function(maxit = 2, seed = sample.int(1e6, 1)) {
  set.seed(seed)
  data <- DoubleMLData$new(sim_irm(), y_col = "y", d_cols = "d")
  DoubleMLIRMServerless$new(NULL, NULL, data,
    ml_g = lrn("regr.lm"), ml_m = lrn("classif.log_reg", maxit = maxit), n_folds = 3
  )
}

plr_lm <- function(n_rep = 2, seed = sample.int(1e6, 1)) {
  set.seed(seed)
  data <- DoubleMLData$new(sim_plr(), y_col = "y", d_cols = "d")
  DoubleMLPLRServerless$new(NULL, NULL, data, ml_l = lrn("regr.lm"), ml_m = lrn("regr.lm"), n_folds = 3, n_rep = n_rep)
}

test_that("the workers' ConvergenceWarnings are R warnings, collapsed with a count, one line each", {
  skip_if_no_pydmlserverless()
  for (n_jobs in c(1L, 2L)) {
    model <- irm_log_reg()
    caught <- list()
    withCallingHandlers(model$fit_local(n_jobs = n_jobs), warning = function(w) {
      caught[[length(caught) + 1L]] <<- w
      invokeRestart("muffleWarning")
    })
    convergence <- Filter(function(w) inherits(w, "dmls_ConvergenceWarning"), caught)
    expect_length(convergence, 1L) # the three folds' warnings, one R warning
    w <- convergence[[1]]
    expect_s3_class(w, c("dmls_ConvergenceWarning", "dmls_UserWarning", "dmls_python_warning", "warning"))
    expect_equal(w$count, 3L)
    expect_match(conditionMessage(w), "^ConvergenceWarning \\(x3\\): lbfgs failed to converge")
    expect_false(grepl("\n", conditionMessage(w), fixed = TRUE))
    expect_false(grepl("site-packages", conditionMessage(w), fixed = TRUE))
    expect_match(w$python_message, "\n", fixed = TRUE) # the message as raised
  }
  expect_warning(irm_log_reg()$fit_local(n_jobs = 2), class = "dmls_ConvergenceWarning")
  expect_s3_class(
    tryCatch(irm_log_reg()$fit_local(n_jobs = 2), warning = function(w) w), "dmls_python_warning"
  )
  expect_no_warning(suppressWarnings(irm_log_reg()$fit_local(n_jobs = 2)))
  expect_no_warning(irm_log_reg(maxit = 1000)$fit_local(n_jobs = 2))
})

test_that("sensitivity analysis, learner evaluation and metrics come back as R values", {
  skip_if_no_pydmlserverless()
  model <- plr_lm()
  expect_error(model$sensitivity_analysis(), "fit")
  model$fit_local(n_jobs = 1)
  expect_identical(model$sensitivity_analysis(cf_y = 0.04, cf_d = 0.03), model)
  params <- model$sensitivity_params
  expect_named(params, c("theta", "se", "ci", "rv", "rva", "input"))
  expect_type(params$theta$lower, "double")
  expect_named(params$theta$lower, "d")
  expect_true(params$theta$lower < model$coef && model$coef < params$theta$upper)
  expect_true(params$ci$lower < params$theta$lower)
  expect_equal(params$input$cf_y, 0.04)
  expect_type(model$sensitivity_summary, "character")
  expect_match(model$sensitivity_summary, "Robustness Values")

  eval <- model$evaluate_learners()
  expect_named(eval, c("ml_l", "ml_m"))
  expect_true(is.matrix(eval$ml_l) && is.numeric(eval$ml_l))
  expect_equal(dim(eval$ml_l), c(2L, 1L))
  expect_equal(colnames(eval$ml_l), "d")
  expect_equal(model$evaluate_learners("ml_m"), eval["ml_m"])
  expect_equal(model$nuisance_loss, eval)

  metrics <- model$task_metrics
  expect_s3_class(metrics, "data.frame")
  expect_equal(nrow(metrics), 12L)
  expect_type(metrics$task_id, "character")
  expect_type(metrics$rep, "integer")
  expect_type(metrics$total_s, "double")
  expect_null(model$aws_lambda_metrics)
  expect_null(model$tune_metrics)
  expect_error(model$task_metrics <- 1, "can't set")
})

message_text <- function(code) paste(capture.output(code, type = "message"), collapse = "\n")

test_that("a progress bar prints by default in interactive sessions, never in knitr or Rscript", {
  skip_if_no_pydmlserverless()
  withr::local_options(cli.progress_show_after = 0)
  expect_false(DoubleMLServerless:::show_progress(NULL)) # R CMD check, Rscript
  expect_identical(message_text(plr_lm()$fit_local(n_jobs = 2)), "")
  withr::local_options(rlang_interactive = TRUE) # an interactive session
  expect_true(DoubleMLServerless:::show_progress(NULL))
  expect_false(DoubleMLServerless:::show_progress(FALSE))
  bar <- message_text(plr_lm()$fit_local(n_jobs = 2))
  expect_match(bar, "Fitting")
  expect_match(bar, "100%")
  withr::local_options(knitr.in.progress = TRUE)
  expect_false(DoubleMLServerless:::show_progress(NULL))
  expect_true(DoubleMLServerless:::show_progress(TRUE))
  expect_identical(message_text(plr_lm()$fit_local(n_jobs = 2)), "")
})

test_that("progress = chooses; the tuning's tasks drive the bar too", {
  skip_if_no_pydmlserverless()
  withr::local_options(cli.progress_show_after = 0)
  set.seed(sample.int(1e6, 1))
  data <- DoubleMLData$new(sim_plr(), y_col = "y", d_cols = "d")
  model <- DoubleMLPLRServerless$new(NULL, NULL, data, ml_l = lrn("regr.rpart"), ml_m = lrn("regr.rpart"), n_folds = 2)
  grid <- list(ml_l = list(maxdepth = c(1, 2)), ml_m = list(maxdepth = c(1, 2)))
  settings <- list(n_folds_tune = 2)
  expect_match(message_text(model$tune_local(grid, settings, n_jobs = 2, progress = TRUE)), "Tuning")
  withr::local_options(rlang_interactive = TRUE)
  expect_identical(message_text(model$tune_local(grid, settings, n_jobs = 2, progress = FALSE, resume = FALSE)), "")
  expect_error(model$tune_local(grid, settings, n_jobs = 1, progress = "yes"), "flag")
})

test_that("Rscript running fits prints no joblib or resource_tracker text at exit", {
  skip_if_no_pydmlserverless()
  skip_on_os("windows")
  code <- paste(
    "library(DoubleMLServerless)",
    "x <- matrix(rnorm(600), 200); d <- as.numeric(x[, 1] + rnorm(200) > 0)",
    "df <- data.frame(y = d + x[, 2] + rnorm(200), d = d, x)",
    "for (i in 1:2) {",
    "  m <- DoubleMLIRMServerless$new(NULL, NULL, DoubleMLData$new(df, y_col = 'y', d_cols = 'd'),",
    "    ml_g = lrn('regr.lm'), ml_m = lrn('classif.log_reg', maxit = 2), n_folds = 2)",
    "  suppressWarnings(m$fit_local(n_jobs = 2, seed = sample.int(1e6, 1)))",
    "}",
    "cat('done\\n')",
    sep = "\n"
  )
  script <- withr::local_tempfile(fileext = ".R")
  writeLines(code, script)
  err <- withr::local_tempfile()
  out <- withr::with_envvar(
    c(R_LIBS = paste(.libPaths(), collapse = .Platform$path.sep)),
    system2(file.path(R.home("bin"), "Rscript"), script, stdout = TRUE, stderr = err)
  )
  stderr_text <- paste(readLines(err), collapse = "\n")
  expect_true("done" %in% out, info = stderr_text)
  expect_false(grepl("leaked|resource_tracker|joblib|site-packages|Warning", stderr_text), info = stderr_text)
})
