#' @title Panel data for difference-in-differences and panel regression models
#'
#' @description
#' A [DoubleMLData] with a time column and a unit (id) column, for
#' [DoubleMLDIDMultiServerless] (staggered adoption) and [DoubleMLPLPRServerless] (panel
#' partially linear regression): the Python `doubleml.DoubleMLPanelData` (or, with `bucket`,
#' `pydmlserverless.DoubleMLPanelDataS3` for fits on AWS Lambda).
#'
#' For a staggered design the treatment column `d_cols` is the group: the period in which a
#' unit is first treated, with `0` (as R's did package codes them) or `Inf` for units that are
#' never treated. For [DoubleMLPLPRServerless] it is the treatment itself, and
#' `static_panel = TRUE`.
#'
#' The columns are prepared as for [DoubleMLData] (`factors`, `missing`); a factor or character
#' id column is replaced by integer codes.
#'
#' @format [R6::R6Class] object inheriting from [DoubleMLData].
#' @family data
#' @export
#' @examples
#' set.seed(1)
#' df <- data.frame(
#'   id = rep(1:30, each = 4), t = rep(1:4, 30),
#'   g = rep(sample(c(0, 3, 4), 30, replace = TRUE), each = 4), x = rnorm(120)
#' )
#' df$y <- df$x + (df$g > 0 & df$t >= df$g) + rnorm(120)
#' panel <- DoubleMLPanelData$new(df, y_col = "y", d_cols = "g", t_col = "t", id_col = "id", x_cols = "x")
#' panel
DoubleMLPanelData <- R6::R6Class("DoubleMLPanelData",
  inherit = DoubleMLData,
  public = list(
    #' @description
    #' Creates a new panel data object.
    #'
    #' @param data,x_cols,y_col,d_cols,factors,missing See [DoubleMLData].
    #' @param t_col (`character(1)`) \cr The time period (numeric).
    #' @param id_col (`character(1)`) \cr The unit.
    #' @param static_panel (`logical(1)`) \cr `TRUE` for [DoubleMLPLPRServerless]. Default `FALSE`.
    #' @param bucket,file_key,region (`NULL`, `character(1)`) \cr For fits on AWS Lambda: the S3
    #'   bucket the function reads, a name for the data set and the client's region (see
    #'   [DoubleMLDataS3]). Default `NULL`: local fits only.
    initialize = function(data, y_col = NULL, d_cols = NULL, t_col = NULL, id_col = NULL, x_cols = NULL,
                          static_panel = FALSE, factors = c("error", "dummies"),
                          missing = c("error", "listwise"), bucket = NULL, file_key = NULL, region = NULL) {
      checkmate::assert_string(t_col)
      checkmate::assert_string(id_col)
      checkmate::assert_flag(static_panel)
      checkmate::assert_string(bucket, null.ok = TRUE, min.chars = 1)
      checkmate::assert_string(file_key, null.ok = TRUE)
      checkmate::assert_string(region, null.ok = TRUE)
      if (is.data.frame(data) && !is.null(d_cols) && all(d_cols %in% names(data)) && !static_panel) {
        data <- as.data.frame(data)
        for (col in d_cols) {
          if (is.numeric(data[[col]])) data[[col]][is.infinite(data[[col]])] <- 0 # never treated
        }
      }
      # the time and unit columns travel with the model columns (as cluster columns do: codes for factors)
      super$initialize(
        data,
        x_cols = x_cols, y_col = y_col, d_cols = d_cols, cluster_cols = c(t_col, id_col),
        factors = factors, missing = missing
      )
      private$prepared_$cluster_cols <- NULL
      private$t_col_ <- t_col
      private$id_col_ <- id_col
      private$static_panel_ <- static_panel
      private$bucket_ <- bucket
      private$file_key_ <- if (is.null(file_key)) "panel" else file_key
      private$region_ <- region
      invisible(self)
    }
  ),
  active = list(
    #' @field t_col (`character(1)`) \cr The time period.
    t_col = function(value) ro(value, "t_col", private$t_col_),
    #' @field id_col (`character(1)`) \cr The unit.
    id_col = function(value) ro(value, "id_col", private$id_col_),
    #' @field static_panel (`logical(1)`) \cr See `$new()`.
    static_panel = function(value) ro(value, "static_panel", private$static_panel_),
    #' @field n_ids (`integer(1)`) \cr Number of units.
    n_ids = function(value) ro(value, "n_ids", length(unique(private$prepared_$frame[[private$id_col_]])))
  ),
  private = list(
    t_col_ = NULL,
    id_col_ = NULL,
    static_panel_ = FALSE,
    bucket_ = NULL,
    file_key_ = NULL,
    region_ = NULL,
    make_py = function() {
      p <- private$prepared_
      frame <- frame_to_python(p$frame)
      py_call(
        bridge()$make_panel_data, frame,
        y_col = p$y_col, d_cols = as.list(p$d_cols), x_cols = as.list(p$x_cols),
        t_col = private$t_col_, id_col = private$id_col_, static_panel = private$static_panel_,
        bucket = private$bucket_, file_key = private$file_key_, region = private$region_
      )
    }
  )
)
