"""One parameter check for every path a parameter takes: spec, per-fold parameters, grids, Optuna trials.

The attacker may invoke the function with any JSON; LightGBM's ``set_params`` keeps any key, and
its data-parallel learner connects to the ``machines`` a payload names. Every refusal here comes
before the estimator is fitted (the test's stand-in for ``fit`` records any call).
"""

from __future__ import annotations

import doubleml as dml
import lightgbm
import numpy as np
import optuna
import pytest
import xgboost
from doubleml.plm.datasets import make_plr_CCDDHNR2018
from sklearn.linear_model import Lasso, LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from pydmlserverless import DoubleMLPLRServerless, LearnerError
from pydmlserverless.worker.handler import handle_event
from pydmlserverless.worker.learner_parameters import FORBIDDEN_PARAMETERS, allowed_parameters, check_parameters
from pydmlserverless.worker.learners import decode_learner, encode_learner

from .test_payload_security import staged  # noqa: F401  (the fixture: a staged task and its worker config)


@pytest.fixture
def fits(monkeypatch):
    """Every LightGBM and XGBoost fit in this process, recorded (and refused, so that nothing connects)."""
    calls: list[str] = []

    def refuse(self, *args, **kwargs):
        calls.append(type(self).__name__)
        raise AssertionError("fit ran")

    for cls in (lightgbm.LGBMRegressor, xgboost.XGBRegressor):
        monkeypatch.setattr(cls, "fit", refuse)
    return calls


@pytest.mark.parametrize(
    ("name", "value"),
    [("machines", "127.0.0.1:12400,127.0.0.1:12401"), ("num_machines", 2), ("local_listen_port", 12400),
     ("mlist", "/etc/hosts"), ("workers", "127.0.0.1:1"), ("forcedsplits_filename", "/etc/passwd"),
     ("fs", "/etc/passwd"), ("output_model", "/tmp/model.txt"), ("save_binary", True), ("input_model", "/x"),
     ("config", "/x.conf"), ("snapshot_freq", 1), ("task", "predict")],
)  # fmt: skip
def test_lightgbm_network_and_file_parameters_are_refused_per_fold_before_any_fit(staged, fits, name, value):  # noqa: F811
    _, event, config = staged
    event = dict(event, learner=encode_learner(lightgbm.LGBMRegressor(n_estimators=2)), params=[{name: value}] * 2)
    with pytest.raises(LearnerError, match=f"'{name}' of LGBMRegressor"):
        handle_event(event, config)
    assert fits == []


def test_the_same_parameters_are_refused_in_the_spec_and_in_a_nested_step(staged, fits):  # noqa: F811
    _, event, config = staged
    spec = encode_learner(lightgbm.LGBMRegressor(n_estimators=2))
    spec["params"]["machines"] = "127.0.0.1:12400"
    with pytest.raises(LearnerError, match="'machines' of LGBMRegressor makes the estimator connect"):
        handle_event(dict(event, learner=spec), config)
    pipeline = encode_learner(make_pipeline(StandardScaler(), lightgbm.LGBMRegressor(n_estimators=2)))
    per_fold = [{"lgbmregressor__local_listen_port": 12400}] * 2
    with pytest.raises(LearnerError, match="'lgbmregressor__local_listen_port' of LGBMRegressor"):
        handle_event(dict(event, learner=pipeline, params=per_fold), config)
    with pytest.raises(LearnerError, match="has no nested estimator 'nosuchstep'"):
        handle_event(dict(event, learner=pipeline, params=[{"nosuchstep__alpha": 1}] * 2), config)
    assert fits == []


def test_xgboost_takes_its_documented_parameters_and_nothing_else(staged, fits):  # noqa: F811
    _, event, config = staged
    spec = encode_learner(xgboost.XGBRegressor(n_estimators=2, eval_metric="rmse"))
    for bad, message in ({"model_out": "/tmp/x"}, "makes the estimator write a file"), ({"anything": 1}, "no param"):
        with pytest.raises(LearnerError, match=message):
            handle_event(dict(event, learner=spec, params=[bad] * 2), config)
    assert fits == []
    check_parameters(xgboost.XGBRegressor(), {"eta": 0.1, "lambda": 1.0, "max_cat_to_onehot": 4}, "params")


