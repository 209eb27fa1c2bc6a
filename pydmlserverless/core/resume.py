"""Resume by construction: the results a fit's workers kept, found again by a rerun.

Every worker keeps each finished task's result in the fit's store under a key named by the
task's digest (:func:`pydmlserverless.worker.protocol.task_digest`: dataset, splits, learner, parameters
and seeds, target, subset, method, format). A rerun of the same fit — after Ctrl-C, a
:class:`~pydmlserverless.errors.TaskError`, a crashed client — plans the same tasks, so
:func:`stored_results` finds what is done in one listing of the fit's results folder and only the
missing tasks run. A result that is damaged, of the wrong length, or another task's (each kept
result names the digest of the task it answers) is not used: its task runs again, and the fit
report counts it.

Kept results expire with the bucket's lifecycle rule (``ResultsExpirationDays`` of
``sam/template.yaml``, 7 days by default); :func:`clear_results` removes them now, and
``fit_local(resume=False)`` / ``fit_aws_lambda(resume=False)`` neither look for nor keep them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from ..errors import PyDMLServerlessError
from ..worker import codec
from ..worker.protocol import KEY_PREFIX, Task
from ..worker.store import LocalStore, S3Store, Store

__all__ = ["StoredResults", "stored_results", "clear_results"]

logger = logging.getLogger(__name__)

#: Parallel reads of kept results from S3 (each a small GET): botocore's default connection pool.
_READERS = 10


@dataclass
class StoredResults:
    """What a rerun found of a fit's kept results.

    Attributes
    ----------
    predictions : dict of str to numpy.ndarray
        By task id, the verified predictions of the tasks that need not run.
    discarded : list of str
        Task ids whose kept result was damaged, of the wrong length or another task's (they run again).
    seconds : float
        Wall seconds spent listing and reading.
    n_bytes : int
        Bytes read.
    """

    predictions: dict[str, np.ndarray] = field(default_factory=dict)
    discarded: list[str] = field(default_factory=list)
    seconds: float = 0.0
    n_bytes: int = 0


def stored_results(store: Store, tasks: Sequence[Task]) -> StoredResults:
    """The kept results of ``tasks`` in ``store``, verified (checksum and length).

    Parameters
    ----------
    store : Store
        The fit's store.
    tasks : sequence of Task
        The planned tasks.

    Returns
    -------
    StoredResults
    """
    t0 = time.perf_counter()
    found = StoredResults()
    by_key = {task.payload.result_key: task for task in tasks}
    listed: set[str] = set()
    for prefix in sorted({task.payload.result.prefix for task in tasks}):
        listed.update(store.list_keys(prefix))
    # a fit that stores its models resumes a task only if its learners were kept too
    wanted = [
        (key, task)
        for key, task in by_key.items()
        if key in listed and (not task.payload.return_models or task.payload.models_key in listed)
    ]

    def read(item: tuple[str, Task]) -> tuple[Task, np.ndarray | None, int]:
        key, task = item
        try:
            body = store.get(key)
        except PyDMLServerlessError as exc:
            logger.info("kept result of %s unreadable (%s); the task runs again", task.task_id, exc)
            return task, None, 0
        try:
            values = codec.decode_result(body, task.payload.digest, task.n_predictions)
        except PyDMLServerlessError as exc:
            logger.warning("kept result of %s is not usable (%s); the task runs again", task.task_id, exc)
            return task, None, len(body)
        return task, (values if np.isfinite(values).all() else None), len(body)

    workers = _READERS if isinstance(store, S3Store) else 1
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(wanted)))) as pool:
        for task, values, n_bytes in pool.map(read, wanted):
            found.n_bytes += n_bytes
            if values is None:
                found.discarded.append(task.task_id)
            else:
                found.predictions[task.task_id] = values
    found.seconds = time.perf_counter() - t0
    return found


def clear_results(store: Store | str | None = None) -> int:
    """Delete every result kept in a store (all fits'), so that no later fit resumes from them.

    Parameters
    ----------
    store : Store, str or None
        A store; a bucket name (an :class:`~pydmlserverless.worker.store.S3Store` with the SDK's
        default settings); None: the local backend's default :class:`LocalStore`.

    Returns
    -------
    int
        The number of results deleted.

    Examples
    --------
    >>> import tempfile
    >>> clear_results(LocalStore(tempfile.mkdtemp()))
    0
    """
    if store is None:
        store = LocalStore()
    elif isinstance(store, str):
        store = S3Store(store)
    keys = store.list_keys(f"{KEY_PREFIX}results/")
    store.delete_keys(keys)
    return len(keys)
