"""What a Dask worker runs: :func:`~pydmlserverless.backends.shipped.run_shipped_task` with the worker's address.

The data reaches the worker in one of two ways (the backend's ``ship``): ``'scatter'``, the client
scattered the staged dataset and splits bundles to every worker once (``client.scatter(...,
broadcast=True)``) and Dask resolves a task's futures to the worker's own copies; or ``'store'``,
the worker reads the fit's store itself. See :mod:`pydmlserverless.backends.shipped`. This module
never imports DoubleML or pandas.
"""

from __future__ import annotations

from typing import Any

from ..shipped import TaskOutcome, process_identity, run_shipped_task

__all__ = ["run_on_dask"]


def _where() -> dict[str, Any]:
    """This worker's address and host (the process's own when not in a Dask worker, e.g. in tests)."""
    try:
        from distributed import get_worker

        address = get_worker().address
    except (ImportError, ValueError):
        address = None
    return {"worker": address, **process_identity()}


def run_on_dask(payload: dict[str, Any], store: dict[str, str] | None, blobs: dict[str, bytes] | None) -> TaskOutcome:
    """The Dask task: the one worker on the payload, with any error handed back.

    ``store`` is the descriptor of the fit's store (``ship='store'``), ``blobs`` the scattered
    objects (``ship='scatter'``; Dask resolves their futures to this worker's copies). Returns
    :data:`~pydmlserverless.backends.shipped.TaskOutcome`.
    """
    return run_shipped_task(payload, store, blobs, _where(), "Dask")
