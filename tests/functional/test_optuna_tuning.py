"""tune_ml_models_local(): DoubleML's tune_ml_models() (Optuna) with every trial's cv folds as tasks.

Parity: with a seeded sampler and the same np.random seed before the models are made, our studies
hold DoubleML's trials (parameters and values), choose its parameters, and the fit after it gives
its estimates. The learners draw nothing from NumPy's global generator (Lasso's fit does unless
its random_state is fixed), so that an unseeded ``cv`` splits as DoubleML's does.
"""

from __future__ import annotations

import re
import warnings

import doubleml as dml
import numpy as np
import optuna
import pandas as pd
import pytest
from doubleml.did.datasets import make_did_SZ2020
from doubleml.irm.datasets import make_iivm_data, make_irm_data
from doubleml.plm.datasets import make_plr_CCDDHNR2018
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import Lasso, LogisticRegression
from sklearn.model_selection import KFold, cross_val_score

import pydmlserverless as pds
from pydmlserverless import ConfigurationError, DoubleMLIRMServerless, DoubleMLPLRServerless, TaskError
from tests.backend_calls import VIAS, on_local

RTOL = 1e-10


@pytest.fixture(autouse=True)
def _quiet_optuna():
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    yield
    optuna.logging.set_verbosity(verbosity)


def lasso_space(trial):
    return {"alpha": trial.suggest_float("alpha", 1e-3, 1.0, log=True)}


def logit_space(trial):
    return {"C": trial.suggest_float("C", 1e-2, 10.0, log=True)}


def forest_space(trial):
    return {
        "max_depth": trial.suggest_int("max_depth", 2, 6),
        "min_samples_leaf": trial.suggest_int("min_samples_leaf", 1, 10),
    }


def _seeded(seed, make, **kwargs):
    np.random.seed(seed)
    return make(**kwargs)


def _lasso():
    return Lasso(random_state=0)


def _plr_data():
    np.random.seed(1)
    return make_plr_CCDDHNR2018(n_obs=240, dim_x=5)


def _irm_data():
    np.random.seed(2)
    return make_irm_data(n_obs=300, dim_x=5)


def _apos_data():
    from doubleml.irm.datasets import make_irm_data_discrete_treatments

    np.random.seed(4)
    raw = make_irm_data_discrete_treatments(n_obs=240)
    frame = pd.DataFrame(raw["x"], columns=[f"x{i}" for i in range(raw["x"].shape[1])]).assign(y=raw["y"], d=raw["d"])
    return dml.DoubleMLData(frame, "y", "d")


def _plpr_data():
    from doubleml.plm.datasets import make_plpr_CP2025

    np.random.seed(15)
    frame = make_plpr_CP2025(num_id=50, num_t=4, dim_x=4)
    return dml.DoubleMLPanelData(frame, "y", "d", "time", "id", static_panel=True)


def _didmulti_data():
    from doubleml.did.datasets import make_did_CS2021

    np.random.seed(12)
    frame = make_did_CS2021(n_obs=200, dgp_type=1)
    return dml.DoubleMLPanelData(frame, y_col="y", d_cols="d", t_col="t", id_col="id", x_cols=["Z1", "Z2", "Z3", "Z4"])


def _didmulti():
    from doubleml.did import DoubleMLDIDMulti

    return DoubleMLDIDMulti


