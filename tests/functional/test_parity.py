"""Parity with plain DoubleML on identical splits and identically seeded learners."""

from __future__ import annotations

import doubleml as dml
import numpy as np
import pandas as pd
import pytest
from doubleml.irm.datasets import make_iivm_data, make_irm_data
from doubleml.plm.datasets import make_pliv_CHS2015, make_plr_CCDDHNR2018
from doubleml.utils import PSProcessorConfig
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LassoCV, LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from pydmlserverless import DoubleMLIIVMServerless, DoubleMLIRMServerless, DoubleMLPLIVServerless, DoubleMLPLRServerless
from tests.backend_calls import VIAS, on_local
from tests.conftest import plain_twin

SCALINGS = ["n_folds * n_rep", "n_rep"]
RTOL = 1e-9


def _rf_reg():
    return RandomForestRegressor(n_estimators=8, max_depth=4, random_state=1, n_jobs=1)


def _rf_clf():
    return RandomForestClassifier(n_estimators=8, max_depth=4, random_state=1, n_jobs=1)


def _plr_data(n_treat=1):
    np.random.seed(11)
    data = make_plr_CCDDHNR2018(n_obs=300, dim_x=6, return_type="DataFrame")
    if n_treat == 2:
        data["d2"] = data["X1"] * 0.5 + np.random.normal(size=len(data))
        return dml.DoubleMLData(data, "y", ["d", "d2"], x_cols=[f"X{i}" for i in range(2, 7)])
    return dml.DoubleMLData(data, "y", "d")


def _pliv_data(dim_z):
    np.random.seed(12)
    frame = make_pliv_CHS2015(n_obs=300, dim_x=6, dim_z=dim_z, return_type="DataFrame")
    z_cols = [c for c in frame.columns if c.startswith("Z")]
    return dml.DoubleMLData(frame, "y", "d", x_cols=[f"X{i}" for i in range(1, 7)], z_cols=z_cols)


def _irm_data():
    np.random.seed(13)
    return make_irm_data(n_obs=300, dim_x=6, theta=0.5, return_type="DoubleMLData")


def _iivm_data():
    np.random.seed(14)
    return make_iivm_data(n_obs=400, dim_x=6, theta=0.5, alpha_x=1.0, return_type="DoubleMLData")


