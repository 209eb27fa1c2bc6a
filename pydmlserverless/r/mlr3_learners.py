"""mlr3 learner ids and parameter names, translated to scikit-learn estimators.

The R package's ``lrn("regr.ranger", num.trees = 500)`` is a learner named as mlr3 names it. This
module holds the translation: :data:`MLR3_LEARNERS`, one table from each mlr3 id to its
scikit-learn class, task type and label, with each mlr3 parameter's type, default (the R
learner's, where scikit-learn's differs) and translation to scikit-learn parameters; and
:func:`make_learner`, which turns an id and mlr3 parameters into the estimator.

The error messages are those the R package shows (it forwards them as they are), so they speak
of ``lrn()``, R's ``TRUE``/``FALSE`` and R's number formatting.

Examples
--------
>>> make_learner("regr.ranger", {"num.trees": 100, "min.node.size": 2})
RandomForestRegressor(max_features='sqrt', min_samples_split=3, n_jobs=1)
>>> MLR3_LEARNERS["classif.rpart"].params["minsplit"]
Mlr3Param(kind='int', default=20, translation='min_samples_split = max(2, minsplit)')
"""

from __future__ import annotations

import importlib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import sklearn
from sklearn.base import BaseEstimator

from ..errors import LearnerError

__all__ = [
    "MLR3_LEARNERS",
    "NO_DEFAULT",
    "Mlr3Learner",
    "Mlr3Param",
    "check_params",
    "learner_ids",
    "learner_label",
    "make_learner",
]

#: A scikit-learn version as ``(major, minor)``.
Version = tuple[int, int]

#: ``translate(value, values, version)``: the scikit-learn parameters one mlr3 parameter sets, given
#: its value, the values of all the learner's parameters (given or defaulted) and scikit-learn's version.
Translate = Callable[[Any, Mapping[str, Any], Version], dict[str, Any]]

Kind = Literal["int", "num", "nums", "lgl", "chr"]

_KIND_TEXT = {"int": "a whole number", "num": "a number", "nums": "numeric", "lgl": "TRUE or FALSE", "chr": "a string"}
_INT_MAX = 2147483647  # R's integers: what as.integer() can hold
_INT_TOLERANCE = math.sqrt(2.220446049250313e-16)  # checkmate's integerish tolerance, sqrt(.Machine$double.eps)


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


#: The default of a parameter without one: when not given, it sets nothing (scikit-learn's default holds).
NO_DEFAULT: Any = _NoDefault()


class _Invalid(Exception):
    """A translation refused a value; the message gets the ``lrn('<id>'): `` prefix."""


@dataclass(frozen=True)
class Mlr3Param:
    """One mlr3 parameter of a learner.

    Parameters
    ----------
    kind : {"int", "num", "nums", "lgl", "chr"}
        A whole number (coerced to ``int``), a number, one or more numbers, a logical, a string.
    default : object
        The value used when the parameter is not given, translated like a given one; a callable
        gets the values resolved so far (table order); :data:`NO_DEFAULT` sets nothing.
    translation : str
        The translation, in words.
    translate : callable
        ``translate(value, values, version) -> dict`` of scikit-learn parameters; ``None`` values
        are left out (scikit-learn's default holds).
    """

    kind: Kind
    default: Any = NO_DEFAULT
    translation: str = ""
    translate: Translate = field(default=lambda value, values, version: {}, repr=False, compare=False)


@dataclass(frozen=True)
class Mlr3Learner:
    """One mlr3 learner id and its scikit-learn estimator.

    Parameters
    ----------
    task_type : {"regr", "classif"}
        The mlr3 task type.
    estimator : str or callable
        The class path (``"sklearn.ensemble.RandomForestRegressor"``), or a function of the
        parameter values that gives it.
    label : str
        How the estimator is named for printing.
    params : mapping of str to Mlr3Param
        The mlr3 parameters (in the order error messages list them).
    fixed : mapping
        scikit-learn parameters always set.
    standardize : bool
        Whether the mlr3 parameter ``standardize`` (default ``True``) puts a ``StandardScaler``
        before the estimator, in a ``Pipeline`` with the steps ``"scale"`` and ``"model"``.
    module : str, optional
        The Python package the estimator needs beyond scikit-learn.
    """

    task_type: Literal["regr", "classif"]
    estimator: str | Callable[[Mapping[str, Any]], str]
    label: str
    params: Mapping[str, Mlr3Param]
    fixed: Mapping[str, Any] = field(default_factory=dict)
    standardize: bool = False
    module: str | None = None


