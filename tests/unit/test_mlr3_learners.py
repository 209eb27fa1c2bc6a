"""mlr3 ids and parameters to scikit-learn: every id, its defaults, non-default parameters, errors.

The expected estimators are those the R package built before the translation moved to Python
(``rpkg/R/learners.R`` wrote a learner spec that :func:`pydmlserverless.worker.learners.decode_learner`
rebuilt): the parameters come as R sends them, doubles as floats, ``100L`` as ints.
"""

from __future__ import annotations

import math
import sys
import types
from typing import Any

import pytest
from sklearn.base import BaseEstimator
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import ElasticNet, ElasticNetCV, LassoCV, LinearRegression, LogisticRegression
from sklearn.linear_model import LogisticRegressionCV as LRCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from pydmlserverless.errors import LearnerError
from pydmlserverless.r import mlr3_learners
from pydmlserverless.r.mlr3_learners import MLR3_LEARNERS, check_params, learner_ids, learner_label, make_learner


def scaled(estimator: BaseEstimator) -> Pipeline:
    return Pipeline(steps=[("scale", StandardScaler()), ("model", estimator)])


def RF(**kwargs: Any) -> RandomForestRegressor:
    return RandomForestRegressor(**{"n_jobs": 1, "min_samples_leaf": 1, "bootstrap": True, **kwargs})


def RFC(**kwargs: Any) -> RandomForestClassifier:
    return RandomForestClassifier(**{"n_jobs": 1, "min_samples_leaf": 1, "bootstrap": True, **kwargs})


def CLF(**kwargs: Any) -> LRCV:
    defaults = {"Cs": 10, "cv": 10, "solver": "saga", "scoring": "neg_log_loss", "max_iter": 1000}
    return LRCV(**{**defaults, "l1_ratios": [1.0], "use_legacy_attributes": False, **kwargs})


