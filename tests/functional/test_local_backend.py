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
    first = model.fit_local(n_jobs=2, seed=1, progress=False).coef.copy()
    shutdown_workers()
    shutdown_workers()  # idempotent
    refit = model.fit_local(n_jobs=2, seed=1, progress=False, resume=False)  # runs every task again
    np.testing.assert_array_equal(refit.coef, first)
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
    model.fit_local(n_jobs=2, progress=False, resume=False)
    pool = _pool()
    _plain_joblib_call()
    assert _pool() == pool
    model.fit_local(n_jobs=2, progress=False, resume=False)
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


def _loky_workers() -> list[int]:
    """The process ids of this process's loky pool workers (Linux: /proc children)."""
    import os
    from pathlib import Path

    def read(path: Path) -> bytes:
        try:
            return path.read_bytes()
        except (FileNotFoundError, ProcessLookupError):  # a thread or process that ended while we looked
            return b""

    children = []
    for tasks in Path(f"/proc/{os.getpid()}/task").iterdir():
        children += read(tasks / "children").split()
    return [int(pid) for pid in children if b"popen_loky_posix" in read(Path(f"/proc/{int(pid)}/cmdline"))]


@pytest.mark.slow
def test_a_killed_pool_worker_is_replaced_and_the_fit_gives_the_same_numbers():
    """SIGKILL of a worker mid-fit (what the OOM killer does): its tasks run again, nothing counted twice."""
    import os
    import signal
    import threading
    import time

    from sklearn.ensemble import RandomForestRegressor

    np.random.seed(4)
    data = make_plr_CCDDHNR2018(n_obs=400, dim_x=10)
    learner = RandomForestRegressor(n_estimators=150, n_jobs=1)
    reference = DoubleMLPLRServerless(None, None, data, learner, learner, n_folds=5, n_rep=4)
    reference.fit_local(n_jobs=2, seed=3, progress=False, resume=False)  # the killed fit runs every task
    model = DoubleMLPLRServerless(None, None, data, learner, learner, n_folds=5, n_rep=4, draw_sample_splitting=False)
    model.set_sample_splitting(reference.smpls)
    errors: list[BaseException] = []

    def fit() -> None:
        try:
            model.fit_local(n_jobs=2, seed=3, progress=False)
        except BaseException as exc:  # handed to the test's thread
            errors.append(exc)

    thread = threading.Thread(target=fit)
    thread.start()
    deadline = time.monotonic() + 30
    while not _loky_workers() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # the fit is under way
    killed = _loky_workers()[0]
    os.kill(killed, signal.SIGKILL)
    thread.join(120)
    assert not errors, errors
    assert killed not in _loky_workers()
    np.testing.assert_array_equal(model.coef, reference.coef)
    np.testing.assert_array_equal(model.se, reference.se)
    metrics = model.task_metrics
    assert len(metrics) == 40 and metrics["task_id"].is_unique and metrics["attempts"].max() == 2
