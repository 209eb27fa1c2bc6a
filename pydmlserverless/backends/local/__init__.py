"""The local backend: every task of a fit on one process pool (``backend``), and the pool's entry point."""

from .backend import LocalBackend, resolve_n_jobs, shutdown_workers

__all__ = ["LocalBackend", "resolve_n_jobs", "shutdown_workers"]