CASES = [
    ("regr.ranger", {}, RF(n_estimators=500, max_features="sqrt", min_samples_split=6)),
    (
        "regr.ranger",
        {"num.trees": 100.0, "mtry": 3.0, "min.node.size": 2.0, "max.depth": 4.0, "sample.fraction": 0.5, "seed": 9.0},
        RF(n_estimators=100, max_features=3, min_samples_split=3, max_depth=4, max_samples=0.5, random_state=9),
    ),
    (
        "regr.ranger",
        {"num.trees": 100, "mtry.ratio": 0.5, "min.bucket": 3.0, "num.threads": 2.0},
        RF(n_estimators=100, max_features=0.5, min_samples_split=6, min_samples_leaf=3, n_jobs=2),
    ),
    (
        "regr.ranger",
        {"replace": False, "sample.fraction": 0.5, "max.depth": 0.0},
        RF(n_estimators=500, max_features="sqrt", min_samples_split=6, bootstrap=False),
    ),
    (
        "regr.ranger",
        {"sample.fraction": 1.0, "mtry": 2.0, "mtry.ratio": 0.3, "max.depth": 0},
        RF(n_estimators=500, max_features=2, min_samples_split=6),
    ),
    (
        "regr.ranger",
        {"min.node.size": 1.0, "num.trees": 20.0, "seed": 123456789.0},
        RF(n_estimators=20, max_features="sqrt", min_samples_split=2, random_state=123456789),
    ),
    ("regr.ranger", {"num.trees": 100.0000000001}, RF(n_estimators=100, max_features="sqrt", min_samples_split=6)),
    ("regr.ranger", {"num.trees": 1e5}, RF(n_estimators=100000, max_features="sqrt", min_samples_split=6)),
    ("regr.ranger", {"mtry.ratio": 0.1234567891}, RF(n_estimators=500, max_features=0.1234567891, min_samples_split=6)),
    ("classif.ranger", {}, RFC(n_estimators=500, max_features="sqrt", min_samples_split=11)),
    (
        "classif.ranger",
        {"num.trees": 30.0, "max.depth": 6.0},
        RFC(n_estimators=30, max_features="sqrt", min_samples_split=11, max_depth=6),
    ),
    (
        "classif.ranger",
        {
            "num.trees": 50.0,
            "mtry.ratio": 0.25,
            "min.node.size": 1.0,
            "replace": True,
            "sample.fraction": 0.632,
            "seed": 1.0,
        },
        RFC(n_estimators=50, max_features=0.25, min_samples_split=2, max_samples=0.632, random_state=1),
    ),
    (
        "classif.ranger",
        {"replace": False, "min.bucket": 5.0, "num.threads": 4.0, "mtry": 1.0},
        RFC(n_estimators=500, max_features=1, min_samples_split=11, min_samples_leaf=5, bootstrap=False, n_jobs=4),
    ),
    ("regr.cv_glmnet", {}, scaled(LassoCV(cv=10))),
    ("regr.cv_glmnet", {"alpha": 0.5, "nfolds": 5.0}, scaled(ElasticNetCV(l1_ratio=0.5, cv=5))),
    ("regr.cv_glmnet", {"standardize": False}, LassoCV(cv=10)),
    (
        "regr.cv_glmnet",
        {"nlambda": 50.0, "lambda.min.ratio": 0.001, "intercept": False, "maxit": 500.0},
        scaled(LassoCV(cv=10, eps=0.001, fit_intercept=False, max_iter=500, alphas=50)),
    ),
    ("regr.cv_glmnet", {"alpha": 1.0, "s": "lambda.min", "nfolds": 3.0}, scaled(LassoCV(cv=3))),
    (
        "regr.cv_glmnet",
        {"alpha": 0.0, "standardize": True, "nlambda": 20},
        scaled(ElasticNetCV(l1_ratio=0.0, cv=10, alphas=20)),
    ),
    ("regr.cv_glmnet", {"alpha": 1, "standardize": False, "intercept": True}, LassoCV(cv=10, fit_intercept=True)),
    ("regr.cv_glmnet", {"alpha": math.inf}, scaled(LassoCV(cv=10))),
    ("classif.cv_glmnet", {}, scaled(CLF())),
    ("classif.cv_glmnet", {"alpha": 0.5}, scaled(CLF(l1_ratios=[0.5]))),
    (
        "classif.cv_glmnet",
        {"nlambda": 20.0, "nfolds": 3.0, "maxit": 200.0, "intercept": False},
        scaled(CLF(Cs=20, cv=3, max_iter=200, fit_intercept=False)),
    ),
    ("classif.cv_glmnet", {"standardize": False, "s": "lambda.min", "lambda.min.ratio": 0.01}, CLF()),
    ("classif.cv_glmnet", {"alpha": 0.0, "standardize": False}, CLF(l1_ratios=[0.0])),
    ("regr.glmnet", {}, scaled(ElasticNet(alpha=0.01, l1_ratio=1.0))),
    ("regr.glmnet", {"lambda": 0.1, "alpha": 0.3}, scaled(ElasticNet(alpha=0.1, l1_ratio=0.3))),
    ("regr.glmnet", {"s": 0.05}, scaled(ElasticNet(alpha=0.05, l1_ratio=1.0))),
    ("regr.glmnet", {"lambda": [0.1, 0.2], "s": 0.1}, scaled(ElasticNet(alpha=0.1, l1_ratio=1.0))),
    (
        "regr.glmnet",
        {"standardize": False, "intercept": False, "maxit": 100.0},
        ElasticNet(alpha=0.01, l1_ratio=1.0, fit_intercept=False, max_iter=100),
    ),
    ("regr.glmnet", {"lambda": 2, "alpha": 0.0, "standardize": False}, ElasticNet(alpha=2, l1_ratio=0.0)),
    ("regr.rpart", {}, DecisionTreeRegressor(min_samples_split=20, min_samples_leaf=7, max_depth=30)),
    (
        "regr.rpart",
        {"maxdepth": 4.0, "cp": 0.001},
        DecisionTreeRegressor(min_samples_split=20, min_samples_leaf=7, max_depth=4, ccp_alpha=0.001),
    ),
    ("regr.rpart", {"minsplit": 1.0}, DecisionTreeRegressor(min_samples_split=2, min_samples_leaf=1, max_depth=30)),
    (
        "regr.rpart",
        {"minsplit": 10.0, "minbucket": 2.0, "xval": 10.0},
        DecisionTreeRegressor(min_samples_split=10, min_samples_leaf=2, max_depth=30),
    ),
    (
        "regr.rpart",
        {"minsplit": 5.0, "cp": 0.0},
        DecisionTreeRegressor(min_samples_split=5, min_samples_leaf=2, max_depth=30, ccp_alpha=0.0),
    ),
    ("classif.rpart", {}, DecisionTreeClassifier(min_samples_split=20, min_samples_leaf=7, max_depth=30)),
    (
        "classif.rpart",
        {"minsplit": 15.0, "maxdepth": 3.0, "cp": 0.01},
        DecisionTreeClassifier(min_samples_split=15, min_samples_leaf=5, max_depth=3, ccp_alpha=0.01),
    ),
    (
        "classif.rpart",
        {"minbucket": 1.0, "xval": 0.0},
        DecisionTreeClassifier(min_samples_split=20, min_samples_leaf=1, max_depth=30),
    ),
    ("regr.lm", {}, LinearRegression()),
    ("classif.log_reg", {}, LogisticRegression(C=math.inf, max_iter=1000)),
    ("classif.log_reg", {"maxit": 200.0}, LogisticRegression(C=math.inf, max_iter=200)),
]

