#' @title Data for Double Machine Learning models
#'
#' @description
#' The data backend of the models, with DoubleML-R's constructor: the data and the roles of its
#' columns. The model columns are checked and prepared in R (no Python needed to build the
#' object); the Python `doubleml.DoubleMLData` is made when a model first needs it.
#'
#' What happens to the columns:
#' * numeric and integer columns are used as doubles, logical ones as 0/1;
#' * labelled columns (e.g. from [haven::read_dta()], class `haven_labelled`) keep their numeric
#'   values; the value labels are dropped, with a message naming the columns. With
#'   `factors = "dummies"`, labelled covariates (a Stata categorical such as `region`, used as
#'   `i.region`) are expanded as factors are, with the values as levels (`region2`, `region3`
#'   for values 1, 2, 3: the lowest value is the base level, as Stata's `i.region`);
#' * factor or character covariates are an error, unless `factors = "dummies"`: then each becomes
#'   one 0/1 column per level except the first (treatment contrasts, named as [stats::model.matrix()]
#'   names them, e.g. `dep1`, `dep2` for a factor `dep` with levels 0, 1, 2; unused levels are
#'   dropped first). Factor outcomes, treatments and instruments are always an error;
#' * factor or character cluster columns are replaced by integer codes;
#' * missing values in any model column are an error naming the columns, unless
#'   `missing = "listwise"`: then incomplete rows are dropped (listwise deletion, as Stata does),
#'   with a message saying how many; `$dropped_rows` keeps their row numbers.
#'
#' @format [R6::R6Class] object.
#' @family data
#' @export
#' @examples
#' df <- data.frame(y = rnorm(20), d = rbinom(20, 1, 0.5), x1 = rnorm(20), x2 = rnorm(20))
#' dml_data <- DoubleMLData$new(df, y_col = "y", d_cols = "d")
#' dml_data
#'
#' # a factor covariate expanded into dummies, rows with missing values dropped
#' df$region <- factor(sample(c("north", "south", "west"), 20, replace = TRUE))
#' df$x1[3] <- NA
#' dml_data <- DoubleMLData$new(df, y_col = "y", d_cols = "d",
#'   factors = "dummies", missing = "listwise")
#' dml_data$x_cols
DoubleMLData <- R6::R6Class("DoubleMLData",
  public = list(
    #' @description
    #' Creates a new data object.
    #'
    #' @param data (`data.frame`, `data.table` or `tibble`) \cr The data.
    #' @param x_cols (`NULL`, `character()`) \cr Covariates; `NULL` (default) uses every column
    #'   that is not the outcome, a treatment, an instrument or a cluster variable.
    #' @param y_col (`character(1)`) \cr The outcome.
    #' @param d_cols (`character()`) \cr The treatment(s).
    #' @param z_cols (`NULL`, `character()`) \cr The instrument(s).
    #' @param cluster_cols (`NULL`, `character()`) \cr Cluster variable(s).
    #' @param use_other_treat_as_covariate (`logical(1)`) \cr With several treatments, whether the
    #'   other treatments are covariates of each one's nuisance models. Default `TRUE`.
    #' @param factors (`character(1)`) \cr `"error"` (default) or `"dummies"`: what to do with
    #'   factor or character covariates, and whether labelled ones are expanded too (see
    #'   Description).
    #' @param missing (`character(1)`) \cr `"error"` (default) or `"listwise"`: what to do with
    #'   rows that have missing values in a model column (see Description).
    initialize = function(data, x_cols = NULL, y_col = NULL, d_cols = NULL, z_cols = NULL,
                          cluster_cols = NULL, use_other_treat_as_covariate = TRUE,
                          factors = c("error", "dummies"), missing = c("error", "listwise")) {
      if (is.null(y_col)) stop_data("y_col is required: the name of the outcome column.")
      if (is.null(d_cols)) stop_data("d_cols is required: the name(s) of the treatment column(s).")
      checkmate::assert_character(x_cols, null.ok = TRUE, any.missing = FALSE)
      checkmate::assert_character(z_cols, null.ok = TRUE, any.missing = FALSE)
      checkmate::assert_character(cluster_cols, null.ok = TRUE, any.missing = FALSE)
      checkmate::assert_flag(use_other_treat_as_covariate)
      prepared <- prepare_frame(
        data, y_col, d_cols, x_cols, z_cols, cluster_cols,
        factors = factors, missing = missing
      )
      private$prepared_ <- prepared
      private$use_other_treat_ <- use_other_treat_as_covariate
      invisible(self)
    },

    #' @description
    #' Prints the data summary in DoubleML-R's layout.
    print = function() {
      cat(
        "================= ", class(self)[1], " Object ==================\n",
        "\n",
        "\n------------------ Data summary      ------------------\n",
        data_summary_text(self),
        sep = ""
      )
      invisible(self)
    }
  ),
  active = list(
    #' @field data (`data.frame`) \cr The prepared model columns (doubles).
    data = function(value) ro(value, "data", private$prepared_$frame),
    #' @field y_col (`character(1)`) \cr The outcome.
    y_col = function(value) ro(value, "y_col", private$prepared_$y_col),
    #' @field d_cols (`character()`) \cr The treatment(s).
    d_cols = function(value) ro(value, "d_cols", private$prepared_$d_cols),
    #' @field x_cols (`character()`) \cr The covariates (after any dummy expansion).
    x_cols = function(value) ro(value, "x_cols", private$prepared_$x_cols),
    #' @field z_cols (`NULL`, `character()`) \cr The instrument(s).
    z_cols = function(value) ro(value, "z_cols", private$prepared_$z_cols),
    #' @field cluster_cols (`NULL`, `character()`) \cr The cluster variable(s).
    cluster_cols = function(value) ro(value, "cluster_cols", private$prepared_$cluster_cols),
    #' @field use_other_treat_as_covariate (`logical(1)`) \cr See `$new()`.
    use_other_treat_as_covariate = function(value) {
      ro(value, "use_other_treat_as_covariate", private$use_other_treat_)
    },
    #' @field n_obs (`integer(1)`) \cr Number of observations (after listwise deletion).
    n_obs = function(value) ro(value, "n_obs", nrow(private$prepared_$frame)),
    #' @field n_treat (`integer(1)`) \cr Number of treatments.
    n_treat = function(value) ro(value, "n_treat", length(private$prepared_$d_cols)),
    #' @field n_instr (`integer(1)`) \cr Number of instruments.
    n_instr = function(value) ro(value, "n_instr", length(private$prepared_$z_cols)),
    #' @field dropped_rows (`integer()`) \cr Row numbers of the input removed by listwise deletion.
    dropped_rows = function(value) ro(value, "dropped_rows", private$prepared_$dropped),
    #' @field py (Python object) \cr The Python `doubleml.DoubleMLData` (made on first use).
    py = function(value) {
      ro(value, "py", {
        if (is.null(private$py_)) private$py_ <- private$make_py()
        private$py_
      })
    }
  ),
  private = list(
    prepared_ = NULL,
    use_other_treat_ = TRUE,
    py_ = NULL,
    py_data_args = function() {
      p <- private$prepared_
      list(
        y_col = p$y_col, d_cols = as.list(p$d_cols), x_cols = as.list(p$x_cols),
        z_cols = if (length(p$z_cols)) as.list(p$z_cols), cluster_cols = if (length(p$cluster_cols)) as.list(p$cluster_cols),
        use_other_treat_as_covariate = private$use_other_treat_
      )
    },
    make_py = function() {
      frame <- frame_to_python(private$prepared_$frame)
      do.call(py_call, c(list(bridge()$make_data, frame), private$py_data_args()))
    }
  )
)

