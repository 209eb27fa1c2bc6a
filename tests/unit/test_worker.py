"""The one worker: caching per process, targets, subsets, inline and stored responses."""

from __future__ import annotations

import dataclasses
import json
import sys

import numpy as np
import pytest
from doubleml.irm.datasets import make_irm_data
from sklearn.linear_model import LinearRegression, LogisticRegression

from pydmlserverless import DoubleMLIRMServerless, ProtocolError
from pydmlserverless.core.staging import stage_splits
from pydmlserverless.core.tasks import StagedFit, plan_tasks
from pydmlserverless.doubleml.adapter import fit_spec
from pydmlserverless.doubleml.data import stage_dataset
from pydmlserverless.worker import codec
from pydmlserverless.worker import execute as worker
from pydmlserverless.worker.config import WorkerConfig
from pydmlserverless.worker.handler import handle_event
from pydmlserverless.worker.protocol import ResultSpec, TaskPayload, TaskResponse, results_prefix
from pydmlserverless.worker.store import LocalStore


def _staged_tasks(model, data, store, scaling="n_folds * n_rep"):
    """The model's tasks, its dataset and splits staged in ``store``."""
    key, _ = stage_dataset(data, store)
    spec = fit_spec(model, data)
    splits_keys, splits_members = stage_splits(spec, store)
    staged = StagedFit(store.descriptor(), key, splits_keys, results_prefix("k", ["s"]), splits_members)
    return plan_tasks(spec, staged, scaling, 1)


@pytest.fixture
def tasks(tmp_path):
    np.random.seed(0)
    data = make_irm_data(n_obs=200, dim_x=4, return_type="DoubleMLData")
    model = DoubleMLIRMServerless(None, None, data, LinearRegression(), LogisticRegression(), n_folds=2, n_rep=2)
    store = LocalStore(tmp_path)
    planned = _staged_tasks(model, data, store)
    worker.clear_caches()
    return model, data, store, planned, WorkerConfig(store)


def test_dataset_and_splits_are_loaded_once_per_process(tasks):
    *_, planned, config = tasks
    before = worker.cache_stats()
    results = [worker.execute_task(t.payload, config) for t in planned]
    after = worker.cache_stats()
    assert after["dataset_loads"] - before["dataset_loads"] == 1
    assert after["splits_loads"] - before["splits_loads"] == 1  # one bundle holds both repetitions
    assert [r.info["dataset_cache_hit"] for r in results].count(False) == 1


def test_subset_fit_uses_only_rows_of_that_group(tasks):
    model, data, _, planned, config = tasks
    task = next(t for t in planned if t.nuisance == "ml_g1" and t.rep == 0 and t.folds == (1,))
    train, test = model.smpls[0][1]
    frame = data.data
    treated = np.intersect1d(np.flatnonzero(frame["d"].to_numpy() == 1), train)
    x = frame[data.x_cols].to_numpy()
    expected = LinearRegression().fit(x[treated], frame["y"].to_numpy()[treated]).predict(x[test])
    np.testing.assert_allclose(worker.execute_task(task.payload, config).predictions, expected, rtol=1e-12)


def test_inline_and_stored_responses_carry_the_same_predictions(tasks):
    _, _, store, planned, config = tasks
    inline = handle_event(planned[0].payload.to_dict(), config)
    assert "predictions_b64" in inline and set(inline["versions"]) >= {"python", "numpy", "scikit-learn"}
    small = dataclasses.replace(planned[0].payload, result=ResultSpec(10, planned[0].payload.result.prefix))
    stored = handle_event(small.to_dict(), config)
    assert "predictions_b64" not in stored and stored["predictions_key"] == planned[0].payload.result_key
    from_store = codec.decode_result(store.get(stored["predictions_key"]), small.digest)
    np.testing.assert_array_equal(from_store, codec.b64_to_array(inline["predictions_b64"]))


def test_unknown_format_version_is_refused(tasks):
    *_, planned, config = tasks
    payload = dict(planned[0].payload.to_dict(), v=99)
    with pytest.raises(ProtocolError, match="Task format version 99 is not supported"):
        TaskPayload.from_dict(payload)
    with pytest.raises(ProtocolError, match="Task format version 99 is not supported"):
        handle_event(payload, config)


def test_missing_column_is_named(tasks):
    *_, planned, config = tasks
    payload = dataclasses.replace(planned[0].payload, features=("X1", "nope"))
    with pytest.raises(ProtocolError, match="Column 'nope' is not in the stored dataset"):
        worker.execute_task(payload, config)


