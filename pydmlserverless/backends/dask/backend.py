"""The Dask backend: every task of a fit on a ``dask.distributed`` cluster (SLURM, PBS, Kubernetes, Coiled, ...).

Failure semantics
-----------------
* A worker lost mid-fit (killed, out of memory, its job ended): Dask's scheduler runs the tasks it
  held again on the other workers (up to ``distributed.scheduler.allowed-failures`` times per
  task, 3 by default). Each task's result is taken once, by task id, so nothing is counted twice;
  the numbers equal an undisturbed fit's. A task that took down more workers than that raises a
  :class:`~pydmlserverless.errors.TaskError` naming it. With ``ship='scatter'``, a new worker
  receives the scattered data from another worker; if every worker holding it is gone, the tasks
  left fail with a TaskError.
* A task that raises: a :class:`~pydmlserverless.errors.TaskError` with the task's coordinates
  (treatment, learner, repetition, folds) and the error's type and message, as on the other
  backends; the fit's other futures are cancelled.
* KeyboardInterrupt (Ctrl-C) or any other exit from the fit cancels every future the fit
  submitted, so the cluster stops working on it; the results kept so far let a rerun resume.
"""

from __future__ import annotations

import logging
import pickle
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd

from ...errors import ConfigurationError
from ...worker.protocol import Task
from ...worker.store import Store
from ..base import Backend, BackendResult
from ..cluster_results import engine_failure, take_outcome
from .entry_point import run_on_dask

logger = logging.getLogger(__name__)

__all__ = ["DaskBackend", "resolve_client"]

_CLIENTS: dict[str, Any] = {}


def resolve_client(client: Any = None) -> Any:
    """The ``dask.distributed.Client`` a fit runs on: ``client``, one to the scheduler at that address, or the default.

    A string is a scheduler address (``'tcp://10.0.0.5:8786'``); its client is made once and reused.
    None takes the current default client (the last one made, or the one of a ``with Client(...)``
    block).

    Raises
    ------
    ConfigurationError
        No client given and none made, or an argument that is none of these.
    """
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - the extra is installed where the tests run
        message = "The Dask backend needs dask.distributed: pip install 'pydmlserverless[dask]'."
        raise ConfigurationError(message) from exc
    if client is None:
        try:
            return distributed.default_client()
        except ValueError:
            raise ConfigurationError(
                "The Dask backend found no Dask client: pass one (Dask(client), fit_dask(client)), a scheduler "
                "address (Dask('tcp://host:8786')), or make one first, e.g. Client(LocalCluster()) or "
                "Client(SLURMCluster(...)) from dask-jobqueue."
            ) from None
    if isinstance(client, str):
        known = _CLIENTS.get(client)
        if known is None or known.status not in ("running", "connecting", "newly-created"):
            known = _CLIENTS[client] = distributed.Client(client, set_as_default=False)
        return known
    if isinstance(client, distributed.Client):
        return client
    raise ConfigurationError(
        f"client must be a dask.distributed.Client, a scheduler address or None; {type(client).__name__} was passed."
    )


