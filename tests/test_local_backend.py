"""The local backend: process counts, the pool across fits, AWS settings reaching the workers."""

from __future__ import annotations

import os

import numpy as np
import pytest
from doubleml.plm.datasets import make_plr_CCDDHNR2018
from sklearn.linear_model import LinearRegression

from pydmlserverless import ConfigurationError, DoubleMLPLRServerless
from pydmlserverless.backends.local import resolve_n_jobs, shutdown_workers
from pydmlserverless.backends.local.entry_point import sync_aws_settings


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
    memory = model.task_metrics[["rss_start_mb", "peak_rss_mb"]].dropna(axis=1)  # rss_start_mb: Linux only
    assert "peak_rss_mb" in memory and (memory > 0).all().all()


def _pool() -> tuple[object, set[int]]:
    """joblib's reusable process pool and its worker processes."""
    from joblib.externals.loky import reusable_executor

    executor = reusable_executor._executor
    return executor, set(executor._processes)


def _plain_joblib_call() -> None:
    from joblib import Parallel, delayed

    # joblib's defaults, as DoubleML's fit(n_jobs_cv=...) and most joblib users call it
    Parallel(n_jobs=2)(delayed(os.getpid)() for _ in range(4))


def test_the_pool_is_shared_with_other_joblib_users():
    # joblib keeps one reusable pool and restarts it when a call asks for other settings: a fit
    # after a plain DoubleML fit (or before one) must not pay for new worker processes
    np.random.seed(0)
    data = make_plr_CCDDHNR2018(n_obs=200, dim_x=3)
    model = DoubleMLPLRServerless(None, None, data, LinearRegression(), LinearRegression(), n_folds=2)
    model.fit_local(n_jobs=2, progress=False)
    pool = _pool()
    _plain_joblib_call()
    assert _pool() == pool
    model.fit_local(n_jobs=2, progress=False)
    assert _pool() == pool
    assert set(model.task_metrics["pid"]) <= pool[1]


def test_fit_report_counts_client_cpu():
    np.random.seed(0)
    data = make_plr_CCDDHNR2018(n_obs=200, dim_x=3)
    model = DoubleMLPLRServerless(None, None, data, LinearRegression(), LinearRegression(), n_folds=2)
    report = model.fit_local(n_jobs=1, progress=False).fit_report
    assert set(report.cpu_seconds) == {"stage", "tasks", "estimate", "total"}
    assert report.cpu_seconds["total"] >= report.cpu_seconds["tasks"] > 0  # n_jobs=1: tasks run here
    assert "ms per task" in str(report)


def test_workers_take_the_clients_aws_settings():
    saved = dict(os.environ)
    try:
        os.environ["AWS_STALE_SETTING"] = "x"
        sync_aws_settings({"AWS_REGION": "eu-west-3"})
        assert os.environ["AWS_REGION"] == "eu-west-3" and "AWS_STALE_SETTING" not in os.environ
    finally:
        os.environ.clear()
        os.environ.update(saved)
