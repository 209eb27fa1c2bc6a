"""``Local``: the settings of a run on this machine's process pool."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from ...worker.store import Store
from ..base import BackendSpec
from .backend import LocalBackend, resolve_n_jobs

__all__ = ["Local"]


@dataclass(frozen=True)
class Local(BackendSpec):
    """Every task of a run on a local process pool (joblib's loky, kept warm between runs).

    Parameters
    ----------
    n_jobs : int or None, default -1
        Worker processes; -1 uses all cores, 1 (or None) runs in this process. DoubleML's own
        ``n_jobs_cv`` (and a container model's ``n_jobs_models`` where ``n_jobs`` is -1), when
        given to ``fit()`` or ``tune()``, sets it, as it sets DoubleML's parallelism.

    Examples
    --------
    >>> Local(n_jobs=2)
    Local(n_jobs=2)
    >>> Local(n_jobs=0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydmlserverless.errors.ConfigurationError: n_jobs must be a non-zero integer or None; 0 was passed.
    """

    n_jobs: int | None = -1

    name: ClassVar[str] = "local"

    def __post_init__(self) -> None:
        resolve_n_jobs(self.n_jobs)

    def open(self, store: Store, settings: Mapping[str, Any]) -> LocalBackend:
        backend = LocalBackend(self.n_jobs, store.descriptor())
        backend.label = f"local ({backend.n_jobs} process{'es' if backend.n_jobs > 1 else ''})"
        return backend

    def with_processes(self, n_jobs: int | None) -> Local:
        return replace(self, n_jobs=n_jobs)
