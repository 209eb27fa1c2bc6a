"""pydmlserverless: Double Machine Learning with the cross-fitting on AWS Lambda or a local process pool.

The models are DoubleML's own classes with two more methods, ``fit_local()`` and
``fit_aws_lambda()``; predictions come back into DoubleML through ``fit(external_predictions=...)``.

The models, the data class and the Lambda options are imported on first use: the Lambda
function imports only :mod:`pydmlserverless.worker` (numpy, scikit-learn), and its layer holds
neither DoubleML nor pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import (
    ConfigurationError,
    DataError,
    DeploymentMismatchError,
    InvalidInputError,
    InvalidTypeError,
    LearnerError,
    PyDMLServerlessError,
    StoreError,
    TaskError,
    TaskTimeoutError,
)

if TYPE_CHECKING:
    from .data import DoubleMLDataS3
    from .lambda_cost import LambdaPrices
    from .models import DoubleMLIIVMServerless, DoubleMLIRMServerless, DoubleMLPLIVServerless, DoubleMLPLRServerless
    from .planning import task_seed
    from .retry import RetryPolicy

_LAZY = {
    "DoubleMLDataS3": ".data",
    "DoubleMLPLRServerless": ".models",
    "DoubleMLPLIVServerless": ".models",
    "DoubleMLIRMServerless": ".models",
    "DoubleMLIIVMServerless": ".models",
    "task_seed": ".planning",
    "LambdaPrices": ".lambda_cost",
    "RetryPolicy": ".retry",
}

__all__ = [
    "__version__",
    "DoubleMLDataS3",
    "DoubleMLPLRServerless",
    "DoubleMLPLIVServerless",
    "DoubleMLIRMServerless",
    "DoubleMLIIVMServerless",
    "task_seed",
    "LambdaPrices",
    "RetryPolicy",
    "PyDMLServerlessError",
    "InvalidInputError",
    "InvalidTypeError",
    "DataError",
    "LearnerError",
    "ConfigurationError",
    "StoreError",
    "TaskError",
    "TaskTimeoutError",
    "DeploymentMismatchError",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
