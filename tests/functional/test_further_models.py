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

from pydmlserverless import (
    ConfigurationError,
    DataError,
    DoubleMLAPOServerless,
    DoubleMLAPOSServerless,
    DoubleMLDIDCSServerless,
    DoubleMLDIDMultiServerless,
    DoubleMLDIDServerless,
    DoubleMLLPLRServerless,
    DoubleMLPLPRServerless,
    InvalidInputError,
    InvalidTypeError,
    seeded_nuisance_params,
)
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


@pytest.mark.parametrize("name", ["DoubleMLLPQ", "DoubleMLQTE", "DoubleMLSSM"])
def test_models_that_cannot_fan_out_say_so_and_point_to_doubleml(name):
    import pydmlserverless

    with pytest.raises(AttributeError, match=rf"{name} cannot run on a backend, as .*Use plain doubleml.{name}\("):
        getattr(pydmlserverless, f"{name}Serverless")
    with pytest.raises(AttributeError, match="has no attribute 'Nonsense'"):
        pydmlserverless.Nonsense  # noqa: B018


# --------------------------------------------------------------------------- container models


def _assert_frameworks_equal(ours, theirs):
    np.testing.assert_allclose(ours.thetas, theirs.thetas, rtol=RTOL)
    np.testing.assert_allclose(ours.ses, theirs.ses, rtol=RTOL)
    np.testing.assert_allclose(ours.all_thetas, theirs.all_thetas, rtol=RTOL)


def _assert_sub_models_equal(model, plain):
    """Every sub-model's predictions and nuisance losses, as DoubleML's own sub-models report them."""
    assert len(model.modellist) == len(plain.modellist)
    for ours, theirs in zip(model.modellist, plain.modellist):
        np.testing.assert_allclose(ours.coef, theirs.coef, rtol=RTOL)
        for name in theirs.params_names:
            np.testing.assert_allclose(ours.predictions[name], theirs.predictions[name], rtol=RTOL)
            np.testing.assert_allclose(ours.nuisance_loss[name], theirs.nuisance_loss[name], rtol=RTOL)


@pytest.mark.parametrize("scaling", ["n_folds * n_rep", "n_rep"])
@pytest.mark.parametrize("learners", list(LEARNERS))
def test_apos_equals_plain_doubleml(discrete, scaling, learners):
    from tests.conftest import plain_container_twin

    ml_g, ml_m, seed = LEARNERS[learners]
    np.random.seed(10)
    model = DoubleMLAPOSServerless(None, None, discrete, ml_g, ml_m, treatment_levels=[0, 1, 2], n_folds=3, n_rep=2)
    model.fit_local(n_jobs=2, seed=seed, scaling=scaling, progress=False)
    per_level = 3 * 2 * (3 if scaling == "n_folds * n_rep" else 1)
    assert model.fit_report.n_tasks == 3 * per_level  # every level's fits in the one fit
    plain = dml.DoubleMLAPOS(discrete, ml_g, ml_m, treatment_levels=[0, 1, 2], n_folds=3, n_rep=2,
                             draw_sample_splitting=False)  # fmt: skip
    plain_container_twin(plain, model, discrete, seed).fit()
    np.testing.assert_allclose(model.coef, plain.coef, rtol=RTOL)
    np.testing.assert_allclose(model.se, plain.se, rtol=RTOL)
    _assert_sub_models_equal(model, plain)
    np.testing.assert_allclose(model.confint().to_numpy(), plain.confint().to_numpy(), rtol=RTOL)
    for reference in (0, [0, 1]):
        _assert_frameworks_equal(model.causal_contrast(reference), plain.causal_contrast(reference))
    model.sensitivity_analysis()
    plain.sensitivity_analysis()
    for bound in ("lower", "upper"):
        np.testing.assert_allclose(
            model.sensitivity_params["theta"][bound], plain.sensitivity_params["theta"][bound], rtol=RTOL
        )


