#!/usr/bin/env bash
# Install R and the Debian r-cran-* packages the R front end, its tests and the vignettes need.
# Idempotent: does nothing when every package is already installed. Needs root (or sudo).
set -euo pipefail
# rpkg/DESCRIPTION: Imports checkmate, R6, reticulate; Suggests cli, data.table, haven, testthat,
# tibble, withr; knitting the vignettes: knitr, rmarkdown, pandoc; docs: roxygen2; rpy2 builds on r-base-dev.
R_PACKAGES=(
  r-base-core r-base-dev pandoc
  r-cran-r6 r-cran-reticulate r-cran-checkmate r-cran-jsonlite r-cran-cli
  r-cran-testthat r-cran-withr r-cran-data.table r-cran-haven r-cran-tibble
  r-cran-knitr r-cran-rmarkdown r-cran-roxygen2
)
if dpkg -s "${R_PACKAGES[@]}" >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${R_PACKAGES[@]}"
