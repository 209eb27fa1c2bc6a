"""Backends run tasks and yield their results; each backend is one folder here.

``base`` holds the interface; ``local/`` is the process pool, ``aws_lambda/`` the Lambda client
and the function's entry point, ``dask/`` a dask.distributed cluster, ``ray/`` a Ray cluster;
``shipped`` is what a task on a cluster engine runs. Names are imported on first
use, so that the Lambda function's entry point loads neither pandas nor the other backends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr

if TYPE_CHECKING:
    from .aws_lambda import LambdaBackend, LambdaOptions
    from .base import Backend, BackendResult
    from .dask import DaskBackend
    from .local import LocalBackend
    from .ray import RayBackend

__all__ = ["Backend", "BackendResult", "DaskBackend", "LambdaBackend", "LambdaOptions", "LocalBackend", "RayBackend"]

_LAZY = {
    "Backend": ".base",
    "BackendResult": ".base",
    "DaskBackend": ".dask",
    "LambdaBackend": ".aws_lambda",
    "LambdaOptions": ".aws_lambda",
    "LocalBackend": ".local",
    "RayBackend": ".ray",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
