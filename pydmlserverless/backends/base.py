"""The interface every backend implements. It knows the wire contract only (:mod:`pydmlserverless.worker.protocol`).

A backend has two halves: its :class:`BackendSpec`, the frozen, validated settings a user names
(``Local(n_jobs=4)``, ``AWSLambda("LambdaCVPredict", "eu-central-1")``, ``Dask(client)``,
``Ray()``), and the :class:`Backend` that :meth:`BackendSpec.open` makes for one run, which runs
the tasks and reports on them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..worker.protocol import Task
from ..worker.store import Store

__all__ = ["Backend", "BackendResult", "BackendSpec"]


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
    #: What ran the tasks, for the fit report (set by :meth:`BackendSpec.open`).
    label = "backend"

    def run(self, tasks: Sequence[Task]) -> Iterator[BackendResult]:  # pragma: no cover - interface
        """Yield one :class:`BackendResult` per task, in completion order."""
        raise NotImplementedError

    def metrics_frame(self, rows: list[dict[str, Any]]) -> pd.DataFrame:
        """Turn the collected metric rows into the backend's metrics table."""
        return pd.DataFrame(rows)

    def summary_lines(self, metrics: pd.DataFrame) -> list[str]:
        """Backend-specific lines for the fit summary (e.g. cost)."""
        return []

    def extras(self, seconds: float) -> dict[str, Any]:
        """What the model keeps of a finished run besides the report (Lambda: invocations and cost)."""
        return {}

    def attach(self, exc: BaseException) -> None:
        """Hand what a failed run cost to its error (Lambda: the invocations, billed ones too)."""


class BackendSpec:
    """Where a run's tasks go: a backend's settings, validated once, frozen, opened once per run.

    Each backend's folder defines one (a frozen dataclass) and :data:`pydmlserverless.backends.BACKENDS`
    names it. A model's ``fit()``, ``tune()`` and ``tune_ml_models()`` take it as ``backend=``.
    """

    #: The registry name (``pydmlserverless.backends.BACKENDS``), also R's.
    name: ClassVar[str] = "backend"
    #: Whether the workers read the data from its S3 bucket (a ``DoubleMLDataS3``) themselves.
    needs_s3_data: ClassVar[bool] = False
    #: Whether a run prints its report when ``verbose`` is not given (None: when a progress bar shows).
    default_verbose: ClassVar[bool | None] = None

    def open(self, store: Store, settings: Mapping[str, Any]) -> Backend:  # pragma: no cover - interface
        """The backend that runs one run's tasks, its :attr:`Backend.label` set.

        Parameters
        ----------
        store : Store
            Where the run is staged (the workers read it, or the data are shipped from it).
        settings : mapping
            The model's own settings (``lambda_function_name``, ``aws_region``): defaults for a
            spec that leaves them open.
        """
        raise NotImplementedError

    def with_processes(self, n_jobs: int | None) -> BackendSpec:
        """The spec with DoubleML's ``n_jobs_cv`` (or ``n_jobs_models``) as its parallelism, where it sets one."""
        return self

    @classmethod
    def take(cls, options: dict[str, Any]) -> tuple[BackendSpec, dict[str, Any]]:
        """Build the spec from the options that are its fields; the others are returned (the old ``fit_*`` names).

        Examples
        --------
        >>> from pydmlserverless.backends.local import Local
        >>> Local.take({"n_jobs": 2, "seed": 1})
        (Local(n_jobs=2), {'seed': 1})
        """
        own = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        mine = {name: value for name, value in options.items() if name in own}
        return cls(**mine), {name: value for name, value in options.items() if name not in own}
