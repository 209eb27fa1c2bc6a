"""R's runs on a backend: fitting, the AWS Lambda plan, and stopping the local backend's workers.

R's options are split into the backend's settings and the run's, R's whole numbers (doubles) made
integers where Python wants them, and R's progress bar made the run's sink
(:func:`_backend_and_run`, which :mod:`pydmlserverless.r.tuning` uses too).
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..backends import backend_spec
from ..backends.local import shutdown_workers
from ..errors import ConfigurationError
from ..planner.plan import STRATEGIES
from .feedback import _r_sink

__all__ = ["fit", "plan_aws_lambda", "shutdown"]


def _integer_names(spec_class: type) -> set[str]:
    """The options of a settings class (a backend's, :class:`RunOptions`) that are integers in Python."""
    return {f.name for f in dataclasses.fields(spec_class) if str(f.type).split(" ")[0] == "int"}


def _backend_and_run(backend: str, options: Mapping[str, Any], what: str) -> tuple[Any, dict[str, Any]]:
    """R's options split into the backend's settings (its class's fields) and the rest; R's whole numbers
    made ints where Python wants an integer (R's ``2`` is a double), R's progress bar as the sink."""
    spec_class = type(backend_spec(backend)) if isinstance(backend, str) else type(backend)
    integers = _integer_names(spec_class) | {"n_jobs_cv", "n_jobs_models"}
    options = {
        key: int(value) if key in integers and isinstance(value, float) and value.is_integer() else value
        for key, value in options.items()
    }
    spec, rest = spec_class.take(options)
    rest["progress"] = _r_sink(what, rest.get("progress"))
    rest.setdefault("verbose", False)
    return spec, rest


def fit(model: Any, backend: str, seed: int | None, options: dict) -> str:
    """R's ``$fit()`` on any backend (``'local'``, ``'aws_lambda'``, ``'dask'``, ``'ray'``): ``model.fit(backend=...)``.

    ``options`` hold the backend's settings, the run's options and DoubleML's ``fit()`` arguments,
    by name. Returns the report as text.
    """
    spec, rest = _backend_and_run(backend, options, "Fitting")
    model.fit(backend=spec, seed=seed, **rest)
    return str(model.fit_report) if model.fit_report is not None else ""


def shutdown(at_exit: bool = False) -> None:
    """Stop the local backend's worker processes; the R package calls this when R exits.

    ``at_exit``: R is exiting. Python embedded in R is not finalised, so its exit handlers
    (``atexit``) would never run: joblib's, which remove the temporary folders of the pools'
    managers, among them (left, the resource tracker reports them as "leaked folder objects" on
    stderr). They are run here, as Python's own exit would.
    """
    if "joblib.externals.loky" in sys.modules:
        shutdown_workers()
    if at_exit:
        import atexit

        atexit._run_exitfuncs()


def plan_aws_lambda(model: Any, options: dict[str, Any]) -> dict[str, Any]:
    """R's ``$plan_aws_lambda()``: the model's ``plan_aws_lambda()`` (R's numbers made Python's), as plain lists.

    Returns ``{"columns": {name: list}, "probe": dict, "recommendation": {strategy: dict},
    "notes": list, "summary": str}``; missing numbers are NaN (R's ``NA``).
    """
    options = dict(options)
    for name in ("memory_mb",):
        if name in options:
            value = options[name]
            options[name] = [int(v) for v in value] if isinstance(value, (list, tuple)) else int(value)
    for name in ("probe_tasks", "max_concurrency"):
        if name in options:
            options[name] = int(options[name])
    if isinstance(options.get("compare_local"), float):
        options["compare_local"] = int(options["compare_local"])
    if isinstance(options.get("scaling"), list):
        options["scaling"] = tuple(options["scaling"])
    options.setdefault("verbose", False)
    plan = model.plan_aws_lambda(**options)

    def plain(value: Any) -> Any:
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if value is None:
            return math.nan
        if isinstance(value, (int, float, np.integer, np.floating)):
            return float(value)
        return str(value)

    frame = pd.DataFrame(plan)
    recommendation = {}
    for strategy in STRATEGIES:
        try:
            row = plan.recommend(strategy)
            recommendation[strategy] = {"memory_mb": float(row["memory_mb"]), "scaling": str(row["scaling"])}
        except ConfigurationError:
            pass
    return {
        "columns": {c: [plain(v) for v in frame[c].tolist()] for c in frame.columns},
        "probe": {k: plain(v) for k, v in plan.probe.items()},
        "recommendation": recommendation,
        "notes": list(plan.notes),
        "summary": plan.summary(),
    }
