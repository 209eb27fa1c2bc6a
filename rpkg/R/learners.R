#' Learners with mlr3 ids and parameter names
#'
#' A light stand-in for mlr3's `lrn()`: an mlr3 learner id and mlr3's parameter names, translated
#' to a scikit-learn estimator when a model is built (the fits run in Python). mlr3 itself is not
#' needed. A scikit-learn estimator built with reticulate can be passed to the models instead, as
#' it is.
#'
#' @section Translations:
#' Integer parameters are coerced with `as.integer()` (after checking they are whole numbers).
#' Defaults are those of the R learner (ranger, glmnet, rpart) where scikit-learn's differ.
#'
#' | id | scikit-learn estimator | parameters (mlr3 -> scikit-learn) |
#' |---|---|---|
#' | `regr.ranger`, `classif.ranger` | `RandomForestRegressor`, `RandomForestClassifier` | `num.trees` -> `n_estimators` (default 500); `mtry` -> `max_features` (integer), `mtry.ratio` -> `max_features` (fraction), default `"sqrt"` = ranger's `floor(sqrt(p))`; `min.node.size` -> `min_samples_split = min.node.size + 1` (ranger splits only nodes larger than `min.node.size`; default 5 for regression, 10 for classification as ranger's probability forests); `min.bucket` -> `min_samples_leaf`; `max.depth` -> `max_depth` (0 or NULL: unlimited); `replace` -> `bootstrap`; `sample.fraction` -> `max_samples` (with `replace = TRUE`); `num.threads` -> `n_jobs` (default 1); `seed` -> `random_state` |
#' | `regr.cv_glmnet` | `LassoCV` (`alpha = 1`) or `ElasticNetCV(l1_ratio = alpha)`, after `StandardScaler` when `standardize = TRUE` (default) | `alpha` -> `l1_ratio`; `nfolds` -> `cv` (default 10); `nlambda` -> `alphas`/`n_alphas`; `lambda.min.ratio` -> `eps`; `intercept` -> `fit_intercept`; `maxit` -> `max_iter`; `s` must be `"lambda.min"` (the default here) |
#' | `classif.cv_glmnet` | `LogisticRegressionCV` with an L1 (`alpha = 1`) or elastic net penalty, solver `saga`, `scoring = "neg_log_loss"`, after `StandardScaler` when `standardize = TRUE` | `alpha` -> `l1_ratios`; `nfolds` -> `cv` (default 10); `nlambda` -> `Cs` (default 10); `intercept` -> `fit_intercept`; `maxit` -> `max_iter` (default 1000); `s` must be `"lambda.min"` |
#' | `regr.glmnet` | `ElasticNet`, after `StandardScaler` when `standardize = TRUE` | `lambda` (one value) or `s` -> `alpha` (default `s = 0.01`, as mlr3); `alpha` -> `l1_ratio` (default 1, the lasso); `intercept` -> `fit_intercept`; `maxit` -> `max_iter` |
#' | `regr.rpart`, `classif.rpart` | `DecisionTreeRegressor`, `DecisionTreeClassifier` | `minsplit` -> `min_samples_split` (default 20); `minbucket` -> `min_samples_leaf` (default `round(minsplit / 3)`); `maxdepth` -> `max_depth` (default 30); `cp` -> `ccp_alpha` (only when given; see below); `xval` is ignored |
#' | `regr.lm` | `LinearRegression` | none |
#' | `classif.log_reg` | `LogisticRegression(C = Inf)`, i.e. without penalty | `maxit` -> `max_iter` (default 1000) |
#' | `regr.xgboost`, `classif.xgboost` (needs the Python package xgboost) | `xgboost.XGBRegressor`, `xgboost.XGBClassifier` | `nrounds` -> `n_estimators` (default 1000, as mlr3); `eta` -> `learning_rate`; `max_depth`; `subsample`; `colsample_bytree`; `colsample_bylevel`; `min_child_weight`; `gamma`; `lambda` -> `reg_lambda`; `alpha` -> `reg_alpha`; `nthread` -> `n_jobs` (default 1); `booster`; `objective`; `seed` -> `random_state` |
#'
#' Where results differ from mlr3's: the estimators are different implementations, so the same
#' parameters do not give the same numbers as the R packages. In particular ranger and
#' scikit-learn grow different trees (split search, bootstrap draws); `cv_glmnet`'s CV folds are
#' random in glmnet and consecutive blocks in scikit-learn, and glmnet's default
#' `s = "lambda.1se"` has no scikit-learn counterpart (only `"lambda.min"` is supported);
#' glmnet's path and convergence criteria differ; rpart prunes with `cp` relative to the root
#' node's error while `ccp_alpha` is absolute (in units of the impurity: the variance for
#' regression, Gini for classification), so `cp` and `ccp_alpha` agree only when the root
#' impurity is 1, and without `cp` no pruning is done (rpart's default is `cp = 0.01`). The fit
#' seed (see the models' `$fit_local()`) sets every learner's `random_state`, overriding `seed`.
#'
#' @param id (`character(1)`) \cr An mlr3 learner id (see Translations).
#' @param ... Named mlr3 parameters of that learner.
#' @return An object of class `dmls_learner`: a list with `id`, `task_type` (`"regr"` or
#'   `"classif"`) and `params`.
#' @seealso [as_sklearn()] for the scikit-learn estimator a learner becomes.
#' @export
#' @examples
#' lrn("regr.ranger", num.trees = 100, mtry = 3, min.node.size = 2)
#' lrn("classif.cv_glmnet", s = "lambda.min")
#' lrn("regr.lm")
lrn <- function(id, ...) {
  checkmate::assert_string(id)
  entry <- learner_catalog[[id]]
  if (is.null(entry)) {
    stop(dmls_condition("LearnerError", paste0(
      "Unknown learner id '", id, "'. Available: ", paste(names(learner_catalog), collapse = ", "),
      "; or pass a scikit-learn estimator built with reticulate."
    )))
  }
  params <- list(...)
  if (length(params) && (is.null(names(params)) || any(!nzchar(names(params))))) {
    stop(dmls_condition("LearnerError", paste0("lrn('", id, "'): all parameters must be named.")))
  }
  unknown <- setdiff(names(params), names(entry$params))
  if (length(unknown)) {
    stop(dmls_condition("LearnerError", paste0(
      "lrn('", id, "'): unsupported parameter(s) ", cols_text(unknown), ". Supported: ",
      paste(names(entry$params), collapse = ", "), "."
    )))
  }
  for (name in names(params)) {
    params[[name]] <- coerce_param(params[[name]], entry$params[[name]], id, name)
  }
  structure(list(id = id, task_type = entry$task_type, params = params), class = "dmls_learner")
}

