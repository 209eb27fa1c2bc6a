"""R's ``$tune()``: the grid search on a backend, and its result under the names R tuned with.

R's grids are translated by :mod:`pydmlserverless.r.grids`; the translation of each model's
tuned parameters is kept (weakly, per model) so that the tuned parameters, the search results and
DoubleML's ``params`` go back to R under R's names (``n_estimators`` -> ``num.trees``).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

import numpy as np

from .grids import _learner_of, _same, _translations
from .runs import _backend_and_run
from .values import _plain

__all__ = ["tune", "tuned_params"]


#: Per model, the parameter names R tuned: ``{learner: {sklearn name: (R name, [(sklearn value, R value)])}}``.
_R_NAMES: weakref.WeakKeyDictionary[Any, dict[str, dict[str, tuple[str, list[tuple[Any, Any]]]]]] = (
    weakref.WeakKeyDictionary()
)


def _r_named(model: Any, nuisance: str, params: Any) -> Any:
    """Tuned scikit-learn parameters under the R names they were tuned with (``n_estimators`` -> ``num.trees``)."""
    if params is None:
        return None
    names = _R_NAMES.get(model, {}).get(_learner_of(model, nuisance), {})
    out = {}
    by_r_name: dict[str, list[str]] = {}
    for key in params:
        by_r_name.setdefault(names.get(key, (key, []))[0], []).append(key)
    for r_name, keys in by_r_name.items():  # a parameter translated to several keys: the R value matching all
        pairs = [names.get(key, (key, []))[1] for key in keys]
        matches = [
            i for i in range(min(len(p) for p in pairs))
            if all(_same(p[i][0], params[key]) for p, key in zip(pairs, keys))
        ]  # fmt: skip
        out[r_name] = _plain(pairs[0][matches[0]][1] if matches else params[keys[0]])
    return out


def tuned_params(model: Any) -> dict[str, dict[str, Any]]:
    """DoubleML's ``params`` under R's names: ``{nuisance: {treatment: None or [[params per fold] per rep]}}``.

    A container model (APOS, DIDMulti) has none of its own: ``{}``.
    """
    out: dict[str, dict[str, Any]] = {}
    for nuisance, by_treatment in (getattr(model, "params", None) or {}).items():
        out[nuisance] = {}
        for treatment, reps in by_treatment.items():
            if reps is None or all(rep is None for rep in reps):
                out[nuisance][str(treatment)] = None
                continue
            out[nuisance][str(treatment)] = [[_r_named(model, nuisance, fold) for fold in rep] for rep in reps]
    return out


def _search_result(model: Any, nuisance: str, result: Any) -> Any:
    if result is None:
        return None
    if isinstance(result, Mapping):  # PLIV's ml_m: per instrument
        return {str(k): _search_result(model, nuisance, v) for k, v in result.items()}
    if isinstance(result, list):
        return [_search_result(model, nuisance, r) for r in result]
    cv = result.cv_results_
    candidates = [_r_named(model, nuisance, c) for c in cv["params"]]
    columns: dict[str, Any] = {}
    for name in dict.fromkeys(k for c in candidates for k in c):
        columns[name] = [c.get(name) for c in candidates]
    for key, values in cv.items():
        if key != "params":
            columns[key] = _plain(values)
    return {
        "best_params": _r_named(model, nuisance, result.best_params_),
        "best_score": float(result.best_score_),
        "best_index": int(result.best_index_) + 1,
        "n_splits": int(result.n_splits_),
        "cv_results": columns,
    }


def _tune_layout(model: Any, layout: Any) -> Any:
    """DoubleML's ``tune()`` result with R names and plain values; training sets' results as dicts."""
    if isinstance(layout, list):
        return [_tune_layout(model, item) for item in layout]
    params = {nu: [_r_named(model, nu, p) for p in sets] for nu, sets in layout["params"].items()}
    tune_res = {}
    for key, results in layout["tune_res"].items():
        nuisance = "ml_" + key.removesuffix("_tune")
        tune_res[key] = _search_result(model, nuisance, results)
    return {"params": params, "tune_res": tune_res}


def tune(
    model: Any,
    backend: str,
    seed: int,
    learners: Mapping[str, Any],
    grids: Mapping[str, Any],
    settings: Mapping[str, Any],
    options: Mapping[str, Any],
) -> dict[str, Any]:
    """R's ``$tune()`` on any backend: translate the grids, seed NumPy with ``seed``, ``model.tune(backend=...)``.

    ``settings`` are DoubleML's ``tune()`` arguments (``tune_on_folds``, ``scoring_methods``,
    ``n_folds_tune``, ``search_mode``, ``n_iter_randomized_search``); ``options`` the backend's and the run's.
    The candidates and inner splits are drawn from NumPy's global generator right after
    ``np.random.seed(seed)``: a Python user reproduces an R tuning with ``np.random.seed(k);
    model.tune_local(param_grids, ...)``. Returns ``{"param_grids", "tuning_res", "report"}``,
    the result under R's names.
    """
    sk_grids, names = _translations(model, learners, grids)
    settings = dict(settings)
    for key in ("n_folds_tune", "n_iter_randomized_search"):
        if key in settings:
            settings[key] = int(settings[key])
    settings["tune_on_folds"] = bool(settings.get("tune_on_folds", False))
    spec, rest = _backend_and_run(backend, options, "Tuning")
    np.random.seed(int(seed))
    layout = model.tune(sk_grids, backend=spec, return_tune_res=True, **settings, **rest)
    kept = _R_NAMES.setdefault(model, {})
    for learner, named in names.items():  # DoubleML merges new parameters into the set ones: so do the names
        kept.setdefault(learner, {}).update(named)
    report = model.tune_report
    return {
        "param_grids": _plain(sk_grids),
        "tuning_res": _tune_layout(model, layout),
        "report": str(report) if report is not None else "",
    }
