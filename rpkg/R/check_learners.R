# Learner task types checked in R before anything is fitted, as DoubleML-R's assert_learner().
#
# Per model and nuisance: the task types allowed ("regr", "classif" or both) and, where both
# are, the column whose values the nuisance predicts (a classifier then needs it binary 0/1).
# DoubleML-R's table for PLR, PLIV, IRM and IIVM; DoubleML's (Python) for the other models.
learner_rules <- list(
  PLR = list(
    ml_l = list(types = "regr"), ml_m = list(types = c("regr", "classif"), target = "d"),
    ml_g = list(types = "regr")
  ),
  PLIV = list(
    ml_l = list(types = "regr"), ml_m = list(types = "regr"), ml_r = list(types = "regr"),
    ml_g = list(types = "regr")
  ),
  IRM = list(ml_g = list(types = c("regr", "classif"), target = "y"), ml_m = list(types = "classif")),
  IIVM = list(
    ml_g = list(types = c("regr", "classif"), target = "y"), ml_m = list(types = "classif"),
    ml_r = list(types = "classif")
  ),
  APO = list(ml_g = list(types = c("regr", "classif"), target = "y"), ml_m = list(types = "classif")),
  APOS = list(ml_g = list(types = c("regr", "classif"), target = "y"), ml_m = list(types = "classif")),
  DID = list(ml_g = list(types = c("regr", "classif"), target = "y"), ml_m = list(types = "classif")),
  DIDMulti = list(ml_g = list(types = c("regr", "classif"), target = "y"), ml_m = list(types = "classif")),
  PLPR = list(
    ml_l = list(types = "regr"), ml_m = list(types = c("regr", "classif"), target = "d"),
    ml_g = list(types = "regr")
  ),
  PQ = list(ml_g = list(types = "classif"), ml_m = list(types = "classif")),
  CVAR = list(ml_g = list(types = "regr"), ml_m = list(types = "classif")),
  LPLR = list(
    ml_M = list(types = "classif"), ml_t = list(types = "regr"),
    ml_m = list(types = c("regr", "classif"), target = "d"), ml_a = list(types = c("regr", "classif"), target = "d")
  )
)

# "regr" or "classif": an lrn() learner's task type, or scikit-learn's is_classifier().
learner_task_type <- function(learner) {
  if (inherits(learner, "dmls_learner")) {
    type <- learner$task_type
    if (is.null(type)) type <- sub("\\..*$", "", learner$id)
    return(type)
  }
  if (inherits(learner, "python.builtin.object")) {
    base <- reticulate::import("sklearn.base", convert = TRUE)
    return(if (isTRUE(base$is_classifier(learner))) "classif" else "regr")
  }
  NA_character_
}

is_binary_01 <- function(x) {
  x <- x[!is.na(x)]
  length(x) > 0 && all(x == 0 | x == 1)
}

#' Refuse learners of the wrong task type, as DoubleML-R does
#'
#' A classifier for a nuisance that only regressions may fit (PLIV's `ml_l`, `ml_m`, `ml_r`;
#' PLR's `ml_l`), a regression for one that needs probabilities (IRM's `ml_m`), or a classifier
#' for a nuisance whose target is not binary 0/1 (PLR's `ml_m` with a continuous treatment) is
#' an error with DoubleML-R's message, before anything is sent to Python.
#'
#' @param model (`character(1)`) The model's key (`"PLR"`, `"PLIV"`, ...).
#' @param learners (named `list()`) The learners given (no `NULL`s; ids already `lrn()`s).
#' @param data ([DoubleMLData]) The data (for the targets' values).
#' @return `invisible(TRUE)`, or an error of class `dmls_LearnerError`.
#' @noRd
check_learners <- function(model, learners, data) {
  rules <- learner_rules[[model]]
  if (is.null(rules)) {
    return(invisible(TRUE))
  }
  for (name in intersect(names(learners), names(rules))) {
    rule <- rules[[name]]
    type <- learner_task_type(learners[[name]])
    if (is.na(type)) next
    if (!type %in% rule$types) {
      stop(dmls_condition("LearnerError", paste0(
        "Invalid learner provided for ", name, ": 'learner$task_type' must be '", rule$types, "'",
        if (type == "classif") {
          " (this nuisance is a conditional mean, fitted by regression as in DoubleML-R; a classifier would predict hard 0/1 labels)"
        }
      )))
    }
    if (type == "classif" && !is.null(rule$target)) {
      cols <- if (rule$target == "y") data$y_col else data$d_cols
      frame <- tryCatch(data$data, error = function(e) NULL)
      cols <- intersect(cols, names(frame))
      not_binary <- cols[!vapply(cols, function(col) is_binary_01(frame[[col]]), logical(1))]
      if (length(not_binary)) {
        stop(dmls_condition("LearnerError", paste0(
          "Invalid learner provided for ", name, ": 'learner$task_type' must be 'regr'",
          " (a classifier needs a binary target with values 0 and 1; ",
          if (rule$target == "y") "the outcome " else "the treatment ",
          cols_text(not_binary), " is not)"
        )))
      }
    }
  }
  invisible(TRUE)
}
