"""DoubleML's further models on a backend: parity with plain DoubleML on the same splits and seeds."""

from __future__ import annotations

import doubleml as dml
import numpy as np
import pandas as pd
import pytest
from doubleml.did.datasets import make_did_SZ2020
from doubleml.irm.datasets import make_irm_data_discrete_treatments
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression

from pydmlserverless import DataError, DoubleMLAPOServerless, DoubleMLDIDCSServerless, DoubleMLDIDServerless
from tests.conftest import plain_twin

RTOL = 1e-9


def _assert_same_as_doubleml(model, twin, targets=True):
    """Estimates, every nuisance's predictions, targets and losses, and the sensitivity bounds."""
    np.testing.assert_allclose(model.coef, twin.coef, rtol=RTOL)
    np.testing.assert_allclose(model.se, twin.se, rtol=RTOL)
    for name in twin.params_names:
        np.testing.assert_allclose(model.predictions[name], twin.predictions[name], rtol=RTOL)
        if targets:
            np.testing.assert_allclose(model.nuisance_targets[name], twin.nuisance_targets[name], rtol=RTOL)
        np.testing.assert_allclose(model.nuisance_loss[name], twin.nuisance_loss[name], rtol=RTOL)
    ours, theirs = model.sensitivity_analysis().sensitivity_params, twin.sensitivity_analysis().sensitivity_params
    for bound in ("lower", "upper"):
        np.testing.assert_allclose(ours["theta"][bound], theirs["theta"][bound], rtol=RTOL)


LEARNERS = {
    "linear": (LinearRegression(), LogisticRegression(), None),
    "seeded forests": (RandomForestRegressor(n_estimators=8, max_depth=3), RandomForestClassifier(8, max_depth=3), 5),
}


@pytest.fixture(scope="module")
def discrete():
    np.random.seed(3)
    raw = make_irm_data_discrete_treatments(n_obs=360)
    return dml.DoubleMLData.from_arrays(raw["x"], raw["y"], raw["d"])


@pytest.mark.parametrize("scaling", ["n_folds * n_rep", "n_rep"])
@pytest.mark.parametrize("learners", list(LEARNERS))
@pytest.mark.parametrize("level", [0, 2])
def test_apo_equals_plain_doubleml(discrete, scaling, learners, level):
    ml_g, ml_m, seed = LEARNERS[learners]
    np.random.seed(8)
    model = DoubleMLAPOServerless(None, None, discrete, ml_g, ml_m, treatment_level=level, n_folds=3, n_rep=2)
    model.fit_local(n_jobs=2, seed=seed, scaling=scaling, progress=False)
    assert model.fit_report.n_tasks + model.fit_report.n_resumed == 3 * 2 * (3 if scaling == "n_folds * n_rep" else 1)
    twin = plain_twin(dml.DoubleMLAPO, model, discrete, {"ml_g": ml_g, "ml_m": ml_m}, seed, treatment_level=level)
    twin.fit()
    _assert_same_as_doubleml(model, twin)
    np.testing.assert_allclose(model.confint().to_numpy(), twin.confint().to_numpy(), rtol=RTOL)


def test_apo_levels_with_too_few_observations_are_refused_before_any_task(discrete):
    frame = discrete.data.copy()
    frame.loc[frame.index[:3], "d"] = 7.0
    learners = (LinearRegression(), LogisticRegression())
    with pytest.raises(ValueError, match="The number of treated observations is less than 5"):  # DoubleML's own
        DoubleMLAPOServerless(None, None, dml.DoubleMLData(frame, "y", "d"), *learners, treatment_level=7)
    frame.loc[frame.index[:6], "d"] = 7.0
    with pytest.raises(DataError, match=r"only 6 observation\(s\) are at treatment_level=7, fewer than n_folds=8"):
        DoubleMLAPOServerless(None, None, dml.DoubleMLData(frame, "y", "d"), *learners, treatment_level=7, n_folds=8)


