"""The one worker: compute a task's cross-fitted predictions from its payload.

Every backend runs :func:`execute_task`: the local backend in its pool processes
(:mod:`pydmlserverless.backends.local.entry_point`), the Lambda function through its handler
(:mod:`pydmlserverless.worker.handler`). A payload
(:class:`~pydmlserverless.worker.protocol.TaskPayload`) names the dataset and splits by store key;
datasets and splits are cached per process (a warm Lambda container reuses them), keyed by their
content digest. A finished task's result is kept in the store (:func:`keep_result`) under a key the
worker derives from the payload itself (:attr:`~pydmlserverless.worker.protocol.TaskPayload.result_key`),
which is what lets a rerun of the fit skip it. The worker knows data, learners and the payload's
operations (a target column, possibly minus a multiple of another; training rows, possibly
restricted to a column's value), never DoubleML.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.preprocessing import LabelEncoder

from ..errors import ProtocolError
from . import codec
from .config import WorkerConfig
from .learners import decode_learner, decode_params
from .protocol import TaskPayload

__all__ = ["TaskResult", "execute_task", "keep_result", "keep_models", "clear_caches", "cache_stats"]

#: the task's dataset, and a fold-specific target and sample weights staged for a second round
_MAX_DATASETS = 4
_MAX_SPLITS_BYTES = 256 * 2**20
_MAX_FEATURE_BLOCKS = 2

# keyed by (store identity, key): a pool process serves the stores of several fits
_datasets: OrderedDict[tuple[tuple[str, str], str], tuple[dict[str, int], np.ndarray]] = OrderedDict()
_splits: OrderedDict[tuple[tuple[str, str], str], codec.SplitsBundle] = OrderedDict()
_feature_blocks: OrderedDict[tuple, np.ndarray] = OrderedDict()
_stats = {"dataset_loads": 0, "dataset_hits": 0, "splits_loads": 0, "splits_hits": 0, "tasks": 0}
# a Dask or Ray worker runs tasks on several threads of one process: a lookup and the eviction
# another thread's load makes must not interleave (a KeyError), and a dataset is loaded once
_cache_lock = threading.RLock()


@dataclass
class TaskResult:
    """What a worker returns for a task.

    Attributes
    ----------
    task_id : str
        The task's id.
    predictions : numpy.ndarray
        Test-row predictions of the task's folds, concatenated in fold order.
    timings : dict
        Seconds spent loading, fitting and predicting.
    info : dict
        ``dataset_cache_hit``, ``splits_cache_hit``, ``pid``, and the process's memory in MiB:
        ``rss_start_mb`` (resident when the task started, before any load; Linux only, else None)
        and ``peak_rss_mb`` (the process's peak resident memory so far, read after the task:
        Linux's VmHWM, elsewhere ``getrusage``; None where neither exists). In a fresh process
        ``peak_rss_mb - rss_start_mb`` is what the task added over the idle process;
        ``peak_rss_mb`` is what to size a Lambda function's memory by (a lifetime peak: in a warm
        container it covers earlier tasks too).
    models : list, optional
        The fitted learners, one per fold, when the payload asked for them (until :func:`keep_models`).
    models_key : str, optional
        Where :func:`keep_models` stored them.
    """

    task_id: str
    predictions: np.ndarray
    timings: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    models: list | None = field(default=None, repr=False)
    models_key: str | None = None


def clear_caches() -> None:
    """Forget cached datasets, splits and feature matrices (for tests and memory pressure)."""
    with _cache_lock:
        _datasets.clear()
        _splits.clear()
        _feature_blocks.clear()


def cache_stats() -> dict:
    """Counts of loads and cache hits in this process."""
    with _cache_lock:
        return dict(_stats)


def _rss_mb() -> float | None:
    """The process's current resident memory in MiB (Linux: /proc/self/statm), else None."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _peak_rss_mb(*seen: float | None) -> float | None:
    """The process's peak resident memory so far in MiB, at least the largest of ``seen``; else None.

    Linux: ``VmHWM`` of /proc/self/status, the peak of this program's memory. Not ``getrusage``'s
    ``ru_maxrss`` there: it keeps the peak of the process before ``exec``, i.e. of the parent that
    forked it (a local pool worker would report the size of the user's Python session). Elsewhere
    ``ru_maxrss`` (KiB, bytes on macOS). The kernel keeps the peak from approximate counters, so it
    can lag a current reading (``seen``) by a fraction of a MiB.
    """
    peak_mb = None
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    peak_mb = int(line.split()[1]) / 2**10  # kB
                    break
    except (OSError, ValueError, IndexError):
        pass
    if peak_mb is None:
        try:
            import resource
        except ImportError:  # Windows
            return None
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak_mb = peak / 2**20 if sys.platform == "darwin" else peak / 2**10
    return max([peak_mb, *(mb for mb in seen if mb is not None)])


