"""The R package's bridge to the Python core: plain types in, plain types out.

reticulate 1.28 cannot convert NumPy 2 arrays, so nothing here hands an array to R. Data arrive as
lists of floats (or a file of little-endian float64 columns for large data); results leave as
lists, dicts, strings and numbers, arrays flattened in column-major order with their ``dim`` so
that R rebuilds them with ``array(values, dim)``. Only the package's public API is used.

The R seed convention lives here: ``make_model(..., seed=k)`` calls ``np.random.seed(k)`` right
before the model is built (DoubleML draws the sample splits from NumPy's global generator), and
``fit(..., seed=k)`` passes ``k`` to ``fit_local`` / ``fit_aws_lambda``. A Python user reproduces an
R fit with ``np.random.seed(k); model = ...; model.fit_local(seed=k)``.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

import doubleml
import numpy as np
import pandas as pd

from . import (
    DoubleMLAPOServerless,
    DoubleMLAPOSServerless,
    DoubleMLDataS3,
    DoubleMLDIDDataS3,
    DoubleMLDIDMultiServerless,
    DoubleMLDIDServerless,
    DoubleMLIIVMServerless,
    DoubleMLIRMServerless,
    DoubleMLPanelDataS3,
    DoubleMLPLIVServerless,
    DoubleMLPLPRServerless,
    DoubleMLPLRServerless,
    mlr3_learners,
)
from .backends.local import shutdown_workers
from .errors import ConfigurationError, DataError
from .learners import decode_learner

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

MODELS = {
    "PLR": DoubleMLPLRServerless,
    "PLIV": DoubleMLPLIVServerless,
    "IRM": DoubleMLIRMServerless,
    "IIVM": DoubleMLIIVMServerless,
    "APO": DoubleMLAPOServerless,
    "APOS": DoubleMLAPOSServerless,
    "DID": DoubleMLDIDServerless,
    "DIDMulti": DoubleMLDIDMultiServerless,
    "PLPR": DoubleMLPLPRServerless,
}


def data_file(name: str) -> str:
    """The path of a data set shipped with the package (:func:`pydmlserverless.datasets.data_file`)."""
    from .datasets import data_file as _data_file

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
) -> doubleml.DoubleMLData:
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
        return doubleml.DoubleMLData(frame, **kwargs)
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
) -> doubleml.DoubleMLPanelData:
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
        return doubleml.DoubleMLPanelData(frame, **kwargs)
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
    return doubleml.DoubleMLPanelData(frame, *args, **kwargs)


def _two_period(data: Any) -> Any:
    """R's data of outcome differences as the DoubleMLDIDData that DoubleML's two-period DiD takes."""
    if isinstance(data, doubleml.DoubleMLDIDData):
        return data
    kwargs = {"y_col": data.y_col, "d_cols": list(data.d_cols), "x_cols": list(data.x_cols)}
    if isinstance(data, DoubleMLDataS3):
        return DoubleMLDIDDataS3(data.bucket, data.file_key, data.data, **kwargs)
    with warnings.catch_warnings():  # DoubleML deprecates the class for users; its DID model takes it
        warnings.simplefilter("ignore", FutureWarning)
        return doubleml.DoubleMLDIDData(data.data, **kwargs)


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
    done here (:func:`pydmlserverless.mlr3_learners.check_params`), so that a bad learner fails in
    ``lrn()``, not when a model is built.
    """
    checked = mlr3_learners.check_params(learner_id, params)
    return {"id": learner_id, "task_type": mlr3_learners.MLR3_LEARNERS[learner_id].task_type, "params": checked}


def mlr3_learner_label(learner_id: str) -> str:
    """The estimator's name in R's ``print()`` of an ``lrn()`` learner."""
    return mlr3_learners.learner_label(learner_id)


def make_mlr3_learner(learner_id: str, params: dict[str, Any]) -> Any:
    """R's ``as_sklearn(lrn(...))``: the estimator (:func:`pydmlserverless.mlr3_learners.make_learner`)."""
    return mlr3_learners.make_learner(learner_id, params)


def make_model(
    model: str,
    lambda_function_name: str | None,
    aws_region: str | None,
    data: doubleml.DoubleMLData,
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


def fit(model: Any, backend: str, seed: int | None, options: dict) -> str:
    """Run ``fit_local`` or ``fit_aws_lambda`` with ``seed``; returns the fit report as text."""
    options = dict(options)
    if backend == "local":
        if options.get("n_jobs") is not None:
            options["n_jobs"] = int(options["n_jobs"])
        model.fit_local(seed=seed, progress=False, verbose=False, **options)
    elif backend == "aws_lambda":
        if not hasattr(model, "fit_aws_lambda"):
            raise NotImplementedError(
                "This pydmlserverless version has no fit_aws_lambda(); update the Python package "
                "(install_pydmlserverless() in R)."
            )
        options.setdefault("progress", False)
        options.setdefault("verbose", False)
        model.fit_aws_lambda(seed=seed, **options)
    else:
        raise ConfigurationError(f"Unknown backend {backend!r}; 'local' or 'aws_lambda'.")
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


def shutdown() -> None:
    """Stop the local backend's worker processes; the R package calls this when R exits."""
    if "joblib.externals.loky" in sys.modules:
        shutdown_workers()