def test_apos_stages_the_data_and_splits_once_and_takes_doubleml_external_predictions(discrete, monkeypatch):
    from pydmlserverless.backends.local import LocalBackend
    from pydmlserverless.worker.store import LocalStore

    runs, puts = [], []
    run = LocalBackend.run
    monkeypatch.setattr(LocalBackend, "run", lambda self, tasks: runs.append(len(tasks)) or run(self, tasks))
    put = LocalStore.put_content_addressed
    monkeypatch.setattr(
        LocalStore, "put_content_addressed", lambda self, key, *a, **k: puts.append(key) or put(self, key, *a, **k)
    )
    learners = (LinearRegression(), LogisticRegression())
    np.random.seed(11)
    model = DoubleMLAPOSServerless(None, None, discrete, *learners, treatment_levels=[0, 1, 2], n_folds=3)
    model.fit_local(n_jobs=2, seed=1, progress=False, n_jobs_models=2)
    assert runs == [3 * 3 * 3]  # one fan-out: 3 levels x 3 nuisances x 3 folds
    assert len([k for k in puts if "/data/" in k]) == 1 and len([k for k in puts if "/splits/" in k]) == 1
    given = {level: {"ml_m": model.modellist[level].predictions["ml_m"][:, :, 0]} for level in (0, 2)}
    runs.clear()
    again = DoubleMLAPOSServerless(None, None, discrete, *learners, treatment_levels=[0, 1, 2], n_folds=3,
                                   draw_sample_splitting=False)  # fmt: skip
    again.set_sample_splitting(model.smpls)
    again.fit_local(n_jobs=1, seed=1, progress=False, external_predictions=given, resume=False)
    assert runs == [3 * 3 * 3 - 2 * 3]  # the given propensities are not fitted
    np.testing.assert_allclose(again.coef, model.coef, rtol=RTOL)
    with pytest.raises(InvalidInputError, match="external_predictions must be a subset of all treatment levels"):
        again.fit_local(n_jobs=1, progress=False, external_predictions={7: {}})
    wrong_name = r"external_predictions\[0\] must be a subset of \{.*\}\. Passed keys: \{'ml_g0'\}"
    with pytest.raises(InvalidInputError, match=wrong_name):
        again.fit_local(n_jobs=1, progress=False, external_predictions={0: {"ml_g0": given[0]["ml_m"]}})
    wrong_shape = r"have to be of shape \(360, 1\)\. .* of shape \(10, 1\) passed"
    with pytest.raises(InvalidInputError, match=wrong_shape):  # before any task
        again.fit_local(n_jobs=1, progress=False, external_predictions={0: {"ml_m": given[0]["ml_m"][:10]}})
    with pytest.raises(InvalidTypeError, match="The number of CPUs used to fit the models must be of int type"):
        again.fit_local(n_jobs_models="2")
    with pytest.raises(TypeError, match="unexpected keyword argument 'n_jobs_models'"):  # as DoubleML's APO.fit()
        DoubleMLAPOServerless(None, None, discrete, *learners, treatment_level=0).fit_local(n_jobs_models=2)


@pytest.fixture(scope="module")
def staggered():
    """Staggered adoption: a balanced panel and repeated cross-sections, 3 groups and 5 periods (DoubleML's DGPs)."""
    from doubleml.did.datasets import make_did_CS2021, make_did_cs_CS2021

    np.random.seed(12)
    x_cols = ["Z1", "Z2", "Z3", "Z4"]
    panel = make_did_CS2021(n_obs=400, dgp_type=1)
    cross_sections = make_did_cs_CS2021(n_obs=400, dgp_type=1, lambda_t=0.5)
    return {
        True: dml.DoubleMLPanelData(panel, y_col="y", d_cols="d", t_col="t", id_col="id", x_cols=x_cols),
        False: dml.DoubleMLPanelData(cross_sections, y_col="y", d_cols="d", t_col="t", id_col="id", x_cols=x_cols),
    }


