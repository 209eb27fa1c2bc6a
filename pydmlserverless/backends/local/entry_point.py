"""What a local pool process runs: the payload read at the same edge as on Lambda, then the worker.

The pool processes outlive a fit, so each task brings the client's current ``AWS_*`` settings
(a :class:`~pydmlserverless.doubleml.data.DoubleMLDataS3` fit reads its data from S3 here too). This module
never imports DoubleML or pandas: a pool process that unpickles a task loads only the worker.
"""

from __future__ import annotations

import os
from typing import Any

from ...worker.config import WorkerConfig
from ...worker.execute import TaskResult, execute_task, keep_models, keep_result
from ...worker.protocol import TaskPayload
from ...worker.store import aws_settings, store_from_descriptor
from ...worker.warning_capture import plain, recording

__all__ = ["run_in_pool", "sync_aws_settings"]


def sync_aws_settings(settings: dict[str, str]) -> None:
    """Make this process's ``AWS_*`` environment equal to ``settings``."""
    for name in aws_settings().keys() - settings.keys():
        del os.environ[name]
    os.environ.update(settings)


def run_in_pool(
    payload: dict[str, Any], settings: dict[str, str], store: dict[str, str]
) -> tuple[str, TaskResult | None, Exception | None, list[dict[str, Any]]]:
    """The pool's entry point: :func:`~pydmlserverless.worker.execute.execute_task`, with any error handed back.

    ``store`` is the descriptor of the store the user's process staged the fit in: the worker's
    configuration, passed beside the payload (which is checked at the same edge as on Lambda).
    With ``result.keep`` the result is also kept there, as on Lambda.

    Returns
    -------
    tuple
        ``(task_id, result, None, warnings)`` or ``(task_id, None, error, warnings)``, so that the
        client can name the task; ``warnings`` are those the task raised, recorded instead of
        printed to this process's stderr (:func:`~pydmlserverless.worker.warning_capture.plain` records,
        which the client raises again).
    """
    sync_aws_settings(settings)
    with recording() as caught:
        try:
            config = WorkerConfig(store_from_descriptor(store))
            task = TaskPayload.from_dict(payload)
            result = execute_task(task, config)
            if task.result.keep:  # the fit resumes from it if the client stops before it collects this
                keep_result(task, result, config)
            if task.return_models:  # through the store as skops, as on Lambda: never pickled back
                keep_models(task, result, config)
            outcome: tuple[TaskResult | None, Exception | None] = (result, None)
        except Exception as exc:  # carried back so the client can name the task
            outcome = (None, exc)
    return str(payload.get("task_id")), outcome[0], outcome[1], plain(caught)
