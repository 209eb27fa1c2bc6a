#!/usr/bin/env bash
# Install R and the Debian r-cran-* packages the R front end, its tests and the vignettes need.
# Idempotent: does nothing when every package is already installed. Needs root (or sudo).
set -euo pipefail
R_PACKAGES=(
  r-base-core r-base-dev pandoc
  r-cran-reticulate r-cran-r6 r-cran-testthat r-cran-data.table r-cran-haven r-cran-knitr
  r-cran-rmarkdown r-cran-roxygen2 r-cran-cli r-cran-rlang r-cran-jsonlite r-cran-checkmate
  r-cran-ranger r-cran-glmnet
)
if dpkg -s "${R_PACKAGES[@]}" >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${R_PACKAGES[@]}"
