"""A DoubleML user's code runs unchanged: fit()'s arguments, DoubleML's errors and warnings, its
external-prediction workflow, missing covariates, store_models, and the PLIV variants it cannot fan out."""

from __future__ import annotations

import warnings

import doubleml as dml
import numpy as np
import pandas as pd
import pytest
from doubleml.irm.datasets import make_irm_data
from doubleml.plm.datasets import make_pliv_CHS2015, make_plr_CCDDHNR2018
from doubleml.utils import DMLDummyClassifier, DMLDummyRegressor
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression

from pydmlserverless import (
    CorruptObjectError,
    DoubleMLDataS3,
    DoubleMLIRMServerless,
    DoubleMLPLIVServerless,
    DoubleMLPLRServerless,
    LearnerError,
    seeded_nuisance_params,
)
from pydmlserverless.worker.fitted_models import dump_models, load_models
from pydmlserverless.worker.protocol import KEY_PREFIX
from pydmlserverless.worker.store import LocalStore
from tests.conftest import plain_twin

L = LinearRegression()


@pytest.fixture
def data():
    np.random.seed(11)
    return make_plr_CCDDHNR2018(n_obs=240, dim_x=4)


def _fit(model, **kwargs):
    return model.fit_local(n_jobs=1, progress=False, **kwargs)


# --------------------------------------------------------------------------- DoubleML's errors and warnings


def _raised(build):
    try:
        build()
    except Exception as exc:  # the error under comparison
        return exc
    pytest.fail("no error was raised")


CONSTRUCTOR_CASES = {
    "n_folds=1": {"n_folds": 1},
    "n_folds=1.5": {"n_folds": 1.5},
    "n_folds='5'": {"n_folds": "5"},
    "n_rep=0": {"n_rep": 0},
    "n_rep=1.0": {"n_rep": 1.0},
    "a learner class": {"ml_l": LinearRegression},
    "a classifier for ml_l": {"ml_l": LogisticRegression()},
    "score": {"score": "foo"},
    "draw_sample_splitting=1": {"draw_sample_splitting": 1},
}


@pytest.mark.parametrize("case", list(CONSTRUCTOR_CASES))
def test_constructor_errors_are_doubleml_s_own(data, case):
    kwargs = {"ml_l": L, "ml_m": L, **CONSTRUCTOR_CASES[case]}
    theirs = _raised(lambda: dml.DoubleMLPLR(data, **kwargs))
    ours = _raised(lambda: DoubleMLPLRServerless(None, None, data, **kwargs))
    assert isinstance(ours, type(theirs)) and str(theirs) in str(ours), (ours, theirs)


def test_the_data_must_be_doubleml_data_as_doubleml_says():
    theirs = _raised(lambda: dml.DoubleMLPLR(pd.DataFrame(), L, L))
    ours = _raised(lambda: DoubleMLPLRServerless(None, None, pd.DataFrame(), L, L))
    assert isinstance(ours, type(theirs)) and str(theirs) in str(ours)


@pytest.mark.parametrize(
    ("kwargs", "builtin"),
    [({"n_jobs_cv": "5"}, TypeError), ({"store_predictions": 1}, TypeError), ({"store_models": "yes"}, TypeError)],
)
def test_fit_argument_errors_are_doubleml_s_own(data, kwargs, builtin):
    theirs = _raised(lambda: dml.DoubleMLPLR(data, L, L).fit(**kwargs))
    ours = _raised(lambda: _fit(DoubleMLPLRServerless(None, None, data, L, L), **kwargs))
    assert isinstance(theirs, builtin) and isinstance(ours, builtin) and str(theirs) in str(ours)


def test_external_prediction_errors_are_doubleml_s_own(data):
    bad = {"d": {"ml_q": np.zeros((240, 1))}}
    theirs = _raised(lambda: dml.DoubleMLPLR(data, L, L).fit(external_predictions=bad))
    ours = _raised(lambda: _fit(DoubleMLPLRServerless(None, None, data, L, L), external_predictions=bad))
    assert isinstance(ours, type(theirs)) and str(theirs) in str(ours)


def test_an_ml_g_with_the_partialling_out_score_is_warned_about_and_ignored(data):
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        dml.DoubleMLPLR(data, L, L, ml_g=L)
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        model = DoubleMLPLRServerless(None, None, data, L, L, ml_g=L)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs] and theirs
    assert "ml_g" not in model.learner and _fit(model, seed=1).fit_report.n_tasks == 2 * 5


@pytest.mark.parametrize(
    ("frame", "needle"),
    [
        (pd.DataFrame(), "y is no data column"),
        (pd.DataFrame({"y": ["a"] * 5, "d": [0.0, 1, 0, 1, 0], "x": np.arange(5.0)}), "['y'] are not numeric"),
        (pd.DataFrame({"y": np.arange(5.0), "d": [0.0, 1, 0, 1, 0], "x": [np.nan, 1, 2, 3, 4]}), "['x']"),
    ],
)
def test_bad_frames_raise_doubleml_s_error_with_the_column_named(frame, needle):
    theirs = _raised(lambda: dml.DoubleMLData(frame, "y", "d"))
    ours = _raised(lambda: DoubleMLDataS3("bucket", "f.csv", frame, "y", "d"))
    assert isinstance(ours, type(theirs)) and str(theirs) in str(ours) and needle in str(ours)


