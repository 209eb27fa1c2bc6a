#!/usr/bin/env bash
# One command from a fresh clone to every benchmark run and docs/benchmarks.md regenerated:
# a Python virtual environment with the test extras (moto, the Lambda emulator) and the bench
# extras (py-spy), then `python -m bench.run_all`. Arguments go to it, e.g. `--quick` or
# `--only local_vs_doubleml`. Run it on a quiet machine: the figures are timings.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e ".[test,bench]"
export PYDMLSERVERLESS_DATA_DIR="${PYDMLSERVERLESS_DATA_DIR:-$(cd .. && pwd)/shared/data}"
export PATH="$PWD/$VENV/bin:$PATH"
python -m bench.run_all "$@"
