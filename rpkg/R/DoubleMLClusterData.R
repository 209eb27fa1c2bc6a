#' @title Data with cluster variables for Double Machine Learning models
#'
#' @description
#' DoubleML-R's `DoubleMLClusterData`: a [DoubleMLData] whose observations are clustered in one
#' or two ways (`cluster_cols`). The models take it as any [DoubleMLData]; DoubleML (Python)
#' then draws the sample splits per cluster and computes cluster-robust standard errors
#' (Chiang et al., 2021). Covariates default to every column that is not the outcome, a
#' treatment, an instrument or a cluster variable. Cluster columns that are factors or
#' character are replaced by integer codes (see [DoubleMLData]).
#'
#' @format [R6::R6Class] object inheriting from [DoubleMLData].
#' @family data
#' @export
#' @examples
#' set.seed(1)
#' df <- make_pliv_multiway_cluster_CKMS2021(N = 10, M = 10, dim_X = 5, return_type = "data.frame")
#' dml_data <- DoubleMLClusterData$new(df,
#'   y_col = "Y", d_cols = "D", z_cols = "Z",
#'   cluster_cols = c("cluster_var_i", "cluster_var_j")
#' )
#' dml_data
DoubleMLClusterData <- R6::R6Class("DoubleMLClusterData",
  inherit = DoubleMLData,
  public = list(
    #' @description
    #' Creates a new data object, with DoubleML-R's arguments in DoubleML-R's order.
    #'
    #' @param data (`data.frame`, `data.table` or `tibble`) \cr The data.
    #' @param x_cols (`NULL`, `character()`) \cr Covariates; `NULL` (default): every column that
    #'   is not the outcome, a treatment, an instrument or a cluster variable.
    #' @param y_col (`character(1)`) \cr The outcome.
    #' @param d_cols (`character()`) \cr The treatment(s).
    #' @param cluster_cols (`character()`) \cr The cluster variable(s) (one or two).
    #' @param z_cols (`NULL`, `character()`) \cr The instrument(s).
    #' @param s_col (`NULL`) \cr DoubleML-R's selection variable; sample selection models are
    #'   not supported here, so it must be `NULL`.
    #' @param use_other_treat_as_covariate (`logical(1)`) \cr See [DoubleMLData].
    #' @param factors,missing See [DoubleMLData].
    initialize = function(data, x_cols = NULL, y_col = NULL, d_cols = NULL, cluster_cols = NULL,
                          z_cols = NULL, s_col = NULL, use_other_treat_as_covariate = TRUE,
                          factors = c("error", "dummies"), missing = c("error", "listwise")) {
      refuse_s_col(s_col)
      checkmate::assert_character(cluster_cols, min.len = 1, any.missing = FALSE, unique = TRUE)
      check_cluster_roles(cluster_cols, y_col, d_cols, x_cols, z_cols)
      super$initialize(
        data,
        x_cols = x_cols, y_col = y_col, d_cols = d_cols, z_cols = z_cols,
        cluster_cols = cluster_cols, use_other_treat_as_covariate = use_other_treat_as_covariate,
        factors = factors, missing = missing
      )
    },

    #' @description
    #' Prints the data summary in DoubleML-R's layout for cluster data.
    print = function() {
      cat(
        "================= DoubleMLClusterData Object ==================\n",
        "\n",
        "\n------------------ Data summary      ------------------\n",
        "Outcome variable: ", self$y_col, "\n",
        "Treatment variable(s): ", paste0(self$d_cols, collapse = ", "), "\n",
        "Cluster variable(s): ", paste0(self$cluster_cols, collapse = ", "), "\n",
        "Covariates: ", paste0(self$x_cols, collapse = ", "), "\n",
        "Instrument(s): ", paste0(self$z_cols, collapse = ", "), "\n",
        "Selection variable: \n",
        "No. Observations: ", self$n_obs, "\n",
        sep = ""
      )
      invisible(self)
    }
  ),
  active = list(
    #' @field n_cluster_vars (`integer(1)`) \cr The number of cluster variables.
    n_cluster_vars = function(value) ro(value, "n_cluster_vars", length(self$cluster_cols))
  )
)

refuse_s_col <- function(s_col) {
  if (!is.null(s_col)) {
    stop_data(
      "s_col: sample selection models (DoubleML-R's DoubleMLSSM) are not supported by ",
      "DoubleMLServerless; leave s_col = NULL."
    )
  }
}

# DoubleML-R's checks that no column is both a cluster variable and something else.
check_cluster_roles <- function(cluster_cols, y_col, d_cols, x_cols, z_cols) {
  if (!is.null(y_col) && y_col %in% cluster_cols) {
    stop_data(y_col, " cannot be set as outcome variable 'y_col' and cluster variable in 'cluster_cols'.")
  }
  if (any(d_cols %in% cluster_cols)) {
    stop_data(
      "At least one variable/column is set as treatment variable ('d_cols') and as a cluster ",
      "variable ('cluster_cols')."
    )
  }
  if (any(x_cols %in% cluster_cols)) {
    stop_data("At least one variable/column is set as covariate ('x_cols') and as a cluster variable ('cluster_cols').")
  }
  if (any(z_cols %in% cluster_cols)) {
    stop_data(
      "At least one variable/column is set as instrumental variable ('z_cols') and as a cluster ",
      "variable ('cluster_cols')."
    )
  }
}

