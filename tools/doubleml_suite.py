"""Run DoubleML's own test files through this package's classes, ``fit`` mapped to the local backend.

DoubleML ships its tests inside the installed package (``doubleml/<family>/tests``). This script
runs the ones named on the command line with every DoubleML model class replaced by its
``...Serverless`` class (built as DoubleML's, ``fit()`` sending every learner fit to
``Local(n_jobs=1)``), so that each test's comparison with DoubleML's manual implementation checks
the fan-out. Only the outermost ``fit()`` goes to the backend: the package estimates through the
model's own ``fit(external_predictions=...)``, which is DoubleML's without a backend; that inner
call must give every nuisance (or replace ``_nuisance_est``, for a model DoubleML takes no
predictions for), so DoubleML fits no learner itself.

Usage (from the repository root, in the environment that has the package)::

    python tools/doubleml_suite.py irm/tests/test_pq.py irm/tests/test_pq_external_predictions.py

Arguments are test files relative to the installed ``doubleml`` package; anything after ``--``
goes to pytest (``-- -n 2 -x``). Prints pytest's summary; the exit code is pytest's.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

PLUGIN = """
import importlib

import doubleml

import pydmlserverless
from pydmlserverless import Local
from pydmlserverless.doubleml.registry import MODELS


def _on_backend(cls):
    class OnBackend(cls):
        _inside = False

        def __init__(self, *args, **kwargs):
            super().__init__(None, None, *args, **kwargs)

        def fit(self, *args, **kwargs):
            if self._inside:  # the package's estimation: DoubleML must not fit a learner itself
                given = kwargs.get("external_predictions") or {}
                names = getattr(self, "params_names", None) or []
                missing = [(d, n) for d in self._dml_data.d_cols for n in names if n not in given.get(d, {})]
                # a model DoubleML takes no predictions for estimates through a replaced _nuisance_est (CVAR)
                assert not missing or "_nuisance_est" in vars(self), f"DoubleML would fit {missing} itself"
                return super().fit(*args, **kwargs)
            if "backend" in kwargs:
                return super().fit(*args, **kwargs)
            self._inside = True
            try:
                return super().fit(*args, backend=Local(n_jobs=1), progress=False, resume=False, **kwargs)
            finally:
                self._inside = False

    OnBackend.__name__ = OnBackend.__qualname__ = cls.__name__.removesuffix("Serverless")
    return OnBackend


# every class is built before any is replaced: the package reads DoubleML's own classes
replacements = [(entry, _on_backend(getattr(pydmlserverless, entry.class_name))) for entry in MODELS]
for entry, replacement in replacements:
    exported_by = importlib.import_module(entry.doubleml_class.rpartition(".")[0])
    original = getattr(exported_by, entry.doubleml_name)
    package = importlib.import_module(original.__module__.rpartition(".")[0])  # doubleml.irm for doubleml.irm.pq
    for target in {doubleml, exported_by, package}:
        if hasattr(target, entry.doubleml_name):
            setattr(target, entry.doubleml_name, replacement)
"""

INI = "[pytest]\nmarkers =\n    ci\n    ci_rdd\n    ci_did\n"


def main(argv: list[str]) -> int:
    import doubleml
    import pytest

    split = argv.index("--") if "--" in argv else len(argv)
    files, extra = argv[:split], argv[split + 1 :]
    if not files:
        print(__doc__)
        return 2
    root = Path(doubleml.__file__).parent
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "dmls_on_backend.py").write_text(PLUGIN)
        Path(folder, "pytest.ini").write_text(INI)
        sys.path.insert(0, folder)
        args = ["-c", str(Path(folder, "pytest.ini")), "--rootdir", str(root.parent), "-p", "dmls_on_backend"]
        args += ["-p", "no:cacheprovider", "-q", *extra, *(str(root / f) for f in files)]
        return int(pytest.main(args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
