#!/usr/bin/env bash
# One command from a fresh clone to every test passing: installs R (Debian) and a Python virtual
# environment with the test extras, then runs the linters, mypy and pytest (Python and R tests).
# Extra arguments go to pytest, e.g. `tools/test.sh -m "not slow"`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_r.sh
EXTRAS=test
source tools/python_env.sh
export RETICULATE_PYTHON="$PWD/$VENV/bin/python"
export PYDMLSERVERLESS_REQUIRE_R=1  # the R tests fail, not skip, if R is missing
export PYDMLSERVERLESS_NO_SKIPS=1   # any skip but a doctest's +SKIP (real AWS) fails the run (tests/conftest.py)
ruff check .
ruff format --check .
mypy
# two pytest processes, a test file each at a time (module fixtures such as the Dask and Ray clusters
# stay in one process): most of the suite waits on subprocesses (R, emulators, pools), not on a core
python -m pytest -n "${PYTEST_WORKERS:-2}" --dist loadfile "$@"
