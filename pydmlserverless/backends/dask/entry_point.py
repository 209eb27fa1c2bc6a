"""What a Dask worker runs: the payload read at the same edge as on Lambda, then the one worker.

The data reaches the worker in one of two ways (the backend's ``ship``):

* ``'scatter'``: the client scattered the staged dataset and splits bundles to every worker once
  (``client.scatter(..., broadcast=True)``); a task names them, Dask hands the worker its own
  in-memory copy, and :class:`ScatteredStore` serves them. What the worker would write (the kept
  result, the fitted learners) goes back to the client in the task's outbox, which writes it to the
  fit's store: the workers need neither a shared file system nor store credentials.
* ``'store'``: the worker reads the fit's store itself (a local folder on a file system every
  worker mounts, or the S3 bucket with the workers' own AWS configuration), as a local pool
  process does.

Either way the worker's caches (:mod:`pydmlserverless.worker`) decode a dataset once per worker
process. This module never imports DoubleML or pandas.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Any

from ...errors import StoreError
from ...protocol import TaskPayload
from ...store import Store, store_from_descriptor
from ...warning_capture import plain, recording
from ...worker import TaskResult, execute_task, keep_models, keep_result
from ...worker_config import WorkerConfig

__all__ = ["ScatteredStore", "run_on_dask"]


class ScatteredStore(Store):
    """The objects scattered to this worker (read-only), and an outbox for what the task writes.

    Parameters
    ----------
    blobs : dict
        Store key -> bytes: the task's dataset and splits bundle, from the worker's memory.
    """

    def __init__(self, blobs: dict[str, bytes]) -> None:
        self.blobs = blobs
        self.outbox: dict[str, bytes] = {}

    def get(self, key: str) -> bytes:
        if key in self.outbox:
            return self.outbox[key]
        try:
            return self.blobs[key]
        except KeyError:
            raise StoreError(f"{key!r} was not scattered to this Dask worker.") from None

    def put(self, key: str, body: bytes, metadata: dict | None = None) -> None:
        self.outbox[key] = bytes(body)

    def exists(self, key: str) -> bool:
        return key in self.blobs or key in self.outbox

    def delete(self, key: str) -> None:
        self.outbox.pop(key, None)

    def descriptor(self) -> dict:
        return {"kind": "dask-scatter"}

    def list_keys(self, prefix: str) -> list[str]:
        return sorted(k for k in {*self.blobs, *self.outbox} if k.startswith(prefix))


@dataclass(frozen=True)
class _ScatteredConfig(WorkerConfig):
    @property
    def identity(self) -> tuple[str, str]:
        # one identity for every task's ScatteredStore, so that the worker's caches decode a dataset
        # once per process; the keys are content-addressed and the worker checks each object's digest
        return ("dask-scatter", "")


def _where() -> dict[str, Any]:
    """This worker's address and host (the process's own when not in a Dask worker, e.g. in tests)."""
    try:
        from distributed import get_worker

        address = get_worker().address
    except (ImportError, ValueError):
        address = None
    return {"worker": address, "host": socket.gethostname(), "pid": os.getpid()}


def run_on_dask(
    payload: dict[str, Any], store: dict[str, str] | None, blobs: dict[str, bytes] | None
) -> tuple[str, TaskResult | None, Exception | None, list[dict[str, Any]], dict[str, Any], dict[str, bytes]]:
    """The Dask task: :func:`~pydmlserverless.worker.execute_task`, with any error handed back.

    ``store`` is the descriptor of the fit's store (``ship='store'``), ``blobs`` the scattered
    objects (``ship='scatter'``; Dask resolves their futures to this worker's copies).

    Returns
    -------
    tuple
        ``(task_id, result, error, warnings, where, outbox)``: ``result`` or ``error`` (so that the
        client names the task), the warnings the task raised (raised again in the client), the
        worker's address, host and process id, and what the task would have written to the store
        (``ship='scatter'``: the client writes it).
    """
    where = _where()
    outbox: dict[str, bytes] = {}
    with recording() as caught:
        try:
            if blobs is not None:
                scattered = ScatteredStore(blobs)
                config: WorkerConfig = _ScatteredConfig(scattered)
                outbox = scattered.outbox
            elif store is not None:
                config = WorkerConfig(store_from_descriptor(store))
            else:
                raise StoreError("The Dask task names neither a store nor scattered data.")
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