# --------------------------------------------------------------------------- translations


def _to(name: str) -> Translate:
    """The mlr3 value as the scikit-learn parameter ``name``."""
    return lambda value, values, version: {name: value}


def _renamed(kind: Kind, name: str, default: Any = NO_DEFAULT) -> Mlr3Param:
    """An mlr3 parameter that is the scikit-learn parameter ``name`` under another name."""
    return Mlr3Param(kind, default, name, _to(name))


def _ignored(value: Any, values: Mapping[str, Any], version: Version) -> dict[str, Any]:
    return {}


def _max_samples(value: Any, values: Mapping[str, Any], version: Version) -> dict[str, Any]:
    return {"max_samples": value if values["replace"] and value < 1 else None}


def _cv_l1_ratio(value: Any, values: Mapping[str, Any], version: Version) -> dict[str, Any]:
    return {"l1_ratio": value} if value < 1 else {}


def _cv_path_length(value: Any, values: Mapping[str, Any], version: Version) -> dict[str, Any]:
    return {"alphas" if version >= (1, 7) else "n_alphas": value}


def _logistic_penalty(value: Any, values: Mapping[str, Any], version: Version) -> dict[str, Any]:
    if version >= (1, 8):
        return {"l1_ratios": [value], "use_legacy_attributes": False}
    if value < 1:
        return {"penalty": "elasticnet", "l1_ratios": [value]}
    return {"penalty": "l1"}


def _only_lambda_min(value: Any, values: Mapping[str, Any], version: Version) -> dict[str, Any]:
    if value != "lambda.min":
        raise _Invalid(
            f"s = '{value}' is not available: scikit-learn's cross-validated estimators use the penalty that "
            'minimises the CV loss, i.e. s = "lambda.min".'
        )
    return {}


def _max_features_ratio(value: Any, values: Mapping[str, Any], version: Version) -> dict[str, Any]:
    return {} if "mtry" in values else {"max_features": value}


def _glmnet_lambda(value: Any, values: Mapping[str, Any], version: Version) -> dict[str, Any]:
    several = isinstance(value, list) and len(value) > 1
    if several and "s" not in values:
        raise _Invalid("with several lambda values, give s (the one to predict with).")
    if "s" in values:
        return {}
    return {"alpha": value[0] if isinstance(value, list) else value}


def _ranger(task_type: Literal["regr", "classif"]) -> Mlr3Learner:
    cls = "RandomForestRegressor" if task_type == "regr" else "RandomForestClassifier"
    node_size = 5 if task_type == "regr" else 10  # ranger's regression and probability forests
    return Mlr3Learner(
        task_type=task_type,
        estimator=f"sklearn.ensemble.{cls}",
        label=f"sklearn.ensemble.{cls}",
        params={
            "num.trees": _renamed("int", "n_estimators", 500),
            "mtry": _renamed("int", "max_features"),
            "mtry.ratio": Mlr3Param(
                "num",
                "sqrt",
                "max_features (a fraction), unless mtry is given; 'sqrt' is floor(sqrt(p))",
                _max_features_ratio,
            ),
            "min.node.size": Mlr3Param(
                "int",
                node_size,
                "min_samples_split = min.node.size + 1",
                lambda value, values, version: {"min_samples_split": value + 1},
            ),
            "min.bucket": _renamed("int", "min_samples_leaf", 1),
            "max.depth": Mlr3Param(
                "int",
                NO_DEFAULT,
                "max_depth (0: unlimited)",
                lambda value, values, version: {"max_depth": None if value == 0 else value},
            ),
            "replace": _renamed("lgl", "bootstrap", True),
            "sample.fraction": Mlr3Param(
                "num", NO_DEFAULT, "max_samples, with replace = TRUE and below 1", _max_samples
            ),
            "num.threads": _renamed("int", "n_jobs", 1),
            "seed": _renamed("int", "random_state"),
        },
    )


