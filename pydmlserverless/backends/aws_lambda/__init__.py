"""The AWS Lambda backend, one module an idea.

``backend`` (the invoking client), ``options`` (its validated settings), ``client`` (the boto3
client and its Config), ``retry`` (the retry policy, the concurrency gate), ``speculation``
(speculative copies of straggling tasks), ``versions`` (the
deployed worker's libraries), ``metrics`` and ``cost`` (invocation rows, REPORT lines, prices) —
and ``entry_point``, what the deployed function runs (``lambda/handler.py`` delegates to it).

Names are imported on first use: the function's entry point must load neither pandas nor boto3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._lazy import lazy_getattr

if TYPE_CHECKING:
    from .backend import LambdaBackend
    from .client import lambda_client_config, make_lambda_client
    from .cost import DEFAULT_PRICES, LambdaPrices
    from .metrics import INVOCATION_COLUMNS
    from .options import LambdaOptions
    from .retry import RetryPolicy
    from .speculation import SpeculationPolicy
    from .versions import REDEPLOY_HINT, VERSION_KEYS, version_mismatches

__all__ = [
    "DEFAULT_PRICES",
    "INVOCATION_COLUMNS",
    "REDEPLOY_HINT",
    "VERSION_KEYS",
    "LambdaBackend",
    "LambdaOptions",
    "LambdaPrices",
    "RetryPolicy",
    "SpeculationPolicy",
    "lambda_client_config",
    "make_lambda_client",
    "version_mismatches",
]

_LAZY = {
    "DEFAULT_PRICES": ".cost",
    "INVOCATION_COLUMNS": ".metrics",
    "REDEPLOY_HINT": ".versions",
    "VERSION_KEYS": ".versions",
    "LambdaBackend": ".backend",
    "LambdaOptions": ".options",
    "LambdaPrices": ".cost",
    "RetryPolicy": ".retry",
    "SpeculationPolicy": ".speculation",
    "lambda_client_config": ".client",
    "make_lambda_client": ".client",
    "version_mismatches": ".versions",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
