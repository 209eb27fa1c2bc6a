"""R's ``$tune()`` and ``$tune_ml_models()`` on a backend, and their results under the names R tuned with.

R's grids are translated by :mod:`pydmlserverless.r.grids`; the translation of each model's
tuned parameters is kept (weakly, per model) so that the tuned parameters, the search results and
DoubleML's ``params`` go back to R under R's names (``n_estimators`` -> ``num.trees``).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..doubleml import adapter
from ..errors import InvalidInputError
from .grids import _learner_of, _same, _translations
from .optuna_spaces import search_spaces
from .runs import _backend_and_run
from .values import _plain

__all__ = ["check_optuna_tuning", "tune", "tune_ml_models", "tuned_params"]


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


def _keep_r_names(model: Any, names: Mapping[str, Mapping[str, Any]]) -> None:
    """Remember the R names of what a tuning searched, for its results and ``params``."""
    kept = _R_NAMES.setdefault(model, {})
    for learner, named in names.items():  # DoubleML merges new parameters into the set ones: so do the names
        kept.setdefault(learner, {}).update(named)


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
    _keep_r_names(model, names)
    report = model.tune_report
    return {
        "param_grids": _plain(sk_grids),
        "tuning_res": _tune_layout(model, layout),
        "report": str(report) if report is not None else "",
    }


#: R's Optuna samplers by name (each seeded with the integer R drew for the tuning).
SAMPLERS = ("tpe", "random")
#: The ``optuna_settings`` R may give, plain values only (the sampler by name).
_R_OPTUNA_SETTINGS = ("n_trials", "timeout", "sampler", "n_jobs_optuna", "direction")


def _optuna_settings(settings: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """R's plain ``optuna_settings`` as DoubleML's: the sampler made and seeded, Optuna's log quiet."""
    import optuna

    settings = settings or {}  # R's empty list() arrives as []
    unknown = sorted(set(settings) - set(_R_OPTUNA_SETTINGS))
    if unknown:
        raise InvalidInputError(
            f"optuna_settings: unknown entries {', '.join(unknown)}; known: {', '.join(_R_OPTUNA_SETTINGS)}."
        )
    out: dict[str, Any] = {"verbosity": optuna.logging.WARNING}  # a line per trial is too many in R
    for key in ("n_trials", "n_jobs_optuna"):
        if settings.get(key) is not None:
            out[key] = int(settings[key])
    if settings.get("timeout") is not None:
        out["timeout"] = float(settings["timeout"])
    if settings.get("direction") is not None:
        out["direction"] = str(settings["direction"])
    sampler = settings.get("sampler") or "tpe"
    if sampler not in SAMPLERS:
        raise InvalidInputError(f"optuna_settings$sampler must be one of {', '.join(SAMPLERS)}; got {sampler!r}.")
    make = optuna.samplers.TPESampler if sampler == "tpe" else optuna.samplers.RandomSampler
    out["sampler"] = make(seed=int(seed))  # one sampler for every study: they run in DoubleML's order
    return out


def _optuna_result(model: Any, result: Any) -> Any:
    """A ``DMLOptunaResult`` as plain values under R's names: the best trial and every trial."""
    if result is None:
        return None
    nuisance = result.params_name
    out: dict[str, Any] = {
        "learner": result.learner_name,
        "tuned": bool(result.tuned),
        "best_params": _r_named(model, nuisance, result.best_params) if result.tuned else None,
        "best_score": float(result.best_score),
        "trials": None,
    }
    if result.tuned and result.study is not None:
        trials = result.study.trials
        columns: dict[str, Any] = {
            "number": [t.number for t in trials],
            "value": [np.nan if t.value is None else float(t.value) for t in trials],
            "state": [t.state.name for t in trials],
        }
        named = [_r_named(model, nuisance, t.params) or {} for t in trials]
        for name in dict.fromkeys(k for params in named for k in params):
            columns[name] = [params.get(name) for params in named]
        out["trials"] = columns
    return out


def _search_spaces(model: Any, learners: Mapping[str, Any], spaces: Mapping[str, Any]) -> tuple[dict, dict]:
    made, names = search_spaces(learners, spaces, adapter.learners(model))
    if not made:
        raise InvalidInputError("ml_param_space: no learner has a parameter to tune.")
    return made, names


def check_optuna_tuning(
    model: Any, learners: Mapping[str, Any], spaces: Mapping[str, Any], optuna_settings: Mapping[str, Any]
) -> list[str]:
    """Check R's Optuna spaces and settings, raising with the parameter named; the learners to be tuned.

    R calls this before it draws the tuning's seed, so that bad input leaves the model as it was.
    """
    _optuna_settings(optuna_settings, 0)
    return sorted(_search_spaces(model, learners, spaces)[0])


def tune_ml_models(
    model: Any,
    backend: str,
    seed: int,
    learners: Mapping[str, Any],
    spaces: Mapping[str, Any],
    settings: Mapping[str, Any],
    optuna_settings: Mapping[str, Any],
    options: Mapping[str, Any],
) -> dict[str, Any]:
    """R's ``$tune_ml_models()`` on any backend: the spaces as functions, seeded, ``model.tune_ml_models(backend=...)``.

    ``spaces`` are R's ranges and candidates per learner (:mod:`pydmlserverless.r.optuna_spaces`);
    ``settings`` DoubleML's ``scoring_methods``, ``cv`` and ``set_as_params``; ``optuna_settings``
    R's plain ones (the sampler by name); ``options`` the backend's and the run's. NumPy's global
    generator is seeded with ``seed`` and the sampler made with it: a Python user reproduces an R
    tuning with ``np.random.seed(k); model.tune_ml_models(space, optuna_settings={"sampler":
    optuna.samplers.TPESampler(seed=k), ...})``. Returns ``{"tuning_res", "report"}``: per
    treatment, per nuisance model, the best parameters (R's names), the best score and the trials.
    """
    ml_param_space, names = _search_spaces(model, learners, spaces)
    made = _optuna_settings(optuna_settings, seed)
    spec, rest = _backend_and_run(backend, options, "Tuning")
    cv = int(settings.get("cv", 5))
    np.random.seed(int(seed))
    results = model.tune_ml_models(
        ml_param_space,
        scoring_methods=settings.get("scoring_methods"),
        cv=cv,
        set_as_params=bool(settings.get("set_as_params", True)),
        return_tune_res=True,
        optuna_settings=made,
        backend=spec,
        **rest,
    )
    _keep_r_names(model, names)
    report = model.tune_report
    layout = [
        {str(name): _optuna_result(model, result) for name, result in per_treatment.items()}
        for per_treatment in results
    ]
    return {"tuning_res": layout, "report": str(report) if report is not None else ""}