#' @export
print.dmls_learner <- function(x, ...) {
  cat("<dmls_learner> ", x$id, " -> ", learner_catalog[[x$id]]$label, "\n", sep = "")
  for (name in names(x$params)) {
    cat("  ", name, " = ", paste(format(x$params[[name]]), collapse = ", "), "\n", sep = "")
  }
  invisible(x)
}

#' The scikit-learn estimator a learner becomes
#'
#' @param learner A [lrn()] learner, an mlr3 id, or a scikit-learn estimator (returned as it is).
#' @return A Python scikit-learn estimator (a reticulate object).
#' @export
#' @examples
#' if (pydmlserverless_available()) {
#'   as_sklearn(lrn("regr.ranger", num.trees = 50))
#' }
as_sklearn <- function(learner) {
  if (inherits(learner, "python.builtin.object")) {
    return(learner)
  }
  if (is.character(learner)) learner <- lrn(learner)
  if (!inherits(learner, "dmls_learner")) {
    stop(dmls_condition("LearnerError", paste0(
      "A learner must be made with lrn(), be an mlr3 id, or a scikit-learn estimator built with ",
      "reticulate; got an object of class ", paste(class(learner), collapse = "/"), "."
    )))
  }
  b <- bridge()
  entry <- learner_catalog[[learner$id]]
  if (!is.null(entry$module) && !reticulate::py_module_available(entry$module)) {
    stop(dmls_condition("LearnerError", paste0(
      "lrn('", learner$id, "') needs the Python package ", entry$module, " (R's ", entry$module,
      " is not used): install it with install_pydmlserverless(extra_packages = \"", entry$module, "\")."
    )))
  }
  py_call(b$make_learner, learner_spec(learner, sklearn_version()))
}