# (name, our class, plain class, data factory, learners factory (deterministic, seeded-random), kwargs)
CASES = [
    ("plr-po", DoubleMLPLRServerless, dml.DoubleMLPLR, _plr_data,
     lambda rf: {"ml_l": _rf_reg() if rf else LassoCV(cv=3), "ml_m": _rf_reg() if rf else LinearRegression()}, {}),
    ("plr-iv", DoubleMLPLRServerless, dml.DoubleMLPLR, _plr_data,
     lambda rf: {"ml_l": _rf_reg() if rf else LassoCV(cv=3), "ml_m": LinearRegression(),
                 "ml_g": _rf_reg() if rf else LassoCV(cv=3)}, {"score": "IV-type"}),
    ("plr-2treat", DoubleMLPLRServerless, dml.DoubleMLPLR, lambda: _plr_data(2),
     lambda rf: {"ml_l": _rf_reg() if rf else LassoCV(cv=3), "ml_m": _rf_reg() if rf else LinearRegression()}, {}),
    ("pliv-1z", DoubleMLPLIVServerless, dml.DoubleMLPLIV, lambda: _pliv_data(1),
     lambda rf: {"ml_l": _rf_reg() if rf else LinearRegression(), "ml_m": LinearRegression(),
                 "ml_r": _rf_reg() if rf else LassoCV(cv=3)}, {}),
    ("pliv-1z-iv", DoubleMLPLIVServerless, dml.DoubleMLPLIV, lambda: _pliv_data(1),
     lambda rf: {"ml_l": LinearRegression(), "ml_m": LinearRegression(), "ml_r": LinearRegression(),
                 "ml_g": _rf_reg() if rf else LinearRegression()}, {"score": "IV-type"}),
    ("pliv-2z", DoubleMLPLIVServerless, dml.DoubleMLPLIV, lambda: _pliv_data(2),
     lambda rf: {"ml_l": _rf_reg() if rf else LinearRegression(), "ml_m": _rf_reg() if rf else LinearRegression(),
                 "ml_r": LinearRegression()}, {}),
    ("irm-ate", DoubleMLIRMServerless, dml.DoubleMLIRM, _irm_data,
     lambda rf: {"ml_g": _rf_reg() if rf else LinearRegression(), "ml_m": _rf_clf() if rf else LogisticRegression()},
     {"score": "ATE"}),
    ("irm-atte", DoubleMLIRMServerless, dml.DoubleMLIRM, _irm_data,
     lambda rf: {"ml_g": _rf_reg() if rf else LinearRegression(), "ml_m": _rf_clf() if rf else LogisticRegression()},
     {"score": "ATTE", "ps_processor_config": PSProcessorConfig(clipping_threshold=0.05)}),
    ("iivm-late", DoubleMLIIVMServerless, dml.DoubleMLIIVM, _iivm_data,
     lambda rf: {"ml_g": _rf_reg() if rf else LinearRegression(), "ml_m": LogisticRegression(),
                 "ml_r": _rf_clf() if rf else LogisticRegression()}, {}),
    ("iivm-no-always", DoubleMLIIVMServerless, dml.DoubleMLIIVM, _iivm_data,
     lambda rf: {"ml_g": LinearRegression(), "ml_m": LogisticRegression(),
                 "ml_r": _rf_clf() if rf else LogisticRegression()},
     {"subgroups": {"always_takers": False, "never_takers": True}}),
    ("irm-ate-weights", DoubleMLIRMServerless, dml.DoubleMLIRM, _irm_data,
     lambda rf: {"ml_g": _rf_reg() if rf else LinearRegression(), "ml_m": _rf_clf() if rf else LogisticRegression()},
     {"score": "ATE", "weights": np.random.default_rng(0).uniform(0.5, 1.5, 300), "normalize_ipw": True}),
    ("plr-hgb-pipeline", DoubleMLPLRServerless, dml.DoubleMLPLR, _plr_data,
     lambda rf: {"ml_l": HistGradientBoostingRegressor(max_iter=15, random_state=0) if rf else LinearRegression(),
                 "ml_m": make_pipeline(StandardScaler(), LassoCV(alphas=np.logspace(-3, 0, 8), cv=3))}, {}),
]  # fmt: skip