#: name: (our class, DoubleML's class (or a factory), data, learners, spaces, model kwargs, tune kwargs)
CASES = {
    "PLR": (DoubleMLPLRServerless, dml.DoubleMLPLR, _plr_data, lambda: [_lasso(), _lasso()],
            {"ml_l": lasso_space, "ml_m": lasso_space}, {}, {}),
    "PLR IV-type, unseeded cv": (DoubleMLPLRServerless, dml.DoubleMLPLR, _plr_data, lambda: [_lasso()] * 3,
                                 {"ml_l": lasso_space, "ml_m": lasso_space, "ml_g": lasso_space},
                                 {"score": "IV-type"}, {"cv": KFold(3, shuffle=True)}),
    "PLR forest, ml_m untuned": (DoubleMLPLRServerless, dml.DoubleMLPLR, _plr_data,
                                 lambda: [RandomForestRegressor(n_estimators=10, random_state=1), _lasso()],
                                 {"ml_l": forest_space}, {}, {"cv": 3}),
    "IRM forest": (DoubleMLIRMServerless, dml.DoubleMLIRM, _irm_data,
                   lambda: [RandomForestRegressor(n_estimators=10, random_state=1),
                            RandomForestClassifier(n_estimators=10, random_state=1)],
                   {"ml_g": forest_space, "ml_m": forest_space}, {}, {}),
    "IRM named scorers": (DoubleMLIRMServerless, dml.DoubleMLIRM, _irm_data, lambda: [_lasso(), LogisticRegression()],
                          {"ml_g0": lasso_space, "ml_g1": lasso_space, "ml_m": logit_space}, {},
                          {"scoring_methods": {"ml_g0": "neg_mean_squared_error", "ml_m": "roc_auc"}}),
    "IIVM": (pds.DoubleMLIIVMServerless, dml.DoubleMLIIVM, lambda: _seeded(3, make_iivm_data, n_obs=300, dim_x=5),
             lambda: [_lasso(), LogisticRegression(), LogisticRegression()],
             {"ml_g": lasso_space, "ml_m": logit_space, "ml_r": logit_space},
             {"subgroups": {"always_takers": False, "never_takers": True}}, {}),
    "APO": (pds.DoubleMLAPOServerless, dml.DoubleMLAPO, _irm_data, lambda: [_lasso(), LogisticRegression()],
            {"ml_g": lasso_space, "ml_m": logit_space}, {"treatment_level": 1}, {}),
    "DID": (pds.DoubleMLDIDServerless, dml.DoubleMLDID, lambda: _seeded(5, make_did_SZ2020, n_obs=300),
            lambda: [_lasso(), LogisticRegression()], {"ml_g": lasso_space, "ml_m": logit_space}, {}, {}),
    "DIDCS": (pds.DoubleMLDIDCSServerless, dml.DoubleMLDIDCS,
              lambda: _seeded(6, make_did_SZ2020, n_obs=300, cross_sectional_data=True),
              lambda: [_lasso(), LogisticRegression()], {"ml_g": lasso_space, "ml_m": logit_space}, {}, {}),
    "PLPR cre_normal": (pds.DoubleMLPLPRServerless, dml.DoubleMLPLPR, _plpr_data, lambda: [_lasso(), _lasso()],
                        {"ml_l": lasso_space, "ml_m": lasso_space}, {"approach": "cre_normal"}, {}),
    "APOS": (pds.DoubleMLAPOSServerless, dml.DoubleMLAPOS, _apos_data, lambda: [_lasso(), LogisticRegression()],
             {"ml_g": lasso_space, "ml_m": logit_space}, {"treatment_levels": [0, 1]}, {}),
    "DIDMulti": (pds.DoubleMLDIDMultiServerless, "didmulti", _didmulti_data, lambda: [_lasso(), LogisticRegression()],
                 {"ml_g": lasso_space, "ml_m": logit_space},
                 {"gt_combinations": "standard", "control_group": "not_yet_treated", "n_folds": 2}, {}),
}  # fmt: skip


def _settings(n_trials=4, **more):
    return {"n_trials": n_trials, "sampler": optuna.samplers.TPESampler(seed=3), **more}


def _assert_same_results(mine, theirs):
    assert len(mine) == len(theirs)
    for ours_d, theirs_d in zip(mine, theirs, strict=True):
        assert list(ours_d) == list(theirs_d)
        for name, expected in theirs_d.items():
            got = ours_d[name]
            if expected is None:
                assert got is None
                continue
            assert type(got) is type(expected)  # DoubleML's DMLOptunaResult
            assert (got.learner_name, got.params_name, got.tuned) == (expected.learner_name, expected.params_name,
                                                                      expected.tuned)  # fmt: skip
            assert got.best_params == expected.best_params
            assert got.scoring_method == expected.scoring_method
            if not expected.tuned:
                assert got.study is None and np.isnan(got.best_score)
                continue
            assert got.best_score == pytest.approx(expected.best_score, rel=RTOL)
            assert [t.params for t in got.study.trials] == [t.params for t in expected.study.trials]
            np.testing.assert_allclose(_values(got.study), _values(expected.study), rtol=RTOL)


