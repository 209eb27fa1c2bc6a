"""The Dask backend: every task of a fit on a ``dask.distributed`` cluster (``backend``), and what its workers run.

Needs ``dask[distributed]`` (``pip install pydmlserverless[dask]``); the package imports it only when
this backend is used.
"""

from .backend import SHIP_MODES, DaskBackend, resolve_client

__all__ = ["DaskBackend", "SHIP_MODES", "resolve_client"]
