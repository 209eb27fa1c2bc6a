"""Backends run tasks and yield their results; each backend is one module here."""

from .base import Backend, BackendResult
from .local import LocalBackend

__all__ = ["Backend", "BackendResult", "LocalBackend"]
