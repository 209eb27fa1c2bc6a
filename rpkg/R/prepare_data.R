# Turning a user's data frame into the numeric columns the Python core reads.

stop_data <- function(...) stop(dmls_condition("DataError", paste0(...)))

cols_text <- function(cols) paste(sprintf("'%s'", cols), collapse = ", ")

check_cols <- function(data, cols, role) {
  unknown <- setdiff(cols, names(data))
  if (length(unknown)) {
    stop_data(
      role, ": column(s) ", cols_text(unknown), " not found in the data. ",
      "Available columns: ", paste(names(data), collapse = ", "), "."
    )
  }
}

is_labelled <- function(x) inherits(x, "haven_labelled") || !is.null(attr(x, "labels"))

# Numeric values of a column: labelled -> its values, logical -> 0/1, numbers as doubles.
as_numeric_column <- function(x) {
  if (is.logical(x)) {
    return(as.numeric(x))
  }
  x <- unclass(x)
  attributes(x) <- NULL
  as.numeric(x)
}

is_categorical <- function(x) is.factor(x) || is.character(x)

# Treatment-contrast dummies of a factor (first level dropped), named as model.matrix names them.
dummies <- function(x, name) {
  x <- droplevels(as.factor(x))
  lev <- levels(x)
  if (length(lev) < 2) {
    stop_data(
      "factors = \"dummies\": column '", name, "' has fewer than two levels ",
      "(", cols_text(lev), "); drop it from x_cols."
    )
  }
  out <- lapply(lev[-1], function(l) as.numeric(x == l))
  names(out) <- paste0(name, lev[-1])
  out
}