@pytest.mark.parametrize("scaling", ["n_folds * n_rep", "n_rep"])
@pytest.mark.parametrize("learners", list(LEARNERS))
@pytest.mark.parametrize("panel", [True, False], ids=["panel", "cross-sections"])
def test_didmulti_equals_plain_doubleml(staggered, panel, learners, scaling, monkeypatch):
    from doubleml.did import DoubleMLDIDMulti

    from pydmlserverless.backends.local import LocalBackend
    from tests.conftest import plain_container_twin

    runs = []
    run = LocalBackend.run
    monkeypatch.setattr(LocalBackend, "run", lambda self, tasks: runs.append(len(tasks)) or run(self, tasks))
    data = staggered[panel]
    ml_g, ml_m, seed = LEARNERS[learners]
    kwargs = {"gt_combinations": "standard", "control_group": "not_yet_treated", "panel": panel, "n_folds": 3}
    np.random.seed(13)
    model = DoubleMLDIDMultiServerless(None, None, data, ml_g, ml_m, n_rep=2, **kwargs)
    model.fit_local(n_jobs=2, seed=seed, scaling=scaling, progress=False)
    n_cells, n_nuisances = len(model.gt_labels), 3 if panel else 5
    assert runs == [n_cells * n_nuisances * 2 * (3 if scaling == "n_folds * n_rep" else 1)]  # one fan-out
    plain = plain_container_twin(DoubleMLDIDMulti(data, ml_g, ml_m, n_rep=2, **kwargs), model, data, seed)
    plain.fit()
    np.testing.assert_allclose(model.coef, plain.coef, rtol=RTOL)
    np.testing.assert_allclose(model.se, plain.se, rtol=RTOL)
    _assert_sub_models_equal(model, plain)
    for name in plain.nuisance_loss:
        np.testing.assert_allclose(model.nuisance_loss[name], plain.nuisance_loss[name], rtol=RTOL)
    for aggregation in ("group", "time", "eventstudy"):
        ours, theirs = model.aggregate(aggregation), plain.aggregate(aggregation)
        _assert_frameworks_equal(ours.aggregated_frameworks, theirs.aggregated_frameworks)
        _assert_frameworks_equal(ours.overall_aggregated_framework, theirs.overall_aggregated_framework)
    np.testing.assert_allclose(model.confint().to_numpy(), plain.confint().to_numpy(), rtol=RTOL)
    model.sensitivity_analysis()
    plain.sensitivity_analysis()
    np.testing.assert_allclose(
        model.sensitivity_params["theta"]["lower"], plain.sensitivity_params["theta"]["lower"], rtol=RTOL
    )


def test_didmulti_stages_each_cell_once_and_maps_external_predictions_by_id(staggered, monkeypatch):
    from pydmlserverless.worker.store import LocalStore

    data = staggered[True]
    puts = []
    put = LocalStore.put_content_addressed
    monkeypatch.setattr(
        LocalStore, "put_content_addressed", lambda self, key, *a, **k: puts.append(key) or put(self, key, *a, **k)
    )
    learners = (LinearRegression(), LogisticRegression())
    np.random.seed(14)
    model = DoubleMLDIDMultiServerless(None, None, data, *learners, n_folds=3)
    model.fit_local(n_jobs=2, seed=1, progress=False, resume=False)
    n_cells = len(model.gt_labels)
    assert len({k for k in puts if "/splits/" in k}) == n_cells
    assert len([k for k in puts if "/splits/" in k]) == n_cells  # each cell's splits stored once
    label = model.gt_labels[3]
    # DoubleML's layout: the cell's predictions at its units' positions among all n_ids units
    given = {label: {"ml_m": model.modellist[3].predictions["ml_m"][:, :, 0]}}
    assert given[label]["ml_m"].shape == (data.n_ids, 1)
    again = DoubleMLDIDMultiServerless(None, None, data, *learners, n_folds=3)
    for ours, theirs in zip(model.modellist, again.modellist):
        theirs.set_sample_splitting(ours.smpls)
    again.fit_local(n_jobs=1, seed=1, progress=False, external_predictions=given, resume=False)
    assert again.fit_report.n_tasks == model.fit_report.n_tasks - 3
    np.testing.assert_allclose(again.coef, model.coef, rtol=RTOL)
    with pytest.raises(InvalidInputError, match="external_predictions must be a subset of all gt_combinations"):
        again.fit_local(n_jobs=1, progress=False, external_predictions={"ATT(1,2,3)": {}})


def test_didmulti_cells_too_small_for_the_folds_are_refused_by_doubleml(staggered):
    # each cell's splits are stratified by its groups: DoubleML's own check, before any task
    with pytest.raises(InvalidInputError, match="n_splits=150 cannot be greater than the number of members"):
        DoubleMLDIDMultiServerless(None, None, staggered[True], LinearRegression(), LogisticRegression(), n_folds=150)


def test_container_models_without_splits_say_so(discrete):
    model = DoubleMLAPOSServerless(None, None, discrete, LinearRegression(), LogisticRegression(),
                                   treatment_levels=[0, 1], draw_sample_splitting=False)  # fmt: skip
    with pytest.raises(ConfigurationError, match="no sample splits; call draw_sample_splitting"):
        model.fit_local(n_jobs=1, progress=False)


# --------------------------------------------------------------------------- panel partially linear regression


@pytest.fixture(scope="module")
def static_panel():
    from doubleml.plm.datasets import make_plpr_CP2025

    np.random.seed(15)
    frame = make_plpr_CP2025(num_id=80, num_t=5, dim_x=5)
    return dml.DoubleMLPanelData(frame, "y", "d", "time", "id", static_panel=True)


