"""Learners travel as data: round trips, refusals, seeding."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestClassifier, StackingRegressor
from sklearn.linear_model import LassoCV, LogisticRegressionCV, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, PolynomialFeatures, StandardScaler

from pydmlserverless import LearnerError
from pydmlserverless.worker.learners import (
    decode_learner,
    decode_params,
    encode_learner,
    encode_params,
    set_random_states,
)

LEARNERS = [
    make_pipeline(StandardScaler(), LassoCV(alphas=np.logspace(-4, 1, 30), cv=3)),
    make_pipeline(PolynomialFeatures(2, include_bias=False), Ridge(alpha=2.0)),
    HistGradientBoostingRegressor(max_iter=50, learning_rate=0.1, categorical_features=None),
    RandomForestClassifier(n_estimators=7, max_features=0.5, class_weight={0: 1.0, 1: 2.0}),
    LogisticRegressionCV(Cs=np.array([0.1, 1.0, 10.0]), l1_ratios=(0.5,), solver="saga"),
    StackingRegressor([("lasso", LassoCV()), ("hgb", HistGradientBoostingRegressor())], final_estimator=Ridge()),
    ColumnTransformer([("scale", StandardScaler(), slice(0, 2))], remainder="passthrough"),
    OneHotEncoder(dtype=np.float32, handle_unknown="ignore"),
    Ridge(alpha=np.float64(np.inf)),
]


def _same_params(a, b):
    pa, pb = a.get_params(deep=True), b.get_params(deep=True)
    assert pa.keys() == pb.keys()
    for key in pa:
        va, vb = pa[key], pb[key]
        if isinstance(va, np.ndarray):
            np.testing.assert_array_equal(va, vb)
            assert va.dtype == vb.dtype
        elif hasattr(va, "get_params"):
            assert type(va) is type(vb)
        elif isinstance(va, list) and va and isinstance(va[0], tuple):
            assert [t[0] for t in va] == [t[0] for t in vb]
        else:
            assert va == vb or (isinstance(va, float) and np.isnan(va) and np.isnan(vb)), key


@pytest.mark.parametrize("learner", LEARNERS, ids=lambda est: type(est).__name__)
def test_round_trip_through_json(learner):
    spec = json.loads(json.dumps(encode_learner(learner), allow_nan=False))
    rebuilt = decode_learner(spec)
    assert type(rebuilt) is type(learner)
    _same_params(learner, rebuilt)


def test_fitted_rebuilt_learner_predicts_the_same():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(80, 3)), rng.normal(size=80)
    learner = make_pipeline(StandardScaler(), LassoCV(alphas=np.logspace(-3, 0, 10), cv=3))
    rebuilt = decode_learner(encode_learner(learner))
    np.testing.assert_array_equal(learner.fit(x, y).predict(x), rebuilt.fit(x, y).predict(x))


def test_refuses_class_outside_allow_list():
    spec = {"__estimator__": "os.system", "params": {}}
    with pytest.raises(LearnerError, match="'os.system' is not allowed"):
        decode_learner(spec)


def test_refuses_non_estimator_inside_allowed_package():
    with pytest.raises(LearnerError, match="is not a scikit-learn estimator class"):
        decode_learner({"__estimator__": "sklearn.linear_model.enet_path", "params": {}})


def test_refuses_malformed_spec():
    with pytest.raises(LearnerError, match="must be a dict with key '__estimator__'"):
        decode_learner(["not", "a", "spec"])


def test_refuses_random_state_instance():
    with pytest.raises(LearnerError, match="learner.random_state: a parameter of type RandomState"):
        encode_learner(RandomForestClassifier(random_state=np.random.RandomState(0)))


def test_set_random_states_reaches_nested_estimators_and_user_params_win():
    learner = make_pipeline(StandardScaler(), RandomForestClassifier())
    params = set_random_states({}, learner, 17)
    assert params == {"randomforestclassifier__random_state": 17}
    assert set_random_states({"randomforestclassifier__random_state": 3}, learner, 17) == {
        "randomforestclassifier__random_state": 3
    }


def test_params_round_trip():
    from sklearn.linear_model import LassoCV

    params = {"eps": np.float64(0.5), "alphas": np.array([1.0, 2.0]), "max_iter": np.int64(3), "precompute": None}
    decoded = decode_params(json.loads(json.dumps(encode_params(params, LassoCV()))), LassoCV())
    assert decoded["eps"] == 0.5 and decoded["max_iter"] == 3 and decoded["precompute"] is None
    np.testing.assert_array_equal(decoded["alphas"], [1.0, 2.0])
