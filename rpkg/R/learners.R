#' Learners with mlr3 ids and parameter names
#'
#' A light stand-in for mlr3's `lrn()`: an mlr3 learner id and mlr3's parameter names, translated
#' to a scikit-learn estimator when a model is built (the fits run in Python). mlr3 itself is not
#' needed. A scikit-learn estimator built with reticulate can be passed to the models instead, as
#' it is.
#'
#' The translation lives in Python: the table `MLR3_LEARNERS` of the module
#' `pydmlserverless.r.mlr3_learners`, whose `make_learner(id, params)` gives a Python user the same
#' estimator. `lrn()` checks the id and the parameters there, so it needs the Python package:
#' without it, `lrn()` signals a `dmls_NoPythonError` (see [install_pydmlserverless()]). A bad id,
#' parameter name or value fails in `lrn()` with a `dmls_LearnerError`.
#'
#' @section Translations:
#' What `pydmlserverless.r.mlr3_learners` does. Integer parameters must be whole numbers and become
#' integers; only `lambda` takes several values; `NA` and `NULL` are refused. Defaults are those of
#' the R learner (ranger, glmnet, rpart) where scikit-learn's differ; a parameter without a default
#' below is left to scikit-learn's default when not given.
#'
#' | id | scikit-learn estimator | parameters (mlr3 -> scikit-learn) |
#' |---|---|---|
#' | `regr.ranger`, `classif.ranger` | `RandomForestRegressor`, `RandomForestClassifier` | `num.trees` -> `n_estimators` (default 500); `mtry` -> `max_features` (integer), `mtry.ratio` -> `max_features` (fraction; `mtry` wins when both are given), default `"sqrt"` = ranger's `floor(sqrt(p))`; `min.node.size` -> `min_samples_split = min.node.size + 1` (ranger splits only nodes larger than `min.node.size`; default 5 for regression, 10 for classification as ranger's probability forests); `min.bucket` -> `min_samples_leaf` (default 1); `max.depth` -> `max_depth` (0, as when not given: unlimited); `replace` -> `bootstrap` (default `TRUE`); `sample.fraction` -> `max_samples` (only with `replace = TRUE` and below 1); `num.threads` -> `n_jobs` (default 1); `seed` -> `random_state` |
#' | `regr.cv_glmnet` | `LassoCV` (`alpha = 1`, the default) or `ElasticNetCV(l1_ratio = alpha)` (`alpha < 1`), after `StandardScaler` when `standardize = TRUE` (default) | `alpha` -> `l1_ratio`; `nfolds` -> `cv` (default 10); `nlambda` -> `alphas` (`n_alphas` before scikit-learn 1.7); `lambda.min.ratio` -> `eps`; `intercept` -> `fit_intercept`; `maxit` -> `max_iter`; `s` must be `"lambda.min"` (the default here) |
#' | `classif.cv_glmnet` | `LogisticRegressionCV` with an L1 (`alpha = 1`, the default) or elastic net penalty, solver `saga`, `scoring = "neg_log_loss"`, after `StandardScaler` when `standardize = TRUE` (default) | `alpha` -> `l1_ratios = [alpha]` (before scikit-learn 1.8: `penalty = "l1"`, or `"elasticnet"` with `l1_ratios`); `nfolds` -> `cv` (default 10); `nlambda` -> `Cs` (default 10); `intercept` -> `fit_intercept`; `maxit` -> `max_iter` (default 1000); `lambda.min.ratio` is ignored; `s` must be `"lambda.min"` |
#' | `regr.glmnet` | `ElasticNet`, after `StandardScaler` when `standardize = TRUE` (default) | `s`, else `lambda` (one value; several need `s`) -> `alpha` (default 0.01, mlr3's `s`); `alpha` -> `l1_ratio` (default 1, the lasso); `intercept` -> `fit_intercept`; `maxit` -> `max_iter` |
#' | `regr.rpart`, `classif.rpart` | `DecisionTreeRegressor`, `DecisionTreeClassifier` | `minsplit` -> `min_samples_split = max(2, minsplit)` (default 20); `minbucket` -> `min_samples_leaf` (default `max(1, round(minsplit / 3))`); `maxdepth` -> `max_depth` (default 30); `cp` -> `ccp_alpha` (only when given; see below); `xval` is ignored |
#' | `regr.lm` | `LinearRegression` | none |
#' | `classif.log_reg` | `LogisticRegression(C = Inf)`, i.e. without penalty | `maxit` -> `max_iter` (default 1000) |
#' | `regr.xgboost`, `classif.xgboost` (needs the Python package xgboost when the estimator is built) | `xgboost.XGBRegressor`, `xgboost.XGBClassifier` | `nrounds` -> `n_estimators` (default 1000, as mlr3); `eta` -> `learning_rate`; `max_depth`; `subsample`; `colsample_bytree`; `colsample_bylevel`; `min_child_weight`; `gamma`; `lambda` -> `reg_lambda`; `alpha` -> `reg_alpha`; `nthread` -> `n_jobs` (default 1); `booster`; `objective`; `seed` -> `random_state` |
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
#' @section mlr3's learner surface:
#' What DoubleML-R scripts do with mlr3 learners works on these:
#' * `learner$clone()` and `learner$clone(deep = TRUE)`: a copy (`ml_m = ml_l$clone()`);
#' * `learner$param_set$values`: the parameters set (mlr3's names), and setting them,
#'   `learner$param_set$values$num.trees = 100` or `learner$param_set$values = list(num.trees = 100)`
#'   (all values replaced), checked as `lrn()` checks them (a bad name or value fails there, with a
#'   `dmls_LearnerError`);
#' * `learner$id`, `learner$task_type`;
#' * `print(learner)` in mlr3's layout (`<LearnerRegrRanger:regr.ranger>`, then the parameters and
#'   the scikit-learn estimator).
#'
#' Unlike mlr3's (R6) learners these are values, not references: `ml_m = ml_l` is already a copy
#' (as `ml_l$clone()` is), and changing one leaves the other alone. A model keeps the learners it
#' was built with; setting a learner's parameters afterwards does not change the model (use the
#' model's `$set_ml_nuisance_params()`).
#'
#' @return An object of class `dmls_learner`: a list with `id`, `task_type` (`"regr"` or
#'   `"classif"`) and `params` (as given, integer parameters as integers), with mlr3's learner
#'   surface (see the section above).
#' @seealso [as_sklearn()] for the scikit-learn estimator a learner becomes, [dmls_learners()]
#'   for the ids.
#' @export
#' @examples
#' if (pydmlserverless_available()) {
#'   print(lrn("regr.ranger", num.trees = 100, mtry = 3, min.node.size = 2))
#'   print(lrn("classif.cv_glmnet", s = "lambda.min"))
#'   print(lrn("regr.lm"))
#'   # mlr3's surface, as DoubleML-R scripts use it
#'   ml_l <- lrn("regr.ranger", num.trees = 100)
#'   ml_m <- ml_l$clone()
#'   ml_m$param_set$values$mtry <- 2
#'   ml_m$param_set$values
#'   ml_l$param_set$values # unchanged
#' }
lrn <- function(id, ...) {
  checkmate::assert_string(id)
  new_learner(id, list(...))
}

