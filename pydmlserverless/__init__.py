"""pydmlserverless: Double Machine Learning with the cross-fitting fanned out to AWS Lambda, a local
process pool, Dask or Ray.

The models are DoubleML's own classes whose ``fit()``, ``tune()`` and ``tune_ml_models()`` take a
backend (``model.fit(backend=Local(4))``, ``AWSLambda(...)``, ``Dask(client)``, ``Ray()``;
``fit_local()``, ``fit_aws_lambda()`` and the like are short names for them); the predictions come
back into DoubleML through ``fit(external_predictions=...)``, so the numbers are DoubleML's.

The models, the data classes and the backends are imported on first use: the Lambda function
imports only :mod:`pydmlserverless.worker` (numpy, scikit-learn), and its layer holds neither
DoubleML nor pandas nor any client module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_getattr
from ._version import __version__
from .doubleml.registry import MODELS, UNSUPPORTED_MODELS
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

# the lazily exported names, for type checkers (re-exported: ``__all__`` is derived from the registry)
if TYPE_CHECKING:
    from .backends import AWSLambda as AWSLambda
    from .backends import Dask as Dask
    from .backends import Local as Local
    from .backends import Ray as Ray
    from .backends.aws_lambda.cost import LambdaPrices as LambdaPrices
    from .backends.aws_lambda.retry import RetryPolicy as RetryPolicy
    from .backends.aws_lambda.speculation import SpeculationPolicy as SpeculationPolicy
    from .core.resume import clear_results as clear_results
    from .core.tasks import task_seed as task_seed
    from .doubleml.adapter import seeded_nuisance_params as seeded_nuisance_params
    from .doubleml.data import DoubleMLDataS3 as DoubleMLDataS3
    from .doubleml.data import DoubleMLDIDDataS3 as DoubleMLDIDDataS3
    from .doubleml.data import DoubleMLPanelDataS3 as DoubleMLPanelDataS3
    from .doubleml.models import (
        DoubleMLAPOServerless as DoubleMLAPOServerless,
    )
    from .doubleml.models import (
        DoubleMLAPOSServerless as DoubleMLAPOSServerless,
    )
    from .doubleml.models import (
        DoubleMLDIDCSServerless as DoubleMLDIDCSServerless,
    )
    from .doubleml.models import (
        DoubleMLDIDMultiServerless as DoubleMLDIDMultiServerless,
    )
    from .doubleml.models import (
        DoubleMLDIDServerless as DoubleMLDIDServerless,
    )
    from .doubleml.models import (
        DoubleMLIIVMServerless as DoubleMLIIVMServerless,
    )
    from .doubleml.models import (
        DoubleMLIRMServerless as DoubleMLIRMServerless,
    )
    from .doubleml.models import (
        DoubleMLLPLRServerless as DoubleMLLPLRServerless,
    )
    from .doubleml.models import (
        DoubleMLPLIVServerless as DoubleMLPLIVServerless,
    )
    from .doubleml.models import (
        DoubleMLPLPRServerless as DoubleMLPLPRServerless,
    )
    from .doubleml.models import (
        DoubleMLPLRServerless as DoubleMLPLRServerless,
    )

_LAZY = {
    "DoubleMLDataS3": ".doubleml.data",
    "DoubleMLDIDDataS3": ".doubleml.data",
    "DoubleMLPanelDataS3": ".doubleml.data",
    **{entry.class_name: ".doubleml.models" for entry in MODELS},
    "task_seed": ".core.tasks",
    "clear_results": ".core.resume",
    "seeded_nuisance_params": ".doubleml.adapter",
    "LambdaPrices": ".backends.aws_lambda.cost",
    "RetryPolicy": ".backends.aws_lambda.retry",
    "SpeculationPolicy": ".backends.aws_lambda.speculation",
    **{name: ".backends" for name in ("Local", "AWSLambda", "Dask", "Ray")},
}

__all__ = [
    "__version__",
    *_LAZY,
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
