"""Bad input gets the package's error with a specific message before any task runs."""

from __future__ import annotations

import functools

import doubleml as dml
import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.preprocessing import FunctionTransformer

import pydmlserverless.backends.local.backend as local_backend
from pydmlserverless import (
    ConfigurationError,
    DataError,
    DoubleMLDataS3,
    DoubleMLIIVMServerless,
    DoubleMLIRMServerless,
    DoubleMLPLRServerless,
    InvalidInputError,
    LearnerError,
    PyDMLServerlessError,
    TaskError,
)


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    n = 120
    x = rng.normal(size=(n, 3))
    d = (x[:, 0] + rng.normal(size=n) > 0).astype(float)
    return pd.DataFrame({"y": x @ [1, 0.5, 0] + d + rng.normal(size=n), "d": d, "x1": x[:, 0], "x2": x[:, 1],
                         "x3": x[:, 2], "z": (rng.random(n) > 0.5).astype(float)})  # fmt: skip


@pytest.fixture
def no_tasks(monkeypatch):
    """Fail the test if any task reaches the worker."""

    def forbidden(task, aws_settings):
        raise AssertionError(f"a task ran: {task['task_id']}")

    monkeypatch.setattr(local_backend, "run_in_pool", forbidden)


def _plr(data, **kwargs):
    return DoubleMLPLRServerless(None, None, data, LinearRegression(), LinearRegression(), **kwargs)


def test_hierarchy_subclasses_builtins():
    assert issubclass(DataError, ValueError) and issubclass(DataError, PyDMLServerlessError)
    assert issubclass(LearnerError, TypeError) and issubclass(LearnerError, ValueError)
    assert issubclass(TaskError, RuntimeError)


def test_missing_column(frame):
    with pytest.raises(DataError, match=r"x_cols: column\(s\) \['nope'\] not found"):
        DoubleMLDataS3("bucket", "f.csv", frame, y_col="y", d_cols="d", x_cols=["x1", "nope"])


def test_non_numeric_column(frame):
    frame["x2"] = frame["x2"].map(lambda v: "high" if v > 0 else "low")
    with pytest.raises(DataError, match=r"x_cols: column\(s\) \['x2'\] are not numeric"):
        DoubleMLDataS3("bucket", "f.csv", frame, y_col="y", d_cols="d", x_cols=["x1", "x2"])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_inf(frame, bad):
    frame.loc[3, "y"] = bad
    with pytest.raises(DataError, match=r"y_col: column\(s\) \['y'\] contain missing or infinite values"):
        DoubleMLDataS3("bucket", "f.csv", frame, y_col="y", d_cols="d", x_cols=["x1"])


def test_nan_in_plain_doubleml_data_is_caught_by_the_model(frame, no_tasks):
    frame.loc[5, "d"] = np.nan
    data = dml.DoubleMLData(frame, "y", "d", x_cols=["x1", "x2"], force_all_d_finite=False)
    with pytest.raises(DataError, match=r"d_cols: column\(s\) \['d'\] contain missing"):
        _plr(data)


def test_non_binary_treatment_for_irm(frame, no_tasks):
    frame["d"] = frame["x1"]
    data = dml.DoubleMLData(frame, "y", "d", x_cols=["x2", "x3"])
    # DoubleML's own error, with the column and its values
    with pytest.raises(ValueError, match=r"Incompatible data. .*binary treatment with values 0 and 1; column 'd'"):
        DoubleMLIRMServerless(None, None, data, LinearRegression(), LogisticRegression())


def test_non_binary_instrument_for_iivm(frame, no_tasks):
    frame["z"] = frame["x3"]
    data = dml.DoubleMLData(frame, "y", "d", x_cols=["x1", "x2"], z_cols="z")
    with pytest.raises(ValueError, match=r"Incompatible data. .*binary instrument with values 0 and 1; column 'z'"):
        DoubleMLIIVMServerless(None, None, data, LinearRegression(), LogisticRegression(), LogisticRegression())


def test_unknown_scaling(frame, no_tasks):
    model = _plr(dml.DoubleMLData(frame, "y", "d", x_cols=["x1"]))
    with pytest.raises(ConfigurationError, match=r"Unknown scaling 'n_obs'. Valid scalings are 'n_folds \* n_rep'"):
        model.fit_local(scaling="n_obs")


@pytest.mark.filterwarnings("ignore:Learner provided for ml_m is probably invalid")
def test_regressor_where_classifier_needed(frame, no_tasks):
    data = dml.DoubleMLData(frame, "y", "d", x_cols=["x1", "x2"])
    with pytest.raises(LearnerError, match=r"ml_m.*predict_proba"):
        DoubleMLIRMServerless(None, None, data, LinearRegression(), LinearRegression())


def test_classifier_for_continuous_outcome(frame, no_tasks):
    data = dml.DoubleMLData(frame, "y", "d", x_cols=["x1", "x2"])
    with pytest.raises(InvalidInputError, match=r"ml_l learner .* identified as classifier"):
        DoubleMLPLRServerless(None, None, data, RandomForestClassifier(), LinearRegression())


def test_learner_that_cannot_travel_as_data(frame, no_tasks):
    data = dml.DoubleMLData(frame, "y", "d", x_cols=["x1", "x2"])
    from sklearn.pipeline import make_pipeline

    learner = make_pipeline(FunctionTransformer(np.log1p), LinearRegression())
    with pytest.raises(LearnerError, match=r"ml_l: learner.steps\[0\]\[1\].func: the callable"):
        DoubleMLPLRServerless(None, None, data, learner, LinearRegression())


