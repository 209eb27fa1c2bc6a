#' The path of a data set shipped with pydmlserverless
#'
#' The Python package carries two public data sets (the replication files of Chernozhukov et
#' al., 2018, MIT licence), so examples and vignettes need no download:
#' `"penn_jae.dat"`, the Pennsylvania reemployment bonus experiment (whitespace-separated, a
#' header row; DoubleML's `fetch_bonus()` keeps treatment groups 0 and 4), and
#' `"sipp1991.dta"`, the 401(k) data of the SIPP 1991 (Stata; read it with `haven::read_dta()`).
#' `PYDMLSERVERLESS_DATA_DIR`, when set to a folder holding the file, overrides the packaged copy.
#'
#' @param name (`character(1)`) \cr
#'   `"penn_jae.dat"` or `"sipp1991.dta"`.
#'
#' @return The file's path (`character(1)`).
#' @export
#' @examples
#' if (pydmlserverless_available()) {
#'   bonus <- read.table(dmls_data_file("penn_jae.dat"), header = TRUE)
#'   dim(bonus)
#' }
dmls_data_file <- function(name = c("penn_jae.dat", "sipp1991.dta")) {
  name <- match.arg(name)
  py_call(bridge()$data_file, name)
}
