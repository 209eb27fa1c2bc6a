"""Fitted learners across the wire: skops, never pickle, with a trusted-type policy.

With ``fit_local(store_models=True)`` / ``fit_aws_lambda(store_models=True)`` a worker stores the
learners it fitted (one per fold of its task) with :func:`dump_models`, and the client reads them
back with :func:`load_models`. skops records the type of every object it stores and loads only the
types it is told to trust; here that is skops' own defaults (builtins, numpy, scipy and
scikit-learn's public estimators) plus the internal types of the packages learners may come from
(:data:`pydmlserverless.learners.ALLOWED_MODULE_PREFIXES`, e.g. ``sklearn.tree._tree.Tree``).
Anything else — a function, an object of another package — is refused before anything is loaded,
so a stored object cannot run code in the client.

skops is imported on first use: a worker that is not asked for its models never loads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .errors import CorruptObjectError
from .learners import ALLOWED_MODULE_PREFIXES

__all__ = ["dump_models", "load_models", "untrusted_types"]


def dump_models(estimators: Sequence[Any]) -> bytes:
    """The skops bytes of a task's fitted learners (a list, in fold order)."""
    import skops.io

    return bytes(skops.io.dumps(list(estimators)))


def untrusted_types(body: bytes) -> list[str]:
    """The types in ``body`` that skops does not trust by default and this package does not either."""
    import skops.io

    try:
        found = skops.io.get_untrusted_types(data=body)
    except Exception as exc:  # skops raises many kinds on a damaged archive
        raise CorruptObjectError(f"A stored set of fitted learners is not a skops file: {exc}") from None
    return [name for name in found if not name.startswith(ALLOWED_MODULE_PREFIXES)]


def load_models(body: bytes, n_expected: int) -> list[Any]:
    """Load a task's fitted learners from :func:`dump_models`'s bytes, trusting only the allowed types.

    Raises
    ------
    CorruptObjectError
        If the bytes are not a skops file of ``n_expected`` learners, or name a type outside the
        trusted ones (nothing is loaded then).
    """
    import skops.io

    refused = untrusted_types(body)
    if refused:
        raise CorruptObjectError(
            f"A stored set of fitted learners holds types that are not trusted: {refused[:5]}; it was not loaded."
        )
    trusted = skops.io.get_untrusted_types(data=body)
    try:
        models = skops.io.loads(body, trusted=trusted)
    except Exception as exc:
        raise CorruptObjectError(f"A stored set of fitted learners cannot be loaded: {exc}") from None
    if not isinstance(models, list) or len(models) != n_expected:
        raise CorruptObjectError(f"A stored set of fitted learners does not hold {n_expected} learner(s).")
    return models