# (id, params, the class, its keyword arguments): xgboost is replaced by a stand-in that records them
XGBOOST_CASES = [
    ("regr.xgboost", {}, "XGBRegressor", {"n_estimators": 1000, "n_jobs": 1}),
    ("regr.xgboost", {"nrounds": 50.0, "eta": 0.1}, "XGBRegressor",
     {"n_estimators": 50, "learning_rate": 0.1, "n_jobs": 1}),
    (
        "regr.xgboost",
        {
            "nrounds": 100.0, "eta": 0.05, "max_depth": 3.0, "subsample": 0.8, "colsample_bytree": 0.7,
            "colsample_bylevel": 0.6, "min_child_weight": 2.0, "gamma": 0.1, "lambda": 2.0, "alpha": 0.5,
            "nthread": 2.0, "booster": "gbtree", "objective": "reg:squarederror", "seed": 1.0,
        },
        "XGBRegressor",
        {
            "n_estimators": 100, "learning_rate": 0.05, "max_depth": 3, "subsample": 0.8, "colsample_bytree": 0.7,
            "colsample_bylevel": 0.6, "min_child_weight": 2.0, "gamma": 0.1, "reg_lambda": 2.0, "reg_alpha": 0.5,
            "n_jobs": 2, "booster": "gbtree", "objective": "reg:squarederror", "random_state": 1,
        },
    ),
    ("classif.xgboost", {}, "XGBClassifier", {"n_estimators": 1000, "n_jobs": 1}),
    (
        "classif.xgboost",
        {"nrounds": 50.0, "eta": 0.1, "max_depth": 2, "objective": "binary:logistic", "seed": 7.0},
        "XGBClassifier",
        {"n_estimators": 50, "learning_rate": 0.1, "max_depth": 2, "n_jobs": 1, "objective": "binary:logistic",
         "random_state": 7},
    ),
]  # fmt: skip

SUPPORTED_RANGER = (
    "num.trees, mtry, mtry.ratio, min.node.size, min.bucket, max.depth, replace, sample.fraction, num.threads, seed"
)
LAMBDA_MIN = (
    "s = 'lambda.1se' is not available: scikit-learn's cross-validated estimators use the penalty that minimises "
    'the CV loss, i.e. s = "lambda.min".'
)

