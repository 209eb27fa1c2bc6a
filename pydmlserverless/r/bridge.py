"""The R package's bridge to the Python core: plain types in, plain types out.

reticulate 1.28 cannot convert NumPy 2 arrays, so nothing here hands an array to R. Data arrive as
lists of floats (or a file of little-endian float64 columns for large data); results leave as
lists, dicts, strings and numbers, arrays flattened in column-major order with their ``dim`` so
that R rebuilds them with ``array(values, dim)``. Only the package's public API is used.

The R seed convention lives here: ``make_model(..., seed=k)`` calls ``np.random.seed(k)`` right
before the model is built (DoubleML draws the sample splits from NumPy's global generator), and
``fit(..., seed=k)`` passes ``k`` to ``fit_local`` / ``fit_aws_lambda``. A Python user reproduces an
R fit with ``np.random.seed(k); model = ...; model.fit_local(seed=k)``. R's tuning draws another
integer ``t``: ``tune(..., seed=t)`` calls ``np.random.seed(t)`` right before ``tune_local`` /
``tune_aws_lambda``, so ``np.random.seed(t); model.tune_local(param_grids, ...)`` reproduces it.
R's grids name an ``lrn()`` learner's parameters as mlr3 does; :func:`tune_grids` translates
them through :mod:`pydmlserverless.r.mlr3_learners`, and :func:`tuned_params` gives the tuned
parameters back under those names.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
import threading
import warnings
import weakref
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..backends import backend_spec
from ..backends.local import shutdown_workers
from ..doubleml import models, plain
from ..doubleml.data import DoubleMLDataS3, DoubleMLDIDDataS3, DoubleMLPanelDataS3
from ..doubleml.registry import MODELS as MODEL_ENTRIES
from ..errors import ConfigurationError, DataError, LearnerError
from ..planner.plan import STRATEGIES
from ..worker.learners import decode_learner
from ..worker.warning_capture import recording, summarize
from . import mlr3_learners

__all__ = [
    "data_file",
    "frame_from_columns",
    "frame_from_file",
    "make_data",
    "make_learner",
    "learner_label",
    "mlr3_learner_table",
    "mlr3_learner",
    "mlr3_learner_label",
    "make_mlr3_learner",
    "make_model",
    "fit",
    "splits",
    "results",
    "bootstrap",
    "confint",
    "p_adjust_romano_wolf",
    "learner_task_types",
    "tune_grids",
    "tune",
    "tuned_params",
    "shutdown",
]

_SYSTEM_LIBRARY_DIRS = ("/lib", "/usr/lib", "/lib64", "/usr/lib64")


def child_library_path(ld_library_path: str, r_home: str | None) -> str:
    """``LD_LIBRARY_PATH`` for the local backend's worker processes, without what R put there.

    R prepends its own library folder, the system folders and Java's to ``LD_LIBRARY_PATH``; a
    worker process (a fresh Python interpreter) that inherits them can load the system's
    ``libpython`` instead of its own and fail on import (seen: ``_ssl`` missing ``_PyModule_Add``).
    Dropping them is safe: the system folders are searched anyway, after the interpreter's own.

    Examples
    --------
    >>> child_library_path("/usr/lib/R/lib:/usr/lib/x86_64-linux-gnu:/opt/cuda/lib64", "/usr/lib/R")
    '/opt/cuda/lib64'
    """
    r_prefix = r_home.rstrip("/") + "/" if r_home else None
    kept = []
    for entry in ld_library_path.split(os.pathsep):
        folder = entry.rstrip("/")
        from_r = r_prefix is not None and (folder + "/").startswith(r_prefix)
        system = folder in _SYSTEM_LIBRARY_DIRS or os.path.dirname(folder) in ("/lib", "/usr/lib")
        if folder and not (from_r or system or "/jvm/" in folder):
            kept.append(entry)
    return os.pathsep.join(kept)


def _prepare_child_environment() -> None:
    if "R_HOME" in os.environ and "LD_LIBRARY_PATH" in os.environ:
        cleaned = child_library_path(os.environ["LD_LIBRARY_PATH"], os.environ["R_HOME"])
        if cleaned:
            os.environ["LD_LIBRARY_PATH"] = cleaned
        else:
            del os.environ["LD_LIBRARY_PATH"]


_prepare_child_environment()

#: The model classes by their short names (R's), from the one list of models.
MODELS = {entry.name: getattr(models, entry.class_name) for entry in MODEL_ENTRIES}


def data_file(name: str) -> str:
    """The path of a data set shipped with the package (:func:`pydmlserverless.datasets.data_file`)."""
    from ..datasets import data_file as _data_file

    return str(_data_file(name))


def _as_list(cols: Any) -> list:
    if cols is None:
        return []
    return [cols] if isinstance(cols, str) else list(cols)


def frame_from_columns(columns: dict) -> pd.DataFrame:
    """A DataFrame of float64 columns from ``{name: list of numbers}`` (R's named list of vectors).

    A one-row column arrives from R as a scalar, hence ``atleast_1d``.
    """
    return pd.DataFrame({name: np.atleast_1d(np.asarray(values, dtype=np.float64)) for name, values in columns.items()})


def frame_from_file(path: str, names: list, n_rows: int) -> pd.DataFrame:
    """A DataFrame from a file of little-endian float64 values, one column after another."""
    names = _as_list(names)
    values = np.fromfile(path, dtype="<f8")
    if values.size != len(names) * int(n_rows):
        raise DataError(f"{path}: expected {len(names)} x {int(n_rows)} values, found {values.size}.")
    return pd.DataFrame(values.reshape(len(names), int(n_rows)).T.astype(np.float64), columns=names)


def make_data(
    frame: pd.DataFrame,
    y_col: str,
    d_cols: Any,
    x_cols: Any,
    z_cols: Any = None,
    cluster_cols: Any = None,
    use_other_treat_as_covariate: bool = True,
    bucket: str | None = None,
    file_key: str | None = None,
    region: str | None = None,
) -> plain.DoubleMLData:
    """A :class:`doubleml.DoubleMLData`, or a :class:`DoubleMLDataS3` when ``bucket`` is given."""
    kwargs: dict[str, Any] = {
        "y_col": y_col,
        "d_cols": _as_list(d_cols),
        "x_cols": _as_list(x_cols),
        "z_cols": _as_list(z_cols) or None,
        "cluster_cols": _as_list(cluster_cols) or None,
        "use_other_treat_as_covariate": bool(use_other_treat_as_covariate),
    }
    if bucket is not None:
        return DoubleMLDataS3(bucket, file_key or "", frame, region=region, **kwargs)
    try:
        return plain.DoubleMLData(frame, **kwargs)
    except (TypeError, ValueError) as exc:
        raise DataError(str(exc)) from exc


def make_panel_data(
    frame: pd.DataFrame,
    y_col: str,
    d_cols: Any,
    x_cols: Any,
    t_col: str,
    id_col: str,
    static_panel: bool = False,
    bucket: str | None = None,
    file_key: str | None = None,
    region: str | None = None,
) -> plain.DoubleMLPanelData:
    """A :class:`doubleml.DoubleMLPanelData`, or a :class:`DoubleMLPanelDataS3` when ``bucket`` is given."""
    kwargs: dict[str, Any] = {
        "y_col": y_col,
        "d_cols": _as_list(d_cols),
        "t_col": t_col,
        "id_col": id_col,
        "x_cols": _as_list(x_cols),
        "static_panel": bool(static_panel),
    }
    try:
        if bucket is not None:
            return DoubleMLPanelDataS3(bucket, file_key or "", frame, region=region, **kwargs)
        return plain.DoubleMLPanelData(frame, **kwargs)
    except (TypeError, ValueError) as exc:
        raise DataError(str(exc)) from exc


def _staggered(data: Any) -> Any:
    """R's staggered panel with never-treated units coded 0 (as R's did package codes them) as DoubleML's ``inf``.

    R hands every column over as doubles, and for a float group column DoubleML's never-treated
    value is ``inf``.
    """
    group = data.data[data.d_cols[0]].to_numpy(dtype=np.float64)
    if not (group == 0).any():
        return data
    frame = data.data.assign(**{data.d_cols[0]: np.where(group == 0, np.inf, group)})
    args = (data.y_col, data.d_cols, data.t_col, data.id_col)
    kwargs = {"x_cols": list(data.x_cols), "static_panel": data.static_panel}
    if isinstance(data, DoubleMLPanelDataS3):
        return DoubleMLPanelDataS3(data.bucket, data.file_key, frame, *args, **kwargs)
    return plain.DoubleMLPanelData(frame, *args, **kwargs)


def _two_period(data: Any) -> Any:
    """R's data of outcome differences as the DoubleMLDIDData that DoubleML's two-period DiD takes."""
    if isinstance(data, plain.DoubleMLDIDData):
        return data
    kwargs = {"y_col": data.y_col, "d_cols": list(data.d_cols), "x_cols": list(data.x_cols)}
    if isinstance(data, DoubleMLDataS3):
        return DoubleMLDIDDataS3(data.bucket, data.file_key, data.data, **kwargs)
    with warnings.catch_warnings():  # DoubleML deprecates the class for users; its DID model takes it
        warnings.simplefilter("ignore", FutureWarning)
        return plain.DoubleMLDIDData(data.data, **kwargs)


def _levels(values: Any) -> Any:
    """Treatment levels from R (doubles): whole numbers as ``int``, so that DoubleML names them 0, 1, 2."""
    scalar = np.ndim(values) == 0
    listed = np.atleast_1d(np.asarray(values, dtype=np.float64)).tolist()
    levels = [int(v) if v.is_integer() else v for v in listed]
    return levels[0] if scalar else levels


def make_learner(spec: dict) -> Any:
    """An estimator from an R learner's spec (``{"__estimator__": class path, "params": {...}}``)."""
    return decode_learner(spec)


