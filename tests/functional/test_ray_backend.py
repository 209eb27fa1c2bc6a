"""fit_ray() on a real local Ray instance: parity with fit_local() for every model, failures, Ctrl-C, a killed worker.

One Ray instance of 2 CPUs (a head node with its raylet and worker processes, as on a cluster)
serves the module.
"""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest
import ray
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression

import pydmlserverless as dmls
from pydmlserverless import ConfigurationError, Ray, TaskError
from tests.cluster_models import MODELS, assert_identical, fresh, numbers, plr, s3_plr, slow_plr

#: each model once, the two scalings and the two ways the data reaches the workers alternating
RUNS = {name: [("n_folds * n_rep", "put"), ("n_rep", "store")][i % 2] for i, name in enumerate(MODELS)}


@pytest.fixture(scope="module")
def cluster():
    auth = os.environ.get("RAY_AUTH_MODE")
    os.environ["RAY_AUTH_MODE"] = "disabled"  # a loopback test instance: no token file in $HOME
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    yield ray
    ray.shutdown()
    if auth is None:
        os.environ.pop("RAY_AUTH_MODE")
    else:
        os.environ["RAY_AUTH_MODE"] = auth


def test_every_model_class_is_covered():
    names = {n.removeprefix("DoubleML").removesuffix("Serverless") for n in dmls.__all__ if n.endswith("Serverless")}
    assert names == set(RUNS)


@pytest.mark.parametrize("name", list(RUNS))
def test_fit_ray_equals_fit_local(cluster, name):
    scaling, ship = RUNS[name]
    model = fresh(name)
    model.fit_local(n_jobs=1, seed=7, scaling=scaling, progress=False, resume=False)
    reference, n_tasks = numbers(model), model.fit_report.n_tasks
    model = fresh(name)
    model.fit_ray(seed=7, scaling=scaling, ship=ship, progress=False, resume=False)
    assert_identical(numbers(model), reference)
    metrics = model.task_metrics
    assert len(metrics) == n_tasks and metrics["task_id"].is_unique
    assert metrics["worker"].notna().all() and metrics["node"].nunique() == 1
    assert (metrics["peak_rss_mb"] > 0).all() and (metrics["request_bytes"] < 4096).all()
    assert model.fit_report.backend.startswith("Ray ") and f"ship='{ship}'" in model.fit_report.backend
    # the same fit through the backend argument: the shim is one line onto it
    model = fresh(name)
    model.fit(backend=Ray(ship=ship), seed=7, scaling=scaling, progress=False, resume=False)
    assert_identical(numbers(model), reference)


def test_resume_across_modes_the_summary_and_bad_arguments(cluster):
    np.random.seed(6)
    model = plr()
    model.fit_ray(seed=1, progress=False)  # results kept through the client (put)
    first, n_tasks = model.coef.copy(), model.fit_report.n_tasks
    assert "data put once into Ray's object store" in str(model.fit_report)
    model.fit_ray(seed=1, progress=False, ship="store")
    assert (model.fit_report.n_tasks, model.fit_report.n_resumed) == (0, n_tasks)
    np.testing.assert_array_equal(model.coef, first)
    with pytest.raises(ConfigurationError, match="ship must be one of"):
        model.fit_ray(ship="nfs")
    with pytest.raises(ConfigurationError, match="max_retries must be"):
        model.fit_ray(max_retries=-1)
    with pytest.raises(ConfigurationError, match="address must be a Ray cluster address"):
        model.fit_ray(6379)
    np.testing.assert_array_equal(model.coef, first)  # refused fits leave the model as it was


def test_tune_ray_equals_tune_local(cluster):
    np.random.seed(6)
    data = plr()._dml_data
    grid = {"max_depth": [1, 3]}
    tuned = []
    for tune in ("tune_ray", "tune_local"):
        fixed = RandomForestRegressor(n_estimators=5, random_state=0)
        tuner = dmls.DoubleMLPLRServerless(None, None, data, fixed, fixed, n_folds=2)
        np.random.seed(0)  # the inner splits
        options = {"n_jobs": 1} if tune == "tune_local" else {}
        res = getattr(tuner, tune)({"ml_l": grid, "ml_m": grid}, n_folds_tune=2, progress=False, resume=False,
                                   return_tune_res=True, **options)  # fmt: skip
        tuned.append(({k: tuner.params[k]["d"] for k in ("ml_l", "ml_m")}, res))
    assert tuned[0][0] == tuned[1][0]
    for on_ray, local in zip(tuned[0][1], tuned[1][1], strict=True):
        assert on_ray["tune_res"].keys() == local["tune_res"].keys() == {"l_tune", "m_tune"}
        for name in local["tune_res"]:
            np.testing.assert_array_equal(
                on_ray["tune_res"][name][0].cv_results_["mean_test_score"],
                local["tune_res"][name][0].cv_results_["mean_test_score"],
            )


