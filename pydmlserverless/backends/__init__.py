"""Backends run tasks and yield their results; each backend is one folder here, named in :data:`BACKENDS`.

``base`` holds the interface (:class:`BackendSpec`, the settings a user names; :class:`Backend`,
what runs one run's tasks); ``local/`` is the process pool, ``aws_lambda/`` the Lambda client,
``dask/`` a dask.distributed cluster, ``ray/`` a Ray cluster; ``shipped`` is what a task on a
cluster engine runs. A new backend is a folder with its ``config`` (a :class:`BackendSpec`) and
one line in :data:`BACKENDS`. Names are imported on first use, so that a light import stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .._lazy import lazy_getattr
from ..errors import ConfigurationError

if TYPE_CHECKING:
    from .aws_lambda import AWSLambda
    from .base import Backend, BackendResult, BackendSpec
    from .dask import Dask
    from .local import Local
    from .ray import Ray

__all__ = ["BACKENDS", "AWSLambda", "Backend", "BackendResult", "BackendSpec", "Dask", "Local", "Ray", "backend_spec"]

#: The backends by name (as R and the command line name them): the module and class of each one's settings.
BACKENDS = {
    "local": ".local.config.Local",
    "aws_lambda": ".aws_lambda.config.AWSLambda",
    "dask": ".dask.config.Dask",
    "ray": ".ray.config.Ray",
}

_LAZY = {
    "Backend": ".base",
    "BackendResult": ".base",
    "BackendSpec": ".base",
    **{path.rpartition(".")[2]: path.rpartition(".")[0] for path in BACKENDS.values()},
}

__getattr__ = lazy_getattr(__name__, _LAZY)


def backend_spec(backend: Any, **options: Any) -> BackendSpec:
    """A backend's settings from its name and options, or the settings themselves.

    Parameters
    ----------
    backend : str or BackendSpec
        A name of :data:`BACKENDS` (``'local'``, ``'aws_lambda'``, ``'dask'``, ``'ray'``), or
        settings made already (then ``options`` must be empty).
    **options
        The backend's settings (its class's fields).

    Raises
    ------
    ConfigurationError
        An unknown name, or options with settings made already.
    TypeError
        An option the backend does not have.

    Examples
    --------
    >>> backend_spec("local", n_jobs=2)
    Local(n_jobs=2)
    """
    from .base import BackendSpec

    if isinstance(backend, BackendSpec):
        if options:
            raise ConfigurationError(f"backend={backend!r} is already made; give its options to it, not {options}.")
        return backend
    if backend not in BACKENDS:
        raise ConfigurationError(f"backend must be one of {sorted(BACKENDS)} or a BackendSpec; {backend!r} was passed.")
    module, _, cls = BACKENDS[backend].rpartition(".")
    spec_class: type[BackendSpec] = getattr(importlib.import_module(module, __name__), cls)
    return spec_class(**options)