def _cv_glmnet_params(task_type: Literal["regr", "classif"]) -> dict[str, Mlr3Param]:
    regr = task_type == "regr"
    return {
        "alpha": Mlr3Param(
            "num",
            1.0,
            "l1_ratio (below 1: ElasticNetCV, else LassoCV)" if regr else "l1_ratios = [alpha], penalty by version",
            _cv_l1_ratio if regr else _logistic_penalty,
        ),
        "nfolds": _renamed("int", "cv", 10),
        "nlambda": Mlr3Param(
            "int",
            NO_DEFAULT if regr else 10,
            "alphas (n_alphas before scikit-learn 1.7)" if regr else "Cs",
            _cv_path_length if regr else _to("Cs"),
        ),
        "lambda.min.ratio": Mlr3Param(
            "num", NO_DEFAULT, "eps" if regr else "ignored", _to("eps") if regr else _ignored
        ),
        "standardize": Mlr3Param("lgl", True, "StandardScaler first"),
        "intercept": _renamed("lgl", "fit_intercept"),
        "maxit": _renamed("int", "max_iter", NO_DEFAULT if regr else 1000),
        "s": Mlr3Param("chr", "lambda.min", "must be 'lambda.min'", _only_lambda_min),
    }


def _rpart(task_type: Literal["regr", "classif"]) -> Mlr3Learner:
    cls = "DecisionTreeRegressor" if task_type == "regr" else "DecisionTreeClassifier"
    return Mlr3Learner(
        task_type=task_type,
        estimator=f"sklearn.tree.{cls}",
        label=f"sklearn.tree.{cls}",
        params={
            "cp": _renamed("num", "ccp_alpha"),
            "minsplit": Mlr3Param(
                "int",
                20,
                "min_samples_split = max(2, minsplit)",
                lambda value, values, version: {"min_samples_split": max(2, value)},
            ),
            "minbucket": Mlr3Param(
                "int",
                lambda values: max(1, round(values["minsplit"] / 3)),
                "min_samples_leaf",
                _to("min_samples_leaf"),
            ),
            "maxdepth": _renamed("int", "max_depth", 30),
            "xval": Mlr3Param("int", NO_DEFAULT, "ignored"),
        },
    )


def _xgboost(task_type: Literal["regr", "classif"]) -> Mlr3Learner:
    cls = "XGBRegressor" if task_type == "regr" else "XGBClassifier"
    return Mlr3Learner(
        task_type=task_type,
        estimator=f"xgboost.{cls}",
        label=f"xgboost.{cls}",
        params={
            "nrounds": _renamed("int", "n_estimators", 1000),  # mlr3's default
            "eta": _renamed("num", "learning_rate"),
            "max_depth": _renamed("int", "max_depth"),
            "subsample": _renamed("num", "subsample"),
            "colsample_bytree": _renamed("num", "colsample_bytree"),
            "colsample_bylevel": _renamed("num", "colsample_bylevel"),
            "min_child_weight": _renamed("num", "min_child_weight"),
            "gamma": _renamed("num", "gamma"),
            "lambda": _renamed("num", "reg_lambda"),
            "alpha": _renamed("num", "reg_alpha"),
            "nthread": _renamed("int", "n_jobs", 1),
            "booster": _renamed("chr", "booster"),
            "objective": _renamed("chr", "objective"),
            "seed": _renamed("int", "random_state"),
        },
        module="xgboost",
    )