# A dmls_learner from an id and mlr3-named parameters, checked in Python (pydmlserverless.r.mlr3_learners).
new_learner <- function(id, params) {
  learner <- py_call(bridge()$mlr3_learner, id, plain_params(params))
  params <- lapply(learner$params, function(value) if (is.list(value)) unlist(value) else value)
  structure(
    list(id = id, task_type = learner$task_type, params = if (length(params)) params else list()),
    class = "dmls_learner"
  )
}

#' @export
`$.dmls_learner` <- function(x, name) {
  switch(name,
    clone = function(deep = FALSE) {
      checkmate::assert_flag(deep)
      x
    },
    param_set = structure(list(values = .subset2(x, "params"), id = .subset2(x, "id")), class = "dmls_param_set"),
    .subset2(x, name)
  )
}

#' @export
`$<-.dmls_learner` <- function(x, name, value) {
  if (identical(name, "param_set")) {
    values <- if (inherits(value, "dmls_param_set")) unclass(value)$values else value
    if (is.null(values)) values <- list()
    if (!is.list(values) || (length(values) && (is.null(names(values)) || any(!nzchar(names(values)))))) {
      stop(dmls_condition("LearnerError", "param_set$values must be a named list of parameters."))
    }
    return(new_learner(.subset2(x, "id"), values))
  }
  if (name %in% c("id", "task_type", "params", "clone")) {
    if (identical(name, "params")) {
      return(new_learner(.subset2(x, "id"), value %||% list()))
    }
    stop(dmls_condition("LearnerError", paste0("can't set field ", name, " of a learner; use lrn() for another one.")))
  }
  stop(dmls_condition("LearnerError", paste0(
    "A learner has no field '", name, "'; its parameters are set with learner$param_set$values$<name> = value."
  )))
}

