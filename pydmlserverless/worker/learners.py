"""Learners as data: encode a scikit-learn estimator into a JSON-safe spec and back.

A learner never travels as code. Its spec names the estimator's class by its public path
(``sklearn.linear_model.LassoCV``), which must be in one of the allow-listed public modules
(:data:`ALLOWED_MODULES`) and be a scikit-learn ``BaseEstimator``, and its constructor
parameters, encoded recursively: nested estimators (Pipelines, stacking, meta-estimators), numpy
arrays (``LassoCV(alphas=np.logspace(...))``), tuples, slices, numpy dtypes and non-finite floats.
Callables, random generators and other objects are refused with a :class:`LearnerError`.

The decoder is the worker's edge for learners, so it trusts nothing in a spec: it imports only an
allow-listed module (never one a spec names), accepts only the class's own parameters and refuses
those that open sockets, read or write files or start programs
(:func:`~pydmlserverless.worker.learner_parameters.check_parameters`, the one check every parameter
passes: spec, per-fold parameters, tuning grids, Optuna trials), and bounds what it builds
(nesting depth, array sizes, dtypes).
"""

from __future__ import annotations

import importlib
import math
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from ..errors import LearnerError
from .learner_parameters import check_parameters

__all__ = [
    "ALLOWED_MODULES",
    "ALLOWED_MODULE_PREFIXES",
    "encode_learner",
    "decode_learner",
    "encode_params",
    "decode_params",
    "set_random_states",
]

#: The packages whose estimators may travel (their public modules are :data:`ALLOWED_MODULES`).
ALLOWED_MODULE_PREFIXES = ("sklearn.", "xgboost.", "lightgbm.")

#: The public modules a spec's class may come from: the learners of regression and classification
#: and what builds them (pipelines, preprocessing, feature selection). Not text or image feature
#: extraction, data sets or utilities, whose estimators read files or run other code.
ALLOWED_MODULES = frozenset(
    {f"sklearn.{name}" for name in (
        "calibration", "compose", "cross_decomposition", "decomposition", "discriminant_analysis", "dummy",
        "ensemble", "feature_selection", "gaussian_process", "impute", "isotonic", "kernel_approximation",
        "kernel_ridge", "linear_model", "multiclass", "multioutput", "naive_bayes", "neighbors", "neural_network",
        "pipeline", "preprocessing", "random_projection", "svm", "tree",
    )}
    | {"xgboost", "lightgbm"}
)  # fmt: skip

#: numpy dtypes a spec's arrays may have (no objects, no sub-arrays, no strings).
ALLOWED_DTYPES = frozenset({"|b1", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "<f2", "<f4", "<f8"})
_MAX_DEPTH = 32
_MAX_ARRAY_ELEMENTS = 1_000_000

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
    'sklearn.linear_model.LassoCV'
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
        If the spec names a class outside the allow-list, sets a parameter the class does not
        have or that is forbidden, exceeds the decoder's bounds, or is malformed.
    """
    if not isinstance(spec, dict) or _SPEC_MARK not in spec:
        raise LearnerError(f"A learner spec must be a dict with key {_SPEC_MARK!r}; got {type(spec).__name__}.")
    estimator = _decode_value(spec, 0)
    assert isinstance(estimator, BaseEstimator)
    return estimator


def set_random_states(params: dict, estimator: BaseEstimator, random_state: int, only_unset: bool = False) -> dict:
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
    only_unset : bool, default False
        Seed only the parameters that are None on ``estimator`` (keep the ones the user set).

    Returns
    -------
    dict
        A new dict.

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> set_random_states({}, RandomForestRegressor(random_state=7), 42, only_unset=True)
    {}
    >>> set_random_states({}, RandomForestRegressor(), 42, only_unset=True)
    {'random_state': 42}
    """
    seeded = {
        name: int(random_state)
        for name, value in estimator.get_params(deep=True).items()
        if (name == "random_state" or name.endswith("__random_state")) and (value is None or not only_unset)
    }
    seeded.update(params)
    return seeded


def _not_allowed(path: str, where: str) -> LearnerError:
    allowed = ", ".join(p.rstrip(".") for p in ALLOWED_MODULE_PREFIXES)
    return LearnerError(
        f"{where}: estimator class {path!r} is not allowed. Learners travel as data and must be estimators "
        f"from the public modules of these packages: {allowed} (see pydmlserverless.worker.learners.ALLOWED_MODULES)."
    )


def _public_path(cls: type, where: str) -> str:
    """``module.Class`` with the shortest allow-listed module that exports ``cls`` itself."""
    parts = cls.__module__.split(".")
    for end in range(1, len(parts) + 1):
        module = ".".join(parts[:end])
        if module in ALLOWED_MODULES:
            exported = getattr(importlib.import_module(module), cls.__name__, None)
            if exported is cls:
                return f"{module}.{cls.__name__}"
    raise _not_allowed(f"{cls.__module__}.{cls.__qualname__}", where)


def _encode_estimator(est: Any, path: str) -> dict:
    if not isinstance(est, BaseEstimator):
        raise LearnerError(
            f"{path}: {est!r} is not a scikit-learn estimator (an instance of sklearn.base.BaseEstimator)."
        )
    cls_path = _public_path(type(est), path)
    params = est.get_params(deep=False)
    check_parameters(type(est), params, path)
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


