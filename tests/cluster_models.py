"""The model of every class, small, for the cluster backends' parity tests (Dask, Ray), and how they compare fits."""

from __future__ import annotations

import doubleml as dml
import numpy as np
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression

import pydmlserverless as dmls

__all__ = ["MODELS", "assert_identical", "fresh", "numbers", "plr", "s3_plr", "slow_plr"]


def _reg(n: int = 5) -> RandomForestRegressor:
    return RandomForestRegressor(n_estimators=n, max_depth=3, n_jobs=1)


def _clf(n: int = 5) -> RandomForestClassifier:
    return RandomForestClassifier(n_estimators=n, max_depth=3, n_jobs=1)


def plr():
    from doubleml.plm.datasets import make_plr_CCDDHNR2018

    return dmls.DoubleMLPLRServerless(None, None, make_plr_CCDDHNR2018(n_obs=200, dim_x=5), _reg(), _reg())


def _pliv():
    from doubleml.plm.datasets import make_pliv_CHS2015

    data = make_pliv_CHS2015(n_obs=200, dim_x=5, dim_z=1)
    return dmls.DoubleMLPLIVServerless(None, None, data, _reg(), _reg(), _reg())


def _irm():
    from doubleml.irm.datasets import make_irm_data

    return dmls.DoubleMLIRMServerless(None, None, make_irm_data(n_obs=200, dim_x=5), _reg(), _clf())


def _iivm():
    from doubleml.irm.datasets import make_iivm_data

    data = make_iivm_data(n_obs=300, dim_x=5, alpha_x=1.0)
    return dmls.DoubleMLIIVMServerless(None, None, data, _reg(), _clf(), _clf())


def _discrete():
    from doubleml.irm.datasets import make_irm_data_discrete_treatments

    raw = make_irm_data_discrete_treatments(n_obs=300)
    return dml.DoubleMLData.from_arrays(raw["x"], raw["y"], raw["d"])


def _apo():
    return dmls.DoubleMLAPOServerless(None, None, _discrete(), _reg(), _clf(), treatment_level=1)


def _apos():
    return dmls.DoubleMLAPOSServerless(None, None, _discrete(), _reg(), _clf(), treatment_levels=[0, 1])


def _did(cross_sectional: bool):
    from doubleml.did.datasets import make_did_SZ2020

    data = make_did_SZ2020(n_obs=300, cross_sectional_data=cross_sectional, return_type="DoubleMLDIDData")
    cls = dmls.DoubleMLDIDCSServerless if cross_sectional else dmls.DoubleMLDIDServerless
    return cls(None, None, data, _reg(), _clf())


def _didmulti():
    from doubleml.did.datasets import make_did_CS2021

    frame = make_did_CS2021(n_obs=150, dgp_type=1)
    data = dml.DoubleMLPanelData(frame, y_col="y", d_cols="d", t_col="t", id_col="id", x_cols=["Z1", "Z2", "Z3", "Z4"])
    return dmls.DoubleMLDIDMultiServerless(None, None, data, LinearRegression(), LogisticRegression(), n_folds=2)


def _plpr():
    from doubleml.plm.datasets import make_plpr_CP2025

    data = dml.DoubleMLPanelData(make_plpr_CP2025(num_id=50, num_t=4, dim_x=4), "y", "d", "time", "id",
                                 static_panel=True)  # fmt: skip
    return dmls.DoubleMLPLPRServerless(None, None, data, _reg(), _reg())


def _lplr():
    from doubleml.plm.datasets import make_lplr_LZZ2020

    data = make_lplr_LZZ2020(n_obs=300, dim_x=20)
    return dmls.DoubleMLLPLRServerless(None, None, data, _clf(), _reg(), _reg(), n_folds=3, n_folds_inner=3)


def _pq():
    from doubleml.irm.datasets import make_irm_data

    return dmls.DoubleMLPQServerless(None, None, make_irm_data(n_obs=300, dim_x=5), _clf(), _clf(), quantile=0.5)


def _cvar():
    from doubleml.irm.datasets import make_irm_data

    return dmls.DoubleMLCVARServerless(None, None, make_irm_data(n_obs=300, dim_x=5), _reg(), _clf(), quantile=0.5)


MODELS = {
    "PLR": plr, "PLIV": _pliv, "IRM": _irm, "IIVM": _iivm, "APO": _apo, "APOS": _apos,
    "DID": lambda: _did(False), "DIDCS": lambda: _did(True), "DIDMulti": _didmulti, "PLPR": _plpr, "LPLR": _lplr,
    "PQ": _pq, "CVAR": _cvar,
}  # fmt: skip


def fresh(name: str):
    """The model ``name`` on the same data and splits each time: a refit of a quantile model starts elsewhere.

    DoubleML's PQ starts a fit's root finding from the previous fit's estimate, so fitting one
    object twice differs (in plain DoubleML too); each backend gets its own object.
    """
    np.random.seed(5)
    return MODELS[name]()


def numbers(model) -> dict[str, np.ndarray]:
    out = {"coef": np.array(model.coef), "se": np.array(model.se)}
    subs = getattr(model, "modellist", None) or [model]
    for i, sub in enumerate(subs):
        for name, values in (sub.predictions or {}).items():
            out[f"{i}/{name}"] = np.array(values)
    return out


def assert_identical(ours: dict, reference: dict) -> None:
    assert ours.keys() == reference.keys()
    for name in reference:
        np.testing.assert_array_equal(ours[name], reference[name], err_msg=name)


def slow_plr(n_rep: int = 4):
    from doubleml.plm.datasets import make_plr_CCDDHNR2018

    np.random.seed(4)
    data = make_plr_CCDDHNR2018(n_obs=400, dim_x=10)
    return dmls.DoubleMLPLRServerless(None, None, data, _reg(60), _reg(60), n_folds=5, n_rep=n_rep)


def s3_plr(key: str):
    """A PLR on DoubleMLDataS3 data in the emulated bucket (the AWS settings must point at moto's S3), fitted
    on the local pool with ``seed=4``: the model and its numbers, for a cluster fit to equal."""
    from doubleml.plm.datasets import make_plr_CCDDHNR2018

    from pydmlserverless.testing import ensure_bucket

    np.random.seed(9)
    frame = make_plr_CCDDHNR2018(n_obs=300, dim_x=4, return_type="DataFrame")
    data = dmls.DoubleMLDataS3(ensure_bucket(), key, frame, y_col="y", d_cols="d")
    model = dmls.DoubleMLPLRServerless(None, None, data, _reg(), LinearRegression(), n_folds=3, n_rep=2)
    model.fit_local(n_jobs=1, seed=4, progress=False, resume=False)
    return model, numbers(model)
