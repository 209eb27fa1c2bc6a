"""tune_local() / tune_aws_lambda(): DoubleML's tune() with the candidates' inner-fold fits as tasks.

Parity: the same np.random seed before DoubleML's tune() and ours gives the same candidates, inner
splits, scores and chosen parameters, and the fit after it the same estimates. The learners have
a fixed random_state: a fit that draws from NumPy's global generator (Lasso's default, a forest's
default) moves DoubleML's later splits, which no parallel run can follow.
"""

from __future__ import annotations

import doubleml as dml
import numpy as np
import pytest
from doubleml.irm.datasets import make_irm_data
from doubleml.plm.datasets import make_plr_CCDDHNR2018
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import Lasso, LogisticRegression

from pydmlserverless import (
    ConfigurationError,
    DoubleMLIRMServerless,
    DoubleMLPLRServerless,
    InvalidInputError,
    InvalidTypeError,
    TaskError,
)
from pydmlserverless.tuning.grid import SearchResult
from tests.backend_calls import VIAS, on_local

RTOL = 1e-12
LASSO_GRID = {"alpha": [0.001, 0.01, 0.05, 0.1, 0.5]}
FOREST_GRID = {"max_depth": [2, 4], "min_samples_leaf": [1, 5], "n_estimators": [10]}


@pytest.fixture(scope="module")
def plr_data():
    np.random.seed(1)
    return make_plr_CCDDHNR2018(n_obs=300, dim_x=5)


@pytest.fixture(scope="module")
def irm_data():
    np.random.seed(2)
    return make_irm_data(n_obs=400, dim_x=5)


def _pair(cls, plain_cls, data, learners, **kwargs):
    """Our model and plain DoubleML's, on the same splits (the same seed before each)."""
    np.random.seed(7)
    ours = cls(None, None, data, *learners, **kwargs)
    np.random.seed(7)
    return ours, plain_cls(data, *learners, **kwargs)


def _tune_both(ours, plain, grids, via="shim", **kwargs):
    np.random.seed(11)
    with pytest.warns(FutureWarning):  # DoubleML's tune() is deprecated in favour of tune_ml_models()
        theirs = plain.tune(grids, return_tune_res=True, **kwargs)
    np.random.seed(11)
    mine = on_local(ours, "tune", via, grids, n_jobs=2, progress=False, return_tune_res=True, **kwargs)
    return mine, theirs


def _assert_same_searches(mine, theirs):
    assert mine.keys() == theirs.keys()
    for key in theirs["tune_res"]:
        for ours, sk in zip(mine["tune_res"][key], theirs["tune_res"][key], strict=True):
            assert isinstance(ours, SearchResult)
            assert ours.cv_results_["params"] == sk.cv_results_["params"]  # the same candidates, in order
            np.testing.assert_allclose(ours.cv_results_["mean_test_score"], sk.cv_results_["mean_test_score"],
                                       rtol=RTOL)  # fmt: skip
            for j in range(sk.n_splits_):  # the same inner splits
                np.testing.assert_allclose(ours.cv_results_[f"split{j}_test_score"],
                                           sk.cv_results_[f"split{j}_test_score"], rtol=RTOL)  # fmt: skip
            np.testing.assert_array_equal(ours.cv_results_["rank_test_score"], sk.cv_results_["rank_test_score"])
            assert (ours.best_params_, ours.best_index_) == (sk.best_params_, sk.best_index_)
            assert ours.best_score_ == pytest.approx(sk.best_score_, rel=RTOL)
    assert mine["params"] == theirs["params"]


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("search_mode", ["grid_search", "randomized_search"])
@pytest.mark.parametrize("tune_on_folds", [False, True])
@pytest.mark.parametrize("learner", ["lasso", "forest"])
def test_plr_tuning_chooses_what_doubleml_chooses(plr_data, learner, tune_on_folds, search_mode, via):
    if learner == "lasso":
        learners, grid = (Lasso(random_state=0), Lasso(random_state=0)), LASSO_GRID
    else:
        learners, grid = (RandomForestRegressor(random_state=0), RandomForestRegressor(random_state=1)), FOREST_GRID
    ours, plain = _pair(DoubleMLPLRServerless, dml.DoubleMLPLR, plr_data, learners, n_folds=3)
    mine, theirs = _tune_both(ours, plain, {"ml_l": grid, "ml_m": grid}, via=via, tune_on_folds=tune_on_folds,
                              search_mode=search_mode, n_iter_randomized_search=3, n_folds_tune=3)  # fmt: skip
    if tune_on_folds:  # DoubleML's layout: per repetition, per treatment
        mine, theirs = mine[0][0], theirs[0][0]
    else:
        mine, theirs = mine[0], theirs[0]
    _assert_same_searches(mine, theirs)
    assert ours.params == plain.params  # set as DoubleML sets them
    on_local(ours, "fit", via, n_jobs=2, progress=False)
    plain.fit()
    np.testing.assert_allclose(ours.coef, plain.coef, rtol=1e-9)
    np.testing.assert_allclose(ours.se, plain.se, rtol=1e-9)


