fit_plr <- function(seed = 1, n_jobs = 1, scaling = "n_folds * n_rep", n_rep = 2) {
  set.seed(seed)
  data <- DoubleMLData$new(sim_plr(), y_col = "y", d_cols = "d")
  model <- DoubleMLPLRServerless$new(NULL, NULL, data,
    ml_l = lrn("regr.ranger", num.trees = 10, max.depth = 3),
    ml_m = lrn("regr.lm"), n_folds = 3, n_rep = n_rep
  )
  model$fit_local(n_jobs = n_jobs, scaling = scaling)
}

test_that("a PLR fit has DoubleML-R's surface after the fit", {
  skip_if_no_pydmlserverless()
  model <- fit_plr()
  expect_named(model$coef, "d")
  expect_true(abs(model$coef - 0.5) < 0.3)
  expect_equal(model$t_stat, model$coef / model$se)
  expect_equal(model$pval, 2 * stats::pnorm(-abs(model$t_stat)))
  expect_equal(dim(model$all_coef), c(1L, 2L))
  expect_equal(dim(model$all_se), c(1L, 2L))
  expect_equal(dim(model$psi), c(200L, 2L, 1L))
  expect_named(model$predictions, c("ml_l", "ml_m"))
  expect_equal(dim(model$predictions$ml_l), c(200L, 2L, 1L))
  expect_length(model$smpls, 2)
  expect_equal(sort(unlist(model$smpls[[1]]$test_ids)), 1:200)
  expect_named(model$smpls[[1]], c("train_ids", "test_ids"))
  expect_true(model$seed >= 1)
  expect_match(model$fit_report, "Fit on local")
  for (field in c("coef", "se", "t_stat", "pval", "all_coef", "all_se", "psi", "predictions", "smpls", "boot_coef")) {
    expect_error(do.call(`$<-`, list(model, field, 1)), paste("can't set field", field))
  }
})

test_that("confint, bootstrap and p_adjust return DoubleML-R's shapes", {
  skip_if_no_pydmlserverless()
  model <- fit_plr()
  ci <- model$confint()
  expect_equal(dimnames(ci), list("d", c("2.5 %", "97.5 %")))
  expect_equal(unname(ci[1, ]), unname(model$coef + c(-1, 1) * stats::qnorm(0.975) * model$se), tolerance = 1e-12)
  expect_equal(colnames(model$confint(level = 0.9)), c("5 %", "95 %"))
  expect_equal(model$confint("d"), model$confint(1))
  expect_error(model$confint(joint = TRUE), "First call bootstrap\\(\\)")
  expect_error(model$p_adjust(), "bootstrap\\(\\) before p_adjust")
  expect_error(model$confint(level = 1), "'level' must be > 0 and < 1.")

  set.seed(5)
  model$bootstrap(method = "normal", n_rep_boot = 50)
  expect_equal(dim(model$boot_coef), c(1L, 100L))
  expect_equal(dim(model$boot_t_stat), c(1L, 100L))
  expect_equal(model$boot_coef[, 1:50] / model$all_se[1, 1], model$boot_t_stat[, 1:50])
  joint <- model$confint(joint = TRUE)
  expect_equal(colnames(joint), c("2.5 %", "97.5 %"))
  first <- model$boot_t_stat
  set.seed(5)
  model$bootstrap(method = "normal", n_rep_boot = 50)
  expect_identical(model$boot_t_stat, first)
  expect_equal(colnames(model$p_adjust()), c("Estimate.", "pval"))
  expect_equal(model$p_adjust("bonferroni", return_matrix = FALSE), c(d = model$pval[["d"]]))
  expect_error(model$p_adjust("nope"), "Invalid method nope")
})

test_that("set.seed() fixes the splits and learner seeds; backend settings do not matter", {
  skip_if_no_pydmlserverless()
  a <- fit_plr(seed = 3, n_jobs = 1)
  b <- fit_plr(seed = 3, n_jobs = 2, scaling = "n_rep")
  c <- fit_plr(seed = 4, n_jobs = 1)
  expect_identical(a$seed, b$seed)
  expect_identical(a$coef, b$coef)
  expect_identical(a$se, b$se)
  expect_identical(a$smpls, b$smpls)
  expect_false(identical(a$coef, c$coef))
})

