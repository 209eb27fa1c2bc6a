"""pydmlserverless: Double Machine Learning with the cross-fitting on AWS Lambda or a local process pool.

The models are DoubleML's own classes with two more methods, ``fit_local()`` and
``fit_aws_lambda()``; predictions come back into DoubleML through ``fit(external_predictions=...)``.
"""

from ._version import __version__
from .data import DoubleMLDataS3
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
from .models import DoubleMLIIVMServerless, DoubleMLIRMServerless, DoubleMLPLIVServerless, DoubleMLPLRServerless
from .planning import task_seed

__all__ = [
    "__version__",
    "DoubleMLDataS3",
    "DoubleMLPLRServerless",
    "DoubleMLPLIVServerless",
    "DoubleMLIRMServerless",
    "DoubleMLIIVMServerless",
    "task_seed",
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