# The messages R gave: None is R's NULL, [None] R's NA (a list: how R's plain_value() sends NA)
ERRORS = [
    (
        "regr.nope",
        {},
        "Unknown learner id 'regr.nope'. Available: regr.ranger, classif.ranger, regr.cv_glmnet, classif.cv_glmnet, "
        "regr.glmnet, regr.rpart, classif.rpart, regr.lm, classif.log_reg, regr.xgboost, classif.xgboost; "
        "or pass a scikit-learn estimator built with reticulate.",
    ),
    ("regr.ranger", {"": 5.0}, "lrn('regr.ranger'): all parameters must be named."),
    ("regr.ranger", {"num.trees": 5.0, "": 3.0}, "lrn('regr.ranger'): all parameters must be named."),
    (
        "regr.ranger",
        {"ntree": 5.0},
        f"lrn('regr.ranger'): unsupported parameter(s) 'ntree'. Supported: {SUPPORTED_RANGER}.",
    ),
    (
        "regr.ranger",
        {"ntree": 5.0, "mtri": 2.0},
        f"lrn('regr.ranger'): unsupported parameter(s) 'ntree', 'mtri'. Supported: {SUPPORTED_RANGER}.",
    ),
    ("regr.lm", {"maxit": 5.0}, "lrn('regr.lm'): unsupported parameter(s) 'maxit'. Supported: ."),
    ("regr.ranger", {"num.trees": 1.5}, "lrn('regr.ranger'): num.trees must be a whole number; got 1.5."),
    ("regr.ranger", {"num.trees": "a"}, "lrn('regr.ranger'): num.trees must be a whole number; got a."),
    ("regr.ranger", {"num.trees": True}, "lrn('regr.ranger'): num.trees must be a whole number; got TRUE."),
    ("regr.ranger", {"num.trees": [1.0, 2.0]}, "lrn('regr.ranger'): num.trees must be a whole number; got 1, 2."),
    ("regr.ranger", {"num.trees": [None]}, "lrn('regr.ranger'): num.trees must be a whole number; got NA."),
    ("regr.ranger", {"num.trees": 1e10}, "lrn('regr.ranger'): num.trees must be a whole number; got 1e+10."),
    ("regr.ranger", {"max.depth": None}, "lrn('regr.ranger'): max.depth must be a whole number; got NULL."),
    ("regr.ranger", {"mtry.ratio": "half"}, "lrn('regr.ranger'): mtry.ratio must be a number; got half."),
    ("regr.ranger", {"replace": 1.0}, "lrn('regr.ranger'): replace must be TRUE or FALSE; got 1."),
    ("regr.ranger", {"replace": [None]}, "lrn('regr.ranger'): replace must be TRUE or FALSE; got NA."),
    ("regr.cv_glmnet", {"alpha": math.nan}, "lrn('regr.cv_glmnet'): alpha must be a number; got NaN."),
    ("regr.cv_glmnet", {"s": 1.0}, "lrn('regr.cv_glmnet'): s must be a string; got 1."),
    ("regr.cv_glmnet", {"s": ["a", "b"]}, "lrn('regr.cv_glmnet'): s must be a string; got a, b."),
    ("regr.cv_glmnet", {"s": "lambda.1se"}, f"lrn('regr.cv_glmnet'): {LAMBDA_MIN}"),
    ("classif.cv_glmnet", {"s": "lambda.1se"}, f"lrn('classif.cv_glmnet'): {LAMBDA_MIN}"),
    (
        "regr.glmnet",
        {"lambda": [0.1, 0.2]},
        "lrn('regr.glmnet'): with several lambda values, give s (the one to predict with).",
    ),
    ("regr.glmnet", {"lambda": "x"}, "lrn('regr.glmnet'): lambda must be numeric; got x."),
    ("regr.glmnet", {"lambda": []}, "lrn('regr.glmnet'): lambda must be numeric; got ."),
    (
        "regr.glmnet",
        {"lambda": [1.5, 2.0]},
        "lrn('regr.glmnet'): with several lambda values, give s (the one to predict with).",
    ),
]


