"""The Dask backend: its settings (``config``: :class:`Dask`), the client side (``backend``) and what its workers run.

Needs ``dask[distributed]`` (``pip install pydmlserverless[dask]``); the package imports it only when
a :class:`Dask` backend is opened.
"""

from .config import Dask

__all__ = ["Dask"]