def _dtype(text: Any) -> np.dtype:
    if text not in ALLOWED_DTYPES:
        raise LearnerError(f"Malformed learner spec: the dtype {text!r} is not one of {sorted(ALLOWED_DTYPES)}.")
    return np.dtype(text)


def _decode_array(value: dict) -> np.ndarray:
    dtype, shape, items = _dtype(value.get("dtype")), value.get("shape"), value["__ndarray__"]
    if not (isinstance(shape, list) and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)):
        raise LearnerError(f"Malformed learner spec: an array's shape {shape!r} is not a list of sizes.")
    size = math.prod(shape)
    if size > _MAX_ARRAY_ELEMENTS or not isinstance(items, list) or len(items) != size:
        raise LearnerError(
            f"Malformed learner spec: an array of shape {shape} needs {size} values (at most "
            f"{_MAX_ARRAY_ELEMENTS:,}); {len(items) if isinstance(items, list) else type(items).__name__} given."
        )
    if not all(isinstance(v, (bool, int, float)) for v in items):
        raise LearnerError("Malformed learner spec: an array holds values that are not numbers.")
    return np.array(items, dtype=dtype).reshape(shape)


def _decode_value(value: Any, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise LearnerError(f"Malformed learner spec: nested deeper than {_MAX_DEPTH} levels.")
    if isinstance(value, list):
        return [_decode_value(v, depth + 1) for v in value]
    if not isinstance(value, dict):
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise LearnerError(f"Malformed learner spec value of type {type(value).__name__}.")
    if _SPEC_MARK in value:
        return _decode_estimator(value, depth)
    if "__float__" in value:
        if value["__float__"] not in ("nan", "inf", "-inf"):
            raise LearnerError(f"Malformed learner spec: {value['__float__']!r} is not nan, inf or -inf.")
        return float(value["__float__"])
    if "__ndarray__" in value:
        return _decode_array(value)
    if "__tuple__" in value and isinstance(value["__tuple__"], list):
        return tuple(_decode_value(v, depth + 1) for v in value["__tuple__"])
    if "__dict__" in value and isinstance(value["__dict__"], list):
        pairs = value["__dict__"]
        if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
            raise LearnerError("Malformed learner spec: a dict travels as a list of [key, value] pairs.")
        return {_decode_value(k, depth + 1): _decode_value(v, depth + 1) for k, v in pairs}
    if "__slice__" in value:
        bounds = value["__slice__"]
        if not (isinstance(bounds, list) and len(bounds) == 3 and all(b is None or type(b) is int for b in bounds)):
            raise LearnerError(f"Malformed learner spec: a slice is three integers or nulls; got {bounds!r}.")
        return slice(*bounds)
    if "__dtype__" in value:
        return _dtype(value["__dtype__"]).type
    raise LearnerError(f"Malformed learner spec value: {str(value)[:200]!r}.")


def _decode_estimator(spec: dict, depth: int) -> BaseEstimator:
    path = spec[_SPEC_MARK]
    if not isinstance(path, str):
        raise LearnerError(f"Malformed learner spec: class path {path!r} is not a string.")
    module_name, _, class_name = path.rpartition(".")
    # the module is checked before anything is imported: importing runs a module's code
    if module_name not in ALLOWED_MODULES or not class_name.isidentifier() or class_name.startswith("_"):
        raise _not_allowed(path, "learner spec")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise LearnerError(f"The learner class {path!r} is not available on this worker: {exc}.") from exc
    if not (isinstance(cls, type) and issubclass(cls, BaseEstimator)):
        raise LearnerError(f"{path!r} is not a scikit-learn estimator class.")
    params = spec.get("params", {})
    if not isinstance(params, dict):
        raise LearnerError(f"Malformed learner spec: the parameters of {path!r} are not an object.")
    decoded = {k: _decode_value(v, depth + 1) for k, v in params.items()}
    check_parameters(cls, decoded, f"learner spec {path}")
    return cls(**decoded)


def encode_params(params: dict | None, estimator: BaseEstimator) -> dict:
    """Encode parameters to be set on ``estimator`` (e.g. from ``set_ml_nuisance_params``) as JSON-safe data.

    Raises
    ------
    LearnerError
        If ``estimator`` has no such parameter, or it is forbidden (see
        :func:`~pydmlserverless.worker.learner_parameters.check_parameters`), or a value cannot travel.

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> rf = RandomForestRegressor()
    >>> decode_params(encode_params({"max_depth": 5, "random_state": 3}, rf), rf)
    {'max_depth': 5, 'random_state': 3}
    """
    if not params:
        return {}
    check_parameters(estimator, params, "params")
    return {str(k): _encode_value(v, f"params.{k}") for k, v in params.items()}


def decode_params(params: dict | None, estimator: BaseEstimator) -> dict:
    """Inverse of :func:`encode_params`: the values decoded, the names checked against ``estimator``.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.linear_model import Lasso
    >>> decode_params({"memory": "/tmp/cache"}, make_pipeline(Lasso()))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydmlserverless.errors.LearnerError: params: the parameter 'memory' of Pipeline names a folder ...
    """
    if not params:
        return {}
    decoded = {k: _decode_value(v, 0) for k, v in params.items()}
    check_parameters(estimator, decoded, "params")
    return decoded