test_that("summary() and print() before and after a fit", {
  skip_if_no_pydmlserverless()
  set.seed(1)
  data <- DoubleMLData$new(sim_plr(), y_col = "y", d_cols = "d")
  model <- DoubleMLPLRServerless$new(NULL, NULL, data, lrn("regr.lm"), lrn("regr.lm"), n_folds = 2)
  expect_message(model$summary(), "fit\\(\\) not yet called.")
  expect_true(all(is.na(model$coef)))
  model$fit_local(n_jobs = 1)
  out <- capture.output(model$print())
  expect_equal(out[1], "================= DoubleMLPLRServerless Object ==================")
  expect_true(all(c(
    "------------------ Data summary      ------------------",
    "------------------ Score & algorithm ------------------",
    "------------------ Machine learner   ------------------",
    "------------------ Resampling        ------------------",
    "------------------ Fit summary       ------------------",
    "ml_l: regr.lm", "ml_m: regr.lm", "No. folds: 2", "Score function: partialling out"
  ) %in% out))
  expect_true(" Estimates and significance testing of the effect of target variables" %in% out)
  expect_match(out[grep("^d ", out)], "\\*\\*\\*$")
  sk <- reticulate::import("sklearn.linear_model")
  model2 <- DoubleMLPLRServerless$new(NULL, NULL, data, sk$LinearRegression(), "regr.lm", n_folds = 2)
  expect_true("ml_l: LinearRegression()" %in% capture.output(model2$print()))
})

test_that("PLIV, IRM and IIVM fit locally", {
  skip_if_no_pydmlserverless()
  set.seed(2)
  iv <- DoubleMLData$new(sim_iv(), y_col = "y", d_cols = "d", z_cols = "z")
  pliv <- DoubleMLPLIVServerless$new(NULL, NULL, iv, lrn("regr.lm"), lrn("regr.lm"), lrn("regr.lm"), n_folds = 3)
  pliv$fit_local(n_jobs = 1)
  expect_true(is.finite(pliv$coef))
  iivm <- DoubleMLIIVMServerless$new(NULL, NULL, iv, lrn("regr.lm"), lrn("classif.log_reg"), lrn("classif.log_reg"),
    n_folds = 3, subgroups = list(always_takers = FALSE, never_takers = TRUE)
  )
  iivm$fit_local(n_jobs = 1)
  expect_true(is.finite(iivm$coef))
  expect_setequal(iivm$params_names(), c("ml_g0", "ml_g1", "ml_m", "ml_r0", "ml_r1"))
  irm_data <- DoubleMLData$new(sim_irm(), y_col = "y", d_cols = "d")
  irm <- DoubleMLIRMServerless$new(NULL, NULL, irm_data, lrn("regr.rpart", maxdepth = 3), lrn("classif.ranger", num.trees = 10),
    n_folds = 3, score = "ATTE"
  )
  irm$fit_local(n_jobs = 1)
  expect_equal(irm$score, "ATTE")
  expect_true(abs(irm$coef - 0.5) < 0.5)
})

test_that("Python errors arrive as classed R conditions with the Python message", {
  skip_if_no_pydmlserverless()
  data <- DoubleMLData$new(sim_plr(), y_col = "y", d_cols = "d")
  err <- expect_error(
    DoubleMLIRMServerless$new(NULL, NULL, data, lrn("regr.lm"), lrn("classif.log_reg")),
    class = "dmls_DataError"
  )
  expect_s3_class(err, "dmls_python_error")
  expect_s3_class(err, "dmls_ValueError")
  expect_equal(err$python_type, "pydmlserverless.errors.DataError")
  expect_match(conditionMessage(err), "needs a binary treatment with values 0 and 1; column 'd'")
  err <- expect_error(
    DoubleMLPLRServerless$new(NULL, NULL, data, lrn("regr.lm"), lrn("regr.lm"), score = "nope"),
    class = "dmls_InvalidInputError"
  )
  expect_match(conditionMessage(err), "score")
  model <- DoubleMLPLRServerless$new(NULL, NULL, data, lrn("regr.lm"), lrn("regr.lm"), n_folds = 2)
  expect_error(model$fit_local(n_jobs = 1, scaling = "per fold"), class = "dmls_ConfigurationError", regexp = "Unknown scaling")
  expect_error(
    DoubleMLPLRServerless$new(NULL, NULL, data, lrn("regr.lm"), lrn("regr.nope")),
    class = "dmls_LearnerError"
  )
  expect_error(DoubleMLServerless$new(), "abstract class")
})

sim_levels <- function(n = 240) {
  x <- matrix(rnorm(n * 3), n)
  d <- sample(0:2, n, replace = TRUE)
  data.frame(y = d + x[, 1] + rnorm(n), d = d, x)
}

sim_staggered <- function(m = 90) {
  df <- data.frame(
    id = rep(seq_len(m), each = 4), t = rep(1:4, m),
    g = rep(sample(c(0, 3, 4), m, replace = TRUE), each = 4), x = rep(rnorm(m), each = 4)
  )
  df$y <- df$x + df$t + (df$g > 0 & df$t >= df$g) + rnorm(nrow(df))
  df
}

