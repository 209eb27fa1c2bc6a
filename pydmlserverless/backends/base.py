"""The interface every backend implements. It knows the wire contract only (:mod:`pydmlserverless.worker.protocol`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..worker.protocol import Task

__all__ = ["Backend", "BackendResult"]


@dataclass
class BackendResult:
    """A task's result as a backend hands it to the client.

    Attributes
    ----------
    task : Task
        The task.
    predictions : numpy.ndarray
        Test-row predictions of the task's folds, concatenated in fold order.
    metrics : dict
        One row of the backend's metrics table (durations, attempts, bytes, ...).
    models_key : str, optional
        Where the worker stored the task's fitted learners, if the payload asked for them.
    warnings : list of dict
        Warnings the task raised where it ran, as :func:`~pydmlserverless.worker.warning_capture.plain`
        records, for a backend that raises them again on the caller's thread.
    """

    task: Task
    predictions: np.ndarray
    metrics: dict[str, Any] = field(default_factory=dict)
    models_key: str | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)


class Backend:
    """Run tasks somewhere and yield their results as they complete.

    Subclasses implement :meth:`run`; they must yield exactly one result per task, or raise a
    :class:`pydmlserverless.errors.TaskError` naming the task that failed.
    """

    #: Short name shown in summaries.
    name = "backend"

    def run(self, tasks: Sequence[Task]) -> Iterator[BackendResult]:  # pragma: no cover - interface
        """Yield one :class:`BackendResult` per task, in completion order."""
        raise NotImplementedError

    def metrics_frame(self, rows: list[dict[str, Any]]) -> pd.DataFrame:
        """Turn the collected metric rows into the backend's metrics table."""
        return pd.DataFrame(rows)

    def summary_lines(self, metrics: pd.DataFrame) -> list[str]:
        """Backend-specific lines for the fit summary (e.g. cost)."""
        return []
