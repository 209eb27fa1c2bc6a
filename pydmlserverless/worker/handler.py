"""What the deployed Lambda function runs: read the event as a payload, run the worker, answer.

The function reads and writes only the bucket its environment names (``PYDMLSERVERLESS_BUCKET``,
see :mod:`pydmlserverless.worker.config`), under the key layout the payload is checked against.

``lambda/handler.py`` is three lines around :func:`handle_event`. Predictions travel inline
(base64 float64) while they fit the payload's ``result.inline_max_bytes``; larger ones are written
to the store under the task's ``result_key`` and only the key returns. With ``result.keep`` (the
client's ``resume=True``) every result is written there too, so that a rerun finds it. This module loads numpy and
scikit-learn (through the worker), never pandas or DoubleML: the function's layer has neither.
"""

from __future__ import annotations

import warnings
from typing import Any

from . import codec
from .config import WorkerConfig
from .execute import execute_task, keep_models, keep_result
from .protocol import TaskPayload, TaskResponse
from .versions import runtime_versions
from .warning_capture import compact, plain, recording

__all__ = ["handle_event", "lambda_handler"]

_config: WorkerConfig | None = None


def _worker_config() -> WorkerConfig:
    """The function's configuration, read from its environment once per container."""
    global _config
    if _config is None:
        _config = WorkerConfig.from_environment()
    return _config


def handle_event(event: Any, config: WorkerConfig | None = None) -> dict[str, Any]:
    """Run a task and return its JSON-safe response (a :class:`~pydmlserverless.worker.protocol.TaskResponse`).

    Parameters
    ----------
    event : dict
        A task payload (:meth:`~pydmlserverless.worker.protocol.TaskPayload.to_dict`).
    config : WorkerConfig, optional
        Where the worker reads and writes; by default the function's own, from its environment.

    Returns
    -------
    dict
        ``task_id``, ``n_predictions``, ``predictions_b64`` or ``predictions_key``, ``timings``,
        ``info`` (cache hits, process id, ``rss_start_mb`` and ``peak_rss_mb``; see
        :class:`~pydmlserverless.worker.execute.TaskResult`), ``versions``, and ``warnings`` when the task
        raised any (:func:`~pydmlserverless.worker.warning_capture.compact` records, which the client
        raises again; they are printed to the function's log only when the task fails).

    Raises
    ------
    ProtocolError
        If the event is not a payload this worker reads (Lambda reports it as the function's error).
    ConfigurationError
        If the function's environment names no bucket (``PYDMLSERVERLESS_BUCKET``).
    """
    config = config if config is not None else _worker_config()
    task = TaskPayload.from_dict(event)
    caught: list[warnings.WarningMessage] = []
    try:
        with recording() as caught:
            result = execute_task(task, config)
    except BaseException:  # no response carries them: the function's log shows them, as it would unrecorded
        for w in caught:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
        raise
    inline = result.predictions.size * 8 * 4 / 3 <= task.result.inline_max_bytes
    if task.result.keep or not inline:
        keep_result(task, result, config)
    if task.return_models:
        keep_models(task, result, config)
    return TaskResponse(
        task_id=result.task_id,
        n_predictions=int(result.predictions.size),
        timings=result.timings,
        info=result.info,
        versions=runtime_versions(),
        predictions_b64=codec.array_to_b64(result.predictions) if inline else None,
        predictions_key=None if inline else task.result_key,
        models_key=result.models_key,
        warnings=compact(plain(caught)),
    ).to_dict()


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    """The deployed function's entry point (``Handler: handler.lambda_handler``): one task."""
    return handle_event(event)
