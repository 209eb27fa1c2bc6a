#!/usr/bin/env bash
# One command from a fresh clone to every benchmark run and docs/benchmarks.md regenerated:
# a Python virtual environment with the test extras (moto, the Lambda emulator) and the bench
# extras (py-spy), then `python -m bench.run_all`. Arguments go to it, e.g. `--quick` or
# `--only local_vs_doubleml`. Run it on a quiet machine: the figures are timings.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS=test,bench
source tools/python_env.sh
python -m bench.run_all "$@"
