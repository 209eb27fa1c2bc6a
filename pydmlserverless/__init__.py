"""pydmlserverless: Double Machine Learning with the cross-fitting on AWS Lambda or a local process pool.

The models are DoubleML's own classes with two more methods, ``fit_local()`` and
``fit_aws_lambda()``; predictions come back into DoubleML through ``fit(external_predictions=...)``.

The models, the data class and the Lambda options are imported on first use: the Lambda
function imports only its entry point and :mod:`pydmlserverless.worker.execute` (numpy, scikit-learn),
and its layer holds neither DoubleML nor pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_getattr
from ._version import __version__
from .errors import (
    ConfigurationError,
    CorruptObjectError,
    DataError,
    DataTypeError,
    DeploymentMismatchError,
    InvalidInputError,
    InvalidTypeError,
    LearnerError,
    NonFinitePredictionsError,
    ProtocolError,
    PyDMLServerlessError,
    StoreError,
    TaskError,
    TaskNearTimeoutWarning,
    TaskTimeoutError,
    UntrustedModelError,
)

if TYPE_CHECKING:
    from .backends.aws_lambda.cost import LambdaPrices
    from .backends.aws_lambda.retry import RetryPolicy
    from .backends.aws_lambda.speculation import SpeculationPolicy
    from .core.resume import clear_results
    from .core.tasks import task_seed
    from .doubleml.adapter import seeded_nuisance_params
    from .doubleml.data import DoubleMLDataS3, DoubleMLDIDDataS3, DoubleMLPanelDataS3
    from .doubleml.models import (
        DoubleMLAPOServerless,
        DoubleMLAPOSServerless,
        DoubleMLDIDCSServerless,
        DoubleMLDIDMultiServerless,
        DoubleMLDIDServerless,
        DoubleMLIIVMServerless,
        DoubleMLIRMServerless,
        DoubleMLLPLRServerless,
        DoubleMLPLIVServerless,
        DoubleMLPLPRServerless,
        DoubleMLPLRServerless,
    )

_LAZY = {
    "DoubleMLDataS3": ".doubleml.data",
    "DoubleMLDIDDataS3": ".doubleml.data",
    "DoubleMLPanelDataS3": ".doubleml.data",
    "DoubleMLPLRServerless": ".doubleml.models",
    "DoubleMLPLIVServerless": ".doubleml.models",
    "DoubleMLIRMServerless": ".doubleml.models",
    "DoubleMLIIVMServerless": ".doubleml.models",
    "DoubleMLAPOServerless": ".doubleml.models",
    "DoubleMLDIDServerless": ".doubleml.models",
    "DoubleMLDIDCSServerless": ".doubleml.models",
    "DoubleMLAPOSServerless": ".doubleml.models",
    "DoubleMLDIDMultiServerless": ".doubleml.models",
    "DoubleMLPLPRServerless": ".doubleml.models",
    "DoubleMLLPLRServerless": ".doubleml.models",
    "task_seed": ".core.tasks",
    "clear_results": ".core.resume",
    "seeded_nuisance_params": ".doubleml.adapter",
    "LambdaPrices": ".backends.aws_lambda.cost",
    "RetryPolicy": ".backends.aws_lambda.retry",
    "SpeculationPolicy": ".backends.aws_lambda.speculation",
}

__all__ = [
    "__version__",
    "DoubleMLDataS3",
    "DoubleMLDIDDataS3",
    "DoubleMLPanelDataS3",
    "DoubleMLPLRServerless",
    "DoubleMLPLIVServerless",
    "DoubleMLIRMServerless",
    "DoubleMLIIVMServerless",
    "DoubleMLAPOServerless",
    "DoubleMLDIDServerless",
    "DoubleMLDIDCSServerless",
    "DoubleMLAPOSServerless",
    "DoubleMLDIDMultiServerless",
    "DoubleMLPLPRServerless",
    "DoubleMLLPLRServerless",
    "task_seed",
    "clear_results",
    "seeded_nuisance_params",
    "LambdaPrices",
    "RetryPolicy",
    "SpeculationPolicy",
    "PyDMLServerlessError",
    "InvalidInputError",
    "InvalidTypeError",
    "DataError",
    "DataTypeError",
    "LearnerError",
    "ConfigurationError",
    "StoreError",
    "CorruptObjectError",
    "UntrustedModelError",
    "TaskError",
    "TaskTimeoutError",
    "NonFinitePredictionsError",
    "TaskNearTimeoutWarning",
    "DeploymentMismatchError",
    "ProtocolError",
]


#: DoubleML models that cannot run on a backend, and why (their names raise an error that says so).
UNSUPPORTED_MODELS = {
    "DoubleMLPQ": "it computes a preliminary quantile inside each fold, which external predictions cannot carry",
    "DoubleMLLPQ": "it computes a preliminary quantile inside each fold, which external predictions cannot carry",
    "DoubleMLCVAR": "DoubleML 0.11 takes no external predictions for it",
    "DoubleMLQTE": "DoubleML 0.11 takes no external predictions for it",
    "DoubleMLSSM": "DoubleML 0.11 takes no external predictions for it",
}

_lazy_getattr = lazy_getattr(__name__, _LAZY)


def __getattr__(name: str) -> object:
    base = name.removesuffix("Serverless")
    if name.endswith("Serverless") and base in UNSUPPORTED_MODELS:
        raise AttributeError(
            f"pydmlserverless has no {name}: {base} cannot run on a backend, as {UNSUPPORTED_MODELS[base]}. "
            f"Use plain doubleml.{base}(...).fit(n_jobs_cv=-1) for it."
        )
    return _lazy_getattr(name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