def test_learner_outside_allow_list(frame, no_tasks):
    from sklearn.base import BaseEstimator, RegressorMixin

    class Custom(RegressorMixin, BaseEstimator):
        def fit(self, x, y):
            return self

        def predict(self, x):
            return np.zeros(len(x))

    data = dml.DoubleMLData(frame, "y", "d", x_cols=["x1", "x2"])
    with pytest.raises(LearnerError, match=r"estimator class '.*Custom' is not allowed"):
        DoubleMLPLRServerless(None, None, data, Custom(), LinearRegression())


@pytest.mark.parametrize(
    "kwargs, message",
    [
        # DoubleML's own messages (tests/functional/test_doubleml_dropin.py compares them with plain DoubleML)
        ({"n_folds": 1}, "n_folds must be greater than 1"),
        ({"n_rep": 0}, "The number of repetitions for the sample splitting must be positive. 0 was passed"),
        ({"n_folds": 2.5}, "The number of folds must be of int type"),
    ],
)
def test_folds_and_reps(frame, kwargs, message, no_tasks):
    with pytest.raises(InvalidInputError, match=message):
        _plr(dml.DoubleMLData(frame, "y", "d", x_cols=["x1"]), **kwargs)


@pytest.mark.parametrize("seed", [-1, 1.5, "7", True])
def test_bad_seed(frame, seed, no_tasks):
    model = _plr(dml.DoubleMLData(frame, "y", "d", x_cols=["x1"]))
    with pytest.raises(ConfigurationError, match="seed must be None or a non-negative integer"):
        model.fit_local(seed=seed)


def test_bad_n_jobs(frame, no_tasks):
    model = _plr(dml.DoubleMLData(frame, "y", "d", x_cols=["x1"]))
    with pytest.raises(ConfigurationError, match="n_jobs must be a non-zero integer"):
        model.fit_local(n_jobs=0)


def test_failing_task_is_named(frame):
    from sklearn.linear_model import LassoCV

    data = dml.DoubleMLData(frame, "y", "d", x_cols=["x1", "x2"])
    model = DoubleMLPLRServerless(None, None, data, LassoCV(cv=500), LinearRegression(), n_folds=2)
    with pytest.raises(TaskError, match=r"treatment 'd', learner 'ml_l', rep 0, fold 0") as info:
        model.fit_local(n_jobs=1, progress=False)
    assert info.value.task == {"treatment": "d", "learner": "ml_l", "rep": 0, "folds": [0]}
    assert info.value.error_type == "ValueError"
    assert np.isnan(model.coef).all()  # DoubleML was not called: nothing half-fitted


def test_non_finite_predictions_are_refused_as_doubleml_refuses_them(frame, monkeypatch):
    """DoubleML skips its finiteness check for external predictions; the package makes it, naming the task."""
    import pydmlserverless.backends.local.entry_point as pool_entry
    from pydmlserverless import NonFinitePredictionsError

    real = pool_entry.execute_task

    def one_nan(task, config):
        result = real(task, config)
        if task.task_id == "d/ml_m/r0/f1":
            result.predictions[3] = np.nan
        return result

    monkeypatch.setattr(pool_entry, "execute_task", one_nan)
    data = dml.DoubleMLData(frame, "y", "d", x_cols=["x1", "x2"])
    model = DoubleMLPLRServerless(None, None, data, LinearRegression(), LinearRegression(), n_folds=2)
    expected = r"Predictions from learner LinearRegression\(\) for ml_m are not finite"
    with pytest.raises(
        NonFinitePredictionsError, match=expected + r" \(treatment 'd', learner 'ml_m', rep 0, fold 1: 1 of"
    ) as info:
        model.fit_local(n_jobs=1, progress=False)
    assert isinstance(info.value, ValueError) and isinstance(info.value, TaskError)  # DoubleML raises a ValueError
    assert info.value.task == {"treatment": "d", "learner": "ml_m", "rep": 0, "folds": [1]}
    assert np.isnan(model.coef).all()  # DoubleML was never handed the predictions


@pytest.mark.parametrize("column", ["y", "d"])
def test_a_constant_outcome_or_treatment_is_refused_before_any_task(frame, no_tasks, column):
    constant = frame.assign(**{column: 1.0})
    with pytest.raises(DataError, match=rf"column '{column}' is constant \(every value is 1\)"):
        DoubleMLPLRServerless(None, None, dml.DoubleMLData(constant, "y", "d", x_cols=["x1"]), LinearRegression(),
                              LinearRegression())  # fmt: skip


def test_a_treatment_group_smaller_than_the_folds_is_refused(frame, no_tasks):
    one_treated = frame.assign(d=(np.arange(len(frame)) == 0).astype(float))
    data = dml.DoubleMLData(one_treated, "y", "d", x_cols=["x1", "x2"])
    with pytest.raises(DataError, match=r"only 1 observation\(s\) have d == 1, fewer than n_folds=5"):
        DoubleMLIRMServerless(None, None, data, LinearRegression(), LogisticRegression(), n_folds=5)


def test_a_plan_too_large_for_memory_is_refused_at_once(frame, no_tasks, monkeypatch):
    @functools.wraps(dml.DoubleMLPLR.__init__)  # DoubleML's signature, which the constructor binds
    def never(*args, **kwargs):
        raise AssertionError("DoubleML was asked to draw the splits")

    monkeypatch.setattr(dml.DoubleMLPLR, "__init__", never)
    data = dml.DoubleMLData(frame, "y", "d", x_cols=["x1"])
    with pytest.raises(
        InvalidInputError, match=r"n_rep=10000000 x n_folds=5 x .* observations: the sample splits alone"
    ):
        DoubleMLPLRServerless(None, None, data, LinearRegression(), LinearRegression(), n_rep=10**7)