#' Learner ids this package translates
#'
#' @return A data.frame with columns `id`, `task_type` and `estimator`.
#' @export
#' @examples
#' dmls_learners()
dmls_learners <- function() {
  data.frame(
    id = names(learner_catalog),
    task_type = vapply(learner_catalog, `[[`, "", "task_type"),
    estimator = vapply(learner_catalog, `[[`, "", "label"),
    row.names = NULL
  )
}

sklearn_version <- function() {
  if (is.null(.dmls$sklearn_version)) {
    .dmls$sklearn_version <- numeric_version(py_call(bridge()$versions)$sklearn)
  }
  .dmls$sklearn_version
}

coerce_param <- function(value, type, id, name) {
  where <- paste0("lrn('", id, "'): ", name)
  ok <- switch(type,
    int = checkmate::test_integerish(value, len = 1, any.missing = FALSE),
    num = checkmate::test_number(value),
    nums = checkmate::test_numeric(value, min.len = 1, any.missing = FALSE),
    lgl = checkmate::test_flag(value),
    chr = checkmate::test_string(value),
    any = TRUE
  )
  if (!ok) {
    stop(dmls_condition("LearnerError", paste0(
      where, " must be ",
      switch(type,
        int = "a whole number",
        num = "a number",
        nums = "numeric",
        lgl = "TRUE or FALSE",
        chr = "a string"
      ), "; got ", paste(format(value), collapse = ", "), "."
    )))
  }
  if (type == "int") as.integer(value) else value
}

`%||%` <- function(a, b) if (is.null(a)) b else a

# A spec for decode_learner(); NULL parameters are left to scikit-learn's defaults. The empty
# params list is named so that it becomes a Python dict, not a list.
estimator <- function(path, params) {
  params <- params[!vapply(params, is.null, logical(1))]
  list(`__estimator__` = path, params = if (length(params)) params else stats::setNames(list(), character()))
}

scaled <- function(est, standardize) {
  if (!isFALSE(standardize)) {
    steps <- list(
      list(`__tuple__` = list("scale", estimator("sklearn.preprocessing.StandardScaler", list()))),
      list(`__tuple__` = list("model", est))
    )
    return(list(`__estimator__` = "sklearn.pipeline.Pipeline", params = list(steps = steps)))
  }
  est
}

check_s <- function(p, id) {
  if (!is.null(p[["s"]]) && !identical(p[["s"]], "lambda.min")) {
    stop(dmls_condition("LearnerError", paste0(
      "lrn('", id, "'): s = '", p[["s"]], "' is not available: scikit-learn's cross-validated estimators ",
      "use the penalty that minimises the CV loss, i.e. s = \"lambda.min\"."
    )))
  }
}

ranger_spec <- function(p, task_type) {
  replace <- p[["replace"]] %||% TRUE
  max_depth <- p[["max.depth"]]
  if (!is.null(max_depth) && max_depth == 0L) max_depth <- NULL
  estimator(
    if (task_type == "regr") "sklearn.ensemble.RandomForestRegressor" else "sklearn.ensemble.RandomForestClassifier",
    list(
      n_estimators = p[["num.trees"]] %||% 500L,
      max_features = p[["mtry"]] %||% p[["mtry.ratio"]] %||% "sqrt",
      min_samples_split = (p[["min.node.size"]] %||% if (task_type == "regr") 5L else 10L) + 1L,
      min_samples_leaf = p[["min.bucket"]] %||% 1L,
      max_depth = max_depth,
      bootstrap = replace,
      max_samples = if (replace && !is.null(p[["sample.fraction"]]) && p[["sample.fraction"]] < 1) p[["sample.fraction"]],
      n_jobs = p[["num.threads"]] %||% 1L,
      random_state = p[["seed"]]
    )
  )
}