def canonical(value: Any) -> Any:
    """A value with its types spelled out, so that 1 and 1.0 (and nested estimators) differ."""
    if isinstance(value, BaseEstimator):
        return (type(value), canonical(value.get_params(deep=False)))
    if isinstance(value, dict):
        return {key: canonical(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return (type(value), [canonical(v) for v in value])
    return (type(value), value)


@pytest.mark.parametrize(("learner_id", "params", "expected"), CASES)
def test_the_estimator_r_built(learner_id: str, params: dict, expected: BaseEstimator) -> None:
    estimator = make_learner(learner_id, params)
    assert type(estimator) is type(expected)
    assert estimator.get_params(deep=True).keys() == expected.get_params(deep=True).keys()
    assert canonical(estimator) == canonical(expected)
    assert repr(estimator) == repr(expected)


def test_every_id_has_a_default_case() -> None:
    ids = {case[0] for case in CASES} | {case[0] for case in XGBOOST_CASES}
    assert ids == set(learner_ids()) == set(MLR3_LEARNERS)


@pytest.fixture
def fake_xgboost(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    class Recorder:
        def __init__(self, **kwargs: Any) -> None:
            self.kwargs = kwargs

    module = types.ModuleType("xgboost")
    module.XGBRegressor = type("XGBRegressor", (Recorder,), {})  # type: ignore[attr-defined]
    module.XGBClassifier = type("XGBClassifier", (Recorder,), {})  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "xgboost", module)
    return module


@pytest.mark.parametrize(("learner_id", "params", "cls", "kwargs"), XGBOOST_CASES)
def test_xgboost_learners(
    fake_xgboost: types.ModuleType, learner_id: str, params: dict, cls: str, kwargs: dict
) -> None:
    estimator = make_learner(learner_id, params)
    assert type(estimator) is getattr(fake_xgboost, cls)
    assert canonical(estimator.kwargs) == canonical(kwargs)


@pytest.mark.parametrize("learner_id", ["regr.xgboost", "classif.xgboost"])
def test_xgboost_missing(monkeypatch: pytest.MonkeyPatch, learner_id: str) -> None:
    monkeypatch.setitem(sys.modules, "xgboost", None)  # import xgboost fails
    message = (
        f"lrn('{learner_id}') needs the Python package xgboost (R's xgboost is not used): "
        'install it with install_pydmlserverless(extra_packages = "xgboost").'
    )
    with pytest.raises(LearnerError) as info:
        make_learner(learner_id, {"nrounds": 10})
    assert str(info.value) == message
    assert check_params(learner_id, {"nrounds": 10.0}) == {"nrounds": 10}  # lrn() works without xgboost


@pytest.mark.parametrize(("learner_id", "params", "message"), ERRORS)
def test_errors_have_r_messages(learner_id: str, params: dict, message: str) -> None:
    with pytest.raises(LearnerError) as info:
        check_params(learner_id, params)
    assert str(info.value) == message
    with pytest.raises(LearnerError) as info:
        make_learner(learner_id, params)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("learner_id", "params", "version", "expected"),
    [
        ("regr.cv_glmnet", {"nlambda": 50.0}, (1, 6), ("LassoCV", {"cv": 10, "n_alphas": 50})),
        ("regr.cv_glmnet", {"nlambda": 50.0}, (1, 7), ("LassoCV", {"cv": 10, "alphas": 50})),
        (
            "regr.cv_glmnet",
            {"alpha": 0.0, "nlambda": 20},
            (1, 5),
            ("ElasticNetCV", {"l1_ratio": 0.0, "cv": 10, "n_alphas": 20}),
        ),
        ("classif.cv_glmnet", {}, (1, 7), ("LogisticRegressionCV", {"penalty": "l1"})),
        (
            "classif.cv_glmnet",
            {"alpha": 0.5},
            (1, 5),
            ("LogisticRegressionCV", {"penalty": "elasticnet", "l1_ratios": [0.5]}),
        ),
        (
            "classif.cv_glmnet",
            {"alpha": 0.5},
            (1, 8),
            ("LogisticRegressionCV", {"l1_ratios": [0.5], "use_legacy_attributes": False}),
        ),
    ],
)
def test_scikit_learn_version_branches(learner_id: str, params: dict, version: tuple, expected: tuple) -> None:
    """The parameters older scikit-learn versions take (R's spec for those versions, before the move)."""
    entry = MLR3_LEARNERS[learner_id]
    path, kwargs, scaled_first = mlr3_learners._translate(learner_id, entry, check_params(learner_id, params), version)
    assert path == "sklearn.linear_model." + expected[0]
    fixed = {"Cs": 10, "solver": "saga", "scoring": "neg_log_loss", "max_iter": 1000, "cv": 10}
    want = {**fixed, **expected[1]} if learner_id.startswith("classif") else expected[1]
    assert canonical(kwargs) == canonical(want)
    assert scaled_first


def test_check_params_coerces_and_keeps_order() -> None:
    checked = check_params("regr.ranger", {"seed": 3.0, "num.trees": 10, "replace": False, "mtry.ratio": 0.5})
    assert list(checked) == ["seed", "num.trees", "replace", "mtry.ratio"]
    assert canonical(checked) == canonical({"seed": 3, "num.trees": 10, "replace": False, "mtry.ratio": 0.5})
    assert canonical(check_params("regr.glmnet", {"lambda": [1, 2.5], "s": 1})) == canonical(
        {"lambda": [1, 2.5], "s": 1}
    )
    assert check_params("regr.lm") == {} and check_params("regr.lm", None) == {}


def test_table_labels_and_task_types() -> None:
    assert learner_label("regr.ranger") == "sklearn.ensemble.RandomForestRegressor"
    assert learner_label("regr.cv_glmnet") == "sklearn.linear_model.LassoCV / ElasticNetCV"
    for learner_id, entry in MLR3_LEARNERS.items():
        assert entry.task_type == learner_id.split(".")[0]
    with pytest.raises(LearnerError, match="Unknown learner id 'nope'"):
        learner_label("nope")
    assert list(MLR3_LEARNERS["regr.glmnet"].params) == ["lambda", "s", "alpha", "standardize", "intercept", "maxit"]


def test_r_bridge_plain_types() -> None:
    from pydmlserverless.r import bridge as _rbridge

    learner = _rbridge.mlr3_learner("regr.glmnet", {"lambda": [0.1, 0.2], "s": 0.1, "maxit": 100.0})
    assert learner == {
        "id": "regr.glmnet",
        "task_type": "regr",
        "params": {"lambda": [0.1, 0.2], "s": 0.1, "maxit": 100},
    }
    assert type(learner["params"]["maxit"]) is int
    assert _rbridge.mlr3_learner_label("classif.log_reg") == "sklearn.linear_model.LogisticRegression"
    table = _rbridge.mlr3_learner_table()
    assert [row["id"] for row in table] == learner_ids()
    assert table[0] == {"id": "regr.ranger", "task_type": "regr", "estimator": "sklearn.ensemble.RandomForestRegressor"}
    estimator = _rbridge.make_mlr3_learner("regr.rpart", {"maxdepth": 4.0})
    assert repr(estimator) == repr(DecisionTreeRegressor(min_samples_split=20, min_samples_leaf=7, max_depth=4))
    with pytest.raises(LearnerError, match="all parameters must be named"):
        _rbridge.mlr3_learner("regr.rpart", {"": 4.0})
