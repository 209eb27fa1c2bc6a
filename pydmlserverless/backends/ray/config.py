"""``Ray``: the settings of a run on a Ray cluster (ray is imported only when one is opened)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ..._checks import check_int
from ...errors import ConfigurationError
from ...worker.store import Store
from ..base import Backend, BackendSpec

__all__ = ["Ray"]

#: How the staged data reaches the workers: put into Ray's object store once, or read from the store by each.
SHIP_MODES = ("put", "store")


@dataclass(frozen=True)
class Ray(BackendSpec):
    """Every task of a run as a Ray task (one CPU each) on a Ray cluster (a local instance, KubeRay, Anyscale).

    The same worker as on the other backends runs each task, so the same seed gives the same
    numbers. Needs ``pip install pydmlserverless[ray]``, on the cluster's workers too.

    Parameters
    ----------
    address : str or None
        Used only when this process is not connected to Ray yet: the cluster (``'auto'``, a head
        node's ``'host:6379'``, a Ray Client ``'ray://host:10001'``); None follows Ray's own rule
        (``RAY_ADDRESS``, else a new local Ray instance on this machine's cores).
    ship : {'put', 'store'}, default 'put'
        How the staged dataset and splits reach the workers: ``'put'`` puts them into Ray's object
        store once and the client writes the kept results; ``'store'`` has the workers read (and
        keep results in) the store themselves, as for :class:`~pydmlserverless.backends.Dask`.
    max_retries : int, default 3
        Ray's retries of a task whose worker process or node died.

    Examples
    --------
    >>> Ray("auto", max_retries=1)
    Ray(address='auto', ship='put', max_retries=1)
    """

    address: str | None = None
    ship: str = "put"
    max_retries: int = 3

    name: ClassVar[str] = "ray"

    def __post_init__(self) -> None:
        if self.ship not in SHIP_MODES:
            raise ConfigurationError(f"ship must be one of {SHIP_MODES}; {self.ship!r} was passed.")
        if self.address is not None and not isinstance(self.address, str):
            raise ConfigurationError(
                "address must be a Ray cluster address (e.g. 'auto', '10.0.0.5:6379', 'ray://host:10001') or None; "
                f"{type(self.address).__name__} was passed."
            )
        check_int(self.max_retries, "max_retries", minimum=0)

    def open(self, store: Store, settings: Mapping[str, Any]) -> Backend:
        from .backend import RayBackend, connect

        ray = connect(self.address)
        backend = RayBackend(ray, store, self.ship, self.max_retries)
        nodes = sum(1 for node in ray.nodes() if node.get("Alive"))
        cpus = int(ray.cluster_resources().get("CPU", 0))
        where = ray.get_runtime_context().gcs_address
        backend.label = f"Ray {where} ({nodes} node{'s' if nodes != 1 else ''}, {cpus} CPUs, ship={self.ship!r})"
        return backend