@pytest.mark.parametrize("scaling", ["n_folds * n_rep", "n_rep"])
@pytest.mark.parametrize("score", ["partialling out", "IV-type"])
@pytest.mark.parametrize("approach", ["fd_exact", "wg_approx", "cre_normal", "cre_general"])
def test_plpr_equals_plain_doubleml(static_panel, approach, score, scaling):
    ml = RandomForestRegressor(n_estimators=8, max_depth=3)
    learners = {"ml_l": ml, "ml_m": ml, **({"ml_g": ml} if score == "IV-type" else {})}
    kwargs = {"score": score, "approach": approach}
    np.random.seed(16)
    model = DoubleMLPLPRServerless(None, None, static_panel, **learners, n_folds=3, n_rep=2, **kwargs)
    model.fit_local(n_jobs=2, seed=4, scaling=scaling, progress=False)
    twin = plain_twin(dml.DoubleMLPLPR, model, static_panel, learners, 4, **kwargs)
    twin.fit()
    np.testing.assert_allclose(model.coef, twin.coef, rtol=RTOL)
    np.testing.assert_allclose(model.se, twin.se, rtol=RTOL)
    for name in twin.params_names:
        np.testing.assert_allclose(model.predictions[name], twin.predictions[name], rtol=RTOL)
        np.testing.assert_allclose(model.nuisance_loss[name], twin.nuisance_loss[name], rtol=RTOL)
    np.testing.assert_allclose(model.confint().to_numpy(), twin.confint().to_numpy(), rtol=RTOL)


def test_plpr_binary_treatment_with_a_classifier_and_doubleml_errors(static_panel):
    frame = static_panel.data.assign(d=(static_panel.data["d"] > 0).astype(float))
    data = dml.DoubleMLPanelData(frame, "y", "d", "time", "id", static_panel=True)
    learners = (LinearRegression(), LogisticRegression())
    np.random.seed(17)
    model = DoubleMLPLPRServerless(None, None, data, *learners, n_folds=3, approach="cre_general")
    model.fit_local(n_jobs=1, seed=1, progress=False)
    twin = plain_twin(dml.DoubleMLPLPR, model, data, {"ml_l": learners[0], "ml_m": learners[1]}, 1,
                      approach="cre_general")  # fmt: skip
    np.testing.assert_allclose(model.coef, twin.fit().coef, rtol=RTOL)
    with pytest.raises(InvalidInputError, match="identified as classifier but at least one treatment"):
        DoubleMLPLPRServerless(None, None, data, *learners, approach="fd_exact")  # DoubleML's own error
    dynamic = dml.DoubleMLPanelData(frame, "y", "d", "time", "id")
    with pytest.raises(InvalidInputError, match="requires the static_panel flag to be set to True"):
        DoubleMLPLPRServerless(None, None, dynamic, *learners)


def test_a_didmulti_rerun_resumes_every_cell_and_draws_doubleml_plots(staggered):
    import matplotlib

    matplotlib.use("Agg")
    learners = (LinearRegression(), LogisticRegression())
    np.random.seed(18)
    model = DoubleMLDIDMultiServerless(None, None, staggered[True], *learners, n_folds=3)
    model.fit_local(n_jobs=2, seed=3, progress=False)
    first, n_tasks = model.coef.copy(), model.fit_report.n_tasks
    model.fit_local(n_jobs=2, seed=3, progress=False)  # every cell's results were kept
    assert (model.fit_report.n_tasks, model.fit_report.n_resumed) == (0, n_tasks)
    np.testing.assert_array_equal(model.coef, first)
    fig, _ = model.plot_effects()
    assert len(fig.axes) >= 1
    fig, _ = model.aggregate("eventstudy").plot_effects()
    assert len(fig.axes) >= 1


# --------------------------------------------------------------------------- logistic partially linear regression


@pytest.fixture(scope="module")
def binary_outcome():
    from doubleml.plm.datasets import make_lplr_LZZ2020

    np.random.seed(19)
    return make_lplr_LZZ2020(n_obs=400, dim_x=20)


LPLR_LEARNERS = {
    "linear": (LogisticRegression(), LinearRegression(), LinearRegression(), None),
    "seeded forests": (
        RandomForestClassifier(8, max_depth=3),
        RandomForestRegressor(8, max_depth=3),
        RandomForestRegressor(8, max_depth=3),
        6,
    ),  # fmt: skip
}


