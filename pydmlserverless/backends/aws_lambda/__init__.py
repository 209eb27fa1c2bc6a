"""The AWS Lambda backend, one module an idea.

``config`` (:class:`AWSLambda`, its validated settings), ``backend`` (the invoking client),
``client`` (the boto3 client and its Config), ``retry`` (the retry policy, the concurrency gate),
``speculation`` (speculative copies of straggling tasks), ``versions`` (whether the deployed
worker's libraries are the client's), ``metrics`` and ``cost`` (invocation rows, REPORT lines,
prices). What the deployed function runs is the worker's (:mod:`pydmlserverless.worker.handler`).

Names are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._lazy import lazy_getattr

if TYPE_CHECKING:
    from .backend import LambdaBackend
    from .client import lambda_client_config, make_lambda_client
    from .config import AWSLambda
    from .cost import DEFAULT_PRICES, LambdaPrices
    from .metrics import INVOCATION_COLUMNS
    from .retry import RetryPolicy
    from .speculation import SpeculationPolicy
    from .versions import REDEPLOY_HINT, VERSION_KEYS, version_mismatches

__all__ = [
    "DEFAULT_PRICES",
    "INVOCATION_COLUMNS",
    "REDEPLOY_HINT",
    "VERSION_KEYS",
    "LambdaBackend",
    "AWSLambda",
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
    "AWSLambda": ".config",
    "LambdaPrices": ".cost",
    "RetryPolicy": ".retry",
    "SpeculationPolicy": ".speculation",
    "lambda_client_config": ".client",
    "make_lambda_client": ".client",
    "version_mismatches": ".versions",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