cv_glmnet_regr_spec <- function(p, v) {
  check_s(p, "regr.cv_glmnet")
  alpha <- p[["alpha"]] %||% 1
  n_path <- if (!is.null(p[["nlambda"]])) {
    if (v >= "1.7") list(alphas = p[["nlambda"]]) else list(n_alphas = p[["nlambda"]])
  }
  params <- c(
    if (alpha < 1) list(l1_ratio = alpha),
    list(cv = p[["nfolds"]] %||% 10L, eps = p[["lambda.min.ratio"]], fit_intercept = p[["intercept"]], max_iter = p[["maxit"]]),
    n_path
  )
  path <- if (alpha < 1) "sklearn.linear_model.ElasticNetCV" else "sklearn.linear_model.LassoCV"
  scaled(estimator(path, params), p[["standardize"]])
}

cv_glmnet_classif_spec <- function(p, v) {
  check_s(p, "classif.cv_glmnet")
  alpha <- p[["alpha"]] %||% 1
  penalty <- if (v >= "1.8") {
    list(l1_ratios = list(alpha), use_legacy_attributes = FALSE)
  } else if (alpha < 1) {
    list(penalty = "elasticnet", l1_ratios = list(alpha))
  } else {
    list(penalty = "l1")
  }
  params <- c(penalty, list(
    Cs = p[["nlambda"]] %||% 10L, cv = p[["nfolds"]] %||% 10L, solver = "saga", scoring = "neg_log_loss",
    max_iter = p[["maxit"]] %||% 1000L, fit_intercept = p[["intercept"]]
  ))
  scaled(estimator("sklearn.linear_model.LogisticRegressionCV", params), p[["standardize"]])
}

glmnet_regr_spec <- function(p) {
  if (is.null(p[["s"]]) && length(p[["lambda"]]) > 1) {
    stop(dmls_condition("LearnerError", paste0(
      "lrn('regr.glmnet'): with several lambda values, give s (the one to predict with)."
    )))
  }
  params <- list(
    alpha = p[["s"]] %||% p[["lambda"]] %||% 0.01, l1_ratio = p[["alpha"]] %||% 1,
    fit_intercept = p[["intercept"]], max_iter = p[["maxit"]]
  )
  scaled(estimator("sklearn.linear_model.ElasticNet", params), p[["standardize"]])
}

rpart_spec <- function(p, task_type) {
  minsplit <- p[["minsplit"]] %||% 20L
  estimator(
    if (task_type == "regr") "sklearn.tree.DecisionTreeRegressor" else "sklearn.tree.DecisionTreeClassifier",
    list(
      min_samples_split = max(2L, minsplit),
      min_samples_leaf = p[["minbucket"]] %||% max(1L, as.integer(round(minsplit / 3))),
      max_depth = p[["maxdepth"]] %||% 30L,
      ccp_alpha = p[["cp"]]
    )
  )
}

log_reg_spec <- function(p, v) {
  # C = Inf switches the penalty off in every scikit-learn version (penalty = None is deprecated in 1.8)
  estimator("sklearn.linear_model.LogisticRegression", list(C = Inf, max_iter = p[["maxit"]] %||% 1000L))
}