def test_memory_of_the_worker_process_is_reported(tasks):
    *_, planned, config = tasks
    info = worker.execute_task(planned[0].payload, config).info
    if sys.platform.startswith("linux"):
        assert info["rss_start_mb"] > 0
        assert info["peak_rss_mb"] >= info["rss_start_mb"]
    assert info["peak_rss_mb"] > 0
    response = handle_event(planned[1].payload.to_dict(), config)
    assert response["info"]["peak_rss_mb"] >= info["peak_rss_mb"]  # the process's peak never falls
    json.dumps(response)  # JSON-safe numbers


def test_memory_reaches_the_lambda_metrics_rows(tasks):
    from pydmlserverless.backends.aws_lambda import metrics as lambda_metrics
    from pydmlserverless.worker.protocol import TaskResponse

    *_, planned, config = tasks
    response = handle_event(planned[0].payload.to_dict(), config)
    row = lambda_metrics.new_row(planned[0], 1, 100)
    row["outcome"] = "ok"
    lambda_metrics.fill_worker_report(row, TaskResponse.from_dict(response))
    task_row = lambda_metrics.task_row(planned[0], [row], {"throttle": 0, "connection": 0, "function_error": 0})
    for key in ("rss_start_mb", "peak_rss_mb"):
        assert row[key] == response["info"][key] and task_row[key] == row[key]
    assert list(lambda_metrics.invocations_frame([row]).columns) == lambda_metrics.INVOCATION_COLUMNS


def test_the_functions_answer_carries_its_warnings_counted_not_printed(tmp_path, capfd):
    """A learner's warnings in the function come back in the response, repeats merged into a count."""
    np.random.seed(0)
    data = make_irm_data(n_obs=200, dim_x=4, return_type="DoubleMLData")
    model = DoubleMLIRMServerless(None, None, data, LinearRegression(), LogisticRegression(max_iter=1), n_folds=2)
    store = LocalStore(tmp_path)
    by_nuisance = {t.nuisance: t for t in _staged_tasks(model, data, store, "n_rep")}  # a task holds both folds
    response = handle_event(by_nuisance["ml_m"].payload.to_dict(), WorkerConfig(store))
    (record,) = [r for r in response["warnings"] if r["category"] == "sklearn.exceptions.ConvergenceWarning"]
    assert record["count"] == 2 and "lbfgs failed to converge" in record["message"]
    assert "ConvergenceWarning" not in capfd.readouterr().err  # recorded, not printed to the log
    assert TaskResponse.from_dict(json.loads(json.dumps(response))).warnings[0]["count"] == 2
    assert "warnings" not in handle_event(by_nuisance["ml_g0"].payload.to_dict(), WorkerConfig(store))


def test_threads_of_one_process_share_the_caches_safely(tmp_path):
    """A Dask or Ray worker runs tasks on several threads of one process: evictions never fail a lookup."""
    import concurrent.futures

    store = LocalStore(tmp_path)
    config = WorkerConfig(store)
    planned = []
    for seed in range(worker._MAX_DATASETS + 2):  # more datasets than the cache holds: threads evict each other's
        np.random.seed(seed)
        data = make_irm_data(n_obs=120, dim_x=3, return_type="DoubleMLData")
        model = DoubleMLIRMServerless(None, None, data, LinearRegression(), LogisticRegression(), n_folds=2, n_rep=2)
        planned += _staged_tasks(model, data, store)
    worker.clear_caches()
    expected = [worker.execute_task(t.payload, config).predictions for t in planned]

    def load_in_a_loop(start: int) -> None:  # without the cache lock: KeyErrors within a few thousand loads
        for j in range(3000):
            payload = planned[(start * 7 + j) % len(planned)].payload
            worker._load_dataset(payload.dataset, config)
            worker._load_splits(payload, config)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        worker.clear_caches()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(load_in_a_loop, range(8)))
            got = list(pool.map(lambda t: worker.execute_task(t.payload, config), planned * 3))
    finally:
        sys.setswitchinterval(interval)
    for result, predictions in zip(got, expected * 3):
        np.testing.assert_array_equal(result.predictions, predictions)


def test_a_failing_tasks_warnings_go_to_the_functions_log(tasks, monkeypatch):
    """No response carries them when the task raises: they are shown (on Lambda, printed to its log)."""
    import warnings

    *_, planned, config = tasks

    def warn_then_fail(task, config):
        warnings.warn("about to fail", RuntimeWarning, stacklevel=1)
        raise ValueError("the fit failed")

    monkeypatch.setattr("pydmlserverless.worker.handler.execute_task", warn_then_fail)
    with pytest.warns(RuntimeWarning, match="about to fail"), pytest.raises(ValueError, match="the fit failed"):
        handle_event(planned[0].payload.to_dict(), config)  # recorded, then shown again: pytest.warns sees it
