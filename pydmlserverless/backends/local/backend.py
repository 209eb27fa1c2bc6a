"""The local backend: every task of a fit on one process pool."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

from joblib import Parallel, delayed

from ..._checks import is_int
from ...errors import ConfigurationError, TaskError
from ...protocol import Task
from ...store import aws_settings
from ..base import Backend, BackendResult
from .entry_point import run_in_pool

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
        # joblib's default settings and the full n_jobs: joblib restarts its one reusable pool
        # whenever a call asks for other settings, so any deviation would make a fit that follows
        # a plain DoubleML fit (or any other joblib user in the session) start cold
        parallel = Parallel(n_jobs=self.n_jobs, return_as="generator_unordered")
        settings = aws_settings()
        by_id = {task.task_id: task for task in tasks}
        # workers get the payload only: unpickling a Task would import the planning side (DoubleML)
        if self.store is None:
            raise ConfigurationError("The local backend needs the store its workers read (LocalBackend(store=...)).")
        calls = (delayed(run_in_pool)(task.payload.to_dict(), settings, self.store) for task in tasks)
        for task_id, result, error in parallel(calls):
            task = by_id[task_id]
            if error is not None:
                raise TaskError(
                    f"Task failed ({task.describe()}): {type(error).__name__}: {error}",
                    task=task.coordinates(),
                    error_type=type(error).__name__,
                    error_message=str(error),
                ) from error
            assert result is not None
            yield BackendResult(
                task=task,
                predictions=result.predictions,
                metrics={
                    "task_id": task.task_id,
                    "treatment": task.treatment,
                    "learner": task.nuisance,
                    "rep": task.rep,
                    "folds": len(task.folds),
                    "attempts": 1,
                    **result.timings,
                    **result.info,
                },
            )
