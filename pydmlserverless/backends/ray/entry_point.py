"""What a Ray worker runs: :func:`~pydmlserverless.backends.shipped.run_shipped_task` with the worker's ids.

With ``ship='put'`` the dataset and splits bundles arrive as top-level arguments (Ray resolves
their object references to the node's shared copy; nested references would not be resolved);
with ``ship='store'`` the worker reads the fit's store. This module never imports DoubleML or pandas.
"""

from __future__ import annotations

from typing import Any

from ..shipped import TaskOutcome, process_identity, run_shipped_task

__all__ = ["run_on_ray"]


def _where() -> dict[str, Any]:
    """This worker's id and node (None for both outside a Ray worker)."""
    worker: str | None = None
    node: str | None = None
    try:
        import ray

        context = ray.get_runtime_context()
        worker, node = context.get_worker_id(), context.get_node_id()
    except Exception:  # not in a Ray worker (a direct call, e.g. in tests): None for both
        pass
    return {"worker": worker, "node": node, **process_identity()}


def run_on_ray(
    payload: dict[str, Any], store: dict[str, str] | None, keys: tuple[str, ...], *bodies: bytes
) -> TaskOutcome:
    """The Ray task: the one worker on the payload, with any error handed back.

    ``store`` is the descriptor of the fit's store (``ship='store'``); ``keys`` name the shipped
    ``bodies`` (``ship='put'``: the dataset and splits bundle, in that order). Returns
    :data:`~pydmlserverless.backends.shipped.TaskOutcome`.
    """
    blobs = dict(zip(keys, bodies, strict=True)) if keys else None
    return run_shipped_task(payload, store, blobs, _where(), "Ray")
