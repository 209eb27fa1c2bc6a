"""fit_dask() on real dask.distributed clusters: parity with fit_local() for every model, failures, Ctrl-C.

One LocalCluster of 2 worker processes (1 thread each) serves the module; one test starts a
scheduler and a worker as separate processes on loopback, the way a cluster runs them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from distributed import Client, LocalCluster
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression

import pydmlserverless as dmls
from pydmlserverless import ConfigurationError, Dask, TaskError
from tests.cluster_models import MODELS, assert_identical, fresh, numbers, plr, s3_plr, slow_plr

#: both scalings, each with one of the two ways the data reaches the workers
RUNS = [("n_folds * n_rep", "scatter"), ("n_rep", "store")]


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, Client(cluster) as c:
        yield c


def test_every_model_class_is_covered():
    names = {n.removeprefix("DoubleML").removesuffix("Serverless") for n in dmls.__all__ if n.endswith("Serverless")}
    assert names == set(MODELS)


@pytest.mark.parametrize(("scaling", "ship"), RUNS, ids=["folds-scatter", "reps-store"])
@pytest.mark.parametrize("name", list(MODELS))
def test_fit_dask_equals_fit_local(client, name, scaling, ship):
    model = fresh(name)
    model.fit_local(n_jobs=1, seed=7, scaling=scaling, progress=False, resume=False)
    reference, n_tasks = numbers(model), model.fit_report.n_tasks
    model = fresh(name)
    model.fit_dask(client, seed=7, scaling=scaling, ship=ship, progress=False, resume=False)
    assert_identical(numbers(model), reference)
    metrics = model.task_metrics
    assert len(metrics) == n_tasks and metrics["task_id"].is_unique
    assert set(metrics["worker"]) <= set(client.scheduler_info()["workers"]) and metrics["worker"].nunique() == 2
    assert (metrics["peak_rss_mb"] > 0).all() and (metrics["request_bytes"] < 4096).all()
    assert model.fit_report.backend.startswith("Dask tcp://") and "scheduler" not in model.fit_report.backend
    # the same fit through the backend argument: the shim is one line onto it
    model = fresh(name)
    model.fit(backend=Dask(client, ship=ship), seed=7, scaling=scaling, progress=False, resume=False)
    assert_identical(numbers(model), reference)


def test_default_client_resume_tuning_and_the_summary(client):
    np.random.seed(6)
    model = plr()
    model.fit_dask(seed=1, progress=False)  # the default client; results kept through the client (scatter)
    first, n_tasks = model.coef.copy(), model.fit_report.n_tasks
    assert "data scattered once to every worker" in str(model.fit_report)
    model.fit_dask(seed=1, progress=False, ship="store")
    assert (model.fit_report.n_tasks, model.fit_report.n_resumed) == (0, n_tasks)
    np.testing.assert_array_equal(model.coef, first)
    grid = {"max_depth": [1, 3]}
    tuned = []
    for tune in ("tune_dask", "tune(backend=Dask(client))", "tune_local"):
        fixed = RandomForestRegressor(n_estimators=5, random_state=0)
        tuner = dmls.DoubleMLPLRServerless(None, None, model._dml_data, fixed, fixed, n_folds=2)
        np.random.seed(0)  # the inner splits
        grids = {"ml_l": grid, "ml_m": grid}
        if tune == "tune(backend=Dask(client))":
            tuner.tune(grids, n_folds_tune=2, progress=False, backend=Dask(client))
        else:
            options = {"n_jobs": 1} if tune == "tune_local" else {}
            getattr(tuner, tune)(grids, n_folds_tune=2, progress=False, **options)
        tuned.append({k: tuner.params[k]["d"] for k in ("ml_l", "ml_m")})
    assert tuned[0] == tuned[1] == tuned[2]
    with pytest.raises(ConfigurationError, match="ship must be one of"):
        model.fit_dask(client, ship="nfs")
    with pytest.raises(ConfigurationError, match="client must be a dask.distributed.Client"):
        model.fit_dask(client=3)


def test_tune_ml_models_dask_equals_tune_ml_models_local(client):
    import optuna
    from doubleml.plm.datasets import make_plr_CCDDHNR2018

    np.random.seed(8)
    data = make_plr_CCDDHNR2018(n_obs=200, dim_x=5)

    def depth(trial):
        return {"max_depth": trial.suggest_int("max_depth", 1, 6)}

    results = []
    for tune in ("tune_ml_models_dask", "tune_ml_models_local"):
        fixed = RandomForestRegressor(n_estimators=5, random_state=0)
        model = dmls.DoubleMLPLRServerless(None, None, data, fixed, fixed, n_folds=2)
        settings = {"n_trials": 4, "sampler": optuna.samplers.TPESampler(seed=2), "n_jobs_optuna": 2,
                    "verbosity": optuna.logging.WARNING}  # fmt: skip
        options = {"n_jobs": 1} if tune == "tune_ml_models_local" else {"client": client}
        res = getattr(model, tune)({"ml_l": depth, "ml_m": depth}, cv=3, optuna_settings=settings,
                                   return_tune_res=True, progress=False, resume=False, **options)  # fmt: skip
        results.append((model, res[0]))
    (dask_model, on_dask), (local_model, local) = results
    assert dask_model.params == local_model.params
    assert dask_model.tune_report.n_tasks == local_model.tune_report.n_tasks == 2 * 4 * 3
    for name, result in local.items():
        assert [t.params for t in on_dask[name].study.trials] == [t.params for t in result.study.trials]
        np.testing.assert_allclose([t.value for t in on_dask[name].study.trials],
                                   [t.value for t in result.study.trials], rtol=1e-12)  # fmt: skip


def test_without_a_client_the_fit_says_how_to_make_one(monkeypatch):
    import distributed

    def no_client():
        raise ValueError("No clients found")

    monkeypatch.setattr(distributed, "default_client", no_client)
    with pytest.raises(ConfigurationError, match="found no Dask client"):
        plr().fit_dask()


def test_a_failing_task_is_named_and_the_other_futures_are_cancelled(client):
    from doubleml.plm.datasets import make_plr_CCDDHNR2018
    from sklearn.linear_model import LassoCV

    np.random.seed(1)
    data = make_plr_CCDDHNR2018(n_obs=100, dim_x=3)  # LassoCV(cv=500) fails on the worker: more folds than rows
    bad = dmls.DoubleMLPLRServerless(None, None, data, LassoCV(cv=500), LinearRegression(), n_folds=2)
    with pytest.raises(
        TaskError, match=r"treatment 'd', learner 'ml_l', rep 0, fold \d\) on Dask worker tcp://"
    ) as info:
        bad.fit_dask(client, progress=False)
    assert info.value.task["learner"] == "ml_l" and info.value.error_type == "ValueError"
    assert np.isnan(bad.coef).all()
    _assert_no_fit_tasks_left(client)


def _assert_no_fit_tasks_left(client, timeout: float = 10) -> None:
    def tasks(dask_scheduler):
        return [str(k) for k in dask_scheduler.tasks if str(k).startswith("pydmlserverless-")]

    deadline = time.monotonic() + timeout
    while client.run_on_scheduler(tasks) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert client.run_on_scheduler(tasks) == []


def test_ctrl_c_cancels_the_fits_futures(client):
    import _thread

    model = slow_plr()
    started: list[int] = []

    def interrupt_soon(n: int) -> None:  # Ctrl-C at the first result, on the fitting thread: the others still run
        if not started:
            started.append(n)
            _thread.interrupt_main()

    # Python's own SIGINT handler, whatever an earlier test (or library) installed in this process
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            model.fit_dask(client, seed=1, progress=interrupt_soon, resume=False)
            time.sleep(5)  # pragma: no cover - the interrupt lands before
    finally:
        signal.signal(signal.SIGINT, previous)
    assert started, "the fit reported no result"
    _assert_no_fit_tasks_left(client)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_scheduler_and_a_worker_started_as_processes(tmp_path, monkeypatch):
    """``dask scheduler`` and ``dask worker`` on loopback, as on a cluster; the fit takes the scheduler's address."""
    import distributed.client

    def no_default_client():  # the address alone must do (R's $fit_dask(address = ...))
        raise ValueError("No clients found")

    monkeypatch.setattr(distributed.client, "default_client", no_default_client)
    dask_cli = str(Path(sys.executable).parent / "dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = [open(tmp_path / name, "w") for name in ("scheduler.log", "worker.log")]  # noqa: SIM115
    procs = [subprocess.Popen([dask_cli, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], stdout=logs[0], stderr=subprocess.STDOUT)]  # fmt: skip
    try:
        procs.append(subprocess.Popen([dask_cli, "worker", address, "--nworkers", "1", "--nthreads", "1",
                                       "--no-dashboard", "--host", "127.0.0.1"], stdout=logs[1],
                                      stderr=subprocess.STDOUT))  # fmt: skip
        np.random.seed(2)
        model = plr()
        model.fit_local(n_jobs=1, seed=3, progress=False, resume=False)
        reference = numbers(model)
        from pydmlserverless.backends.dask.backend import resolve_client

        remote = resolve_client(address)
        remote.wait_for_workers(1, timeout=60)
        model.fit_dask(address, seed=3, progress=False, resume=False)
        assert_identical(numbers(model), reference)
        assert model.task_metrics["worker"].nunique() == 1 and address in model.fit_report.backend
        remote.close()
    finally:
        for proc in reversed(procs):
            proc.send_signal(signal.SIGINT)
        for proc in reversed(procs):
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in logs:
            log.close()


@pytest.mark.slow
def test_a_worker_killed_mid_fit_gives_the_same_numbers(client):
    """SIGKILL of a worker process mid-fit: Dask runs its tasks again elsewhere; each result is taken once."""
    reference = slow_plr()
    reference.fit_local(n_jobs=1, seed=3, progress=False, resume=False)
    model = slow_plr()
    model.set_sample_splitting(reference.smpls)
    pids = client.run(os.getpid)
    victim = next(iter(pids.values()))
    done: list[int] = []

    def kill_on_third(n: int) -> None:
        done.append(n)
        if len(done) == 3:
            os.kill(victim, signal.SIGKILL)

    model.fit_dask(client, seed=3, progress=kill_on_third, resume=False)
    np.testing.assert_array_equal(model.coef, reference.coef)
    np.testing.assert_array_equal(model.se, reference.se)
    metrics = model.task_metrics
    assert len(metrics) == 40 and metrics["task_id"].is_unique
    client.wait_for_workers(2, timeout=60)  # the nanny restarted the worker
    assert victim not in client.run(os.getpid).values()


@pytest.mark.parametrize("ship", ["store", "scatter"])
def test_data_in_s3_reaches_workers_with_their_own_aws_configuration(moto_s3_server, monkeypatch, ship):
    """DoubleMLDataS3 on moto's S3: with ship='store' the workers read the bucket with their own AWS
    settings (inherited here, as a SLURM job inherits its environment); with 'scatter' only the client reads
    it (the workers' check of the payload's bucket once refused it). A worker with two threads runs two tasks
    at once on one cached copy."""
    from pydmlserverless.testing import apply_aws_env

    apply_aws_env(monkeypatch, None, moto_s3_server.endpoint_url)  # before the workers start: they inherit it
    model, reference = s3_plr(f"dask-{ship}.csv")
    with (
        LocalCluster(n_workers=1, threads_per_worker=2, dashboard_address=None) as cluster,
        Client(cluster) as s3_client,
    ):
        model.fit_dask(s3_client, seed=4, ship=ship, progress=False, resume=False)
    assert_identical(numbers(model), reference)
    decoded = int((~model.task_metrics["dataset_cache_hit"].astype(bool)).sum())
    assert decoded == 1  # one worker process decodes the data set once, for both its threads