@pytest.mark.parametrize("scaling", ["n_folds * n_rep", "n_rep"])
@pytest.mark.parametrize("learners", list(LPLR_LEARNERS))
@pytest.mark.parametrize("score", ["nuisance_space", "instrument"])
def test_lplr_equals_plain_doubleml(binary_outcome, score, learners, scaling):
    *ml, seed = LPLR_LEARNERS[learners]
    kwargs = {"n_folds": 3, "n_folds_inner": 3, "n_rep": 2, "score": score}
    np.random.seed(20)
    model = DoubleMLLPLRServerless(None, None, binary_outcome, *ml, **kwargs)
    np.random.seed(20)  # LPLR's double splits cannot be set: the same draw gives the same ones
    plain = dml.DoubleMLLPLR(binary_outcome, *ml, **kwargs)
    user_params = {name: dict(model.params[name]) for name in ("ml_m", "ml_t")}
    model.fit_local(n_jobs=2, seed=seed, scaling=scaling, progress=False)
    # every fit is a task: outer x inner folds x (ml_M, ml_a), and outer folds x (ml_m, ml_t), per repetition
    per_rep = 3 * 3 * 2 + 3 * 2 if scaling == "n_folds * n_rep" else 3 * 2 + 2
    assert model.fit_report.n_tasks == per_rep * 2
    assert {name: dict(model.params[name]) for name in ("ml_m", "ml_t")} == user_params  # left as they were
    if seed is not None:
        for name, by_treatment in seeded_nuisance_params(model, binary_outcome, seed).items():
            for treatment, nested in by_treatment.items():
                plain.set_ml_nuisance_params(name, treatment, nested)
    plain.fit()
    np.testing.assert_allclose(model.coef, plain.coef, rtol=RTOL)
    np.testing.assert_allclose(model.se, plain.se, rtol=RTOL)
    for name in plain.params_names:
        np.testing.assert_allclose(model.predictions[name], plain.predictions[name], rtol=RTOL)
        np.testing.assert_allclose(model.nuisance_targets[name], plain.nuisance_targets[name], rtol=RTOL)
        np.testing.assert_allclose(model.nuisance_loss[name], plain.nuisance_loss[name], rtol=RTOL)
    np.testing.assert_allclose(model.confint().to_numpy(), plain.confint().to_numpy(), rtol=RTOL)


def test_lplr_stores_every_task_s_learners(binary_outcome):
    """store_models: ml_m and ml_t per outer fold; ml_M and ml_a per outer and inner fold (DoubleML's own fails)."""
    np.random.seed(21)
    ml = (LogisticRegression(), LinearRegression(), LinearRegression())
    model = DoubleMLLPLRServerless(None, None, binary_outcome, *ml, n_folds=3, n_folds_inner=3, score="instrument")
    model.fit_local(n_jobs=2, seed=3, store_models=True, progress=False)
    x = binary_outcome.x
    for name in ("ml_m", "ml_t"):
        fitted = model.models[name]["d"][0]
        assert len(fitted) == 3
        for k, (_, test) in enumerate(model.smpls[0]):
            np.testing.assert_allclose(fitted[k].predict(x[test]), model.predictions[name][test, 0, 0], rtol=RTOL)
    xd = np.column_stack([binary_outcome.d, x])
    for k, (_, test) in enumerate(model.smpls[0]):
        inner = model.models["ml_M"]["d"][0][k]  # the outer fold's test rows: the mean of its inner models
        assert len(inner) == 3 and len(model.models["ml_a"]["d"][0][k]) == 3
        mean = np.mean([m.predict_proba(xd[test])[:, 1] for m in inner], axis=0)
        np.testing.assert_allclose(mean, model.predictions["ml_M"][test, 0, 0], rtol=RTOL)


def test_lplr_needs_as_many_inner_as_outer_folds(binary_outcome):
    ml = (LogisticRegression(), LinearRegression(), LinearRegression())
    with pytest.raises(InvalidInputError, match="only with as many inner as outer folds"):
        DoubleMLLPLRServerless(None, None, binary_outcome, *ml, n_folds=3, n_folds_inner=5)


def test_fit_aws_lambda_names_the_s3_data_class_of_a_panel(staggered):
    model = DoubleMLDIDMultiServerless("LambdaCVPredict", "eu-central-1", staggered[True], LinearRegression(),
                                       LogisticRegression(), n_folds=2)  # fmt: skip
    with pytest.raises(ConfigurationError, match="DoubleMLPanelDataS3 for DIDMulti and PLPR"):
        model.fit_aws_lambda()
