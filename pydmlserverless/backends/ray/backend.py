"""The Ray backend: every task of a fit on a Ray cluster (a laptop's, KubeRay, Anyscale, a SLURM allocation).

Failure semantics
-----------------
* A worker process or node lost mid-fit: Ray runs the tasks it held again (up to ``max_retries``
  times per task, 3 by default; Ray retries system failures, not a task's own exceptions). Each
  task has one object reference and its result is taken once, so nothing is counted twice; the
  numbers equal an undisturbed fit's. A task whose retries ran out raises a
  :class:`~pydmlserverless.errors.TaskError` naming it. With ``ship='put'`` the data objects are
  owned by this client; Ray rebuilds a lost copy from the owner.
* A task that raises: a :class:`~pydmlserverless.errors.TaskError` with the task's coordinates and
  the error's type and message, as on the other backends; the fit's other tasks are cancelled.
* KeyboardInterrupt (Ctrl-C) or any other exit from the fit cancels every task the fit submitted
  and has not taken (``ray.cancel``); the results kept so far let a rerun resume.
"""

from __future__ import annotations

import logging
import pickle
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd

from ...errors import ConfigurationError
from ...worker.protocol import Task
from ...worker.store import Store
from ..base import Backend, BackendResult
from ..cluster_results import engine_failure, take_outcome
from .entry_point import run_on_ray

logger = logging.getLogger(__name__)

__all__ = ["RayBackend", "connect"]


def connect(address: str | None = None) -> Any:
    """The ``ray`` module, connected: to the running Ray session, the cluster at ``address``, or Ray's default.

    An existing connection (``ray.init(...)`` called before) is used as it is. Otherwise
    ``ray.init(address)`` connects: a head node's ``'10.0.0.5:6379'``, ``'auto'`` (the cluster this
    machine belongs to), a Ray Client ``'ray://host:10001'``, or None, which follows Ray's own rule
    (``RAY_ADDRESS``, else a new local Ray instance on this machine's cores).

    Raises
    ------
    ConfigurationError
        Ray is not installed.
    """
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - the extra is installed where the tests run
        raise ConfigurationError("The Ray backend needs Ray: pip install 'pydmlserverless[ray]'.") from exc
    if not ray.is_initialized():
        ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
    return ray


class RayBackend(Backend):
    """Run tasks on a Ray cluster, yielding results as they complete.

    Parameters
    ----------
    ray : module
        The connected ``ray`` module (:func:`connect`).
    store : Store
        The store the fit is staged in. With ``ship='put'`` the client reads the tasks' dataset
        and splits from it and writes the kept results to it; with ``ship='store'`` the workers
        read and write it themselves.
    ship : {'put', 'store'}
        How the data reaches the workers (see :mod:`pydmlserverless.backends.shipped`).
    max_retries : int, default 3
        Ray's retries of a task whose worker process or node died.
    """

    name = "ray"

    def __init__(self, ray: Any, store: Store, ship: str = "put", max_retries: int = 3) -> None:
        self.ray = ray
        self.store = store
        self.ship = ship
        self._remote = ray.remote(run_on_ray).options(num_cpus=1, max_retries=max_retries)
        self._put: dict[str, Any] = {}  # store key -> the reference of its bytes in Ray's object store
        self.put_bytes = 0
        self.put_seconds = 0.0

    def _put_data(self, tasks: Sequence[Task]) -> None:
        """Put what the tasks read (datasets, splits, staged values) and is not put yet into Ray's object store."""
        keys = sorted({k for t in tasks for k in t.payload.inputs} - self._put.keys())
        t0 = time.perf_counter()
        for key in keys:
            body = self.store.get(key)
            self._put[key] = self.ray.put(body)
            self.put_bytes += len(body)
        self.put_seconds += time.perf_counter() - t0

    def run(self, tasks: Sequence[Task]) -> Iterator[BackendResult]:
        if not tasks:
            return
        ray = self.ray
        pending: dict[Any, Task] = {}  # submitted and not yet taken
        try:
            if self.ship == "put":
                self._put_data(tasks)
            descriptor = self.store.descriptor() if self.ship == "store" else None
            request_bytes: dict[str, int] = {}
            for task in tasks:
                payload = task.payload.to_dict()
                keys: tuple[str, ...] = ()
                refs: list[Any] = []
                if self.ship == "put":
                    keys = task.payload.inputs
                    refs = [self._put[k] for k in keys]
                # what travels per task: the payload and the store descriptor, or the data objects' ids
                shipped = (payload, descriptor, keys, [r.hex() for r in refs])
                request_bytes[task.task_id] = len(pickle.dumps(shipped))
                pending[self._remote.remote(payload, descriptor, keys, *refs)] = task
            shown: dict[Any, Any] = {}  # the 'default' action shows a worker's warning once per run
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                task = pending.pop(ready[0])
                try:
                    outcome = ray.get(ready[0])
                except Exception as exc:  # retries ran out, the object was lost, the task was cancelled
                    raise engine_failure(task, "Ray", exc) from exc
                where = outcome[4]
                yield take_outcome(
                    task,
                    outcome,
                    worker=f"Ray worker {where.get('worker')} (node {where.get('node')})",
                    request_bytes=request_bytes[task.task_id],
                    store=self.store,
                    shown=shown,
                )
        finally:
            # Ctrl-C, a failed task, or the consumer stopping early: the cluster stops working on the fit
            for ref in pending:
                ray.cancel(ref)
            pending.clear()

    def metrics_frame(self, rows: list[dict[str, Any]]) -> pd.DataFrame:
        return pd.DataFrame(rows)

    def summary_lines(self, metrics: pd.DataFrame) -> list[str]:
        if metrics.empty or "worker" not in metrics:
            return []
        workers, nodes = metrics["worker"].nunique(), metrics["node"].nunique()
        lines = [
            f"Ray: tasks ran in {workers} worker process(es) on {nodes} node(s); "
            f"{metrics['request_bytes'].median():,.0f} bytes submitted per task (median)"
        ]
        if self.ship == "put":
            lines.append(
                f"data put once into Ray's object store: {self.put_bytes / 2**20:.2f} MiB in {self.put_seconds:.2f} s"
            )
        else:
            lines.append("data read by the workers from the store (ship='store')")
        return lines
