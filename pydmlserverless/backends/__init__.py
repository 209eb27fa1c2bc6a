"""Backends run tasks and yield their results; each backend is one module here."""

from .aws_lambda import LambdaBackend
from .base import Backend, BackendResult
from .local import LocalBackend

__all__ = ["Backend", "BackendResult", "LambdaBackend", "LocalBackend"]