xgboost_spec <- function(p, task_type) {
  estimator(
    if (task_type == "regr") "xgboost.XGBRegressor" else "xgboost.XGBClassifier",
    list(
      n_estimators = p[["nrounds"]] %||% 1000L, learning_rate = p[["eta"]], max_depth = p[["max_depth"]],
      subsample = p[["subsample"]], colsample_bytree = p[["colsample_bytree"]],
      colsample_bylevel = p[["colsample_bylevel"]], min_child_weight = p[["min_child_weight"]],
      gamma = p[["gamma"]], reg_lambda = p[["lambda"]], reg_alpha = p[["alpha"]], n_jobs = p[["nthread"]] %||% 1L,
      booster = p[["booster"]], objective = p[["objective"]], random_state = p[["seed"]]
    )
  )
}

ranger_params <- list(
  num.trees = "int", mtry = "int", mtry.ratio = "num", min.node.size = "int", min.bucket = "int",
  max.depth = "int", replace = "lgl", sample.fraction = "num", num.threads = "int", seed = "int"
)
cv_glmnet_params <- list(
  alpha = "num", nfolds = "int", nlambda = "int", lambda.min.ratio = "num", standardize = "lgl",
  intercept = "lgl", maxit = "int", s = "chr"
)
rpart_params <- list(cp = "num", minsplit = "int", minbucket = "int", maxdepth = "int", xval = "int")
xgboost_params <- list(
  nrounds = "int", eta = "num", max_depth = "int", subsample = "num", colsample_bytree = "num",
  colsample_bylevel = "num", min_child_weight = "num", gamma = "num", lambda = "num", alpha = "num",
  nthread = "int", booster = "chr", objective = "chr", seed = "int"
)

learner_catalog <- list(
  regr.ranger = list(
    task_type = "regr", label = "sklearn.ensemble.RandomForestRegressor", params = ranger_params,
    spec = function(p, v) ranger_spec(p, "regr")
  ),
  classif.ranger = list(
    task_type = "classif", label = "sklearn.ensemble.RandomForestClassifier", params = ranger_params,
    spec = function(p, v) ranger_spec(p, "classif")
  ),
  regr.cv_glmnet = list(
    task_type = "regr", label = "sklearn.linear_model.LassoCV / ElasticNetCV", params = cv_glmnet_params,
    spec = cv_glmnet_regr_spec
  ),
  classif.cv_glmnet = list(
    task_type = "classif", label = "sklearn.linear_model.LogisticRegressionCV", params = cv_glmnet_params,
    spec = cv_glmnet_classif_spec
  ),
  regr.glmnet = list(
    task_type = "regr", label = "sklearn.linear_model.ElasticNet",
    params = list(
      lambda = "nums", s = "num", alpha = "num", standardize = "lgl", intercept = "lgl", maxit = "int"
    ),
    spec = function(p, v) glmnet_regr_spec(p)
  ),
  regr.rpart = list(
    task_type = "regr", label = "sklearn.tree.DecisionTreeRegressor", params = rpart_params,
    spec = function(p, v) rpart_spec(p, "regr")
  ),
  classif.rpart = list(
    task_type = "classif", label = "sklearn.tree.DecisionTreeClassifier", params = rpart_params,
    spec = function(p, v) rpart_spec(p, "classif")
  ),
  regr.lm = list(
    task_type = "regr", label = "sklearn.linear_model.LinearRegression", params = list(),
    spec = function(p, v) estimator("sklearn.linear_model.LinearRegression", list())
  ),
  classif.log_reg = list(
    task_type = "classif", label = "sklearn.linear_model.LogisticRegression", params = list(maxit = "int"),
    spec = log_reg_spec
  ),
  regr.xgboost = list(
    task_type = "regr", label = "xgboost.XGBRegressor", params = xgboost_params, module = "xgboost",
    spec = function(p, v) xgboost_spec(p, "regr")
  ),
  classif.xgboost = list(
    task_type = "classif", label = "xgboost.XGBClassifier", params = xgboost_params, module = "xgboost",
    spec = function(p, v) xgboost_spec(p, "classif")
  )
)

#' The learner spec the Python core decodes (class path + parameters)
#' @noRd
learner_spec <- function(learner, version = numeric_version("1.8")) {
  learner_catalog[[learner$id]]$spec(learner$params, version)
}