# A read-only active binding's body, with DoubleML-R's message.
ro <- function(value, name, result) {
  if (!missing(value)) stop("can't set field ", name, call. = FALSE)
  result
}

data_summary_text <- function(data) {
  paste0(
    "Outcome variable: ", data$y_col, "\n",
    "Treatment variable(s): ", paste0(data$d_cols, collapse = ", "), "\n",
    "Covariates: ", paste0(data$x_cols, collapse = ", "), "\n",
    "Instrument(s): ", paste0(data$z_cols, collapse = ", "), "\n",
    "Selection variable: \n",
    if (!is.null(data$t_col)) paste0("Time variable: ", data$t_col, "\nId variable: ", data$id_col, "\n"),
    if (length(data$cluster_cols)) {
      paste0("Cluster variable(s): ", paste0(data$cluster_cols, collapse = ", "), "\n")
    },
    "No. Observations: ", data$n_obs, "\n"
  )
}

#' Data object from a data.frame
#'
#' DoubleML-R's helper, with its arguments in its order: a [DoubleMLData], or a
#' [DoubleMLClusterData] when `cluster_cols` are given (as DoubleML-R). With
#' `data_class = "DoubleMLDataS3"` (and `bucket`, `file_key` in `...`) a [DoubleMLDataS3].
#'
#' @param df (`data.frame`, `data.table` or `tibble`) \cr The data.
#' @param x_cols,y_col,d_cols,z_cols,cluster_cols,use_other_treat_as_covariate See
#'   [DoubleMLData].
#' @param s_col (`NULL`) \cr DoubleML-R's selection variable; sample selection models are not
#'   supported here, so it must be `NULL`.
#' @param data_class (`character(1)`) \cr `"DoubleMLData"` (default) or `"DoubleMLDataS3"`.
#' @param ... More arguments of the class's `$new()` (`factors`, `missing`, `bucket`, ...).
#' @return A [DoubleMLData], [DoubleMLClusterData] or [DoubleMLDataS3] object.
#' @family data
#' @export
#' @examples
#' df <- data.frame(y = rnorm(10), d = rnorm(10), x = rnorm(10))
#' double_ml_data_from_data_frame(df, y_col = "y", d_cols = "d")
double_ml_data_from_data_frame <- function(df, x_cols = NULL, y_col = NULL, d_cols = NULL,
                                           z_cols = NULL, s_col = NULL, cluster_cols = NULL,
                                           use_other_treat_as_covariate = TRUE,
                                           data_class = "DoubleMLData", ...) {
  checkmate::assert_choice(data_class, c("DoubleMLData", "DoubleMLDataS3"))
  refuse_s_col(s_col)
  cls <- if (data_class == "DoubleMLDataS3") {
    DoubleMLDataS3
  } else if (is.null(cluster_cols)) {
    DoubleMLData
  } else {
    DoubleMLClusterData
  }
  do.call(cls$new, c(list(
    data = df, x_cols = x_cols, y_col = y_col, d_cols = d_cols, z_cols = z_cols,
    cluster_cols = cluster_cols, use_other_treat_as_covariate = use_other_treat_as_covariate
  ), list(...)))
}
