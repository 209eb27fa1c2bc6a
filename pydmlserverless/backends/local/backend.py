"""The local backend: every task of a fit on one process pool."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from typing import Any

from joblib import Parallel, delayed
from joblib.externals.loky.process_executor import TerminatedWorkerError

from ..._checks import is_int
from ...errors import ConfigurationError, TaskError
from ...worker.execute import TaskResult
from ...worker.protocol import Task
from ...worker.store import aws_settings
from ...worker.warning_capture import reemit
from ..base import Backend, BackendResult
from .entry_point import run_in_pool

logger = logging.getLogger(__name__)

#: How often a fit's pool may lose a worker (the unfinished tasks then run again) before it gives up.
MAX_WORKER_DEATHS = 2

__all__ = ["LocalBackend", "resolve_n_jobs", "shutdown_workers"]


def resolve_n_jobs(n_jobs: int | None) -> int:
    """Turn joblib-style ``n_jobs`` (None, -1, positive) into a process count.

    Examples
    --------
    >>> resolve_n_jobs(1)
    1
    """
    cpus = os.cpu_count() or 1
    if n_jobs is None:
        return 1
    if not is_int(n_jobs) or n_jobs == 0:
        raise ConfigurationError(f"n_jobs must be a non-zero integer or None; {n_jobs!r} was passed.")
    return max(1, cpus + 1 + n_jobs) if n_jobs < 0 else n_jobs


def shutdown_workers() -> None:
    """Stop the local backend's idle worker processes now.

    The pool is kept between fits (warm workers keep their cached data) and stopped when Python
    exits. Python embedded in another program — R through reticulate, e.g. Python chunks in
    R Markdown — is not shut down when that program exits, and idle workers would then live on
    for their idle timeout (300 s); call this at the end of such a session.

    Examples
    --------
    >>> shutdown_workers()
    """
    from joblib.externals.loky import reusable_executor

    # the executor joblib made (asking loky for one with other settings would start a new pool)
    executor = getattr(reusable_executor, "_executor", None)
    if executor is not None:
        # joblib's MemmappingExecutor.terminate also removes its temporary folder
        if hasattr(executor, "terminate"):
            executor.terminate()
        else:
            executor.shutdown(wait=True)


class LocalBackend(Backend):
    """Run tasks on a local pool of worker processes (joblib's loky, reused across fits).

    Parameters
    ----------
    n_jobs : int, default -1
        Number of processes; -1 uses all cores, 1 runs in this process.
    store : dict
        Descriptor of the store the fit is staged in (``Store.descriptor()``): where the workers read.
    """

    name = "local"

    def __init__(self, n_jobs: int | None = -1, store: dict[str, str] | None = None) -> None:
        self.n_jobs = resolve_n_jobs(n_jobs)
        # the workers' store: the one this process stages the fit in (the payload never names it)
        self.store = store

    def run(self, tasks: Sequence[Task]) -> Iterator[BackendResult]:
        if self.store is None:
            raise ConfigurationError("The local backend needs the store its workers read (LocalBackend(store=...)).")
        pending = {task.task_id: task for task in tasks}
        attempts = dict.fromkeys(pending, 0)
        for round_ in range(MAX_WORKER_DEATHS + 1):
            try:
                for task, result in self._run_round(list(pending.values()), attempts):
                    del pending[task.task_id]
                    yield BackendResult(
                        task=task,
                        predictions=result.predictions,
                        metrics=_metrics(task, result, attempts),
                        models_key=result.models_key,
                    )
                return
            except TerminatedWorkerError as exc:
                # a worker died (out of memory, killed): loky starts a new pool; the unfinished tasks run again
                logger.warning("a pool worker died (%s); running %d unfinished task(s) again", exc, len(pending))
                if round_ == MAX_WORKER_DEATHS:
                    first = next(iter(pending.values()))
                    raise TaskError(
                        f"A local pool worker died {MAX_WORKER_DEATHS + 1} times (out of memory, or killed) while "
                        f"{len(pending)} task(s) were unfinished, e.g. {first.task_id} ({first.describe()}); use "
                        "fewer processes (n_jobs) or a lighter learner.",
                        task=first.coordinates(),
                        error_type=type(exc).__name__,
                        error_message=str(exc),
                    ) from exc

    def _run_round(self, tasks: list[Task], attempts: dict[str, int]) -> Iterator[tuple[Task, TaskResult]]:
        # joblib's default settings and the full n_jobs: joblib restarts its one reusable pool
        # whenever a call asks for other settings, so any deviation would make a fit that follows
        # a plain DoubleML fit (or any other joblib user in the session) start cold
        parallel = Parallel(n_jobs=self.n_jobs, return_as="generator_unordered")
        settings = aws_settings()
        by_id = {task.task_id: task for task in tasks}
        for task in tasks:
            attempts[task.task_id] += 1
        # workers get the payload only: unpickling a Task would import the planning side (DoubleML)
        calls = (delayed(run_in_pool)(task.payload.to_dict(), settings, self.store) for task in tasks)
        shown: dict[Any, Any] = {}  # the 'default' action shows a worker's warning once per round
        for task_id, result, error, caught in parallel(calls):
            task = by_id[task_id]
            reemit(caught, shown)  # the workers' warnings, raised here where the filters are the user's
            if error is not None:
                raise TaskError(
                    f"Task failed ({task.describe()}): {type(error).__name__}: {error}",
                    task=task.coordinates(),
                    error_type=type(error).__name__,
                    error_message=str(error),
                ) from error
            assert result is not None
            yield task, result


def _metrics(task: Task, result: TaskResult, attempts: dict[str, int]) -> dict[str, Any]:
    return {
        **task.metric_columns(),
        "attempts": attempts[task.task_id],
        **result.timings,
        **result.info,
    }