def _values(study):
    return [np.nan if t.value is None else t.value for t in study.trials]


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("case", list(CASES))
def test_tune_ml_models_local_equals_doubleml(case, via):
    ours_cls, plain_cls, make_data, learners, spaces, model_kwargs, tune_kwargs = CASES[case]
    plain_cls = _didmulti() if plain_cls == "didmulti" else plain_cls
    data = make_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # DoubleML's warnings on the small samples' propensities
        np.random.seed(7)
        ours = ours_cls(None, None, data, *learners(), **model_kwargs)
        np.random.seed(7)
        plain = plain_cls(data, *learners(), **model_kwargs)
        np.random.seed(9)  # an unseeded cv draws from it
        mine = on_local(ours, "tune_ml_models", via, spaces, optuna_settings=_settings(), return_tune_res=True,
                        n_jobs=2, progress=False, **tune_kwargs)  # fmt: skip
        np.random.seed(9)
        theirs = plain.tune_ml_models(spaces, optuna_settings=_settings(), return_tune_res=True, **tune_kwargs)
        _assert_same_results(mine, theirs)
        on_local(ours, "fit", via, n_jobs=2, progress=False, seed=None)
        plain.fit()
    np.testing.assert_allclose(ours.coef, plain.coef, rtol=RTOL)
    np.testing.assert_allclose(ours.se, plain.se, rtol=RTOL)
    assert ours.tune_report.n_tasks == len(ours.tune_metrics) > 0


def _count_rounds(monkeypatch):
    from pydmlserverless.backends.local import LocalBackend

    rounds: list[int] = []
    run = LocalBackend.run
    monkeypatch.setattr(LocalBackend, "run", lambda self, tasks: rounds.append(len(tasks)) or run(self, tasks))
    return rounds


def test_studies_with_their_own_samplers_run_at_once_and_still_equal_doubleml(monkeypatch):
    data = _irm_data()
    spaces = {"ml_g": lasso_space, "ml_m": logit_space}

    def own_samplers():
        return {"n_trials": 4, **{name: {"sampler": optuna.samplers.TPESampler(seed=seed)}
                                  for name, seed in (("ml_g0", 4), ("ml_g1", 5), ("ml_m", 6))}}  # fmt: skip

    rounds = _count_rounds(monkeypatch)
    np.random.seed(7)
    ours = DoubleMLIRMServerless(None, None, data, _lasso(), LogisticRegression())
    mine = ours.tune_ml_models_local(spaces, optuna_settings=own_samplers(), return_tune_res=True, n_jobs=2,
                                     progress=False)  # fmt: skip
    assert rounds == [3 * 5] * 4  # a trial of each study per round, each trial's 5 folds
    rounds.clear()
    ours.tune_ml_models_local(spaces, optuna_settings=_settings(), n_jobs=2, progress=False)
    assert rounds == [5] * 12  # one shared sampler: the studies one after another, one trial at a time
    np.random.seed(7)
    plain = dml.DoubleMLIRM(data, _lasso(), LogisticRegression())
    _assert_same_results(mine, plain.tune_ml_models(spaces, optuna_settings=own_samplers(), return_tune_res=True))


def test_n_jobs_optuna_evaluates_batches_of_asked_trials(monkeypatch):
    """k trials asked before any is told: Optuna's own ask/tell batch, reproducible with a seeded sampler."""
    data = _plr_data()
    rounds = _count_rounds(monkeypatch)
    results = []
    for _ in range(2):
        np.random.seed(7)
        model = DoubleMLPLRServerless(None, None, data, _lasso(), _lasso())
        settings = _settings(7, n_jobs_optuna=3)
        results.append(model.tune_ml_models_local({"ml_l": lasso_space}, optuna_settings=settings, return_tune_res=True,
                                                  n_jobs=2, progress=False, resume=False))  # fmt: skip
    assert rounds[:3] == [3 * 5, 3 * 5, 1 * 5]  # 7 trials: batches of 3, 3, 1
    _assert_same_results(results[0], results[1])

    x, y = data.data[data.x_cols].to_numpy(), data.data[data.y_col].to_numpy()
    reference = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=3))
    cv = KFold(5, shuffle=True, random_state=42)
    for size in (3, 3, 1):
        batch = [reference.ask() for _ in range(size)]
        for trial in batch:
            learner = _lasso().set_params(**lasso_space(trial))
            scores = cross_val_score(learner, x, y, cv=cv, scoring="neg_root_mean_squared_error")
            reference.tell(trial, float(np.nanmean(scores)))
    study = results[0][0]["ml_l"].study
    assert [t.params for t in study.trials] == [t.params for t in reference.trials]
    np.testing.assert_allclose([t.value for t in study.trials], [t.value for t in reference.trials], rtol=RTOL)