@pytest.mark.parametrize("tune_on_folds", [False, True])
def test_irm_tuning_on_conditional_samples_with_a_named_scorer(irm_data, tune_on_folds):
    learners = (RandomForestRegressor(random_state=0), LogisticRegression())
    ours, plain = _pair(DoubleMLIRMServerless, dml.DoubleMLIRM, irm_data, learners, n_folds=3)
    grids = {"ml_g": FOREST_GRID, "ml_m": {"C": [0.01, 0.1, 1.0, 10.0]}}
    scoring = {"ml_g": "neg_mean_squared_error", "ml_m": "neg_log_loss"}
    mine, theirs = _tune_both(ours, plain, grids, tune_on_folds=tune_on_folds, scoring_methods=scoring)
    mine, theirs = (mine[0][0], theirs[0][0]) if tune_on_folds else (mine[0], theirs[0])
    assert sorted(mine["tune_res"]) == ["g0_tune", "g1_tune", "m_tune"]
    _assert_same_searches(mine, theirs)
    assert ours.params == plain.params
    ours.fit_local(n_jobs=2, progress=False)
    plain.fit()
    np.testing.assert_allclose(ours.coef, plain.coef, rtol=1e-9)


def test_both_scalings_choose_the_same_and_a_rerun_resumes(plr_data):
    learners = (Lasso(random_state=0), Lasso(random_state=0))
    grids = {"ml_l": LASSO_GRID, "ml_m": LASSO_GRID}
    results = {}
    for scaling in ("n_folds * n_rep", "n_rep"):
        model, _ = _pair(DoubleMLPLRServerless, dml.DoubleMLPLR, plr_data, learners, n_folds=3)
        np.random.seed(3)
        results[scaling] = model.tune_local(grids, n_jobs=2, progress=False, scaling=scaling, return_tune_res=True)
        n_candidates = 2 * len(LASSO_GRID["alpha"])
        per_candidate = 5 if scaling == "n_folds * n_rep" else 1
        assert model.tune_report.n_tasks + model.tune_report.n_resumed == n_candidates * per_candidate
        assert str(model.tune_report).startswith("Tuning on local (2 processes)")
        assert {"task_id", "group", "total_s"} <= set(model.tune_metrics.columns)
    a, b = results["n_folds * n_rep"][0]["tune_res"], results["n_rep"][0]["tune_res"]
    for key in a:
        np.testing.assert_allclose(a[key][0].cv_results_["mean_test_score"], b[key][0].cv_results_["mean_test_score"],
                                   rtol=RTOL)  # fmt: skip
    model, _ = _pair(DoubleMLPLRServerless, dml.DoubleMLPLR, plr_data, learners, n_folds=3)
    np.random.seed(3)
    model.tune_local(grids, n_jobs=2, progress=False, scaling="n_rep")  # the same searches: every result kept
    assert (model.tune_report.n_tasks, model.tune_report.n_resumed) == (0, 2 * len(LASSO_GRID["alpha"]))