def test_n_jobs_cv_is_the_number_of_processes(data):
    model = _fit(DoubleMLPLRServerless(None, None, data, L, L), n_jobs_cv=1, seed=1)
    assert model.fit_report.backend == "local (1 process)"


# --------------------------------------------------------------------------- external predictions


def _plain_predictions(data, smpls):
    plain = dml.DoubleMLPLR(data, L, L, n_folds=5, draw_sample_splitting=False)
    plain.set_sample_splitting(smpls)
    plain.fit(store_predictions=True)
    return plain, {"d": {name: plain.predictions[name][:, :, 0] for name in ("ml_l", "ml_m")}}


def test_predictions_given_for_ml_l_and_ml_m_fanned_out_equal_doubleml_given_both(data):
    model = DoubleMLPLRServerless(None, None, data, DMLDummyRegressor(), L)
    plain, both = _plain_predictions(data, model.smpls)
    twin = dml.DoubleMLPLR(data, DMLDummyRegressor(), DMLDummyRegressor(), draw_sample_splitting=False)
    twin.set_sample_splitting(model.smpls)
    twin.fit(external_predictions=both)
    _fit(model, external_predictions={"d": {"ml_l": both["d"]["ml_l"]}})
    assert model.fit_report.n_tasks == 5  # ml_m's folds only
    np.testing.assert_array_equal(model.coef, twin.coef)
    np.testing.assert_array_equal(model.se, twin.se)
    np.testing.assert_array_equal(model.predictions["ml_l"][:, :, 0], both["d"]["ml_l"])


def test_all_predictions_given_run_no_task_and_the_inherited_fit_takes_them_too(data):
    model = DoubleMLPLRServerless(None, None, data, DMLDummyRegressor(), DMLDummyRegressor())
    plain, both = _plain_predictions(data, model.smpls)
    assert _fit(model, external_predictions=both).fit_report.n_tasks == 0
    np.testing.assert_array_equal(model.coef, plain.coef)
    inherited = DoubleMLPLRServerless(None, None, data, DMLDummyRegressor(), DMLDummyRegressor())
    inherited.set_sample_splitting(model.smpls)
    np.testing.assert_array_equal(inherited.fit(external_predictions=both).coef, plain.coef)


def test_a_placeholder_without_predictions_is_refused_before_any_task(data):
    model = DoubleMLPLRServerless(None, None, data, L, DMLDummyRegressor())
    with pytest.raises(LearnerError, match=r"ml_m is DoubleML's placeholder DMLDummyRegressor.*external_predictions"):
        _fit(model)
    assert LocalStore().list_keys(f"{KEY_PREFIX}results/") == []


def test_an_irm_with_given_propensities_fans_out_the_outcome_regressions():
    np.random.seed(3)
    data = make_irm_data(n_obs=300, dim_x=4, return_type="DoubleMLData")
    forest = RandomForestRegressor(n_estimators=5, max_depth=3)
    plain = dml.DoubleMLIRM(data, forest, RandomForestClassifier(n_estimators=5, max_depth=3, random_state=1))
    plain.fit(store_predictions=True)
    propensity = {"d": {"ml_m": plain.predictions["ml_m"][:, :, 0]}}
    model = DoubleMLIRMServerless(None, None, data, forest, DMLDummyClassifier(), draw_sample_splitting=False)
    model.set_sample_splitting(plain.smpls)
    _fit(model, seed=4, external_predictions=propensity)
    assert set(model.task_metrics["learner"]) == {"ml_g0", "ml_g1"}
    twin = plain_twin(dml.DoubleMLIRM, model, data, {"ml_g": forest, "ml_m": DMLDummyClassifier()}, seed=4)
    twin_params = seeded_nuisance_params(model, data, 4)
    assert set(twin_params) == {"ml_g0", "ml_g1"}
    # DoubleML fits ml_g itself here (same seeds) and takes the given propensities
    twin.fit(external_predictions=propensity)
    np.testing.assert_allclose(model.coef, twin.coef, rtol=1e-12)


# --------------------------------------------------------------------------- PLIV variants


def test_pliv_partial_z_and_xz_are_refused_with_what_to_use_instead():
    np.random.seed(2)
    data = make_pliv_CHS2015(n_obs=100, dim_x=5, dim_z=2)
    for variant in ("_partialZ", "_partialXZ"):
        with pytest.raises(TypeError, match=rf"DoubleMLPLIV.{variant}\(\) cannot run on a backend.*ignores external"):
            getattr(DoubleMLPLIVServerless, variant)(data, L)
    model = DoubleMLPLIVServerless(None, None, data, L, L, L)
    model.partialZ = True  # as DoubleML's _partialXZ sets it
    with pytest.raises(TypeError, match=r"_partialXZ\(\) cannot run on a backend"):
        _fit(model)


# --------------------------------------------------------------------------- missing covariates