def test_scaling_n_rep_chooses_the_same_and_a_rerun_resumes_every_task():
    data = _plr_data()
    spaces = {"ml_l": lasso_space, "ml_m": lasso_space}
    runs = {}
    for scaling in ("n_folds * n_rep", "n_rep", "n_rep"):
        np.random.seed(7)
        model = DoubleMLPLRServerless(None, None, data, _lasso(), _lasso())
        res = model.tune_ml_models_local(spaces, optuna_settings=_settings(), return_tune_res=True, n_jobs=2,
                                         progress=False, scaling=scaling)  # fmt: skip
        runs.setdefault(scaling, []).append((model, res))
    _assert_same_results(runs["n_rep"][0][1], runs["n_folds * n_rep"][0][1])
    assert runs["n_rep"][0][0].tune_report.n_tasks == 8  # one task per trial
    assert runs["n_folds * n_rep"][0][0].tune_report.n_tasks == 40  # one per trial and fold
    again = runs["n_rep"][1][0].tune_report
    assert (again.n_tasks, again.n_resumed) == (0, 8)


def test_callbacks_stop_timeouts_and_catch_behave_as_in_doubleml():
    data = _plr_data()

    def stop_after_three(study, trial):
        if trial.number >= 2:
            study.stop()

    def bad_depth(trial):  # max_depth < 1 is refused by the forest's fit, in the worker
        return {"max_depth": trial.suggest_int("max_depth", -3, 4)}

    learners = (RandomForestRegressor(n_estimators=5, random_state=0), _lasso())
    cases = [
        ({"ml_l": lasso_space, "ml_m": lasso_space}, (_lasso(), _lasso()), {"callbacks": [stop_after_three]}),
        ({"ml_l": bad_depth, "ml_m": lasso_space}, learners, {"catch": (ValueError,)}),
    ]
    for spaces, pair, more in cases:
        np.random.seed(7)
        ours = DoubleMLPLRServerless(None, None, data, *pair)
        mine = ours.tune_ml_models_local(spaces, optuna_settings=_settings(6, **more), return_tune_res=True,
                                         n_jobs=2, progress=False)  # fmt: skip
        np.random.seed(7)
        plain = dml.DoubleMLPLR(data, *pair)
        theirs = plain.tune_ml_models(spaces, optuna_settings=_settings(6, **more), return_tune_res=True)
        _assert_same_results(mine, theirs)
        states = [t.state.name for t in mine[0]["ml_l"].study.trials]
        assert states == [t.state.name for t in theirs[0]["ml_l"].study.trials]
    assert len(states) == 6 and "FAIL" in states

    np.random.seed(7)
    model = DoubleMLPLRServerless(None, None, data, *learners)
    # every fold of trial 2 fails; the 2 processes report whichever fails first
    with pytest.raises(TaskError, match=r"Optuna trial 2 of treatment 'd', ml_l \(parameters \{'max_depth': -1\}\) "
                                        r"failed in cv fold\(s\) \[\d\]: .*InvalidParameterError"):  # fmt: skip
        model.tune_ml_models_local({"ml_l": bad_depth}, optuna_settings=_settings(6), n_jobs=2, progress=False)
    assert model.params["ml_l"]["d"] == [None]  # nothing was set
    with pytest.raises(RuntimeError, match="Optuna optimization failed to produce any complete trials."):
        model.tune_ml_models_local({"ml_l": lasso_space}, optuna_settings=_settings(timeout=1e-9), n_jobs=1,
                                   progress=False)  # fmt: skip
    with pytest.raises(RuntimeError, match="Optuna optimization failed to produce any complete trials."):
        dml.DoubleMLPLR(data, *learners).tune_ml_models({"ml_l": lasso_space}, optuna_settings=_settings(timeout=1e-9))