def _fit_pair(case, scaling, random_learners, n_jobs=2, via="shim"):
    _, ours_cls, plain_cls, make_data, make_learners, kwargs = case
    data = make_data()
    learners = make_learners(random_learners)
    seed = 99 if random_learners else None
    np.random.seed(3)
    ours = ours_cls(None, None, data, **learners, n_folds=3, n_rep=2, **kwargs)
    on_local(ours, "fit", via, n_jobs=n_jobs, scaling=scaling, seed=seed, progress=False)
    plain = plain_twin(plain_cls, ours, data, make_learners(random_learners), seed, **kwargs).fit()
    return ours, plain


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("scaling", SCALINGS)
@pytest.mark.parametrize("random_learners", [False, True], ids=["deterministic", "seeded-rf"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_coef_and_se_equal_plain_doubleml(case, scaling, random_learners, via):
    ours, plain = _fit_pair(case, scaling, random_learners, via=via)
    np.testing.assert_allclose(ours.coef, plain.coef, rtol=RTOL)
    np.testing.assert_allclose(ours.se, plain.se, rtol=RTOL)
    np.testing.assert_allclose(ours.all_coef, plain.all_coef, rtol=RTOL)
    for learner, preds in plain.predictions.items():
        np.testing.assert_allclose(ours.predictions[learner], preds, rtol=RTOL, err_msg=learner)
        np.testing.assert_allclose(ours.nuisance_loss[learner], plain.nuisance_loss[learner], rtol=RTOL)
        np.testing.assert_allclose(ours.nuisance_targets[learner], plain.nuisance_targets[learner], rtol=RTOL)


def test_bootstrap_and_joint_confint_equal_plain_doubleml():
    ours, plain = _fit_pair(CASES[2], "n_folds * n_rep", True)
    np.random.seed(42)
    ours.bootstrap(method="normal", n_rep_boot=200)
    np.random.seed(42)
    plain.bootstrap(method="normal", n_rep_boot=200)
    pd.testing.assert_frame_equal(ours.confint(joint=True), plain.confint(joint=True), rtol=RTOL)
    pd.testing.assert_frame_equal(ours.confint(level=0.9), plain.confint(level=0.9), rtol=RTOL)
    pd.testing.assert_frame_equal(ours.p_adjust("romano-wolf"), plain.p_adjust("romano-wolf"), rtol=RTOL)
    pd.testing.assert_frame_equal(ours.p_adjust("bonferroni"), plain.p_adjust("bonferroni"), rtol=RTOL)
    pd.testing.assert_frame_equal(ours.summary, plain.summary, rtol=RTOL)


def test_sensitivity_analysis_equal_plain_doubleml():
    ours, plain = _fit_pair(CASES[6], "n_rep", True)
    ours.sensitivity_analysis(cf_y=0.03, cf_d=0.03)
    plain.sensitivity_analysis(cf_y=0.03, cf_d=0.03)
    for key in ("theta", "se", "ci"):  # lower and upper bounds
        assert set(ours.sensitivity_params[key]) == {"lower", "upper"}
        for side, value in ours.sensitivity_params[key].items():
            np.testing.assert_allclose(value, plain.sensitivity_params[key][side], rtol=RTOL, err_msg=f"{key} {side}")
    for key in ("rv", "rva"):  # robustness values: arrays, one per coefficient
        np.testing.assert_allclose(ours.sensitivity_params[key], plain.sensitivity_params[key], rtol=RTOL, err_msg=key)
        assert np.all(np.isfinite(ours.sensitivity_params[key]))
    for name, value in plain.sensitivity_params["input"].items():
        np.testing.assert_array_equal(ours.sensitivity_params["input"][name], value, err_msg=name)
    assert ours.sensitivity_summary == plain.sensitivity_summary


def test_same_seed_gives_identical_predictions_across_scalings_and_runs():
    case = CASES[0]
    runs = [_fit_pair(case, scaling, True)[0] for scaling in ("n_folds * n_rep", "n_rep", "n_folds * n_rep")]
    for other in runs[1:]:
        for learner in ("ml_l", "ml_m"):
            np.testing.assert_array_equal(runs[0].predictions[learner], other.predictions[learner])
        np.testing.assert_array_equal(runs[0].coef, other.coef)


def test_in_process_and_pool_give_identical_predictions():
    a = _fit_pair(CASES[6], "n_folds * n_rep", True, n_jobs=1)[0]
    b = _fit_pair(CASES[6], "n_folds * n_rep", True, n_jobs=2)[0]
    np.testing.assert_array_equal(a.predictions["ml_g0"], b.predictions["ml_g0"])
    np.testing.assert_array_equal(a.coef, b.coef)


def test_different_seeds_change_random_forest_predictions():
    data = _plr_data()
    fits = []
    for seed in (1, 2):
        np.random.seed(3)
        model = DoubleMLPLRServerless(None, None, data, _rf_reg(), _rf_reg(), n_folds=3)
        fits.append(model.fit_local(n_jobs=1, seed=seed, progress=False))
    assert not np.array_equal(fits[0].predictions["ml_l"], fits[1].predictions["ml_l"])


@pytest.mark.parametrize("scaling", SCALINGS)
def test_set_ml_nuisance_params_are_honoured(scaling):
    """Parameters for all folds and fold-specific ones reach the fits, as in plain DoubleML."""
    from sklearn.linear_model import Lasso

    data = _plr_data()
    np.random.seed(3)
    ours = DoubleMLPLRServerless(None, None, data, Lasso(), Lasso(), n_folds=3, n_rep=2)
    per_fold = [[{"alpha": 0.05 * (1 + fold + 3 * rep)} for fold in range(3)] for rep in range(2)]
    ours.set_ml_nuisance_params("ml_l", "d", {"alpha": 0.3})
    ours.set_ml_nuisance_params("ml_m", "d", per_fold)
    ours.fit_local(n_jobs=1, scaling=scaling, progress=False)

    plain = plain_twin(dml.DoubleMLPLR, ours, data, {"ml_l": Lasso(), "ml_m": Lasso()}, None)
    plain.set_ml_nuisance_params("ml_l", "d", {"alpha": 0.3})
    plain.set_ml_nuisance_params("ml_m", "d", per_fold)
    plain.fit()
    for learner in ("ml_l", "ml_m"):
        np.testing.assert_allclose(ours.predictions[learner], plain.predictions[learner], rtol=RTOL)
    np.testing.assert_allclose(ours.coef, plain.coef, rtol=RTOL)
    np.testing.assert_allclose(ours.se, plain.se, rtol=RTOL)
    # and they matter: the learners' defaults give other predictions
    default = plain_twin(dml.DoubleMLPLR, ours, data, {"ml_l": Lasso(), "ml_m": Lasso()}, None).fit()
    for learner in ("ml_l", "ml_m"):
        assert not np.allclose(ours.predictions[learner], default.predictions[learner], rtol=1e-6)


@pytest.mark.parametrize("scaling", SCALINGS)
def test_multiway_cluster_data_equals_plain_doubleml(scaling):
    from doubleml.plm.datasets import make_pliv_multiway_cluster_CKMS2021

    np.random.seed(1)
    data = make_pliv_multiway_cluster_CKMS2021(N=20, M=20, dim_X=5)

    def learners():
        return {"ml_l": LinearRegression(), "ml_m": LinearRegression(), "ml_r": _rf_reg()}

    np.random.seed(5)
    ours = DoubleMLPLIVServerless(None, None, data, **learners(), n_folds=2, n_rep=2)
    ours.fit_local(n_jobs=2, scaling=scaling, progress=False)
    np.random.seed(5)  # DoubleML draws the same cluster splits
    plain = dml.DoubleMLPLIV(data, **learners(), n_folds=2, n_rep=2).fit()
    np.testing.assert_allclose(ours.coef, plain.coef, rtol=RTOL)
    np.testing.assert_allclose(ours.se, plain.se, rtol=RTOL)


def test_parameters_from_doublemls_tune_are_used():
    from sklearn.linear_model import Lasso

    data = _plr_data()
    np.random.seed(3)
    ours = DoubleMLPLRServerless(None, None, data, Lasso(), Lasso(), n_folds=3)
    ours.tune({"ml_l": {"alpha": [0.01, 0.1, 1.0]}, "ml_m": {"alpha": [0.01, 0.1, 1.0]}})
    ours.fit_local(n_jobs=1, progress=False)
    plain = plain_twin(dml.DoubleMLPLR, ours, data, {"ml_l": Lasso(), "ml_m": Lasso()}, None)
    for name in ("ml_l", "ml_m"):
        plain.set_ml_nuisance_params(name, "d", ours.params[name]["d"][0][0])
    plain.fit()
    np.testing.assert_allclose(ours.coef, plain.coef, rtol=RTOL)
    np.testing.assert_allclose(ours.se, plain.se, rtol=RTOL)
