"""R's objects made the Python core's: data frames, data, learners and models from R's plain values.

R hands over columns of doubles (or a file of them), names and options; what it gets back are the
package's own objects (DoubleML's data classes or the S3 ones, scikit-learn estimators, the model
classes of :mod:`pydmlserverless.doubleml.models`), which R holds as references. ``lrn()``
learners are checked and built through :mod:`pydmlserverless.r.mlr3_learners`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..doubleml import models, plain
from ..doubleml.data import DoubleMLDataS3, DoubleMLDIDDataS3, DoubleMLPanelDataS3
from ..doubleml.registry import MODELS as MODEL_ENTRIES
from ..errors import ConfigurationError, DataError
from ..worker.learners import decode_learner
from . import mlr3_learners
from .values import _as_list, _levels

__all__ = [
    "MODELS",
    "data_file",
    "frame_from_columns",
    "frame_from_file",
    "make_data",
    "make_panel_data",
    "make_learner",
    "learner_label",
    "mlr3_learner_table",
    "mlr3_learner",
    "mlr3_learner_label",
    "make_mlr3_learner",
    "make_model",
    "make_model_r",
]


#: The model classes by their short names (R's), from the one list of models.
MODELS = {entry.name: getattr(models, entry.class_name) for entry in MODEL_ENTRIES}


def data_file(name: str) -> str:
    """The path of a data set shipped with the package (:func:`pydmlserverless.datasets.data_file`)."""
    from ..datasets import data_file as _data_file

    return str(_data_file(name))


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
