#' @title Data stored in an S3 bucket for AWS Lambda fits
#'
#' @description
#' A [DoubleMLData] whose model columns are uploaded to an S3 bucket that the Lambda function
#' reads (the Python `pydmlserverless.DoubleMLDataS3`). The object key is content-addressed:
#' an identical data set is uploaded once. AWS credentials and endpoints follow the AWS SDK's
#' own conventions (profiles, `AWS_REGION`, `AWS_ENDPOINT_URL_S3`, ...).
#'
#' @format [R6::R6Class] object inheriting from [DoubleMLData].
#' @family data
#' @export
#' @examples
#' df <- data.frame(y = rnorm(20), d = rbinom(20, 1, 0.5), x = rnorm(20))
#' dml_data <- DoubleMLDataS3$new("my-bucket", "toy.csv", df, y_col = "y", d_cols = "d")
#' dml_data$bucket
#' \dontrun{
#' dml_data$store_and_upload_to_s3() # needs AWS credentials
#' }
DoubleMLDataS3 <- R6::R6Class("DoubleMLDataS3",
  inherit = DoubleMLData,
  public = list(
    #' @description
    #' Creates a new data object for an S3 bucket.
    #'
    #' @param bucket (`character(1)`) \cr The S3 bucket (the SAM stack's data bucket).
    #' @param file_key (`character(1)`) \cr A name for the data set (kept as the object's
    #'   metadata; the object key itself is content-addressed).
    #' @param data,x_cols,y_col,d_cols,z_cols,cluster_cols,use_other_treat_as_covariate,factors,missing
    #'   See [DoubleMLData].
    #' @param region (`NULL`, `character(1)`) \cr Region of the S3 client (default: the SDK's).
    initialize = function(bucket, file_key, data, x_cols = NULL, y_col = NULL, d_cols = NULL,
                          z_cols = NULL, cluster_cols = NULL, use_other_treat_as_covariate = TRUE,
                          factors = c("error", "dummies"), missing = c("error", "listwise"),
                          region = NULL) {
      checkmate::assert_string(bucket, min.chars = 1)
      checkmate::assert_string(file_key, min.chars = 1)
      checkmate::assert_string(region, null.ok = TRUE)
      private$bucket_ <- bucket
      private$file_key_ <- file_key
      private$region_ <- region
      super$initialize(
        data,
        x_cols = x_cols, y_col = y_col, d_cols = d_cols, z_cols = z_cols,
        cluster_cols = cluster_cols, use_other_treat_as_covariate = use_other_treat_as_covariate,
        factors = factors, missing = missing
      )
    },

    #' @description
    #' Uploads the model columns to S3 unless an identical object is already there.
    #'
    #' @return The object key (`character(1)`), invisibly.
    store_and_upload_to_s3 = function() {
      key <- py_call(self$py$store_and_upload_to_s3)
      message("Data in s3://", private$bucket_, "/", key)
      invisible(key)
    }
  ),
  active = list(
    #' @field bucket (`character(1)`) \cr The S3 bucket.
    bucket = function(value) ro(value, "bucket", private$bucket_),
    #' @field file_key (`character(1)`) \cr The data set's name.
    file_key = function(value) ro(value, "file_key", private$file_key_),
    #' @field s3_key (`character(1)`) \cr The content-addressed object key.
    s3_key = function(value) ro(value, "s3_key", py_call(function() self$py$s3_key)),
    #' @field uploaded (`logical(1)`) \cr Whether `$store_and_upload_to_s3()` was called.
    uploaded = function(value) ro(value, "uploaded", !is.null(private$py_) && isTRUE(private$py_$uploaded))
  ),
  private = list(
    bucket_ = NULL,
    file_key_ = NULL,
    region_ = NULL,
    make_py = function() {
      frame <- frame_to_python(private$prepared_$frame)
      args <- c(
        list(bridge()$make_data, frame), private$py_data_args(),
        list(bucket = private$bucket_, file_key = private$file_key_, region = private$region_)
      )
      do.call(py_call, args)
    }
  )
)