test_that("APO and APOS name their estimates by level and give DoubleML's causal contrasts", {
  skip_if_no_pydmlserverless()
  set.seed(11)
  data <- DoubleMLData$new(sim_levels(), y_col = "y", d_cols = "d")
  apo <- DoubleMLAPOServerless$new(NULL, NULL, data, lrn("regr.lm"), lrn("classif.log_reg"),
    treatment_level = 2, n_folds = 3
  )
  apo$fit_local(n_jobs = 1)
  expect_named(apo$coef, "d")
  expect_setequal(apo$params_names(), c("ml_g_d_lvl0", "ml_g_d_lvl1", "ml_m"))
  apos <- DoubleMLAPOSServerless$new(NULL, NULL, data, lrn("regr.lm"), lrn("classif.log_reg"),
    treatment_levels = 0:2, n_folds = 3, n_rep = 2
  )
  apos$fit_local(n_jobs = 1)
  expect_named(apos$coef, c("0", "1", "2"))
  expect_equal(dim(apos$all_coef), c(3L, 2L))
  expect_equal(rownames(apos$confint()), c("0", "1", "2"))
  out <- capture.output(contrast <- apos$causal_contrast(reference_levels = 0))
  expect_equal(rownames(contrast), c("1 vs 0", "2 vs 0"))
  expect_true(any(grepl("Causal contrasts", out)))
  expect_output(print(apos), "Fit summary")
  expect_error(
    DoubleMLAPOSServerless$new(NULL, NULL, data, lrn("regr.lm"), lrn("classif.log_reg"), treatment_levels = 7),
    "unique treatment levels in the data" # DoubleML's own message
  )
})

test_that("staggered DiD fits every group-time cell and aggregates as DoubleML", {
  skip_if_no_pydmlserverless()
  set.seed(12)
  df <- sim_staggered()
  panel <- DoubleMLPanelData$new(df, y_col = "y", d_cols = "g", t_col = "t", id_col = "id", x_cols = "x")
  expect_equal(panel$n_ids, 90L)
  expect_output(print(panel), "Time variable: t")
  model <- DoubleMLDIDMultiServerless$new(NULL, NULL, panel, lrn("regr.lm"), lrn("classif.log_reg"),
    n_folds = 3, control_group = "not_yet_treated"
  )
  model$fit_local(n_jobs = 1)
  expect_true(all(grepl("^ATT\\(", names(model$coef))))
  expect_match(model$fit_report, "tasks")
  study <- model$aggregate("eventstudy")
  expect_s3_class(study, "dmls_aggregation")
  expect_equal(colnames(study$effects)[1:2], c("coef", "std err"))
  expect_output(print(study), "Event Study Aggregation")
  expect_error(model$aggregate("nope"), "aggregation")
  expect_error(
    DoubleMLDIDMultiServerless$new(NULL, NULL, DoubleMLData$new(df, y_col = "y", d_cols = "g"), lrn("regr.lm")),
    "DoubleMLPanelData"
  )
  # never treated coded Inf is the same design as coded 0
  df_inf <- df
  df_inf$g[df_inf$g == 0] <- Inf
  set.seed(13)
  a <- DoubleMLDIDMultiServerless$new(NULL, NULL, panel, lrn("regr.lm"), lrn("classif.log_reg"), n_folds = 3)
  set.seed(13)
  panel_inf <- DoubleMLPanelData$new(df_inf, y_col = "y", d_cols = "g", t_col = "t", id_col = "id", x_cols = "x")
  b <- DoubleMLDIDMultiServerless$new(NULL, NULL, panel_inf, lrn("regr.lm"), lrn("classif.log_reg"), n_folds = 3)
  expect_identical(a$fit_local(n_jobs = 1)$coef, b$fit_local(n_jobs = 1)$coef)
})

test_that("two-period DiD and the panel regression run from R", {
  skip_if_no_pydmlserverless()
  set.seed(14)
  n <- 300
  x <- matrix(rnorm(n * 2), n)
  d <- rbinom(n, 1, plogis(x[, 1]))
  data <- DoubleMLData$new(data.frame(dy = 1 + d + x[, 2] + rnorm(n), d = d, x), y_col = "dy", d_cols = "d")
  did <- DoubleMLDIDServerless$new(NULL, NULL, data, lrn("regr.lm"), score = "experimental", n_folds = 3)
  did$fit_local(n_jobs = 1)
  expect_setequal(did$params_names(), c("ml_g0", "ml_g1"))
  df <- data.frame(id = rep(1:50, each = 4), t = rep(1:4, 50), x = rnorm(200))
  df$d <- df$x + rnorm(200)
  df$y <- 0.5 * df$d + df$x + rnorm(200)
  panel <- DoubleMLPanelData$new(df, y_col = "y", d_cols = "d", t_col = "t", id_col = "id", x_cols = "x",
    static_panel = TRUE)
  plpr <- DoubleMLPLPRServerless$new(NULL, NULL, panel, lrn("regr.lm"), lrn("regr.lm"), n_folds = 3,
    approach = "wg_approx")
  plpr$fit_local(n_jobs = 1)
  expect_named(plpr$coef, "d_demean")
})