#' @export
`$.dmls_param_set` <- function(x, name) .subset2(x, name)

#' @export
print.dmls_param_set <- function(x, ...) {
  cat("<ParamSet(", length(x$values), ")> values of ", x$id, ":\n", sep = "")
  cat(format_param_values(x$values), "\n", sep = "")
  invisible(x)
}

# mlr3's class name of a learner id: regr.ranger -> LearnerRegrRanger, classif.cv_glmnet -> LearnerClassifCVGlmnet.
mlr3_class_name <- function(id) {
  parts <- strsplit(id, ".", fixed = TRUE)[[1]]
  known <- c(ranger = "Ranger", cv_glmnet = "CVGlmnet", glmnet = "Glmnet", rpart = "Rpart", lm = "LM",
             log_reg = "LogReg", xgboost = "Xgboost")
  type <- c(regr = "Regr", classif = "Classif")[[parts[1]]]
  rest <- paste(parts[-1], collapse = ".")
  name <- if (rest %in% names(known)) known[[rest]] else {
    words <- strsplit(rest, "[_.]")[[1]]
    paste0(toupper(substring(words, 1, 1)), substring(words, 2), collapse = "")
  }
  paste0("Learner", type, name)
}

# Parameter values as mlr3 prints them: name=value, comma separated; list() when none.
format_param_values <- function(values) {
  if (!length(values)) {
    return("list()")
  }
  shown <- vapply(names(values), function(name) {
    v <- values[[name]]
    paste0(name, "=", if (length(v) == 1L) format(v) else paste0("<", class(v)[1], ":", length(v), ">"))
  }, "")
  paste(shown, collapse = ", ")
}

#' @export
print.dmls_learner <- function(x, ...) {
  id <- .subset2(x, "id")
  task_type <- .subset2(x, "task_type")
  cat(
    "<", mlr3_class_name(id), ":", id, ">\n",
    "* Model: -\n",
    "* Parameters: ", format_param_values(.subset2(x, "params")), "\n",
    "* Estimator: ", py_call(bridge()$mlr3_learner_label, id), " (scikit-learn, fitted in Python)\n",
    "* Packages: pydmlserverless, scikit-learn\n",
    "* Predict Types:  [response]", if (identical(task_type, "classif")) ", prob", "\n",
    sep = ""
  )
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
  py_call(bridge()$make_mlr3_learner, learner$id, plain_params(learner$params))
}

#' Learner ids this package translates
#'
#' The ids of the table in `pydmlserverless.r.mlr3_learners` (see [lrn()]); needs the Python package.
#'
#' @return A data.frame with columns `id`, `task_type` and `estimator`.
#' @export
#' @examples
#' if (pydmlserverless_available()) {
#'   dmls_learners()
#' }
dmls_learners <- function() {
  rows <- py_call(bridge()$mlr3_learner_table)
  column <- function(name) vapply(rows, `[[`, "", name)
  data.frame(id = column("id"), task_type = column("task_type"), estimator = column("estimator"))
}

`%||%` <- function(a, b) if (is.null(a)) b else a

# Parameters as a named list (a dict in Python; an unnamed parameter is named "") of plain values.
plain_params <- function(params) {
  names(params) <- names(params) %||% rep("", length(params))
  lapply(params, plain_value)
}

# A parameter value as Python takes it plainly: NULL as None, a vector of length 1 without NA as a
# scalar, any other vector as a list with its NA elements as None (reticulate would send a logical
# NA as True and an integer NA as -2147483648). Other objects go as reticulate converts them.
plain_value <- function(value) {
  if (is.factor(value)) value <- as.character(value)
  if (is.null(value) || !(is.logical(value) || is.numeric(value) || is.character(value))) {
    return(value)
  }
  value <- as.vector(value)
  missing <- is.na(value) & !(if (is.double(value)) is.nan(value) else FALSE)
  if (length(value) == 1L && !missing) {
    return(value)
  }
  out <- as.list(value)
  out[missing] <- list(NULL)
  out
}