def test_lightgbm_documented_parameters_and_aliases_travel():
    learner = lightgbm.LGBMRegressor(verbose=-1, min_data_in_leaf=5, feature_fraction=0.8)
    again = decode_learner(encode_learner(learner))
    assert again.get_params()["verbose"] == -1 and again.get_params()["min_data_in_leaf"] == 5
    check_parameters(learner, {"bagging_fraction": 0.5, "num_threads": 1, "seed": 3}, "params")


def test_every_lightgbm_parameter_that_names_a_file_machine_or_port_is_forbidden():
    """A guard against a LightGBM release adding such a parameter: each is refused or reviewed here."""
    from lightgbm.basic import _ConfigAliases

    words = {"file", "filename", "machine", "machines", "port", "model", "output", "input", "save", "binary", "config"}
    flagged = [
        main
        for main in _ConfigAliases._get_all_param_aliases()
        if words & set(main.split("_")) or main in ("data", "valid", "task")
    ]
    assert len(flagged) >= 15
    for main in flagged:
        assert main in FORBIDDEN_PARAMETERS["lightgbm"], main
        assert main not in allowed_parameters(lightgbm.LGBMRegressor)


@pytest.fixture
def plr():
    np.random.seed(11)
    data = make_plr_CCDDHNR2018(n_obs=120, dim_x=4)
    return lambda learner: DoubleMLPLRServerless(None, None, data, learner, learner, n_folds=2)


def test_set_ml_nuisance_params_cannot_carry_a_forbidden_parameter(plr, fits):
    model = plr(lightgbm.LGBMRegressor(n_estimators=2))
    model.set_ml_nuisance_params("ml_l", "d", {"machines": "127.0.0.1:12400", "num_machines": 2})
    with pytest.raises(LearnerError, match="'machines' of LGBMRegressor"):
        model.fit_local(n_jobs=1, progress=False)
    assert fits == [] and np.isnan(model.coef).all()


def test_a_tuning_grid_with_a_forbidden_parameter_is_refused_before_any_task(plr, fits):
    model = plr(lightgbm.LGBMRegressor(n_estimators=2))
    grids = {"ml_l": {"n_estimators": [2, 3]}, "ml_m": {"machines": ["127.0.0.1:12400"]}}
    with pytest.raises(LearnerError, match=r"param_grids\['ml_m'\]: the parameter 'machines'"):
        model.tune_local(grids, n_jobs=1, progress=False)
    with pytest.raises(LearnerError, match=r"param_grids\['ml_l'\]: Lasso has no parameter 'max_depth'"):
        plr(Lasso()).tune_local({"ml_l": [{"alpha": [0.1]}, {"max_depth": [2]}], "ml_m": {"alpha": [0.1]}}, n_jobs=1)
    assert fits == []


def test_an_optuna_trial_with_a_forbidden_parameter_runs_no_task(plr, fits):
    model = plr(lightgbm.LGBMRegressor(n_estimators=2))

    def space(trial):
        return {"n_estimators": trial.suggest_int("n_estimators", 2, 3), "machines": "127.0.0.1:12400"}

    settings = {"n_trials": 2, "sampler": optuna.samplers.RandomSampler(seed=1), "verbosity": optuna.logging.WARNING}
    with pytest.raises(LearnerError, match="'machines' of LGBMRegressor"):
        model.tune_ml_models_local({"ml_l": space, "ml_m": space}, optuna_settings=settings, n_jobs=1, progress=False)
    assert fits == []


def test_lgbm_regressor_with_verbose_minus_one_gives_doubleml_s_coefficient(plr):
    learner = lightgbm.LGBMRegressor(n_estimators=20, verbose=-1, random_state=3)
    ours = plr(learner)
    theirs = dml.DoubleMLPLR(ours._dml_data, learner, learner, n_folds=2, draw_sample_splitting=False)
    theirs.set_sample_splitting(ours.smpls)
    ours.fit_local(n_jobs=1, progress=False)
    theirs.fit()
    np.testing.assert_allclose(ours.coef, theirs.coef, rtol=1e-12)
    np.testing.assert_allclose(ours.se, theirs.se, rtol=1e-12)


def test_a_parameter_the_learner_does_not_have_is_named_with_what_it_takes():
    with pytest.raises(LearnerError, match=r"LinearRegression has no parameter 'alpha'; it takes \['copy_X'"):
        check_parameters(LinearRegression(), {"alpha": 1.0}, "params")