#: The mlr3 learner ids and their translations.
MLR3_LEARNERS: Mapping[str, Mlr3Learner] = {
    "regr.ranger": _ranger("regr"),
    "classif.ranger": _ranger("classif"),
    "regr.cv_glmnet": Mlr3Learner(
        task_type="regr",
        estimator=lambda values: "sklearn.linear_model." + ("ElasticNetCV" if values["alpha"] < 1 else "LassoCV"),
        label="sklearn.linear_model.LassoCV / ElasticNetCV",
        params=_cv_glmnet_params("regr"),
        standardize=True,
    ),
    "classif.cv_glmnet": Mlr3Learner(
        task_type="classif",
        estimator="sklearn.linear_model.LogisticRegressionCV",
        label="sklearn.linear_model.LogisticRegressionCV",
        params=_cv_glmnet_params("classif"),
        fixed={"solver": "saga", "scoring": "neg_log_loss"},
        standardize=True,
    ),
    "regr.glmnet": Mlr3Learner(
        task_type="regr",
        estimator="sklearn.linear_model.ElasticNet",
        label="sklearn.linear_model.ElasticNet",
        params={
            "lambda": Mlr3Param("nums", 0.01, "alpha (one value), unless s is given", _glmnet_lambda),
            "s": _renamed("num", "alpha"),
            "alpha": _renamed("num", "l1_ratio", 1.0),
            "standardize": Mlr3Param("lgl", True, "StandardScaler first"),
            "intercept": _renamed("lgl", "fit_intercept"),
            "maxit": _renamed("int", "max_iter"),
        },
        standardize=True,
    ),
    "regr.rpart": _rpart("regr"),
    "classif.rpart": _rpart("classif"),
    "regr.lm": Mlr3Learner(
        task_type="regr",
        estimator="sklearn.linear_model.LinearRegression",
        label="sklearn.linear_model.LinearRegression",
        params={},
    ),
    "classif.log_reg": Mlr3Learner(
        task_type="classif",
        estimator="sklearn.linear_model.LogisticRegression",
        label="sklearn.linear_model.LogisticRegression",
        params={"maxit": _renamed("int", "max_iter", 1000)},
        # C = inf switches the penalty off in every scikit-learn version (penalty=None is deprecated in 1.8)
        fixed={"C": math.inf},
    ),
    "regr.xgboost": _xgboost("regr"),
    "classif.xgboost": _xgboost("classif"),
}

# --------------------------------------------------------------------------- public functions


def learner_ids() -> list[str]:
    """The mlr3 learner ids :func:`make_learner` knows, in the table's order.

    Returns
    -------
    list of str
        The ids.

    Examples
    --------
    >>> learner_ids()[:3]
    ['regr.ranger', 'classif.ranger', 'regr.cv_glmnet']
    """
    return list(MLR3_LEARNERS)


def learner_label(learner_id: str) -> str:
    """How the estimator of an mlr3 learner id is named for printing.

    Parameters
    ----------
    learner_id : str
        An mlr3 learner id.

    Returns
    -------
    str
        The scikit-learn class (or classes), e.g. ``"sklearn.ensemble.RandomForestRegressor"``.

    Raises
    ------
    LearnerError
        If the id is unknown.

    Examples
    --------
    >>> learner_label("regr.cv_glmnet")
    'sklearn.linear_model.LassoCV / ElasticNetCV'
    """
    return _entry(learner_id).label


