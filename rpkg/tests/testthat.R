library(testthat)
library(DoubleMLServerless)

test_check("DoubleMLServerless")