def test_tuning_arguments_are_checked_as_doubleml_checks_them(plr_data):
    model = DoubleMLPLRServerless(None, None, plr_data, Lasso(), Lasso(), n_folds=2)
    grids = {"ml_l": LASSO_GRID, "ml_m": LASSO_GRID}
    cases = [
        ({"param_grids": {"ml_l": LASSO_GRID}}, InvalidInputError, "param_grids must be a dictionary with keys ml_l"),
        ({"tune_on_folds": 1}, InvalidTypeError, "tune_on_folds must be True or False. Got 1."),
        ({"n_folds_tune": 1}, InvalidInputError, "must be at least two. 1 was passed."),
        ({"search_mode": "bayes"}, InvalidInputError, 'search_mode must be "grid_search" or "randomized_search"'),
        ({"n_iter_randomized_search": 1.5}, InvalidTypeError, "must be of int type"),
        ({"scoring_methods": {"ml_x": "r2"}}, InvalidInputError, "Invalid scoring_methods"),
        ({"scoring_methods": {"ml_l": len}}, ConfigurationError, "is not a scorer name"),
        ({"scoring_methods": {"ml_l": "no_such_scorer"}}, InvalidInputError, "no_such_scorer"),
        ({"set_as_params": "yes"}, InvalidTypeError, "set_as_params must be True or False"),
    ]
    for kwargs, error, message in cases:
        args = {"param_grids": grids, **kwargs}
        with pytest.raises(error, match=message):
            model.tune_local(args.pop("param_grids"), **args, n_jobs=1, progress=False)
    assert model.params["ml_l"]["d"] == [None]  # nothing was set


def test_models_not_yet_tunable_say_so_and_a_failing_candidate_is_named(plr_data):
    from doubleml.plm.datasets import make_lplr_LZZ2020

    from pydmlserverless import DoubleMLLPLRServerless

    np.random.seed(4)
    lplr = DoubleMLLPLRServerless(None, None, make_lplr_LZZ2020(n_obs=200, dim_x=20), LogisticRegression(), Lasso(),
                                  Lasso(), n_folds=2, n_folds_inner=2)  # fmt: skip
    with pytest.raises(ConfigurationError, match="A backend tuning of DoubleMLLPLRServerless is not available yet"):
        grids = {"ml_M": {"C": [1.0]}, "ml_t": LASSO_GRID, "ml_m": LASSO_GRID, "ml_a": LASSO_GRID}
        lplr.tune_local(grids, n_jobs=1, progress=False)
    model = DoubleMLPLRServerless(None, None, plr_data, RandomForestRegressor(), Lasso(), n_folds=2)
    bad = {"ml_l": {"max_depth": [2, -3]}, "ml_m": LASSO_GRID}  # -3 is refused by the forest's fit
    with pytest.raises(TaskError, match=r"sub-model 'tune/d/ml_l/r0/f0/c1'"):
        model.tune_local(bad, n_jobs=1, progress=False, resume=False)
    assert model.params["ml_l"]["d"] == [None]


def test_classifier_tuning_with_the_default_score_is_accuracy(irm_data):
    from sklearn.model_selection import GridSearchCV, KFold

    learners = (RandomForestRegressor(random_state=0), RandomForestClassifier(n_estimators=10, random_state=0))
    model = DoubleMLIRMServerless(None, None, irm_data, *learners, n_folds=2)
    np.random.seed(5)
    res = model.tune_local({"ml_g": {"max_depth": [2]}, "ml_m": {"max_depth": [1, 3]}}, n_jobs=1, progress=False,
                           return_tune_res=True)  # fmt: skip
    m_search = res[0]["tune_res"]["m_tune"][0]
    x, d = irm_data.x, irm_data.d
    np.random.seed(5)  # DoubleML's order: g0, g1, then m, each splitting its rows
    for rows in (np.flatnonzero(d == 0), np.flatnonzero(d == 1)):
        list(KFold(5, shuffle=True).split(rows))
    search = GridSearchCV(learners[1], {"max_depth": [1, 3]}, cv=KFold(5, shuffle=True)).fit(x, d)
    np.testing.assert_allclose(m_search.cv_results_["mean_test_score"], search.cv_results_["mean_test_score"])
    assert m_search.best_params_ == search.best_params_


