"""Quantile models on the local pool against plain DoubleML on identical splits and seeds (rtol 1e-9).

DoubleML's PQ estimates inside each fold (halves, preliminary cross-fitting, a preliminary
quantile, ``ml_g`` on the second half, the ``ml_m`` refit); every fit there is a task here.
"""

from __future__ import annotations

import warnings

import doubleml as dml
import numpy as np
import pytest
from doubleml.irm.datasets import make_irm_data
from doubleml.utils import PSProcessorConfig
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression

from pydmlserverless import DataError, DoubleMLCVARServerless, DoubleMLPQServerless, Local
from tests.conftest import plain_twin

RTOL = 1e-9

LEARNERS = {
    "logistic": lambda: {"ml_g": LogisticRegression(), "ml_m": LogisticRegression()},
    "seeded forests": lambda: {
        "ml_g": RandomForestClassifier(8, max_depth=3),
        "ml_m": RandomForestClassifier(8, max_depth=3),
    },
}


@pytest.fixture(scope="module")
def irm_data():
    np.random.seed(11)
    return make_irm_data(n_obs=300, dim_x=4, return_type="DoubleMLData")


@pytest.fixture(scope="module")
def irm_data_large():
    """Cross-fitted calibration on 300 rows leaves a second half with one class of ``y <= q``: DoubleML fails too."""
    np.random.seed(11)
    return make_irm_data(n_obs=1000, dim_x=4, return_type="DoubleMLData")


def _pair(data, learners, seed_splits=12, **kwargs):
    np.random.seed(seed_splits)
    model = DoubleMLPQServerless(None, None, data, **learners, n_folds=3, n_rep=2, **kwargs)
    return model, kwargs


def _assert_equal_to_plain(model, plain):
    np.testing.assert_allclose(model.coef, plain.coef, rtol=RTOL)
    np.testing.assert_allclose(model.se, plain.se, rtol=RTOL)
    np.testing.assert_allclose(model.all_coef, plain.all_coef, rtol=RTOL)
    for name in plain.params_names:
        np.testing.assert_allclose(model.predictions[name], plain.predictions[name], rtol=RTOL)
        np.testing.assert_allclose(model.nuisance_targets[name], plain.nuisance_targets[name], rtol=RTOL)
        np.testing.assert_allclose(model.nuisance_loss[name], plain.nuisance_loss[name], rtol=RTOL)


@pytest.mark.parametrize("scaling", ["n_folds * n_rep", "n_rep"])
@pytest.mark.parametrize("learners", list(LEARNERS))
@pytest.mark.parametrize("treatment", [0, 1])
def test_pq_equals_plain_doubleml(irm_data, treatment, learners, scaling):
    model, kwargs = _pair(irm_data, LEARNERS[learners](), treatment=treatment, quantile=0.4)
    seed = 6 if learners == "seeded forests" else None
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # nothing plain DoubleML would not say
        model.fit(backend=Local(n_jobs=2), seed=seed, scaling=scaling, progress=False, resume=False)
    # per repetition: 3 outer folds x 3 preliminary folds and 3 refits of ml_m; then ml_g on 3 second halves
    per_rep = 3 * 3 + 3 + 3 if scaling == "n_folds * n_rep" else 3 + 1 + 1
    assert model.fit_report.n_tasks == per_rep * 2
    plain = plain_twin(dml.DoubleMLPQ, model, irm_data, LEARNERS[learners](), seed, **kwargs)
    plain.fit()
    _assert_equal_to_plain(model, plain)
    np.testing.assert_allclose(model.confint().to_numpy(), plain.confint().to_numpy(), rtol=RTOL)


@pytest.mark.parametrize(
    "options",
    [
        {"normalize_ipw": False},
        {"ps_processor_config": PSProcessorConfig(clipping_threshold=0.05)},
        {"ps_processor_config": PSProcessorConfig(calibration_method="isotonic")},
        {"ps_processor_config": PSProcessorConfig(calibration_method="isotonic", cv_calibration=True)},
        {"quantile": 0.9, "treatment": 0},
    ],
    ids=["no normalisation", "clipping", "isotonic calibration", "cross-fitted calibration", "upper quantile"],
)
def test_pq_options_equal_plain_doubleml(irm_data_large, options):
    options = {"quantile": 0.5, **options}
    model, kwargs = _pair(irm_data_large, LEARNERS["logistic"](), **options)
    model.fit(backend=Local(n_jobs=2), progress=False, resume=False)
    plain = plain_twin(dml.DoubleMLPQ, model, irm_data_large, LEARNERS["logistic"](), None, **kwargs)
    plain.fit()
    _assert_equal_to_plain(model, plain)


@pytest.mark.parametrize("given", [("ml_m",), ("ml_g",), ("ml_m", "ml_g")])
def test_pq_takes_external_predictions_as_doubleml_does(irm_data, given):
    """Some or all nuisances given; a given ml_m is read for the preliminary estimate as DoubleML reads it."""
    model, kwargs = _pair(irm_data, LEARNERS["logistic"](), quantile=0.5)
    reference = plain_twin(dml.DoubleMLPQ, model, irm_data, LEARNERS["logistic"](), None, **kwargs)
    reference.fit()
    external = {"d": {name: reference.predictions[name][:, :, 0] for name in given}}
    model.fit(backend=Local(n_jobs=2), external_predictions=external, progress=False, resume=False)
    plain = plain_twin(dml.DoubleMLPQ, model, irm_data, LEARNERS["logistic"](), None, **kwargs)
    plain.fit(external_predictions=external)
    np.testing.assert_allclose(model.coef, plain.coef, rtol=RTOL)
    np.testing.assert_allclose(model.se, plain.se, rtol=RTOL)
    for name in plain.params_names:
        np.testing.assert_allclose(model.predictions[name], plain.predictions[name], rtol=RTOL)
    ran = {task_id.split("/")[-3] for task_id in model.task_metrics["task_id"]} if len(given) < 2 else set()
    assert ran == {"ml_m", "ml_g"} - set(given)