def test_arguments_are_checked_as_doubleml_checks_them_before_anything_runs(monkeypatch):
    data = _plr_data()
    rounds = _count_rounds(monkeypatch)
    ours = DoubleMLPLRServerless(None, None, data, _lasso(), _lasso())
    plain = dml.DoubleMLPLR(data, _lasso(), _lasso())
    bad_calls = [
        {"ml_param_space": {"ml_x": lasso_space}},
        {"ml_param_space": {}},
        {"ml_param_space": {"ml_l": {"alpha": [0.1]}}},
        {"ml_param_space": {"ml_l": lasso_space}, "scoring_methods": {"ml_x": "r2"}},
        {"ml_param_space": {"ml_l": lasso_space}, "cv": 1},
        {"ml_param_space": {"ml_l": lasso_space}, "cv": "five"},
        {"ml_param_space": {"ml_l": lasso_space}, "optuna_settings": {"ml_x": {}}},
        {"ml_param_space": {"ml_l": lasso_space}, "optuna_settings": {"ml_l": 3}},
        {"ml_param_space": {"ml_l": lasso_space}, "set_as_params": 1},
        {"ml_param_space": {"ml_l": lasso_space}, "return_tune_res": "yes"},
    ]
    for call in bad_calls:
        with pytest.raises((ValueError, TypeError)) as theirs:
            plain.tune_ml_models(**call)
        message = str(theirs.value).replace("DoubleMLPLR:", "DoubleMLPLRServerless:")  # DoubleML names the class
        with pytest.raises(type(theirs.value), match=f"^{re.escape(message)}$"):
            ours.tune_ml_models_local(**call, n_jobs=1, progress=False)

    def not_a_dict(trial):
        return [trial.suggest_float("alpha", 0.1, 1.0)]

    with pytest.raises(TypeError, match="param function must return a dict. Got list."):
        ours.tune_ml_models_local({"ml_l": not_a_dict}, n_jobs=1, progress=False)
    with pytest.raises(ConfigurationError, match="is not a scorer name"):
        ours.tune_ml_models_local({"ml_l": lasso_space}, scoring_methods={"ml_l": lambda est, x, y: 0.0},
                                  n_jobs=1, progress=False)  # fmt: skip
    iv = pds.DoubleMLPLIVServerless(None, None, dml.DoubleMLData(data.data.assign(z=data.data["d"] + 1.0), "y", "d",
                                                                 z_cols="z"),
                                    _lasso(), _lasso(), _lasso(), _lasso(), score="IV-type")  # fmt: skip
    with pytest.raises(ConfigurationError, match="DoubleML's own tune_ml_models\\(\\) cannot tune PLIV's IV-type"):
        iv.tune_ml_models_local({"ml_l": lasso_space}, n_jobs=1, progress=False)
    assert rounds == []  # nothing ran
    assert ours.params["ml_l"]["d"] == [None]


def test_containers_have_no_grid_tune_as_in_doubleml_and_lplr_says_it_is_not_tunable():
    from doubleml.plm.datasets import make_lplr_LZZ2020

    apos = pds.DoubleMLAPOSServerless(None, None, _apos_data(), _lasso(), LogisticRegression(), treatment_levels=[0, 1])
    assert not hasattr(dml.DoubleMLAPOS, "tune")
    with pytest.raises(AttributeError, match="DoubleML's DoubleMLAPOS has no tune\\(\\).*tune_ml_models_local"):
        apos.tune_local({"ml_g": {"alpha": [0.1]}, "ml_m": {"C": [1.0]}})
    np.random.seed(3)
    lplr_data = make_lplr_LZZ2020(n_obs=200, dim_x=20)
    lplr = pds.DoubleMLLPLRServerless(None, None, lplr_data, LogisticRegression(), _lasso(), _lasso())
    with pytest.raises(ConfigurationError, match="A backend tuning of DoubleMLLPLRServerless is not available yet"):
        lplr.tune_ml_models_local({"ml_M": logit_space}, n_jobs=1, progress=False)