def _further_cases():
    from doubleml.did.datasets import make_did_SZ2020
    from doubleml.irm.datasets import make_iivm_data, make_irm_data_discrete_treatments

    np.random.seed(6)
    raw = make_irm_data_discrete_treatments(n_obs=300)
    discrete = dml.DoubleMLData.from_arrays(raw["x"], raw["y"], raw["d"])
    g, m = RandomForestRegressor(n_estimators=10, random_state=0), LogisticRegression()
    g_grid, m_grid = {"max_depth": [2, 4]}, {"C": [0.1, 1.0, 10.0]}
    iivm_data = make_iivm_data(n_obs=400, dim_x=5, alpha_x=1.0)
    from doubleml.plm.datasets import make_plpr_CP2025

    panel = dml.DoubleMLPanelData(make_plpr_CP2025(num_id=60, num_t=4, dim_x=4), "y", "d", "time", "id",
                                  static_panel=True)  # fmt: skip
    lasso = Lasso(random_state=0)
    return {
        "plpr cre_normal": (dml.DoubleMLPLPR, panel, (lasso, lasso), {"approach": "cre_normal"},
                            {"ml_l": LASSO_GRID, "ml_m": LASSO_GRID}),
        "plpr fd_exact": (dml.DoubleMLPLPR, panel, (lasso, lasso), {"approach": "fd_exact"},
                          {"ml_l": LASSO_GRID, "ml_m": LASSO_GRID}),
        "iivm": (dml.DoubleMLIIVM, iivm_data, (g, m, LogisticRegression()), {},
                 {"ml_g": g_grid, "ml_m": m_grid, "ml_r": m_grid}),
        "iivm, no always-takers": (dml.DoubleMLIIVM, iivm_data, (g, m, LogisticRegression()),
                                   {"subgroups": {"always_takers": False, "never_takers": True}},
                                   {"ml_g": g_grid, "ml_m": m_grid, "ml_r": m_grid}),
        "apo": (dml.DoubleMLAPO, discrete, (g, m), {"treatment_level": 1}, {"ml_g": g_grid, "ml_m": m_grid}),
        "did": (dml.DoubleMLDID, make_did_SZ2020(n_obs=300, return_type="DoubleMLDIDData"), (g, m), {},
                {"ml_g": g_grid, "ml_m": m_grid}),
        "didcs": (dml.DoubleMLDIDCS, make_did_SZ2020(n_obs=400, cross_sectional_data=True,
                                                     return_type="DoubleMLDIDData"), (g, m), {},
                  {"ml_g": g_grid, "ml_m": m_grid}),
    }  # fmt: skip


FURTHER = _further_cases()


@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize("tune_on_folds", [False, True])
@pytest.mark.parametrize("case", list(FURTHER))
def test_further_models_tune_as_doubleml_tunes_them(case, tune_on_folds):
    import pydmlserverless

    plain_cls, data, learners, kwargs, grids = FURTHER[case]
    cls = getattr(pydmlserverless, f"{plain_cls.__name__}Serverless")
    ours, plain = _pair(cls, plain_cls, data, learners, n_folds=2, **kwargs)
    mine, theirs = _tune_both(ours, plain, grids, tune_on_folds=tune_on_folds, n_folds_tune=3)
    mine, theirs = (mine[0][0], theirs[0][0]) if tune_on_folds else (mine[0], theirs[0])
    assert mine["tune_res"].keys() == theirs["tune_res"].keys()
    untuned = [key for key, value in theirs["tune_res"].items() if value is None]
    assert [key for key, value in mine["tune_res"].items() if value is None] == untuned
    _assert_same_searches(
        {**mine, "tune_res": {k: v for k, v in mine["tune_res"].items() if v is not None}},
        {**theirs, "tune_res": {k: v for k, v in theirs["tune_res"].items() if v is not None}},
    )
    assert ours.params == plain.params
    ours.fit_local(n_jobs=2, progress=False)
    plain.fit()
    np.testing.assert_allclose(ours.coef, plain.coef, rtol=1e-9)


