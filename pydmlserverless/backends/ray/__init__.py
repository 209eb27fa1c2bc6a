"""The Ray backend: its settings (``config``: :class:`Ray`), the client side (``backend``) and what its workers run.

Needs ``ray`` (``pip install pydmlserverless[ray]``); the package imports it only when a :class:`Ray`
backend is opened.
"""

from .config import Ray

__all__ = ["Ray"]
