"""The local backend: process counts, the pool across fits, AWS settings reaching the workers."""

from __future__ import annotations

import os

import numpy as np
import pytest
from doubleml.plm.datasets import make_plr_CCDDHNR2018
from sklearn.linear_model import LinearRegression

from pydmlserverless import ConfigurationError, DoubleMLPLRServerless
from pydmlserverless.backends.local import resolve_n_jobs, shutdown_workers
from pydmlserverless.worker import sync_aws_settings


def test_resolve_n_jobs():
    cpus = os.cpu_count() or 1
    assert resolve_n_jobs(-1) == cpus and resolve_n_jobs(None) == 1 and resolve_n_jobs(3) == 3
    assert resolve_n_jobs(-cpus - 5) == 1
    with pytest.raises(ConfigurationError, match="n_jobs must be a non-zero integer"):
        resolve_n_jobs(1.5)


def test_fits_work_after_the_pool_was_shut_down():
    np.random.seed(0)
    data = make_plr_CCDDHNR2018(n_obs=200, dim_x=3)
    model = DoubleMLPLRServerless(None, None, data, LinearRegression(), LinearRegression(), n_folds=2)
    first = model.fit_local(n_jobs=2, progress=False).coef.copy()
    shutdown_workers()
    shutdown_workers()  # idempotent
    np.testing.assert_array_equal(model.fit_local(n_jobs=2, progress=False).coef, first)
    assert set(model.task_metrics["pid"]) != {os.getpid()}  # ran in worker processes


def test_workers_take_the_clients_aws_settings():
    saved = dict(os.environ)
    try:
        os.environ["AWS_STALE_SETTING"] = "x"
        sync_aws_settings({"AWS_REGION": "eu-west-3"})
        assert os.environ["AWS_REGION"] == "eu-west-3" and "AWS_STALE_SETTING" not in os.environ
    finally:
        os.environ.clear()
        os.environ.update(saved)