@pytest.mark.parametrize("scaling", ["n_folds * n_rep", "n_rep"])
@pytest.mark.parametrize("tune_on_folds", [False, True])
def test_plr_iv_type_tunes_ml_g_on_doubleml_first_round_estimate(plr_data, tune_on_folds, scaling):
    learners = tuple(Lasso(random_state=0) for _ in range(3))
    ours, plain = _pair(DoubleMLPLRServerless, dml.DoubleMLPLR, plr_data, learners, n_folds=3, score="IV-type")
    grids = {"ml_l": LASSO_GRID, "ml_m": LASSO_GRID, "ml_g": LASSO_GRID}
    np.random.seed(11)
    with pytest.warns(FutureWarning):
        theirs = plain.tune(grids, tune_on_folds=tune_on_folds, return_tune_res=True)
    np.random.seed(11)
    mine = ours.tune_local(grids, tune_on_folds=tune_on_folds, n_jobs=2, progress=False, return_tune_res=True,
                           scaling=scaling)  # fmt: skip
    mine, theirs = (mine[0][0], theirs[0][0]) if tune_on_folds else (mine[0], theirs[0])
    _assert_same_searches(mine, theirs)  # ml_g's scores on y - theta_initial d included
    assert ours.params == plain.params
    ours.fit_local(n_jobs=2, progress=False)
    plain.fit()
    np.testing.assert_allclose(ours.coef, plain.coef, rtol=1e-9)


@pytest.mark.parametrize(("dim_z", "score"), [(1, "partialling out"), (1, "IV-type"), (2, "partialling out")])
def test_pliv_tuning_chooses_what_doubleml_chooses(dim_z, score):
    from doubleml.plm.datasets import make_pliv_CHS2015

    from pydmlserverless import DoubleMLPLIVServerless

    np.random.seed(8)
    data = make_pliv_CHS2015(n_obs=300, dim_x=5, dim_z=dim_z)
    learners = tuple(Lasso(random_state=0) for _ in range(4 if score == "IV-type" else 3))
    ours, plain = _pair(DoubleMLPLIVServerless, dml.DoubleMLPLIV, data, learners, n_folds=2, score=score)
    grids = {name: LASSO_GRID for name in ("ml_l", "ml_m", "ml_r", "ml_g")[: len(learners)]}
    mine, theirs = _tune_both(ours, plain, grids, n_folds_tune=3)
    mine, theirs = mine[0], theirs[0]
    if dim_z > 1:  # DoubleML's layout: ml_m's searches per instrument
        assert sorted(mine["tune_res"]["m_tune"]) == sorted(theirs["tune_res"]["m_tune"]) == ["Z1", "Z2"]
        for z in ("Z1", "Z2"):
            _assert_same_searches({"params": {}, "tune_res": {"m": mine["tune_res"]["m_tune"][z]}},
                                  {"params": {}, "tune_res": {"m": theirs["tune_res"]["m_tune"][z]}})  # fmt: skip
        mine = {**mine, "tune_res": {k: v for k, v in mine["tune_res"].items() if k != "m_tune"}}
        theirs = {**theirs, "tune_res": {k: v for k, v in theirs["tune_res"].items() if k != "m_tune"}}
    _assert_same_searches(mine, theirs)
    assert ours.params == plain.params
    ours.fit_local(n_jobs=2, progress=False)
    plain.fit()
    np.testing.assert_allclose(ours.coef, plain.coef, rtol=1e-9)