def _with_missing(data):
    frame = data.data.copy()
    frame.loc[frame.index[::7], "X2"] = np.nan
    return dml.DoubleMLData(frame, "y", "d", force_all_x_finite="allow-nan")


def test_missing_covariates_reach_learners_that_take_them_exactly_as_in_doubleml(data):
    missing = _with_missing(data)
    learner = HistGradientBoostingRegressor(max_iter=15)
    model = DoubleMLPLRServerless(None, None, missing, learner, learner, n_folds=3)
    _fit(model, seed=6)
    twin = plain_twin(dml.DoubleMLPLR, model, missing, {"ml_l": learner, "ml_m": learner}, seed=6)
    twin.fit()
    np.testing.assert_allclose(model.coef, twin.coef, rtol=1e-12)
    np.testing.assert_allclose(model.se, twin.se, rtol=1e-12)


def test_a_learner_that_cannot_take_missing_covariates_is_refused_before_any_task(data):
    model = DoubleMLPLRServerless(None, None, _with_missing(data), L, L, n_folds=3)
    with pytest.raises(LearnerError, match=r"ml_l: LinearRegression\(\) does not accept missing values.*\['X2'\]"):
        _fit(model)
    assert LocalStore().list_keys(f"{KEY_PREFIX}results/") == []


def test_doubleml_data_s3_lets_missing_covariates_through_when_told():
    frame = pd.DataFrame({"y": np.arange(6.0), "d": [0.0, 1, 0, 1, 0, 1], "x": [np.nan, 1, 2, 3, 4, 5]})
    data = DoubleMLDataS3("bucket", "f.csv", frame, "y", "d", force_all_x_finite="allow-nan")
    assert np.isnan(data.data["x"]).sum() == 1


# --------------------------------------------------------------------------- store_models, store_predictions


@pytest.mark.parametrize("scaling", ["n_folds * n_rep", "n_rep"])
def test_store_models_brings_the_fitted_learners_back_as_doubleml_lays_them_out(data, scaling):
    forest = RandomForestRegressor(n_estimators=5, max_depth=3)
    model = DoubleMLPLRServerless(None, None, data, forest, forest, n_folds=3, n_rep=2)
    _fit(model, seed=8, scaling=scaling, store_models=True)
    twin = plain_twin(dml.DoubleMLPLR, model, data, {"ml_l": forest, "ml_m": forest}, seed=8)
    twin.fit(store_models=True)
    assert sorted(model.models) == sorted(twin.models) == ["ml_l", "ml_m"]
    x = data.data[data.x_cols].to_numpy()
    for name in ("ml_l", "ml_m"):
        assert len(model.models[name]["d"]) == 2 and all(len(folds) == 3 for folds in model.models[name]["d"])
        for rep in range(2):
            for fold in range(3):
                ours, theirs = model.models[name]["d"][rep][fold], twin.models[name]["d"][rep][fold]
                assert type(ours) is type(theirs)
                np.testing.assert_array_equal(ours.predict(x), theirs.predict(x))
    metrics = model.task_metrics
    assert (metrics["models_bytes"] > 0).all() and (metrics["models_s"] >= 0).all()


def test_a_resumed_fit_with_store_models_needs_its_learners_kept_too(data):
    model = DoubleMLPLRServerless(None, None, data, L, L, n_folds=2)
    _fit(model, seed=1)  # results kept, no learners
    _fit(model, seed=1, store_models=True)  # another task format: runs again
    assert model.fit_report.n_resumed == 0 and model.models["ml_l"]["d"][0][1] is not None
    again = DoubleMLPLRServerless(None, None, data, L, L, n_folds=2, draw_sample_splitting=False)
    again.set_sample_splitting(model.smpls)
    _fit(again, seed=1, store_models=True)
    assert again.fit_report.n_resumed == 4
    np.testing.assert_array_equal(again.models["ml_m"]["d"][0][0].coef_, model.models["ml_m"]["d"][0][0].coef_)


class _Homemade(RegressorMixin, BaseEstimator):
    def fit(self, x, y):
        self.mean_ = float(np.mean(y))
        return self


def test_learners_of_untrusted_types_are_never_loaded():
    body = dump_models([_Homemade().fit(np.zeros((3, 1)), np.arange(3.0))])
    with pytest.raises(
        CorruptObjectError, match=r"types that are not trusted: \['tests.functional.test_doubleml_dropin._Homemade'"
    ):
        load_models(body, 1)
    with pytest.raises(CorruptObjectError, match="not a skops file"):
        load_models(b"not a zip", 1)
    assert load_models(dump_models([LinearRegression()]), 1)[0].__class__ is LinearRegression


def test_store_predictions_false_is_honoured(data):
    model = _fit(DoubleMLPLRServerless(None, None, data, L, L), seed=1, store_predictions=False)
    plain = dml.DoubleMLPLR(data, L, L).fit(store_predictions=False)
    assert model.predictions is None and plain.predictions is None
    assert model.nuisance_targets is None and model.nuisance_loss["ml_l"].shape == plain.nuisance_loss["ml_l"].shape
    assert model.summary.shape == plain.summary.shape
