"""What the deployed Lambda function runs: read the event as a payload, run the worker, answer.

``lambda/handler.py`` is three lines around :func:`handle_event`. Predictions travel inline
(base64 float64) while they fit the payload's ``result.inline_max_bytes``; larger ones are written
to the store under ``result.key`` and only the key returns. This module loads numpy and
scikit-learn (through the worker), never pandas or DoubleML: the function's layer has neither.
"""

from __future__ import annotations

from typing import Any

from ... import codec
from ...protocol import TaskPayload, TaskResponse
from ...store import store_from_descriptor
from ...worker import execute_task
from .versions import runtime_versions

__all__ = ["handle_event"]


def handle_event(event: Any) -> dict[str, Any]:
    """Run a task and return its JSON-safe response (a :class:`~pydmlserverless.protocol.TaskResponse`).

    Parameters
    ----------
    event : dict
        A task payload (:meth:`~pydmlserverless.protocol.TaskPayload.to_dict`).

    Returns
    -------
    dict
        ``task_id``, ``n_predictions``, ``predictions_b64`` or ``predictions_key``, ``timings``,
        ``info`` (cache hits, process id, ``rss_start_mb`` and ``peak_rss_mb``; see
        :class:`~pydmlserverless.worker.TaskResult`) and ``versions``.

    Raises
    ------
    ProtocolError
        If the event is not a payload this worker reads (Lambda reports it as the function's error).
    """
    task = TaskPayload.from_dict(event)
    result = execute_task(task)
    body = codec.encode_array(result.predictions)
    inline = len(body) * 4 / 3 <= task.result.inline_max_bytes
    if not inline:
        store_from_descriptor(dict(task.store)).put(task.result.key, body)
    return TaskResponse(
        task_id=result.task_id,
        n_predictions=int(result.predictions.size),
        timings=result.timings,
        info=result.info,
        versions=runtime_versions(),
        predictions_b64=codec.array_to_b64(result.predictions) if inline else None,
        predictions_key=None if inline else task.result.key,
    ).to_dict()