# A vector as a one-column matrix (DoubleML-R's assure_matrix).
as_column_matrix <- function(x, name) {
  if (is.data.frame(x)) x <- as.matrix(x)
  if (is.vector(x) || is.factor(x)) x <- matrix(x, ncol = 1)
  if (!is.matrix(x)) stop_data(name, " must be a matrix or a vector; got ", paste(class(x), collapse = "/"), ".")
  x
}

#' Data object from matrices
#'
#' DoubleML-R's `double_ml_data_from_matrix()`: a [DoubleMLData] (or [DoubleMLClusterData], or a
#' `data.table`) from matrices or vectors, with DoubleML-R's column names: `X1`, ... for `X`,
#' `y`, `d` (or `d1`, `d2`, ... for several treatments), `z` (or `z1`, ...), `cluster_var` (or
#' `cluster_var1`, `cluster_var2`; DoubleML-R numbers several cluster variables by the number
#' of instruments, a slip not copied here).
#'
#' @param X (`matrix()` or `NULL`) \cr Covariates; `NULL`: none given (then every column that
#'   is not the outcome, a treatment, an instrument or a cluster variable; that is, none).
#' @param y (`numeric()`) \cr The outcome.
#' @param d (`matrix()`, `numeric()`) \cr The treatment(s).
#' @param z (`matrix()`, `numeric()` or `NULL`) \cr The instrument(s).
#' @param s (`NULL`) \cr DoubleML-R's selection variable; not supported here, must be `NULL`.
#' @param cluster_vars (`matrix()`, `data.frame()` or `NULL`) \cr Cluster variable(s): then a
#'   [DoubleMLClusterData] is returned (as DoubleML-R does, also for
#'   `data_class = "DoubleMLData"`).
#' @param data_class (`character(1)`) \cr `"DoubleMLData"` (default), `"DoubleMLClusterData"`
#'   (needs `cluster_vars`) or `"data.table"` (the assembled data.table; needs data.table).
#' @param use_other_treat_as_covariate (`logical(1)`) \cr See [DoubleMLData].
#' @return A [DoubleMLData], [DoubleMLClusterData] or `data.table`.
#' @family data
#' @export
#' @examples
#' set.seed(1)
#' m <- make_plr_CCDDHNR2018(n_obs = 100, dim_x = 5, return_type = "matrix")
#' double_ml_data_from_matrix(X = m$X, y = m$y, d = m$d)
double_ml_data_from_matrix <- function(X = NULL, y, d, z = NULL, s = NULL, cluster_vars = NULL,
                                       data_class = "DoubleMLData",
                                       use_other_treat_as_covariate = TRUE) {
  checkmate::assert_choice(data_class, c("DoubleMLData", "data.table", "DoubleMLClusterData"))
  checkmate::assert_flag(use_other_treat_as_covariate)
  refuse_s_col(s)
  parts <- list(X = X, y = y, d = d, z = z, cluster_vars = cluster_vars)
  parts <- parts[!vapply(parts, is.null, logical(1))]
  parts <- Map(as_column_matrix, parts, names(parts))
  rows <- vapply(parts, nrow, integer(1))
  if (length(unique(rows)) > 1) {
    stop_data(
      "the matrices must have the same number of rows; got ",
      paste(sprintf("%s: %d", names(rows), rows), collapse = ", "), "."
    )
  }
  numbered <- function(m, stem, single) if (ncol(m) == 1) single else paste0(stem, seq_len(ncol(m)))
  x_cols <- if (!is.null(parts$X)) paste0("X", seq_len(ncol(parts$X)))
  d_cols <- numbered(parts$d, "d", "d")
  z_cols <- if (!is.null(parts$z)) numbered(parts$z, "z", "z")
  cluster_cols <- if (!is.null(parts$cluster_vars)) numbered(parts$cluster_vars, "cluster_var", "cluster_var")
  cols <- list(x_cols, "y", d_cols, z_cols, cluster_cols)
  data <- do.call(cbind, lapply(seq_along(parts), function(i) {
    block <- as.data.frame(parts[[i]], stringsAsFactors = FALSE)
    names(block) <- cols[!vapply(cols, is.null, logical(1))][[i]]
    block
  }))
  if (data_class == "data.table") {
    return(as_data_table(data))
  }
  if (is.null(cluster_cols)) {
    if (data_class == "DoubleMLClusterData") {
      stop_data(
        "To initialize a DoubleMLClusterData object a matrix of cluster variables (`cluster_vars`) ",
        "must be provided."
      )
    }
    return(DoubleMLData$new(data,
      x_cols = x_cols, y_col = "y", d_cols = d_cols, z_cols = z_cols,
      use_other_treat_as_covariate = use_other_treat_as_covariate
    ))
  }
  DoubleMLClusterData$new(data,
    x_cols = x_cols, y_col = "y", d_cols = d_cols, z_cols = z_cols, cluster_cols = cluster_cols,
    use_other_treat_as_covariate = use_other_treat_as_covariate
  )
}
