"""The local backend: its settings (``config``: :class:`Local`), the process pool (``backend``) and its entry point."""

from .backend import LocalBackend, resolve_n_jobs, shutdown_workers
from .config import Local

__all__ = ["Local", "LocalBackend", "resolve_n_jobs", "shutdown_workers"]
