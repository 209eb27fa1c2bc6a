"""``Dask``: the settings of a run on a ``dask.distributed`` cluster (dask is imported only when one is opened)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ...errors import ConfigurationError
from ...worker.store import Store
from ..base import Backend, BackendSpec

__all__ = ["Dask"]

#: How the staged data reaches the workers: scattered once to each, or read from the store by each.
SHIP_MODES = ("scatter", "store")


@dataclass(frozen=True)
class Dask(BackendSpec):
    """Every task of a run on a Dask cluster (SLURM through dask-jobqueue, Kubernetes, Coiled, a ``LocalCluster``).

    The same worker as on the other backends runs each task, so the same seed gives the same
    numbers. Needs ``pip install pydmlserverless[dask]``, on the workers too.

    Parameters
    ----------
    client : dask.distributed.Client, str or None
        The cluster's client (e.g. ``Client(SLURMCluster(...))``), a scheduler address
        (``'tcp://host:8786'``), or None for the current default client.
    ship : {'scatter', 'store'}, default 'scatter'
        How the staged dataset and splits reach the workers, once per worker either way:
        ``'scatter'`` sends them from the client to every worker's memory and the client writes
        the kept results (the workers need no shared file system or credentials); ``'store'`` has
        the workers read (and keep results in) the store themselves: a folder every worker mounts
        or the data's S3 bucket with the workers' own AWS configuration.

    Failure semantics (:mod:`pydmlserverless.backends.dask.backend`): a worker lost mid-run has its
    tasks rescheduled by Dask and each task's result is taken once; a task that raises is named in
    a :class:`~pydmlserverless.errors.TaskError`; KeyboardInterrupt cancels the run's futures.

    Examples
    --------
    >>> Dask("tcp://10.0.0.5:8786", ship="store")
    Dask(client='tcp://10.0.0.5:8786', ship='store')
    """

    client: Any = field(default=None, compare=False)
    ship: str = "scatter"

    name: ClassVar[str] = "dask"

    def __post_init__(self) -> None:
        if self.ship not in SHIP_MODES:
            raise ConfigurationError(f"ship must be one of {SHIP_MODES}; {self.ship!r} was passed.")

    def open(self, store: Store, settings: Mapping[str, Any]) -> Backend:
        from .backend import DaskBackend, resolve_client

        resolved = resolve_client(self.client)
        backend = DaskBackend(resolved, store, self.ship)
        n_workers = len(resolved.scheduler_info().get("workers", {}))
        workers = f"{n_workers} worker{'s' if n_workers != 1 else ''}"
        backend.label = f"Dask {resolved.scheduler.address} ({workers}, ship={self.ship!r})"
        return backend
