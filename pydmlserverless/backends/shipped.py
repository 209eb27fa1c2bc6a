"""A task on a cluster engine (Dask, Ray): the payload read at the same edge as on Lambda, then the one worker.

The data reaches the engine's worker in one of two ways:

* shipped: the client sent the staged dataset and splits bundles through the engine once per
  worker or node (Dask's ``client.scatter(..., broadcast=True)``, Ray's ``ray.put``); the engine
  hands the task its in-memory copy, and :class:`ShippedStore` serves them. What the worker would
  write (the kept result, the fitted learners) goes back to the client in the task's outbox, which
  writes it to the fit's store: the workers need neither a shared file system nor store
  credentials.
* from the store: the worker reads the fit's store itself (a local folder on a file system every
  worker mounts, or the S3 bucket with the workers' own AWS configuration), as a local pool
  process does.

Either way the worker's caches (:mod:`pydmlserverless.worker.execute`) decode a dataset once per worker
process. This module never imports DoubleML or pandas.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Any

from ..errors import StoreError
from ..worker.config import WorkerConfig
from ..worker.execute import TaskResult, execute_task, keep_models, keep_result
from ..worker.protocol import TaskPayload
from ..worker.store import Store, store_from_descriptor
from ..worker.warning_capture import plain, recording

__all__ = ["ShippedStore", "TaskOutcome", "run_shipped_task", "write_outbox"]

#: ``(task_id, result, error, warnings, where, outbox)``, as :func:`run_shipped_task` returns it.
TaskOutcome = tuple[str, TaskResult | None, Exception | None, list[dict[str, Any]], dict[str, Any], dict[str, bytes]]


class ShippedStore(Store):
    """The objects shipped to this worker (read-only), and an outbox for what the task writes.

    Parameters
    ----------
    blobs : dict
        Store key -> bytes: what the task reads (:attr:`TaskPayload.inputs`), from the worker's memory.
    engine : str
        The engine's name, for the error when a key was not shipped.
    """

    def __init__(self, blobs: dict[str, bytes], engine: str = "cluster") -> None:
        self.blobs = blobs
        self.engine = engine
        self.outbox: dict[str, bytes] = {}

    def get(self, key: str) -> bytes:
        if key in self.outbox:
            return self.outbox[key]
        try:
            return self.blobs[key]
        except KeyError:
            raise StoreError(f"{key!r} was not shipped to this {self.engine} worker.") from None

    def put(self, key: str, body: bytes, metadata: dict | None = None) -> None:
        self.outbox[key] = bytes(body)

    def exists(self, key: str) -> bool:
        return key in self.blobs or key in self.outbox

    def delete(self, key: str) -> None:
        self.outbox.pop(key, None)

    def descriptor(self) -> dict:
        return {"kind": "shipped"}

    def list_keys(self, prefix: str) -> list[str]:
        return sorted(k for k in {*self.blobs, *self.outbox} if k.startswith(prefix))


@dataclass(frozen=True)
class _ShippedConfig(WorkerConfig):
    @property
    def identity(self) -> tuple[str, str]:
        # one identity for every task's ShippedStore, so that the worker's caches decode a dataset
        # once per process; the keys are content-addressed and the worker checks each object's digest
        return ("shipped", "")

    def check_bucket(self, claimed: str | None) -> None:
        """Nothing to check: the task reads only the objects shipped with it, whichever bucket the
        client staged them in (a DoubleMLDataS3 fit's bucket, which the workers need not reach)."""


def process_identity() -> dict[str, Any]:
    """This process's host and id: the part of a task's ``where`` every engine has."""
    return {"host": socket.gethostname(), "pid": os.getpid()}


def run_shipped_task(
    payload: dict[str, Any],
    store: dict[str, str] | None,
    blobs: dict[str, bytes] | None,
    where: dict[str, Any],
    engine: str,
) -> TaskOutcome:
    """:func:`~pydmlserverless.worker.execute.execute_task` on an engine's worker, with any error handed back.

    Parameters
    ----------
    payload : dict
        The task's wire payload (read by :meth:`TaskPayload.from_dict`, as on Lambda).
    store : dict or None
        The descriptor of the fit's store, when the workers read it themselves.
    blobs : dict or None
        The shipped objects (store key -> bytes), when the client shipped them.
    where : dict
        The worker's identity (engine's worker id, host, pid), added to the task's metrics.
    engine : str
        The engine's name, for messages.

    Returns
    -------
    tuple
        ``(task_id, result, error, warnings, where, outbox)``: ``result`` or ``error`` (so that the
        client names the task), the warnings the task raised (raised again in the client),
        ``where``, and what the task would have written to the store (shipped data: the client
        writes it).
    """
    outbox: dict[str, bytes] = {}
    with recording() as caught:
        try:
            if blobs is not None:
                shipped = ShippedStore(blobs, engine)
                config: WorkerConfig = _ShippedConfig(shipped)
                outbox = shipped.outbox
            elif store is not None:
                config = WorkerConfig(store_from_descriptor(store))
            else:
                raise StoreError(f"The {engine} task names neither a store nor shipped data.")
            task = TaskPayload.from_dict(payload)
            result = execute_task(task, config)
            if task.result.keep:  # the fit resumes from it if the client stops before it collects this
                keep_result(task, result, config)
            if task.return_models:  # skops through the store (or the outbox), never pickled back
                keep_models(task, result, config)
            result.info.update(where)
            outcome: tuple[TaskResult | None, Exception | None] = (result, None)
        except Exception as exc:  # carried back so the client can name the task
            outcome = (None, exc)
    return str(payload.get("task_id")), outcome[0], outcome[1], plain(caught), where, outbox


def write_outbox(store: Store, payload: TaskPayload, task_id: str, outbox: dict[str, bytes]) -> None:
    """Write what a task on shipped data kept (its result, its learners) to the fit's store, under the task's own keys.

    Raises
    ------
    StoreError
        The outbox holds a key that is not the task's own result or models key.
    """
    allowed = {payload.result_key, payload.models_key}
    for key, body in outbox.items():
        if key not in allowed:
            raise StoreError(f"Task {task_id} tried to write {key!r}, which is not its own result key.")
        store.put(key, body)