def test_pq_stores_the_learners_doubleml_stores(irm_data):
    model, _ = _pair(irm_data, LEARNERS["logistic"](), quantile=0.5)
    model.fit(backend=Local(n_jobs=2), store_models=True, progress=False, resume=False)
    x = irm_data.x
    for name in ("ml_m", "ml_g"):
        fitted = model.models[name]["d"][1]
        assert len(fitted) == 3
        for k, (_, test) in enumerate(model.smpls[1]):
            got = fitted[k].predict_proba(x[test])[:, 1]
            if name == "ml_m":  # DoubleML keeps ml_m's predictions after its propensity clipping
                got = np.clip(got, 0.01, 0.99)
            np.testing.assert_allclose(got, model.predictions[name][test, 1, 0], rtol=RTOL)


# --------------------------------------------------------------------------- CVAR

CVAR_LEARNERS = {
    "linear": lambda: {"ml_g": LinearRegression(), "ml_m": LogisticRegression()},
    "seeded forests": lambda: {
        "ml_g": RandomForestRegressor(8, max_depth=3),
        "ml_m": RandomForestClassifier(8, max_depth=3),
    },
}


@pytest.mark.parametrize("scaling", ["n_folds * n_rep", "n_rep"])
@pytest.mark.parametrize("learners", list(CVAR_LEARNERS))
@pytest.mark.parametrize("treatment", [0, 1])
def test_cvar_equals_plain_doubleml(irm_data, treatment, learners, scaling):
    np.random.seed(13)
    model = DoubleMLCVARServerless(
        None, None, irm_data, **CVAR_LEARNERS[learners](), treatment=treatment, quantile=0.6, n_folds=3, n_rep=2
    )
    seed = 8 if learners == "seeded forests" else None
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        model.fit(backend=Local(n_jobs=2), seed=seed, scaling=scaling, progress=False, resume=False)
    per_rep = 3 * 3 + 3 + 3 if scaling == "n_folds * n_rep" else 3 + 1 + 1
    assert model.fit_report.n_tasks == per_rep * 2
    kwargs = {"treatment": treatment, "quantile": 0.6}
    plain = plain_twin(dml.DoubleMLCVAR, model, irm_data, CVAR_LEARNERS[learners](), seed, **kwargs)
    plain.fit()
    _assert_equal_to_plain(model, plain)


@pytest.mark.parametrize(
    "options",
    [
        {"normalize_ipw": False},
        {"ps_processor_config": PSProcessorConfig(calibration_method="isotonic", cv_calibration=True)},
    ],
    ids=["no normalisation", "cross-fitted calibration"],
)
def test_cvar_options_and_stored_learners(irm_data_large, options):
    np.random.seed(14)
    model = DoubleMLCVARServerless(None, None, irm_data_large, **CVAR_LEARNERS["linear"](), n_folds=3, **options)
    model.fit(backend=Local(n_jobs=2), store_models=True, progress=False, resume=False)
    plain = plain_twin(dml.DoubleMLCVAR, model, irm_data_large, CVAR_LEARNERS["linear"](), None, **options)
    plain.fit()
    _assert_equal_to_plain(model, plain)
    x = irm_data_large.x
    for k, (_, test) in enumerate(model.smpls[0]):
        got = model.models["ml_g"]["d"][0][k].predict(x[test])
        np.testing.assert_allclose(got, model.predictions["ml_g"][test, 0, 0], rtol=RTOL)


def test_cvar_refuses_external_predictions_as_doubleml_does(irm_data):
    model = DoubleMLCVARServerless(None, None, irm_data, **CVAR_LEARNERS["linear"](), n_folds=3)
    plain = dml.DoubleMLCVAR(irm_data, **CVAR_LEARNERS["linear"](), n_folds=3)
    given = {"d": {"ml_m": np.full((irm_data.n_obs, 1), 0.5)}}
    with pytest.raises(Exception) as theirs:
        plain.fit(external_predictions=given)
    with pytest.raises(type(theirs.value), match=str(theirs.value)[:40].replace("(", r"\(").replace(")", r"\)")):
        model.fit(backend=Local(n_jobs=2), external_predictions=given, progress=False)
    assert np.isnan(model.coef).all()  # nothing ran: the model as it was


@pytest.mark.parametrize("cls", [DoubleMLPQServerless, DoubleMLCVARServerless])
def test_a_treatment_group_smaller_than_the_folds_is_refused_before_anything_runs(irm_data, cls):
    frame = irm_data.data.copy()
    frame["d"] = 0.0
    frame.loc[:1, "d"] = 1.0
    data = dml.DoubleMLData(frame, "y", "d")
    learners = LEARNERS["logistic"]() if cls is DoubleMLPQServerless else CVAR_LEARNERS["linear"]()
    with pytest.raises(DataError, match=r"only 2 observation\(s\) have d == 1, fewer than n_folds=3"):
        cls(None, None, data, **learners, n_folds=3)
