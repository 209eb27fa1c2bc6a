"""Learners as data: encode a scikit-learn estimator into a JSON-safe spec and back.

A learner never travels as code. Its spec names the estimator's class (which must come from an
allow-listed module and be a scikit-learn ``BaseEstimator``) and its constructor parameters,
encoded recursively: nested estimators (Pipelines, stacking, meta-estimators), numpy arrays
(``LassoCV(alphas=np.logspace(...))``), tuples, slices, numpy dtypes and non-finite floats.
Callables, random generators and other objects are refused with a :class:`LearnerError`.
"""

from __future__ import annotations

import importlib
import math
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from .errors import LearnerError

__all__ = [
    "ALLOWED_MODULE_PREFIXES",
    "encode_learner",
    "decode_learner",
    "encode_params",
    "decode_params",
    "set_random_states",
]

#: Modules whose estimator classes may be named in a learner spec.
ALLOWED_MODULE_PREFIXES = ("sklearn.", "xgboost.", "lightgbm.")

_SPEC_MARK = "__estimator__"


def encode_learner(learner: Any) -> dict:
    """Encode an estimator into a JSON-safe spec.

    Parameters
    ----------
    learner : sklearn.base.BaseEstimator
        An unfitted (or fitted: only parameters are kept) scikit-learn compatible estimator.

    Returns
    -------
    dict
        ``{"__estimator__": "module.Class", "params": {...}}``.

    Raises
    ------
    LearnerError
        If the class is outside the allow-list or a parameter cannot travel as data.

    Examples
    --------
    >>> from sklearn.linear_model import LassoCV
    >>> spec = encode_learner(LassoCV(alphas=[0.1, 1.0]))
    >>> spec["__estimator__"]
    'sklearn.linear_model._coordinate_descent.LassoCV'
    >>> decode_learner(spec)
    LassoCV(alphas=[0.1, 1.0])
    """
    return _encode_estimator(learner, path="learner")


def decode_learner(spec: dict) -> BaseEstimator:
    """Rebuild an estimator from a spec made by :func:`encode_learner`.

    Parameters
    ----------
    spec : dict
        The learner spec.

    Returns
    -------
    sklearn.base.BaseEstimator
        A new, unfitted estimator.

    Raises
    ------
    LearnerError
        If the spec names a class outside the allow-list or is malformed.
    """
    if not isinstance(spec, dict) or _SPEC_MARK not in spec:
        raise LearnerError(f"A learner spec must be a dict with key {_SPEC_MARK!r}; got {type(spec).__name__}.")
    return _decode_value(spec)


def set_random_states(params: dict, estimator: BaseEstimator, random_state: int) -> dict:
    """Return ``params`` extended with ``random_state`` for every (nested) parameter of that name.

    Parameters already present in ``params`` win, so that user-set nuisance parameters are honoured.

    Parameters
    ----------
    params : dict
        Parameters to be passed to ``estimator.set_params``.
    estimator : sklearn.base.BaseEstimator
        The estimator whose (deep) parameters are searched for ``random_state``.
    random_state : int
        The seed to set.

    Returns
    -------
    dict
        A new dict.
    """
    seeded = {
        name: int(random_state)
        for name in estimator.get_params(deep=True)
        if name == "random_state" or name.endswith("__random_state")
    }
    seeded.update(params)
    return seeded


def _class_path(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _check_allowed(path: str, where: str) -> None:
    if not path.startswith(ALLOWED_MODULE_PREFIXES):
        allowed = ", ".join(p.rstrip(".") for p in ALLOWED_MODULE_PREFIXES)
        raise LearnerError(
            f"{where}: estimator class {path!r} is not allowed. Learners travel as data and must come from "
            f"one of these packages: {allowed}."
        )


def _encode_estimator(est: Any, path: str) -> dict:
    if not isinstance(est, BaseEstimator):
        raise LearnerError(
            f"{path}: {est!r} is not a scikit-learn estimator (an instance of sklearn.base.BaseEstimator)."
        )
    cls_path = _class_path(est)
    _check_allowed(cls_path, path)
    params = est.get_params(deep=False)
    return {_SPEC_MARK: cls_path, "params": {k: _encode_value(v, f"{path}.{k}") for k, v in params.items()}}


def _encode_value(value: Any, path: str) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, BaseEstimator):
        return _encode_estimator(value, path)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise LearnerError(f"{path}: numpy arrays of dtype {value.dtype} cannot travel as learner parameters.")
        return {
            "__ndarray__": [_encode_value(v, path) for v in value.ravel().tolist()],
            "dtype": value.dtype.str,
            "shape": list(value.shape),
        }
    if isinstance(value, tuple):
        return {"__tuple__": [_encode_value(v, f"{path}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode_value(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        # keys may be numbers (class_weight={0: 1.0, 1: 2.0}), so a dict travels as a list of pairs
        return {"__dict__": [[_encode_value(k, path), _encode_value(v, f"{path}[{k!r}]")] for k, v in value.items()]}
    if isinstance(value, slice):
        return {"__slice__": [value.start, value.stop, value.step]}
    if isinstance(value, type) and issubclass(value, np.generic):
        return {"__dtype__": np.dtype(value).str}
    if isinstance(value, np.dtype):
        return {"__dtype__": value.str}
    if callable(value):
        raise LearnerError(
            f"{path}: the callable {value!r} cannot travel as data. Use a built-in option of the estimator "
            "(e.g. a string) instead of a function."
        )
    raise LearnerError(f"{path}: a parameter of type {type(value).__name__} cannot travel as data ({value!r}).")


def _decode_value(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode_value(v) for v in value]
    if not isinstance(value, dict):
        return value
    if _SPEC_MARK in value:
        return _decode_estimator(value)
    if "__float__" in value:
        return float(value["__float__"])
    if "__ndarray__" in value:
        return np.array(value["__ndarray__"], dtype=np.dtype(value["dtype"])).reshape(value["shape"])
    if "__tuple__" in value:
        return tuple(_decode_value(v) for v in value["__tuple__"])
    if "__dict__" in value:
        return {_decode_value(k): _decode_value(v) for k, v in value["__dict__"]}
    if "__slice__" in value:
        return slice(*value["__slice__"])
    if "__dtype__" in value:
        return np.dtype(value["__dtype__"]).type
    raise LearnerError(f"Malformed learner spec value: {value!r}.")


def _decode_estimator(spec: dict) -> BaseEstimator:
    path = spec[_SPEC_MARK]
    if not isinstance(path, str):
        raise LearnerError(f"Malformed learner spec: class path {path!r} is not a string.")
    _check_allowed(path, "learner spec")
    module_name, _, class_name = path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise LearnerError(f"The learner class {path!r} is not available on this worker: {exc}.") from exc
    if not (isinstance(cls, type) and issubclass(cls, BaseEstimator)):
        raise LearnerError(f"{path!r} is not a scikit-learn estimator class.")
    params = {k: _decode_value(v) for k, v in spec.get("params", {}).items()}
    return cls(**params)


def encode_params(params: dict | None) -> dict:
    """Encode estimator parameters (e.g. from ``set_ml_nuisance_params``) into a JSON-safe dict.

    Examples
    --------
    >>> decode_params(encode_params({"alpha": 0.5, "random_state": 3}))
    {'alpha': 0.5, 'random_state': 3}
    """
    if not params:
        return {}
    return {str(k): _encode_value(v, f"params.{k}") for k, v in params.items()}


def decode_params(params: dict | None) -> dict:
    """Inverse of :func:`encode_params`."""
    if not params:
        return {}
    return {k: _decode_value(v) for k, v in params.items()}
