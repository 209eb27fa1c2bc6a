"""The backend argument: one call per operation, DoubleML's meaning without it, each backend's settings checked once.

The parity tests (``test_parity.py``, ``test_tuning.py``, ``test_optuna_tuning.py``, and the
Lambda, Dask and Ray tests) run through both the old method names and ``backend=``; this file
holds what is particular to the argument itself.
"""

from __future__ import annotations

import doubleml as dml
import numpy as np
import pytest
from doubleml.plm.datasets import make_plr_CCDDHNR2018
from sklearn.linear_model import Lasso, LinearRegression

from pydmlserverless import AWSLambda, ConfigurationError, Dask, DoubleMLPLRServerless, Local, Ray
from pydmlserverless.backends import BACKENDS, BackendSpec, backend_spec


def _data():
    np.random.seed(21)
    return make_plr_CCDDHNR2018(n_obs=200, dim_x=5)


def _model(data, learner=LinearRegression):
    np.random.seed(4)
    return DoubleMLPLRServerless(None, None, data, learner(), learner(), n_folds=3, n_rep=2)


def test_without_a_backend_fit_is_doublemls_own_fit():
    data = _data()
    ours = _model(data)
    ours.fit()  # DoubleML's fit(), in this process: no task, no report
    np.random.seed(4)
    plain = dml.DoubleMLPLR(data, LinearRegression(), LinearRegression(), n_folds=3, n_rep=2).fit()
    np.testing.assert_array_equal(ours.coef, plain.coef)
    np.testing.assert_array_equal(ours.se, plain.se)
    assert ours.fit_report is None


@pytest.mark.parametrize("operation", ["fit", "tune", "tune_ml_models"])
def test_without_a_backend_the_run_options_are_refused_with_what_to_do(operation):
    model = _model(_data())
    args = {"fit": (), "tune": ({"ml_l": {"alpha": [0.1]}, "ml_m": {"alpha": [0.1]}},), "tune_ml_models": ({},)}
    with pytest.raises(ConfigurationError, match=rf"{operation}\(\) without backend= is DoubleML's own .*seed"):
        getattr(model, operation)(*args[operation], seed=1)
    assert model.fit_report is None and np.isnan(model.coef).all()


def test_a_backend_by_name_takes_its_defaults_and_gives_the_same_numbers():
    data = _data()
    by_spec = _model(data).fit(backend=Local(n_jobs=1), seed=3, progress=False, resume=False)
    by_name = _model(data).fit(backend="local", n_jobs_cv=1, seed=3, progress=False, resume=False)
    by_shim = _model(data).fit_local(1, seed=3, progress=False, resume=False)
    for other in (by_name, by_shim):
        np.testing.assert_array_equal(other.coef, by_spec.coef)
        np.testing.assert_array_equal(other.predictions["ml_l"], by_spec.predictions["ml_l"])
    assert by_name.fit_report.backend == by_spec.fit_report.backend == "local (1 process)"


def test_n_jobs_cv_sets_the_local_pool_as_it_sets_doublemls_parallelism():
    model = _model(_data()).fit(backend=Local(n_jobs=2), n_jobs_cv=1, progress=False, resume=False)
    assert model.fit_report.backend == "local (1 process)"


def test_tuning_through_the_backend_argument_sets_what_the_shim_sets():
    data = _data()
    grids = {"ml_l": {"alpha": [0.01, 0.1, 1.0]}, "ml_m": {"alpha": [0.01, 0.1, 1.0]}}
    tuned = []
    for call in ("shim", "backend"):
        model = _model(data, Lasso)
        np.random.seed(8)
        if call == "shim":
            model.tune_local(grids, n_jobs=1, progress=False, resume=False)
        else:
            model.tune(grids, backend=Local(n_jobs=1), progress=False, resume=False)
        tuned.append(model.params)
    assert tuned[0] == tuned[1] and tuned[0]["ml_l"]["d"] is not None


def test_every_backend_is_registered_once_and_made_from_its_name():
    assert BACKENDS.keys() == {"local", "aws_lambda", "dask", "ray"}
    for name, spec_class in zip(BACKENDS, (Local, AWSLambda, Dask, Ray), strict=True):
        assert issubclass(spec_class, BackendSpec) and spec_class.name == name
    assert backend_spec("local", n_jobs=2) == Local(n_jobs=2)
    assert backend_spec("ray", ship="store") == Ray(ship="store")
    made = AWSLambda(max_concurrency=5)
    assert backend_spec(made) is made


def test_a_bad_backend_is_refused_before_anything_runs():
    model = _model(_data())
    with pytest.raises(ConfigurationError, match=r"backend must be one of \['aws_lambda', 'dask', 'local', 'ray'\]"):
        model.fit(backend="cloud", progress=False)
    with pytest.raises(ConfigurationError, match="is already made; give its options to it"):
        backend_spec(Local(), n_jobs=2)
    with pytest.raises(TypeError, match="n_workers"):
        backend_spec("local", n_workers=2)
    with pytest.raises(ConfigurationError, match="n_jobs must be a non-zero integer"):
        Local(n_jobs=0)  # each backend's settings are checked once, when they are made
    with pytest.raises(ConfigurationError, match="max_concurrency"):
        AWSLambda(max_concurrency=0)
    with pytest.raises(ConfigurationError, match="ship must be one of"):
        Ray(ship="nfs")
    assert np.isnan(model.coef).all() and model.fit_report is None  # nothing ran


def test_a_shim_passes_a_backend_option_to_the_backend_and_the_rest_to_the_operation():
    model = _model(_data())
    model.fit_local(n_jobs=1, scaling="n_rep", progress=False, resume=False)
    assert model.fit_report.backend == "local (1 process)" and model.fit_report.n_tasks == 2 * 2
    with pytest.raises(TypeError, match=r"fit_local\(\) takes one positional argument \(n_jobs\)"):
        model.fit_local(1, 2)
