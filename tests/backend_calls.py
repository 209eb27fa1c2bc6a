"""One operation called both ways: through its old method name (``fit_local()``) and through the backend argument.

The parity tests run through :func:`on_local` with both values of :data:`VIAS`, so that the shims
and ``fit(backend=...)`` / ``tune(backend=...)`` / ``tune_ml_models(backend=...)`` are held to the
same numbers.
"""

from __future__ import annotations

from typing import Any

from pydmlserverless import Local

__all__ = ["VIAS", "on_local"]

#: ``"shim"``: ``model.<operation>_local(...)``; ``"backend"``: ``model.<operation>(..., backend=Local(...))``.
VIAS = ("shim", "backend")


def on_local(model: Any, operation: str, via: str, *args: Any, n_jobs: int = -1, **kwargs: Any) -> Any:
    """``model.<operation>`` on the local pool of ``n_jobs`` processes, called the ``via`` way."""
    if via == "shim":
        return getattr(model, f"{operation}_local")(*args, n_jobs=n_jobs, **kwargs)
    if via == "backend":
        return getattr(model, operation)(*args, backend=Local(n_jobs=n_jobs), **kwargs)
    raise ValueError(f"via must be one of {VIAS}, not {via!r}")