def _remember(cache: OrderedDict, key: Any, value: Any, limit: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > limit:
        cache.popitem(last=False)


def _digest_of(key: str) -> str:
    return key.rsplit("/", 1)[1].split(".", 1)[0]


def _load_dataset(dataset: str, config: WorkerConfig) -> tuple[dict[str, int], np.ndarray, bool]:
    """A stored dataset (the task's, or values the client staged for it): column positions, values, cache hit."""
    key = (config.identity, dataset)
    with _cache_lock:
        cached = _datasets.get(key)
        if cached is not None:
            _datasets.move_to_end(key)
            _stats["dataset_hits"] += 1
            return (*cached, True)
        body = config.store.get(dataset)
        columns, values = codec.decode_dataset(body, config.max_object_bytes, _digest_of(dataset))
        index = {name: i for i, name in enumerate(columns)}
        _remember(_datasets, key, (index, values), _MAX_DATASETS)
        _stats["dataset_loads"] += 1
    return index, values, False


def _load_splits(task: TaskPayload, config: WorkerConfig) -> tuple[list[tuple[np.ndarray, np.ndarray]], bool]:
    """The (train, test) rows of the task's folds, from its repetition's (cached) splits bundle."""
    key = (config.identity, task.splits)
    with _cache_lock:
        bundle = _splits.get(key)
        hit = bundle is not None
        if bundle is not None:
            _splits.move_to_end(key)
            _stats["splits_hits"] += 1
        else:
            body = config.store.get(task.splits)
            bundle = _splits[key] = codec.SplitsBundle(body, config.max_object_bytes, _digest_of(task.splits))
            _stats["splits_loads"] += 1
            # bounded by bytes, not count: one bundle of 10^6 rows holds a few MB per repetition
            while len(_splits) > 1 and sum(b.nbytes for b in _splits.values()) > _MAX_SPLITS_BYTES:
                _splits.popitem(last=False)
    return bundle.folds(task.splits_member, task.folds), hit


def _column(index: dict[str, int], name: str) -> int:
    try:
        return index[name]
    except KeyError:
        raise ProtocolError(f"Column {name!r} is not in the stored dataset.") from None


def _features(task: TaskPayload, index: dict[str, int], values: np.ndarray) -> np.ndarray:
    positions = [_column(index, name) for name in task.features]
    first = positions[0]
    if positions == list(range(first, first + len(positions))):
        return values[:, first : first + len(positions)]  # a view of the column-major matrix
    block_key = (task.dataset, tuple(positions))
    with _cache_lock:
        block = _feature_blocks.get(block_key)
        if block is None:
            block = np.asfortranarray(values[:, positions])
            _remember(_feature_blocks, block_key, block, _MAX_FEATURE_BLOCKS)
    return block


def _staged_column(key: str, column: str, n_obs: int, config: WorkerConfig) -> np.ndarray:
    """A column of values the client staged for the task (a fold's target, the sample weights)."""
    index, values, _ = _load_dataset(key, config)
    if values.shape[0] != n_obs:
        raise ProtocolError(f"The staged values {key!r} have {values.shape[0]} rows; the dataset has {n_obs}.")
    return values[:, _column(index, column)]


def _target(task: TaskPayload, index: dict[str, int], values: np.ndarray) -> np.ndarray:
    spec = task.target
    target = values[:, _column(index, spec.column)]
    if spec.minus_column is not None:
        assert spec.minus_coef is not None
        # this operation order is the contract's (protocol.Target): targets bit-identical to the client's
        target = target - spec.minus_coef * values[:, _column(index, spec.minus_column)]
    return target


def _train_rows(train: np.ndarray, task: TaskPayload, index: dict[str, int], values: np.ndarray) -> np.ndarray:
    if task.subset is None:
        return train
    rows = np.where(values[:, _column(index, task.subset.column)] == task.subset.value)[0]
    return np.intersect1d(rows, train)  # sorted, as protocol.Subset says


def execute_task(task: TaskPayload, config: WorkerConfig) -> TaskResult:
    """Fit the task's learner on each of its folds' training rows and predict the test rows.

    Parameters
    ----------
    task : TaskPayload
        The task (read at the edge with :meth:`~pydmlserverless.worker.protocol.TaskPayload.from_dict`).
    config : WorkerConfig
        Where this worker reads (its store, never the payload's choice) and how much it decodes.

    Returns
    -------
    TaskResult
        Predictions for the test rows of ``task.folds``, concatenated in that order.

    Raises
    ------
    ProtocolError
        If the task's data is in another bucket, or it names a column the dataset lacks or a
        repetition its splits bundle lacks.
    CorruptObjectError
        If a stored object is not what its key says, or too large for this worker.
    """
    config.check_bucket(task.bucket)
    rss_start_mb = _rss_mb()
    t0 = time.perf_counter()
    index, values, dataset_hit = _load_dataset(task.dataset, config)
    smpls, splits_hit = _load_splits(task, config)
    x = _features(task, index, values)
    n_obs = values.shape[0]
    per_fold = task.target.per_fold
    y = _target(task, index, values) if per_fold is None else np.empty(0)
    if task.method == "predict_proba" and per_fold is None:  # DoubleML encodes a column's labels, not a fold's
        y = LabelEncoder().fit_transform(y)
    weight = _staged_column(task.sample_weight, "weight", n_obs, config) if task.sample_weight else None
    base = decode_learner(dict(task.learner))
    t_loaded = time.perf_counter()

    fit_s = 0.0
    chunks = []
    fitted = []
    for fold, (train, test), params in zip(task.folds, smpls, task.params):
        train = _train_rows(train, task, index, values)
        estimator = clone(base).set_params(**decode_params(dict(params), base))
        y_fold = y if per_fold is None else _staged_column(per_fold, str(fold), n_obs, config)
        fit_weight = {"sample_weight": weight[train]} if weight is not None else {}
        t_fit = time.perf_counter()
        estimator.fit(x[train], y_fold[train], **fit_weight)
        fit_s += time.perf_counter() - t_fit
        if task.return_models:
            fitted.append(estimator)
        if task.method == "predict_proba":
            chunks.append(estimator.predict_proba(x[test])[:, 1])
        else:
            chunks.append(estimator.predict(x[test]))
    predictions = np.concatenate(chunks).astype(np.float64, copy=False) if chunks else np.empty(0)
    t_end = time.perf_counter()
    with _cache_lock:
        _stats["tasks"] += 1
    return TaskResult(
        task_id=task.task_id,
        predictions=predictions,
        timings={"load_s": t_loaded - t0, "fit_s": fit_s, "predict_s": t_end - t_loaded - fit_s, "total_s": t_end - t0},
        info={
            "dataset_cache_hit": dataset_hit,
            "splits_cache_hit": splits_hit,
            "pid": os.getpid(),
            "rss_start_mb": rss_start_mb,
            "peak_rss_mb": _peak_rss_mb(rss_start_mb, _rss_mb()),
        },
        models=fitted if task.return_models else None,
    )


def _put_timed(result: TaskResult, config: WorkerConfig, key: str, body: bytes, t0: float, names: tuple) -> str:
    """Write ``body`` under ``key``; record the seconds since ``t0`` and the size under ``names``."""
    config.store.put(key, body)
    spent = time.perf_counter() - t0
    result.timings[names[0]] = spent
    result.timings["total_s"] = result.timings.get("total_s", 0.0) + spent
    result.info[names[1]] = len(body)
    return key


def keep_result(task: TaskPayload, result: TaskResult, config: WorkerConfig) -> str:
    """Store ``result`` under the task's own result key (named by its digest) and return the key.

    The key is derived here from the payload's content, never taken from it, so that a payload
    cannot place a result where another task's would be looked up. Adds ``store_s`` (encoding and
    writing) to the timings (and to ``total_s``) and ``result_bytes`` to the info.
    """
    t0 = time.perf_counter()
    body = codec.encode_result(result.predictions, task.digest)
    return _put_timed(result, config, task.result_key, body, t0, ("store_s", "result_bytes"))


def keep_models(task: TaskPayload, result: TaskResult, config: WorkerConfig) -> str:
    """Store the task's fitted learners (skops) under its own models key and return the key.

    The learners leave the result (nothing but predictions and figures goes back to the client
    by any other way); adds ``models_s`` (serializing and writing) to the timings (and to
    ``total_s``) and ``models_bytes`` to the info.
    """
    from .fitted_models import dump_models

    assert result.models is not None, "the payload did not ask for the models"
    t0 = time.perf_counter()
    body = dump_models(result.models)
    result.models, result.models_key = None, task.models_key
    return _put_timed(result, config, task.models_key, body, t0, ("models_s", "models_bytes"))