def check_params(learner_id: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Check mlr3 parameters of a learner without building it; whole numbers become ``int``.

    Every check of :func:`make_learner` is done, except that the estimator's package is not
    imported (``xgboost`` need not be installed).

    Parameters
    ----------
    learner_id : str
        An mlr3 learner id (see :data:`MLR3_LEARNERS`).
    params : mapping of str to object, optional
        mlr3 parameters by mlr3 name.

    Returns
    -------
    dict
        The parameters as given, whole numbers of integer parameters as ``int``.

    Raises
    ------
    LearnerError
        For an unknown id, an unknown or unnamed parameter, a value of the wrong type or an
        unsupported value.

    Examples
    --------
    >>> check_params("regr.ranger", {"num.trees": 100.0, "replace": False})
    {'num.trees': 100, 'replace': False}
    >>> check_params("regr.ranger", {"num.trees": 1.5})
    Traceback (most recent call last):
    ...
    pydmlserverless.errors.LearnerError: lrn('regr.ranger'): num.trees must be a whole number; got 1.5.
    """
    entry = _entry(learner_id)
    given = _coerce(learner_id, entry, params or {})
    _translate(learner_id, entry, given, _sklearn_version())
    return given


def make_learner(learner_id: str, params: Mapping[str, Any] | None = None) -> BaseEstimator:
    """The scikit-learn estimator of an mlr3 learner id with mlr3 parameters.

    Parameters
    ----------
    learner_id : str
        An mlr3 learner id (see :data:`MLR3_LEARNERS`).
    params : mapping of str to object, optional
        mlr3 parameters by mlr3 name (``{"num.trees": 100}``); whole numbers given as floats are
        accepted for integer parameters.

    Returns
    -------
    sklearn.base.BaseEstimator
        A new, unfitted estimator: a ``Pipeline`` of ``StandardScaler`` and the estimator for the
        glmnet learners with ``standardize`` true (the default).

    Raises
    ------
    LearnerError
        As :func:`check_params`, and when the estimator's package (xgboost) is not installed.

    Examples
    --------
    >>> make_learner("classif.log_reg")
    LogisticRegression(C=inf, max_iter=1000)
    >>> make_learner("regr.cv_glmnet", {"alpha": 0.3, "nfolds": 5, "standardize": False})
    ElasticNetCV(cv=5, l1_ratio=0.3)
    >>> make_learner("regr.cv_glmnet", {"s": "lambda.1se"})
    Traceback (most recent call last):
    ...
    pydmlserverless.errors.LearnerError: lrn('regr.cv_glmnet'): s = 'lambda.1se' is not available: \
scikit-learn's cross-validated estimators use the penalty that minimises the CV loss, i.e. s = "lambda.min".
    """
    entry = _entry(learner_id)
    given = _coerce(learner_id, entry, params or {})
    path, kwargs, scaled = _translate(learner_id, entry, given, _sklearn_version())
    if entry.module is not None:
        try:
            importlib.import_module(entry.module)
        except ImportError:
            raise LearnerError(
                f"lrn('{learner_id}') needs the Python package {entry.module} (R's {entry.module} is not used): "
                f'install it with install_pydmlserverless(extra_packages = "{entry.module}").'
            ) from None
    module_name, _, class_name = path.rpartition(".")
    estimator = getattr(importlib.import_module(module_name), class_name)(**kwargs)
    if scaled:
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler

        return Pipeline(steps=[("scale", StandardScaler()), ("model", estimator)])
    return estimator


# --------------------------------------------------------------------------- internals


def _sklearn_version() -> Version:
    match = re.match(r"(\d+)\.(\d+)", sklearn.__version__)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def _entry(learner_id: str) -> Mlr3Learner:
    entry = MLR3_LEARNERS.get(learner_id) if isinstance(learner_id, str) else None
    if entry is None:
        raise LearnerError(
            f"Unknown learner id '{learner_id}'. Available: {', '.join(MLR3_LEARNERS)}; "
            "or pass a scikit-learn estimator built with reticulate."
        )
    return entry


def _coerce(learner_id: str, entry: Mlr3Learner, params: Mapping[str, Any]) -> dict[str, Any]:
    where = f"lrn('{learner_id}')"
    if not isinstance(params, Mapping) or any(not isinstance(name, str) or not name for name in params):
        raise LearnerError(f"{where}: all parameters must be named.")
    unknown = ", ".join(f"'{name}'" for name in params if name not in entry.params)
    if unknown:
        raise LearnerError(f"{where}: unsupported parameter(s) {unknown}. Supported: {', '.join(entry.params)}.")
    coerced = {}
    for name, value in params.items():
        kind = entry.params[name].kind
        ok, plain = _check_kind(kind, value)
        if not ok:
            raise LearnerError(f"{where}: {name} must be {_KIND_TEXT[kind]}; got {_r_format(value)}.")
        coerced[name] = plain
    return coerced


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) or _numpy_number(value)


def _numpy_number(value: Any) -> bool:
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    return kind in ("i", "u", "f") and getattr(value, "ndim", None) == 0


def _plain_number(value: Any) -> int | float:
    integer = isinstance(value, int) or getattr(getattr(value, "dtype", None), "kind", None) in ("i", "u")
    return int(value) if integer else float(value)


def _check_kind(kind: Kind, value: Any) -> tuple[bool, Any]:
    """Whether ``value`` is of ``kind`` (as checkmate checks it in R) and its plain Python value."""
    if kind == "chr":
        return isinstance(value, str), value
    if kind == "lgl":
        ok = isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", None) == "b"
        return ok, bool(value) if ok else value
    if kind == "nums":
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        ok = bool(values) and all(_is_number(v) and not math.isnan(v) for v in values)
        if not ok:
            return False, value
        plain = [_plain_number(v) for v in values]
        return True, plain if isinstance(value, (list, tuple)) else plain[0]
    if not _is_number(value) or math.isnan(value):
        return False, value
    value = _plain_number(value)
    if kind == "num":
        return True, value
    whole = math.isfinite(value) and abs(value - round(value)) < _INT_TOLERANCE and abs(value) <= _INT_MAX
    return whole, int(value) if whole else value  # int() truncates, as R's as.integer()


def _translate(
    learner_id: str, entry: Mlr3Learner, given: Mapping[str, Any], version: Version
) -> tuple[str, dict[str, Any], bool]:
    """The class path, the constructor's parameters and whether to standardize first."""
    values: dict[str, Any] = {}
    for name, param in entry.params.items():
        if name in given:
            values[name] = given[name]
        elif param.default is not NO_DEFAULT:
            values[name] = param.default(values) if callable(param.default) else param.default
    kwargs = dict(entry.fixed)
    try:
        for name, value in values.items():
            translated = entry.params[name].translate(value, values, version)
            kwargs.update((key, v) for key, v in translated.items() if v is not None)
    except _Invalid as exc:
        raise LearnerError(f"lrn('{learner_id}'): {exc}") from None
    path = entry.estimator(values) if callable(entry.estimator) else entry.estimator
    return path, kwargs, entry.standardize and values["standardize"] is not False


def _r_format(value: Any) -> str:
    """``paste(format(value), collapse = ", ")`` as R writes the value that came from R.

    R's ``NULL`` arrives as ``None``; a vector as a list (its ``NA`` elements as ``None``).
    """
    if value is None:
        return "NULL"
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    present = [v for v in items if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        texts, right = ["TRUE" if v else "FALSE" if v is not None else "NA" for v in items], True
    elif present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        texts, right = [str(v) if v is not None else "NA" for v in items], True
    elif present and all(_is_number(v) for v in present):
        texts, right = _r_format_doubles(items), True
    elif all(isinstance(v, str) for v in present):
        texts, right = [v if v is not None else "NA" for v in items], False
    else:
        texts, right = ["NA" if v is None else str(v) for v in items], False
    width = max((len(t) for t in texts), default=0)
    return ", ".join(t.rjust(width) if right else t.ljust(width) for t in texts)


def _r_format_doubles(items: list[Any]) -> list[str]:
    """R's ``format()`` of a double vector: 7 significant digits, fixed unless scientific is narrower."""
    finite = [float(v) for v in items if v is not None and math.isfinite(v)]
    digits = []  # (significant digits, power of ten) of each finite value
    for v in finite:
        mantissa, exponent = f"{abs(v):.6e}".split("e")
        digits.append((len(mantissa.replace(".", "").rstrip("0")) or 1, int(exponent)))
    texts: dict[int, str] = {}
    if finite:
        negative = any(v < 0 for v in finite)
        right = max(max(0, sig - power - 1) for sig, power in digits)
        left = max(power + 1 if power >= 0 else 1 for _, power in digits)
        fixed_width = negative + left + (right + 1 if right else 0)
        sig = max(s for s, _ in digits)
        exp_width = 5 if any(abs(p) >= 100 for _, p in digits) else 4
        sci_width = negative + (sig + 1 if sig > 1 else 1) + exp_width
        for i, v in enumerate(float(x) for x in items if x is not None and math.isfinite(x)):
            texts[i] = f"{v:.{right}f}" if fixed_width <= sci_width else f"{v:.{sig - 1}e}"
    out, k = [], 0
    for v in items:
        if v is None:
            out.append("NA")
        elif math.isnan(v):
            out.append("NaN")
        elif math.isinf(v):
            out.append("Inf" if v > 0 else "-Inf")
        else:
            out.append(texts[k])
            k += 1
    return out
