"""The Ray backend: every task of a fit on a Ray cluster (``backend``), and what its workers run.

Needs ``ray`` (``pip install pydmlserverless[ray]``); the package imports it only when this backend
is used.
"""

from .backend import SHIP_MODES, RayBackend, connect

__all__ = ["RayBackend", "SHIP_MODES", "connect"]
