"""The client's side of a task run on a cluster engine (Dask, Ray): its outcome taken, or its loss named.

:func:`~pydmlserverless.backends.shipped.run_shipped_task` runs on the engine's worker and hands
back a :data:`~pydmlserverless.backends.shipped.TaskOutcome`; both engines' backends take it here,
in the client, the same way.
"""

from __future__ import annotations

from typing import Any

from ..errors import TaskError
from ..worker.protocol import Task
from ..worker.store import Store
from ..worker.warning_capture import reemit
from .base import BackendResult
from .shipped import TaskOutcome, write_outbox

__all__ = ["engine_failure", "take_outcome"]


def engine_failure(task: Task, engine: str, exc: BaseException) -> TaskError:
    """The error for a task the engine itself lost (a killed worker, lost data, retries run out)."""
    return TaskError(
        f"Task failed on {engine} ({task.describe()}): {type(exc).__name__}: {exc}",
        task=task.coordinates(),
        error_type=type(exc).__name__,
        error_message=str(exc),
    )


def take_outcome(
    task: Task,
    outcome: TaskOutcome,
    *,
    worker: str,
    request_bytes: int,
    store: Store,
    shown: dict[Any, Any],
) -> BackendResult:
    """One engine task's :data:`TaskOutcome`, taken on the client: warnings raised again, the outbox written.

    Parameters
    ----------
    task : Task
        The task the outcome belongs to.
    outcome : tuple
        What :func:`run_shipped_task` returned on the worker.
    worker : str
        Where it ran, in words, for the error message (e.g. ``"Dask worker tcp://…"``).
    request_bytes : int
        The size of what travelled to the worker for this task.
    store : Store
        The fit's store, which receives what a task on shipped data kept.
    shown : dict
        The run's warning registry (the 'default' action shows a worker's warning once per run).

    Raises
    ------
    TaskError
        The task failed on the worker; the message names the task and the worker.
    """
    _, result, error, caught, _, outbox = outcome
    reemit(caught, shown)
    if error is not None:
        raise TaskError(
            f"Task failed ({task.describe()}) on {worker}: {type(error).__name__}: {error}",
            task=task.coordinates(),
            error_type=type(error).__name__,
            error_message=str(error),
        ) from error
    assert result is not None
    write_outbox(store, task.payload, task.task_id, outbox)
    return BackendResult(
        task=task,
        predictions=result.predictions,
        metrics={**task.metric_columns(), **result.timings, **result.info, "request_bytes": request_bytes},
        models_key=result.models_key,
    )
