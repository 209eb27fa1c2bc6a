#' DoubleMLServerless: Double Machine Learning with serverless cross-fitting
#'
#' The R front end of the Python package pydmlserverless. Build a [DoubleMLData] (or a
#' [DoubleMLDataS3] for AWS Lambda), choose learners with [lrn()], fit one of
#' [DoubleMLPLRServerless], [DoubleMLPLIVServerless], [DoubleMLIRMServerless] or
#' [DoubleMLIIVMServerless] with `$fit_local()` or `$fit_aws_lambda()`, then use DoubleML-R's
#' surface: `coef`, `se`, `confint()`, `bootstrap()`, `p_adjust()`, `summary()`, `print()`.
#'
#' The Python side is found through reticulate (`RETICULATE_PYTHON`, or the virtualenv made by
#' [install_pydmlserverless()]); it is imported on first use. Data and results cross between R
#' and Python as plain lists, numbers and strings (large data through a temporary file of
#' float64 columns), never as NumPy arrays. Python errors arrive as classed R conditions
#' ([dmls_conditions]).
#'
#' Options: `DoubleMLServerless.file_transfer_cells` (default `1e6`): data with more cells
#' (rows x columns) are handed to Python through a temporary file.
#'
#' @name DoubleMLServerless-package
#' @aliases DoubleMLServerless-package
#' @docType package
#' @importFrom R6 R6Class
#' @keywords internal
NULL