#' Prepare a data frame's model columns
#'
#' @param data A data.frame, data.table or tibble.
#' @param roles Named list of column names: y_col, d_cols, x_cols (NULL = all others),
#'   z_cols, cluster_cols.
#' @param factors "error" or "dummies".
#' @param missing "error" or "listwise".
#' @return A list: `frame` (a data.frame of doubles), the roles with x_cols expanded,
#'   `dropped` (the row numbers removed by listwise deletion) and `labelled` (the columns whose
#'   value labels were dropped).
#' @noRd
prepare_frame <- function(data, y_col, d_cols, x_cols, z_cols, cluster_cols,
                          factors = c("error", "dummies"),
                          missing = c("error", "listwise")) {
  factors <- match.arg(factors)
  missing <- match.arg(missing)
  if (!is.data.frame(data)) {
    stop_data(
      "data must be a data.frame (or a data.table or tibble); got an object of class ",
      paste(class(data), collapse = "/"), "."
    )
  }
  data <- as.data.frame(data)
  if (anyDuplicated(names(data))) {
    stop_data("data has duplicate column names: ", cols_text(unique(names(data)[duplicated(names(data))])), ".")
  }
  checkmate::assert_string(y_col)
  checkmate::assert_character(d_cols, min.len = 1, any.missing = FALSE)
  for (role in c("y_col", "d_cols", "z_cols", "cluster_cols", "x_cols")) {
    check_cols(data, get(role), role)
  }
  if (is.null(x_cols)) {
    x_cols <- setdiff(names(data), c(y_col, d_cols, z_cols, cluster_cols))
  }
  used <- unique(c(y_col, d_cols, x_cols, z_cols, cluster_cols))
  if (factors == "dummies") {
    # Stata's categoricals arrive from haven as labelled numbers: expanded like factors, by value
    for (col in setdiff(x_cols, cluster_cols)) {
      if (inherits(data[[col]], "haven_labelled")) data[[col]] <- factor(as_numeric_column(data[[col]]))
    }
  }

  categorical <- used[vapply(data[used], is_categorical, logical(1))]
  numeric_roles <- setdiff(categorical, c(x_cols, cluster_cols))
  if (length(numeric_roles)) {
    stop_data(
      "column(s) ", cols_text(numeric_roles), " are factors or character; the outcome, treatment(s) ",
      "and instrument(s) must be numeric. Recode them first, e.g. as.integer(x == \"yes\")."
    )
  }
  categorical_x <- intersect(categorical, setdiff(x_cols, cluster_cols))
  if (length(categorical_x) && factors == "error") {
    stop_data(
      "covariate(s) ", cols_text(categorical_x), " are factors or character. Pass factors = \"dummies\" ",
      "to expand each into one 0/1 column per level but the first (named as model.matrix() names them), ",
      "or encode them yourself."
    )
  }
  other <- setdiff(used, categorical)
  not_numeric <- other[!vapply(data[other], function(x) {
    is.numeric(unclass(x)) || is.logical(x)
  }, logical(1))]
  if (length(not_numeric)) {
    stop_data(
      "column(s) ", cols_text(not_numeric), " are neither numeric, logical, factor nor character (",
      paste(vapply(data[not_numeric], function(x) class(x)[1], ""), collapse = ", "), ")."
    )
  }

  has_na <- vapply(data[used], function(x) sum(is.na(x)), numeric(1))
  dropped <- integer()
  if (any(has_na > 0)) {
    bad <- has_na[has_na > 0]
    incomplete <- which(!stats::complete.cases(data[used]))
    if (missing == "error") {
      stop_data(
        "missing values in column(s) ",
        paste(sprintf("'%s' (%d row%s)", names(bad), bad, ifelse(bad == 1, "", "s")), collapse = ", "),
        ". Pass missing = \"listwise\" to drop the ", length(incomplete), " incomplete row(s) of ",
        nrow(data), " (listwise deletion, as Stata does), or impute them first."
      )
    }
    dropped <- incomplete
    data <- data[-incomplete, , drop = FALSE]
    message(
      "Listwise deletion: dropped ", length(dropped), " of ", length(dropped) + nrow(data),
      " rows with missing values in ", cols_text(names(bad)), "."
    )
  }

  labelled <- used[vapply(data[used], is_labelled, logical(1))]
  if (length(labelled)) {
    message(
      "Value labels of column(s) ", cols_text(labelled), " were dropped; their numeric values are used.",
      if (length(intersect(labelled, x_cols))) {
        " Pass factors = \"dummies\" to expand labelled covariates into dummies (as Stata's i.var)."
      }
    )
  }

  columns <- list()
  new_x <- character()
  for (col in used) {
    x <- data[[col]]
    if (col %in% cluster_cols && is_categorical(x)) {
      columns[[col]] <- as.numeric(match(x, unique(x)))
    } else if (is_categorical(x)) {
      expanded <- dummies(x, col)
      clash <- intersect(names(expanded), setdiff(names(data), col))
      if (length(clash)) {
        stop_data("factors = \"dummies\": the dummy column(s) ", cols_text(clash), " already exist in the data.")
      }
      columns[names(expanded)] <- expanded
    } else {
      columns[[col]] <- as_numeric_column(x)
    }
  }
  for (col in x_cols) {
    new_x <- c(new_x, if (col %in% categorical_x) names(dummies(data[[col]], col)) else col)
  }
  not_finite <- names(columns)[!vapply(columns, function(x) all(is.finite(x)), logical(1))]
  if (length(not_finite)) {
    stop_data("column(s) ", cols_text(not_finite), " contain infinite values.")
  }
  list(
    frame = as.data.frame(columns, optional = TRUE),
    y_col = y_col, d_cols = d_cols, x_cols = new_x,
    z_cols = z_cols, cluster_cols = cluster_cols,
    dropped = dropped, labelled = labelled
  )
}

# Hand a prepared frame to Python: lists of doubles, or a file of float64 columns when large.
frame_to_python <- function(frame) {
  b <- bridge()
  limit <- getOption("DoubleMLServerless.file_transfer_cells", 1e6)
  if (as.numeric(nrow(frame)) * ncol(frame) <= limit) {
    return(py_call(b$frame_from_columns, as.list(frame)))
  }
  path <- tempfile(fileext = ".f8")
  on.exit(unlink(path), add = TRUE)
  con <- file(path, "wb")
  for (col in frame) writeBin(as.double(col), con, size = 8L, endian = "little")
  close(con)
  py_call(b$frame_from_file, path, as.list(names(frame)), nrow(frame))
}