def test_tune_ml_models_ray_equals_tune_ml_models_local(cluster):
    import optuna
    from doubleml.plm.datasets import make_plr_CCDDHNR2018

    np.random.seed(8)
    data = make_plr_CCDDHNR2018(n_obs=200, dim_x=5)

    def depth(trial):
        return {"max_depth": trial.suggest_int("max_depth", 1, 6)}

    results = []
    for tune in ("tune_ml_models_ray", "tune_ml_models_local"):
        fixed = RandomForestRegressor(n_estimators=5, random_state=0)
        model = dmls.DoubleMLPLRServerless(None, None, data, fixed, fixed, n_folds=2)
        settings = {"n_trials": 4, "sampler": optuna.samplers.TPESampler(seed=2), "n_jobs_optuna": 2,
                    "verbosity": optuna.logging.WARNING}  # fmt: skip
        options = {"n_jobs": 1} if tune == "tune_ml_models_local" else {}
        res = getattr(model, tune)({"ml_l": depth, "ml_m": depth}, cv=3, optuna_settings=settings,
                                   return_tune_res=True, progress=False, resume=False, **options)  # fmt: skip
        results.append((model, res[0]))
    (ray_model, on_ray), (local_model, local) = results
    assert ray_model.params == local_model.params
    assert ray_model.tune_report.n_tasks == local_model.tune_report.n_tasks == 2 * 4 * 3
    for name, result in local.items():
        assert [t.params for t in on_ray[name].study.trials] == [t.params for t in result.study.trials]
        np.testing.assert_allclose([t.value for t in on_ray[name].study.trials],
                                   [t.value for t in result.study.trials], rtol=1e-12)  # fmt: skip


def test_containers_have_no_grid_tune_on_ray():
    with pytest.raises(AttributeError, match="has no grid-search tuning"):
        MODELS["APOS"]().tune_ray({})


def test_a_failing_task_is_named_and_the_others_are_cancelled(cluster, monkeypatch):
    from doubleml.plm.datasets import make_plr_CCDDHNR2018
    from sklearn.linear_model import LassoCV

    cancelled = _record_cancels(monkeypatch)
    np.random.seed(1)
    data = make_plr_CCDDHNR2018(n_obs=100, dim_x=3)  # LassoCV(cv=500) fails on the worker: more folds than rows
    bad = dmls.DoubleMLPLRServerless(None, None, data, LassoCV(cv=500), LinearRegression(), n_folds=2, n_rep=3)
    with pytest.raises(TaskError, match=r"treatment 'd', learner 'ml_l', rep \d, fold \d\) on Ray worker ") as info:
        bad.fit_ray(progress=False, resume=False)
    assert info.value.task["learner"] == "ml_l" and info.value.error_type == "ValueError"
    assert np.isnan(bad.coef).all()
    assert cancelled, "the fit's other tasks were not cancelled"


def _record_cancels(monkeypatch) -> list:
    cancelled: list = []
    original = ray.cancel

    def cancel(ref, **kwargs):
        cancelled.append(ref)
        return original(ref, **kwargs)

    monkeypatch.setattr(ray, "cancel", cancel)
    return cancelled


def test_ctrl_c_cancels_the_fits_tasks(cluster, monkeypatch):
    import _thread

    cancelled = _record_cancels(monkeypatch)
    model = slow_plr()
    started: list[int] = []

    def interrupt_soon(n: int) -> None:  # Ctrl-C at the first result, on the fitting thread: the others still queue
        if not started:
            started.append(n)
            _thread.interrupt_main()

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            model.fit_ray(seed=1, progress=interrupt_soon, resume=False)
            time.sleep(5)  # pragma: no cover - the interrupt lands before
    finally:
        signal.signal(signal.SIGINT, previous)
    assert started, "the fit reported no result"
    assert len(cancelled) == 40 - 1  # every task but the one taken
    outcomes = []
    for ref in cancelled:
        try:
            ray.get(ref, timeout=60)
            outcomes.append("finished")
        except ray.exceptions.TaskCancelledError:
            outcomes.append("cancelled")
    # the two CPUs may have finished a few in the moment before the interrupt; the queued ones never ran
    assert outcomes.count("cancelled") >= len(cancelled) - 4


@pytest.mark.slow
def test_a_worker_killed_mid_fit_gives_the_same_numbers(cluster):
    """SIGKILL of a worker process mid-fit: Ray runs its task again; each result is taken once."""
    reference = slow_plr()
    reference.fit_local(n_jobs=1, seed=3, progress=False, resume=False)
    model = slow_plr()
    model.set_sample_splitting(reference.smpls)
    model.fit_ray(seed=3, progress=False, resume=False)  # the worker processes start
    victims = set(model.task_metrics["pid"])
    done: list[int] = []

    def kill_on_third(n: int) -> None:
        done.append(n)
        if len(done) == 3:
            for pid in victims:
                os.kill(pid, signal.SIGKILL)

    model.fit_ray(seed=3, progress=kill_on_third, resume=False)
    np.testing.assert_array_equal(model.coef, reference.coef)
    np.testing.assert_array_equal(model.se, reference.se)
    metrics = model.task_metrics
    assert len(metrics) == 40 and metrics["task_id"].is_unique
    assert not set(metrics["pid"]) <= victims  # the killed processes' tasks ran again in new ones


def test_data_in_s3_is_put_by_the_client_and_the_workers_need_no_aws(cluster, moto_s3_server, monkeypatch):
    """DoubleMLDataS3 on moto's S3 with ship='put': the client reads the bucket; the Ray workers, started
    before these AWS settings existed, reach no S3 (the workers' check of the payload's bucket once refused it)."""
    from pydmlserverless.testing import apply_aws_env

    apply_aws_env(monkeypatch, None, moto_s3_server.endpoint_url)  # this process only
    model, reference = s3_plr("ray-put.csv")
    model.fit_ray(seed=4, ship="put", progress=False, resume=False)
    assert_identical(numbers(model), reference)
    assert len(model.task_metrics) == 12