class DaskBackend(Backend):
    """Run tasks on a Dask cluster through a ``dask.distributed.Client``, yielding results as they complete.

    Parameters
    ----------
    client : dask.distributed.Client
        The cluster's client (:func:`resolve_client`).
    store : Store
        The store the fit is staged in. With ``ship='scatter'`` the client reads the tasks'
        dataset and splits from it and writes the kept results to it; with ``ship='store'`` the
        workers read and write it themselves.
    ship : {'scatter', 'store'}
        How the data reaches the workers (see :mod:`pydmlserverless.backends.shipped`), as
        :class:`~pydmlserverless.backends.dask.config.Dask` checked it.
    """

    name = "dask"

    def __init__(self, client: Any, store: Store, ship: str = "scatter") -> None:
        self.client = client
        self.store = store
        self.ship = ship
        self._scattered: dict[str, Any] = {}  # store key -> the future of its scattered bytes
        self.scattered_bytes = 0  # the bytes scattered to each worker
        self.scatter_seconds = 0.0

    def _scatter(self, tasks: Sequence[Task]) -> None:
        """Scatter what the tasks read (datasets, splits bundles, staged values) and this fit has not scattered yet."""
        import time

        keys = sorted({k for t in tasks for k in t.payload.inputs} - self._scattered.keys())
        if not keys:
            return
        t0 = time.perf_counter()
        bodies = [self.store.get(key) for key in keys]
        futures = self.client.scatter(bodies, broadcast=True, hash=False)
        self._scattered.update(zip(keys, futures))
        self.scattered_bytes += sum(len(b) for b in bodies)
        self.scatter_seconds += time.perf_counter() - t0

    def run(self, tasks: Sequence[Task]) -> Iterator[BackendResult]:
        if not tasks:
            return
        from distributed import as_completed

        by_key: dict[str, Task] = {}
        futures: dict[str, Any] = {}  # submitted and not yet taken
        try:
            if self.ship == "scatter":
                self._scatter(tasks)
            descriptor = self.store.descriptor() if self.ship == "store" else None
            token = uuid.uuid4().hex[:8]
            request_bytes: dict[str, int] = {}
            for task in tasks:
                payload = task.payload.to_dict()
                blobs = None
                if self.ship == "scatter":
                    blobs = {k: self._scattered[k] for k in task.payload.inputs}
                # what travels per task: the payload and the store descriptor, or the scattered objects' keys
                shipped = (payload, descriptor, {k: f.key for k, f in blobs.items()} if blobs else None)
                request_bytes[task.task_id] = len(pickle.dumps(shipped))
                key = f"pydmlserverless-{task.task_id}-{token}"
                futures[key] = self.client.submit(run_on_dask, payload, descriptor, blobs, key=key, pure=False)
                by_key[key] = task
            seen: set[str] = set()
            shown: dict[Any, Any] = {}  # the 'default' action shows a worker's warning once per run
            for future in as_completed(list(futures.values()), loop=self.client.loop):
                task = by_key[future.key]
                try:
                    outcome = future.result()
                except Exception as exc:  # KilledWorker, lost scattered data, a result that cannot be unpickled
                    raise engine_failure(task, "Dask", exc) from exc
                if task.task_id in seen:  # a result computed twice (a lost worker's task run again)
                    futures.pop(future.key, None)
                    continue
                taken = take_outcome(
                    task,
                    outcome,
                    worker=f"Dask worker {outcome[4].get('worker')}",
                    request_bytes=request_bytes[task.task_id],
                    store=self.store,
                    shown=shown,
                )  # raises with the failed future still listed, so that the finally cancels the rest
                # taken: released, so that a worker lost later does not make Dask compute it again
                futures.pop(future.key, None)
                seen.add(task.task_id)
                yield taken
        finally:
            # Ctrl-C, a failed task, or the consumer stopping early: the cluster stops working on the
            # fit, and forgets its finished tasks now (a traceback may keep these futures alive)
            if futures:
                self.client.cancel(list(futures.values()))
                futures.clear()

    def metrics_frame(self, rows: list[dict[str, Any]]) -> pd.DataFrame:
        return pd.DataFrame(rows)

    def summary_lines(self, metrics: pd.DataFrame) -> list[str]:
        if metrics.empty or "worker" not in metrics:
            return []
        workers, hosts = metrics["worker"].nunique(), metrics["host"].nunique()
        lines = [
            f"Dask: tasks ran on {workers} worker(s) on {hosts} host(s); "
            f"{metrics['request_bytes'].median():,.0f} bytes submitted per task (median)"
        ]
        if self.ship == "scatter":
            lines.append(
                f"data scattered once to every worker: {self.scattered_bytes / 2**20:.2f} MiB in "
                f"{self.scatter_seconds:.2f} s"
            )
        else:
            lines.append("data read by the workers from the store (ship='store')")
        return lines