def test_apo_treated_indicator_does_not_clash_with_a_column_of_that_name(discrete):
    frame = discrete.data.copy()
    frame["[d == 1]"] = 0.0  # a covariate that happens to carry the indicator's name
    data = dml.DoubleMLData(frame, "y", "d")
    np.random.seed(4)
    model = DoubleMLAPOServerless(None, None, data, LinearRegression(), LogisticRegression(), treatment_level=1)
    model.fit_local(n_jobs=1, progress=False)
    twin = plain_twin(dml.DoubleMLAPO, model, data, {"ml_g": LinearRegression(), "ml_m": LogisticRegression()}, None,
                      treatment_level=1)  # fmt: skip
    np.testing.assert_allclose(model.coef, twin.fit().coef, rtol=RTOL)
    assert isinstance(pd.DataFrame(model.summary), pd.DataFrame)


@pytest.fixture(scope="module")
def did_designs():
    """Two-period DiD data: a panel (outcome differences) and repeated cross-sections (with ``t``)."""
    np.random.seed(5)
    panel = make_did_SZ2020(n_obs=400, return_type="DoubleMLDIDData")
    cross_sections = make_did_SZ2020(n_obs=500, cross_sectional_data=True, return_type="DoubleMLDIDData")
    return {
        "panel": (DoubleMLDIDServerless, dml.DoubleMLDID, panel),
        "cross-sections": (DoubleMLDIDCSServerless, dml.DoubleMLDIDCS, cross_sections),
    }


@pytest.mark.parametrize("scaling", ["n_folds * n_rep", "n_rep"])
@pytest.mark.parametrize("learners", list(LEARNERS))
@pytest.mark.parametrize("score", ["observational", "experimental"])
@pytest.mark.parametrize("design", ["panel", "cross-sections"])
def test_did_equals_plain_doubleml(did_designs, design, scaling, learners, score):
    cls, plain_cls, data = did_designs[design]
    ml_g, ml_m, seed = LEARNERS[learners]
    ml_m = ml_m if score == "observational" else None
    np.random.seed(9)
    model = cls(None, None, data, ml_g, ml_m, n_folds=3, n_rep=2, score=score)
    model.fit_local(n_jobs=2, seed=seed, scaling=scaling, progress=False)
    twin = plain_twin(plain_cls, model, data, {"ml_g": ml_g, "ml_m": ml_m}, seed, score=score)
    twin.fit()
    g_names = ["ml_g0", "ml_g1"] if design == "panel" else [f"ml_g_d{a}_t{b}" for a in (0, 1) for b in (0, 1)]
    assert model.params_names == twin.params_names == g_names + ["ml_m"] * (score == "observational")
    _assert_same_as_doubleml(model, twin)


def test_a_didcs_cell_smaller_than_the_folds_is_refused(did_designs):
    cross_sections = did_designs["cross-sections"][2]
    frame = cross_sections.data.copy()
    cell = (frame["d"] == 1) & (frame["t"] == 1)
    frame = pd.concat([frame[~cell], frame[cell].head(4)])
    data = dml.DoubleMLDIDData(frame, "y", "d", x_cols=cross_sections.x_cols, t_col="t")
    with pytest.raises(DataError, match=r"only 4 observation\(s\) have d == 1 and t == 1, fewer than n_folds=5"):
        DoubleMLDIDCSServerless(None, None, data, LinearRegression(), LogisticRegression())


@pytest.mark.parametrize("name", ["DoubleMLPQ", "DoubleMLLPQ", "DoubleMLCVAR", "DoubleMLQTE", "DoubleMLSSM"])
def test_models_that_cannot_fan_out_say_so_and_point_to_doubleml(name):
    import pydmlserverless

    with pytest.raises(AttributeError, match=rf"{name} cannot run on a backend, as .*Use plain doubleml.{name}\("):
        getattr(pydmlserverless, f"{name}Serverless")
    with pytest.raises(AttributeError, match="has no attribute 'Nonsense'"):
        pydmlserverless.Nonsense  # noqa: B018
