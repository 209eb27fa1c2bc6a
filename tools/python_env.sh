# Sourced by tools/test.sh and tools/bench.sh from the repository root: the virtual environment
# ($VENV, default .venv, made with $PYTHON) with the package and the extras in $EXTRAS installed,
# its bin/ first on PATH.
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e ".[$EXTRAS]"
export PATH="$PWD/$VENV/bin:$PATH"