def learner_label(learner: Any) -> str:
    """How an estimator is named in the R print."""
    return repr(learner).replace("\n", " ")


def mlr3_learner_table() -> list[dict[str, str]]:
    """R's ``dmls_learners()``: ``{"id", "task_type", "estimator"}`` per mlr3 learner id."""
    return [
        {"id": learner_id, "task_type": entry.task_type, "estimator": entry.label}
        for learner_id, entry in mlr3_learners.MLR3_LEARNERS.items()
    ]


def mlr3_learner(learner_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """R's ``lrn()``: check an mlr3 learner's parameters; ``{"id", "task_type", "params"}``.

    ``params`` is R's named list (an unnamed element arrives under the name ``""``); the returned
    parameters are those given, integer parameters as ``int``. Every check of the translation is
    done here (:func:`pydmlserverless.r.mlr3_learners.check_params`), so that a bad learner fails in
    ``lrn()``, not when a model is built.
    """
    checked = mlr3_learners.check_params(learner_id, params)
    return {"id": learner_id, "task_type": mlr3_learners.MLR3_LEARNERS[learner_id].task_type, "params": checked}


def mlr3_learner_label(learner_id: str) -> str:
    """The estimator's name in R's ``print()`` of an ``lrn()`` learner."""
    return mlr3_learners.learner_label(learner_id)


def make_mlr3_learner(learner_id: str, params: dict[str, Any]) -> Any:
    """R's ``as_sklearn(lrn(...))``: the estimator (:func:`pydmlserverless.r.mlr3_learners.make_learner`)."""
    return mlr3_learners.make_learner(learner_id, params)


def make_model(
    model: str,
    lambda_function_name: str | None,
    aws_region: str | None,
    data: plain.DoubleMLData,
    learners: dict,
    options: dict,
    seed: int,
) -> Any:
    """Seed NumPy's global generator with ``seed``, then build the model (which draws the splits)."""
    if model not in MODELS:
        raise ConfigurationError(f"Unknown model {model!r}; one of {sorted(MODELS)}.")
    options = dict(options)
    if model == "DID":
        data = _two_period(data)
    if model == "DIDMulti":
        data = _staggered(data)
    for name in ("treatment_level", "treatment_levels"):
        if name in options:
            options[name] = _levels(options[name])
    if "anticipation_periods" in options:
        options["anticipation_periods"] = int(options["anticipation_periods"])
    np.random.seed(int(seed))
    return MODELS[model](lambda_function_name, aws_region, data, **learners, **options)


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


def _array(values: Any) -> dict:
    """An array as ``{"values": column-major list, "dim": shape}`` (R's ``array(values, dim)``)."""
    arr = np.asarray(values, dtype=np.float64)
    return {"values": arr.ravel(order="F").tolist(), "dim": list(arr.shape)}


def splits(model: Any) -> list:
    """The sample splits as DoubleML-R's ``smpls``: per repetition, 1-based train and test rows per fold."""
    return [
        {
            "train_ids": [(np.asarray(train) + 1).tolist() for train, _ in rep],
            "test_ids": [(np.asarray(test) + 1).tolist() for _, test in rep],
        }
        for rep in model.smpls
    ]


def results(model: Any) -> dict:
    """Estimates, scores and cross-fitted predictions of a fitted model."""
    # a container model (APOS, DIDMulti) has no predictions or scores of its own: its sub-models do
    predictions = {name: _array(values) for name, values in (getattr(model, "predictions", None) or {}).items()}
    psi = getattr(model, "psi", None)
    return {
        "names": [str(name) for name in model.summary.index],
        "coef": np.asarray(model.coef, dtype=np.float64).tolist(),
        "se": np.asarray(model.se, dtype=np.float64).tolist(),
        "t_stat": np.asarray(model.t_stat, dtype=np.float64).tolist(),
        "pval": np.asarray(model.pval, dtype=np.float64).tolist(),
        "all_coef": _array(model.all_coef),
        "all_se": _array(model.all_se),
        "psi": _array(psi) if psi is not None else None,
        "predictions": predictions,
    }


def _table(frame: pd.DataFrame) -> dict:
    """A DataFrame as ``{"columns", "rows", "values" (column-major)}`` for R's ``matrix()``."""
    return {
        "columns": [str(c) for c in frame.columns],
        "rows": [str(r) for r in frame.index],
        "values": frame.to_numpy(dtype=np.float64).ravel(order="F").tolist(),
    }


def causal_contrast(model: Any, reference_levels: Any) -> dict:
    """APOS's ``causal_contrast(reference_levels)``: the summary table and DoubleML's printed text."""
    contrast = model.causal_contrast(_levels(reference_levels))
    return {"summary": _table(contrast.summary), "text": str(contrast)}


def aggregate(model: Any, aggregation: str) -> dict:
    """DIDMulti's ``aggregate(aggregation)``: overall and per-aggregate tables and DoubleML's printed text."""
    agg = model.aggregate(aggregation)
    return {
        "overall": _table(agg.overall_summary),
        "effects": _table(agg.aggregated_summary),
        "text": str(agg),
    }


def bootstrap(model: Any, method: str, n_rep_boot: int, seed: int) -> dict:
    """Seed NumPy with ``seed`` and run DoubleML's multiplier bootstrap; returns ``boot_t_stat``."""
    np.random.seed(int(seed))
    model.bootstrap(method=method, n_rep_boot=int(n_rep_boot))
    return {"boot_t_stat": _array(model.boot_t_stat)}


def confint(model: Any, joint: bool, level: float) -> dict:
    """DoubleML's confidence intervals as ``{"columns", "rows", "values" (column-major)}``."""
    return _table(model.confint(joint=bool(joint), level=float(level)))


def p_adjust_romano_wolf(model: Any) -> list:
    """Romano-Wolf adjusted p-values (DoubleML's, from the last bootstrap)."""
    frame = model.p_adjust(method="romano-wolf")
    return frame["pval"].to_numpy(dtype=np.float64).tolist()


# --------------------------------------------------------------------------- tuning

#: Per model, the parameter names R tuned: ``{learner: {sklearn name: (R name, [(sklearn value, R value)])}}``.
_R_NAMES: weakref.WeakKeyDictionary[Any, dict[str, dict[str, tuple[str, list[tuple[Any, Any]]]]]] = (
    weakref.WeakKeyDictionary()
)


def learner_task_types(model: Any) -> dict[str, str]:
    """``{learner: "classif" or "regr"}``: R's default tuning measure (``classif.ce`` or ``regr.mse``) per learner."""
    from sklearn.base import is_classifier

    if not hasattr(model, "learner_names"):  # APOS, DIDMulti: sub-models, no learners of their own
        raise ConfigurationError(
            f"{type(model).__name__} has no grid-search tuning: DoubleML's container models (APOS, DIDMulti) "
            "have no tune()."
        )
    return {name: "classif" if is_classifier(model.learner[name]) else "regr" for name in model.learner_names}


def _plain(value: Any) -> Any:
    """NumPy scalars and arrays as Python's numbers and lists; containers recursively."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _same(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except (TypeError, ValueError):
        return a is b


def _flat_params(estimator: Any) -> dict[str, Any]:
    """An estimator's (deep) parameters that are values, not estimators or pipeline steps."""
    return {
        name: value
        for name, value in estimator.get_params(deep=True).items()
        if name != "steps" and not hasattr(value, "get_params")
    }


def _structure(estimator: Any) -> tuple:
    """An estimator's class, and a pipeline's steps' names and classes."""
    steps = getattr(estimator, "steps", None)
    inner = tuple((name, type(step).__qualname__) for name, step in steps) if steps else ()
    return (type(estimator).__module__ + "." + type(estimator).__qualname__, inner)


def _candidates(where: str, name: str, values: Any) -> list:
    values = values if isinstance(values, list) else [values]
    if not values:
        raise LearnerError(f"{where}: {name} has no candidate values.")
    return values


def _mlr3_grid(
    where: str, learner_id: str, params: Mapping[str, Any], grid: Mapping[str, Any]
) -> tuple[dict | list, dict]:
    """An mlr3-named grid of an ``lrn()`` learner as scikit-learn's grid, through the learner table.

    Each candidate value is translated as ``lrn()`` translates it (the learner's own parameters
    plus that one): the scikit-learn parameters it changes are the grid's. A parameter whose
    translation changes one scikit-learn parameter is a list of that parameter's values; one that
    changes several together (rpart's ``minsplit`` sets ``min_samples_split`` and, through
    rpart's ``minbucket = round(minsplit / 3)``, ``min_samples_leaf``) makes the grid a list of
    single candidates (scikit-learn's list-of-dicts form), in the order a grid of dicts has:
    parameters sorted by their (first) scikit-learn name, the last varying fastest; values that
    translate to the same estimator are one candidate, reported under the first. Refused: a
    parameter that changes none (with several candidates) or the estimator's class, two that set
    the same scikit-learn parameter, and pairs whose translations depend on each other.
    """
    params = dict(params)

    def build(extra: Mapping[str, Any]) -> Any:
        try:
            return mlr3_learners.make_learner(learner_id, {**params, **extra})
        except LearnerError as exc:
            raise LearnerError(f"{where}: {exc}") from None

    base_estimator = build({})
    base, base_structure = _flat_params(base_estimator), _structure(base_estimator)
    tuned: list[tuple[str, tuple[str, ...], list[dict[str, Any]], list[Any]]] = []  # name, keys, sk dicts, R values
    owner: dict[str, str] = {}
    for name, raw in grid.items():
        values = _candidates(where, name, raw)
        per_value = []
        for value in values:
            estimator = build({name: value})
            if _structure(estimator) != base_structure:
                raise LearnerError(
                    f"{where}: {name} = {mlr3_learners._r_format(value)} makes lrn('{learner_id}') another estimator "
                    f"({_structure(estimator)[0]} instead of {base_structure[0]}); a grid can only change parameters "
                    "of one estimator: give that value in lrn() instead."
                )
            flat = _flat_params(estimator)
            per_value.append({k: v for k, v in flat.items() if k not in base or not _same(base[k], v)})
        keys = tuple(sorted({k for diff in per_value for k in diff}))
        if not keys:
            if len({repr(v) for v in values}) > 1:
                raise LearnerError(
                    f"{where}: {name} does not change the scikit-learn estimator of lrn('{learner_id}') "
                    "(see ?lrn, Translations): tuning it has no effect."
                )
            continue  # one candidate, the learner's own value: nothing to search
        for key in keys:
            if key in owner:
                raise LearnerError(
                    f"{where}: {name} and {owner[key]} both set the scikit-learn parameter {key} of "
                    f"lrn('{learner_id}'); tune one of them."
                )
            owner[key] = name
        sk_dicts = [{key: diff.get(key, base.get(key)) for key in keys} for diff in per_value]
        r_values = [mlr3_learners.check_params(learner_id, {name: value})[name] for value in values]
        tuned.append((name, keys, sk_dicts, r_values))
    for i, (name_a, _, dicts_a, values_a) in enumerate(tuned):  # translations that depend on another's
        for name_b, _, dicts_b, values_b in tuned[i + 1 :]:
            for sk_a, value_a in zip(dicts_a, values_a):
                for sk_b, value_b in zip(dicts_b, values_b):
                    flat = _flat_params(build({name_a: value_a, name_b: value_b}))
                    if not all(_same(flat.get(k), v) for k, v in {**sk_a, **sk_b}.items()):
                        raise LearnerError(
                            f"{where}: the translations of {name_a} and {name_b} of lrn('{learner_id}') depend on "
                            "each other (see ?lrn, Translations); tune one of them."
                        )
    names: dict[str, tuple[str, list[tuple[Any, Any]]]] = {}
    for name, keys, sk_dicts, r_values in tuned:
        for key in keys:
            names[key] = (name, [(d[key], r) for d, r in zip(sk_dicts, r_values)])
    if all(len(keys) == 1 for _, keys, _, _ in tuned):
        return {keys[0]: [d[keys[0]] for d in sk_dicts] for _, keys, sk_dicts, _ in tuned}, names
    return _candidate_list(tuned), names


def _candidate_list(tuned: list[tuple[str, tuple[str, ...], list[dict[str, Any]], list[Any]]]) -> list[dict]:
    """Every combination of the tuned parameters' translated values as one-candidate grids, deduplicated."""
    import itertools

    ordered = sorted(tuned, key=lambda t: t[1][0])
    out: list[dict] = []
    seen: list[dict] = []
    for combination in itertools.product(*(t[2] for t in ordered)):
        merged: dict[str, Any] = {}
        for part in combination:
            merged.update(part)
        if any(all(_same(other.get(k), v) for k, v in merged.items()) for other in seen):
            continue
        seen.append(merged)
        out.append({k: [merged[k]] for k in sorted(merged)})
    return out


def _sklearn_grid(where: str, learner: Any, grid: Mapping[str, Any]) -> tuple[dict, dict]:
    """A scikit-learn-named grid, checked against the estimator's parameters.

    A whole number that R sends as a double becomes an ``int`` where the estimator's current
    value is an ``int`` (R's ``c(50, 100)`` for ``n_estimators``); elsewhere values go as they are.
    """
    valid = learner.get_params(deep=True)
    unknown = [name for name in grid if name not in valid]
    if unknown:
        raise LearnerError(
            f"{where}: unknown parameter(s) {', '.join(repr(n) for n in unknown)} of {_structure(learner)[0]}. "
            f"Valid: {', '.join(sorted(valid))}."
        )
    sk_grid = {}
    for name, raw in grid.items():
        values = _candidates(where, name, raw)
        current = valid[name]
        if isinstance(current, int) and not isinstance(current, bool):
            values = [int(v) if isinstance(v, float) and v.is_integer() else v for v in values]
        sk_grid[name] = values
    return sk_grid, {}


def tune_grids(model: Any, learners: Mapping[str, Any], grids: Mapping[str, Any]) -> dict[str, dict | list]:
    """R's ``param_set`` (candidate values per learner and parameter) as scikit-learn's ``param_grids``.

    ``learners`` gives, per learner, ``{"id": mlr3 id, "params": lrn()'s parameters}`` for an
    ``lrn()`` learner (mlr3 names, translated through :mod:`pydmlserverless.r.mlr3_learners`) or
    ``None`` for a scikit-learn estimator (scikit-learn's names). Raises :class:`LearnerError`,
    naming ``param_set$<learner>``, for unknown names and grids the translation cannot express.
    The translation is kept for :func:`tuned_params` once :func:`tune` has used it.
    """
    return _translations(model, learners, grids)[0]


def _translations(model: Any, learners: Mapping[str, Any], grids: Mapping[str, Any]) -> tuple[dict, dict]:
    sk_grids: dict[str, dict | list] = {}
    names: dict[str, dict] = {}
    for name in model.learner_names:
        grid = dict(grids.get(name) or {})
        where = f"param_set${name}"
        spec = learners.get(name)
        if spec is not None and spec.get("id"):
            sk_grids[name], names[name] = _mlr3_grid(where, spec["id"], spec.get("params") or {}, grid)
        else:
            sk_grids[name], names[name] = _sklearn_grid(where, model.learner[name], grid)
    return sk_grids, names


def _learner_of(model: Any, nuisance: str) -> str:
    """The learner a nuisance model is fitted with (IRM's ``ml_g0`` and ``ml_g1``: ``ml_g``)."""
    names = [name for name in model.learner_names if nuisance == name or nuisance.startswith(name)]
    return max(names, key=len) if names else nuisance


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


# --------------------------------------------------------------------------- DoubleML-R's surface


def _r_weights(weights: Any) -> Any:
    """IRM's ``weights`` from R: a vector, or ``{"weights": vector, "weights_bar": {"values", "dim"}}``."""
    if weights is None:
        return None
    if isinstance(weights, Mapping):
        out = {"weights": np.atleast_1d(np.asarray(weights["weights"], dtype=np.float64))}
        bar = weights.get("weights_bar")
        if bar is not None:
            dim = [int(d) for d in np.atleast_1d(bar["dim"])]
            out["weights_bar"] = np.asarray(np.atleast_1d(bar["values"]), dtype=np.float64).reshape(dim, order="F")
        return out
    return np.atleast_1d(np.asarray(weights, dtype=np.float64))


def make_model_r(
    model: str,
    lambda_function_name: str | None,
    aws_region: str | None,
    data: plain.DoubleMLData,
    learners: dict,
    options: dict,
    seed: int,
) -> Any:
    """:func:`make_model` with R's plain ``weights`` (arrays) and ``ps_processor_config`` (a list) made DoubleML's."""
    options = dict(options)
    if "weights" in options:
        options["weights"] = _r_weights(options["weights"])
    if options.get("ps_processor_config") is not None:
        config = dict(options["ps_processor_config"])
        try:
            options["ps_processor_config"] = plain.PSProcessorConfig(**config)
        except TypeError as exc:
            raise ConfigurationError(f"ps_processor_config: {exc}") from None
    return make_model(model, lambda_function_name, aws_region, data, learners, options, seed)


def score_elements(model: Any) -> dict | None:
    """DoubleML's ``psi_elements`` (``psi_a``, ``psi_b``: ``(n_obs, n_rep, n_coefs)``) as R arrays, or None."""
    elements = getattr(model, "psi_elements", None)
    if not elements:
        return None
    return {str(name): _array(values) for name, values in elements.items() if values is not None}


def fitted_models(model: Any) -> dict | None:
    """DoubleML's ``models`` after ``store_models=True``: ``{nuisance: {treatment: [[estimator per fold]]}}``."""
    models = getattr(model, "models", None)
    if not models:
        return None
    return {
        str(name): {str(d): [list(rep) for rep in reps] for d, reps in by_d.items()} for name, by_d in models.items()
    }


def sample_splits(model: Any) -> dict:
    """The splits as DoubleML-R's ``smpls`` and ``smpls_cluster`` (1-based rows; cluster values), or None."""
    try:
        _ = model.smpls
    except ValueError:  # draw_sample_splitting=False and nothing set yet
        return {"smpls": None, "smpls_cluster": None, "n_folds": int(model.n_folds), "n_rep": int(model.n_rep)}
    cluster = getattr(model, "smpls_cluster", None)
    if cluster is not None:
        cluster = [
            {
                "train_ids": [[_plain(np.asarray(v)) for v in train] for train, _ in rep],
                "test_ids": [[_plain(np.asarray(v)) for v in test] for _, test in rep],
            }
            for rep in cluster
        ]
    return {"smpls": splits(model), "smpls_cluster": cluster, "n_folds": int(model.n_folds), "n_rep": int(model.n_rep)}


def _uniform_params(model: Any) -> dict[tuple[str, str], Any]:
    """The parameters that are the same for every repetition and fold, per (nuisance, treatment)."""
    kept: dict[tuple[str, str], Any] = {}
    for nuisance, by_d in (getattr(model, "params", None) or {}).items():
        for d, reps in by_d.items():
            folds = [fold for rep in (reps or []) if rep is not None for fold in rep]
            if folds and all(fold is not None and fold == folds[0] for fold in folds):
                kept[(nuisance, d)] = dict(folds[0])
    return kept


def _restore_params(model: Any, kept: Mapping[tuple[str, str], Any]) -> None:
    for (nuisance, d), params in kept.items():
        model.set_ml_nuisance_params(nuisance, d, params)


def set_splits(model: Any, smpls: list) -> dict:
    """R's ``$set_sample_splitting()``: DoubleML-R's 1-based ``smpls`` (per repetition ``{train_ids, test_ids}``)
    through DoubleML's ``set_sample_splitting``.

    DoubleML resets the nuisance parameters there; DoubleML-R keeps them: parameters that are the
    same for every fold are set again (fold-specific ones do not fit the new folds).
    """
    kept = _uniform_params(model)
    all_smpls = [
        [
            (np.atleast_1d(np.asarray(train, dtype=np.int64)) - 1, np.atleast_1d(np.asarray(test, dtype=np.int64)) - 1)
            for train, test in zip(rep["train_ids"], rep["test_ids"])
        ]
        for rep in smpls
    ]
    model.set_sample_splitting(all_smpls)
    _restore_params(model, kept)
    return sample_splits(model)


def draw_splits(model: Any, seed: int) -> dict:
    """R's ``$split_samples()``: ``np.random.seed(seed)``, then DoubleML's ``draw_sample_splitting()``; parameters as in
    :func:`set_splits`."""
    kept = _uniform_params(model)
    np.random.seed(int(seed))
    model.draw_sample_splitting()
    _restore_params(model, kept)
    return sample_splits(model)


def _mlr3_params(where: str, learner_id: str, base: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """mlr3-named parameters of an ``lrn()`` learner as the scikit-learn parameters they change.

    The learner is built as ``lrn()`` builds it with its own parameters, and with them plus
    ``given`` (DoubleML-R merges ``given`` into the learner's values); the scikit-learn
    parameters that differ are DoubleML's ``params``. A value that changes the estimator itself
    (its class or pipeline steps) is refused.
    """

    def build(extra: Mapping[str, Any]) -> Any:
        try:
            return mlr3_learners.make_learner(learner_id, {**dict(base), **dict(extra)})
        except LearnerError as exc:
            raise LearnerError(f"{where}: {exc}") from None

    before, after = build({}), build(given)
    if _structure(after) != _structure(before):
        raise LearnerError(
            f"{where}: these parameters make lrn('{learner_id}') another estimator ({_structure(after)[0]} instead "
            f"of {_structure(before)[0]}); give them in lrn() instead."
        )
    old, new = _flat_params(before), _flat_params(after)
    return {k: v for k, v in new.items() if k not in old or not _same(old[k], v)}


def _sklearn_params(where: str, learner: Any, given: Mapping[str, Any]) -> dict[str, Any]:
    grid, _ = _sklearn_grid(where, learner, {name: [value] for name, value in given.items()})
    return {name: values[0] for name, values in grid.items()}


def set_nuisance_params(
    model: Any, nuisance: str, treat_var: str, spec: Mapping[str, Any] | None, params: Any, fold_specific: bool
) -> None:
    """R's ``$set_ml_nuisance_params()``: an ``lrn()`` learner's mlr3-named parameters translated through the learner
    table (:func:`_mlr3_params`), a scikit-learn estimator's as they are, then DoubleML's ``set_ml_nuisance_params``.

    ``params`` is one named list (every fold) or, with ``fold_specific``, a list per repetition of a
    list per fold; ``spec`` is ``{"id", "params"}`` for an ``lrn()`` learner, else None.

    DoubleML-R replaces a nuisance model's parameters, DoubleML (Python) merges new ones into those
    set before: a parameter set before and not now is set back to the learner's own value, so
    that the fit is DoubleML-R's.
    """
    learner = _learner_of(model, nuisance)
    where = f"set_ml_nuisance_params(learner = '{nuisance}')"

    def one(given: Any) -> dict[str, Any] | None:
        if given is None:
            return None
        given = dict(given) if isinstance(given, Mapping) else {}  # R's list() arrives as []
        if spec is not None and spec.get("id"):
            return _mlr3_params(where, spec["id"], spec.get("params") or {}, given)
        return _sklearn_params(where, model.learner[learner], given)

    if fold_specific:
        translated: Any = [[one(fold) for fold in rep] for rep in params]
    else:
        translated = one(params)
    existing = (getattr(model, "params", None) or {}).get(nuisance, {}).get(treat_var)
    if translated is not None and existing is not None and any(rep is not None for rep in existing):
        own = model.learner[learner].get_params(deep=True)
        new = translated if fold_specific else [[translated] * model.n_folds for _ in range(model.n_rep)]
        translated = [
            [
                {**{k: own[k] for k in (old or {}) if k not in fold and k in own}, **fold}
                for old, fold in zip(old_rep or [None] * len(new_rep), new_rep)
            ]
            for old_rep, new_rep in zip(existing, new)
        ]
    model.set_ml_nuisance_params(nuisance, treat_var, translated)


# --------------------------------------------------------------------------- R sees R: warnings, progress, results

__all__ += [
    "warning_recorder",
    "set_r_progress",
    "RProgress",
    "sensitivity_analysis",
    "evaluate_learners",
    "nuisance_loss",
    "metrics_frame",
]


class _WarningRecorder:
    """The warnings of one R call into Python (:func:`warning_recorder`)."""

    def __init__(self) -> None:
        self._context: Any = recording()
        self._caught = self._context.__enter__()

    def stop(self) -> list[dict[str, Any]]:
        """Stop recording; the warnings, collapsed (:func:`pydmlserverless.worker.warning_capture.summarize`)."""
        if self._context is None:
            return []
        self._context.__exit__(None, None, None)
        self._context = None
        return summarize(self._caught)


def warning_recorder() -> _WarningRecorder:
    """Start recording warnings (R's ``py_call`` does, around every call): ``.stop()`` returns them.

    Every warning the filters would show is recorded, each occurrence: the local pool's workers'
    too (the local backend raises them again here). Recorders nest; stop them in reverse order.
    """
    return _WarningRecorder()


class RProgress:
    """A :class:`pydmlserverless.core.fitting.ProgressSink` that drives R's progress bar.

    ``start(total)``, ``update(n)`` and ``done()`` are R functions. reticulate runs R code only
    on the main thread: an update from another thread is added to the next one made there (or to
    ``done()``'s).
    """

    def __init__(self, start: Any, update: Any, done: Any) -> None:
        self._start, self._update, self._done = start, update, done
        self._pending = 0
        self._lock = threading.Lock()

    def reset(self, total: int | None = None) -> None:
        self._start(None if total is None else int(total))

    def update(self, n: int = 1) -> None:
        with self._lock:
            self._pending += int(n)
            if threading.current_thread() is not threading.main_thread():
                return
            n, self._pending = self._pending, 0
        if n:
            self._update(n)

    def close(self) -> None:
        with self._lock:
            n, self._pending = self._pending, 0
        if n:
            self._update(n)
        self._done()


_R_PROGRESS: dict[str, Any] = {}


def set_r_progress(factory: Any) -> None:
    """R's progress-bar factory: ``factory(what, progress)`` gives ``NULL`` (no bar) or an :class:`RProgress`.

    ``progress`` is R's ``progress =`` argument (``NULL``: R's default, a bar in interactive
    sessions outside knitr).
    """
    _R_PROGRESS["factory"] = factory


def _r_sink(what: str, progress: Any) -> Any:
    """The ``progress`` a fit or tuning called from R gets: R's bar (or False)."""
    factory = _R_PROGRESS.get("factory")
    if factory is None:
        return bool(progress)
    sink = factory(what, progress)
    return sink if sink is not None else False


def sensitivity_analysis(
    model: Any, cf_y: float, cf_d: float, rho: float, level: float, null_hypothesis: Any
) -> dict[str, Any]:
    """DoubleML's ``sensitivity_analysis``: ``{"params": sensitivity_params (lists), "summary": text}``."""
    hypothesis = np.atleast_1d(np.asarray(null_hypothesis, dtype=np.float64))
    model.sensitivity_analysis(
        cf_y=float(cf_y),
        cf_d=float(cf_d),
        rho=float(rho),
        level=float(level),
        null_hypothesis=float(hypothesis[0]) if hypothesis.size == 1 else hypothesis,
    )
    params = _plain(model.sensitivity_params)
    for key in ("cf_y", "cf_d", "rho", "level"):  # R's scalars, not one-element lists
        params["input"][key] = float(params["input"][key])
    return {"params": params, "summary": str(model.sensitivity_summary)}


def _arrays(values: Mapping[str, Any] | None) -> dict[str, dict] | None:
    return None if values is None else {str(name): _array(value) for name, value in values.items()}


def evaluate_learners(model: Any, learners: Any = None) -> dict[str, dict] | None:
    """DoubleML's ``evaluate_learners(learners)`` (RMSE or log loss): ``{nuisance: array (n_rep, n_coefs)}``."""
    return _arrays(model.evaluate_learners(learners=None if learners is None else _as_list(learners)))


def nuisance_loss(model: Any) -> dict[str, dict] | None:
    """The nuisance models' losses: ``{nuisance: array (n_rep, n_coefs)}``, or None before a fit."""
    return _arrays(getattr(model, "nuisance_loss", None))


def _column(values: pd.Series) -> dict[str, Any]:
    """A column for R: its type (``logical``, ``integer``, ``double``, ``character``) and values, None for missing."""
    missing = values.isna().to_numpy()
    kind = values.dtype.kind
    plain: list[Any]
    if kind == "b":
        r_type, plain = "logical", [bool(v) for v in values.to_numpy()]
    elif kind in "iu":
        r_type, plain = "integer" if values.abs().max() < 2**31 else "double", values.to_numpy().tolist()
    elif kind == "f":
        r_type, plain = "double", values.to_numpy(dtype=np.float64).tolist()
    elif kind == "M":
        r_type, plain = "character", values.astype(str).tolist()
    else:
        plain = [_plain(v) for v in values.tolist()]
        present = [v for v, m in zip(plain, missing) if not m]
        if present and all(isinstance(v, bool) for v in present):
            r_type = "logical"
        elif present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
            r_type = "double"
        else:
            r_type, plain = "character", [str(v) for v in plain]
    return {"type": r_type, "values": [None if m else v for v, m in zip(plain, missing)]}


def _frame(frame: pd.DataFrame | None) -> dict[str, Any] | None:
    """A DataFrame as ``{"names", "columns": [{"type", "values"}]}`` for R's ``data.frame``."""
    if frame is None:
        return None
    return {"names": [str(c) for c in frame.columns], "columns": [_column(frame[c]) for c in frame.columns]}


_FRAMES = ("task_metrics", "aws_lambda_metrics", "tune_metrics")


def metrics_frame(model: Any, name: str) -> dict[str, Any] | None:
    """One of the model's metrics tables (``task_metrics``, ``aws_lambda_metrics``, ``tune_metrics``) for R."""
    if name not in _FRAMES:
        raise ConfigurationError(f"Unknown metrics table {name!r}; one of {', '.join(_FRAMES)}.")
    return _frame(getattr(model, name, None))


# --------------------------------------------------------------------------- the planner


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
