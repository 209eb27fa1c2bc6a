"""``AWSLambda``: how a run invokes the deployed function, waits for it, retries and prices it; validated once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..._checks import check_int, check_number
from ...errors import ConfigurationError, InvalidTypeError
from ...worker.store import Store
from ..base import Backend, BackendSpec
from .cost import ARCHITECTURES, DEFAULT_PRICES, LambdaPrices
from .retry import RetryPolicy
from .speculation import NO_SPECULATION, SpeculationPolicy

__all__ = ["AWSLambda", "MAX_FUNCTION_TIMEOUT_S"]

#: Lambda's longest timeout, in seconds.
MAX_FUNCTION_TIMEOUT_S = 900


@dataclass(frozen=True)
class AWSLambda(BackendSpec):
    """Every task of a run as one synchronous invocation of the function deployed with ``sam/template.yaml``.

    The data must be a ``DoubleMLDataS3`` (the function reads the data and the splits from its
    bucket by key, so a request does not grow with the data). AWS access follows the SDK's own
    configuration (credentials, profiles, ``AWS_REGION``, ``AWS_ENDPOINT_URL_LAMBDA``); a ready
    client, session or botocore Config may be injected.

    Parameters
    ----------
    function_name, region : str, optional
        The function (name, ARN or ``name:alias``) and its region; None takes the model's
        (its constructor's first two arguments, the paper's signature), the region else the SDK's.
    max_concurrency : int, default 100
        Invocations in flight at most (client threads and connections). Throttled invocations
        (429) are retried after ``Retry-After`` with jittered backoff while the client holds back.
    function_timeout_s : float, default 900
        The function's timeout or more; the client waits this long plus a minute for a response.
    max_function_error_retries : int, default 2
        How often a task whose function raised is invoked again before a
        :class:`~pydmlserverless.errors.TaskError` names it (``retry_policy`` wins when given).
        Timed-out tasks are never retried: they raise :class:`~pydmlserverless.errors.TaskTimeoutError`.
    retry_policy : RetryPolicy, optional
        The full retry policy (throttles, connection errors, function errors, backoff).
    architecture : {'arm64', 'x86_64'}, optional
        For the cost; None reads it from the function's configuration (else ``'arm64'``).
    memory_mb : int, optional
        For the cost when a REPORT line lacks it; None reads the configuration.
    prices : LambdaPrices, optional
        The price table (:data:`~pydmlserverless.backends.aws_lambda.cost.DEFAULT_PRICES`, us-east-1 list prices).
    check_versions : bool, default True
        Refuse (:class:`~pydmlserverless.errors.DeploymentMismatchError`) a deployment whose numpy,
        scipy, scikit-learn or pydmlserverless differ from this environment's.
    speculation : bool or SpeculationPolicy, default True
        Invoke a straggling task a second time and take the first answer (both compute the same
        predictions): by default past 3x the median of its nuisance's finished tasks (and 10 s),
        for at most 2 % of the tasks. False never does.
    lambda_client : botocore Lambda client, optional
        A ready client; its read timeout must exceed ``function_timeout_s``
        (:func:`~pydmlserverless.backends.aws_lambda.client.lambda_client_config` makes a suitable Config).
    session : boto3.Session, optional
        The session to make the client from (one client per run).
    boto_config : botocore.config.Config, optional
        Extra client settings; retries stay off and the read timeout above the function's.

    Raises
    ------
    ConfigurationError
        For a value out of range or of the wrong type, naming it.

    Examples
    --------
    >>> AWSLambda("LambdaCVPredict", "eu-central-1", max_concurrency=200).max_concurrency
    200
    >>> AWSLambda(architecture="sparc")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydmlserverless.errors.ConfigurationError: architecture must be one of 'arm64', 'x86_64' or None; ...
    """

    function_name: str | None = None
    region: str | None = None
    max_concurrency: int = 100
    function_timeout_s: float = MAX_FUNCTION_TIMEOUT_S
    max_function_error_retries: int = 2
    retry_policy: RetryPolicy | None = None
    architecture: str | None = None
    memory_mb: int | None = None
    prices: LambdaPrices = DEFAULT_PRICES
    check_versions: bool = True
    speculation: bool | SpeculationPolicy = True
    lambda_client: Any = field(default=None, compare=False, repr=False)
    session: Any = field(default=None, compare=False, repr=False)
    boto_config: Any = field(default=None, compare=False, repr=False)

    name: ClassVar[str] = "aws_lambda"
    needs_s3_data: ClassVar[bool] = True
    default_verbose: ClassVar[bool | None] = True

    def __post_init__(self) -> None:
        for name in ("function_name", "region"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                raise InvalidTypeError(f"{name} must be a non-empty string or None; {value!r} was passed.")
        check_int(self.max_concurrency, "max_concurrency", minimum=1)
        check_number(self.function_timeout_s, "function_timeout_s", minimum=0, maximum=900, above_minimum=True)
        check_int(self.max_function_error_retries, "max_function_error_retries", minimum=0)
        if self.architecture is not None and self.architecture not in ARCHITECTURES:
            raise ConfigurationError(
                f"architecture must be one of {', '.join(map(repr, ARCHITECTURES))} or None; "
                f"{self.architecture!r} was passed."
            )
        if self.memory_mb is not None:
            check_int(self.memory_mb, "memory_mb", minimum=128)
        if self.retry_policy is not None and not isinstance(self.retry_policy, RetryPolicy):
            raise ConfigurationError(f"retry_policy must be a RetryPolicy; got {type(self.retry_policy).__name__}.")
        if not isinstance(self.prices, LambdaPrices):
            raise ConfigurationError(f"prices must be a LambdaPrices; got {type(self.prices).__name__}.")
        if not isinstance(self.speculation, (bool, SpeculationPolicy)):
            raise ConfigurationError(
                f"speculation must be True, False or a SpeculationPolicy; {self.speculation!r} was passed."
            )
        if not isinstance(self.check_versions, bool):
            raise ConfigurationError(f"check_versions must be True or False; {self.check_versions!r} was passed.")

    @property
    def retries(self) -> RetryPolicy:
        """The retry policy in force: ``retry_policy``, else the default with ``max_function_error_retries``."""
        return self.retry_policy or RetryPolicy(max_function_error_retries=self.max_function_error_retries)

    @property
    def speculation_policy(self) -> SpeculationPolicy:
        """``speculation`` as a policy."""
        if isinstance(self.speculation, SpeculationPolicy):
            return self.speculation
        return SpeculationPolicy() if self.speculation else NO_SPECULATION

    def resolved(self, settings: Mapping[str, Any]) -> AWSLambda:
        """The spec with the function name and region the model names where this one leaves them open.

        Raises
        ------
        ConfigurationError
            If neither names the function.
        """
        from dataclasses import replace

        function = self.function_name or settings.get("lambda_function_name")
        if not function:
            raise ConfigurationError(
                "No Lambda function name: pass it as the model's first argument, e.g. "
                "DoubleMLPLRServerless('LambdaCVPredict', 'eu-central-1', data, ...), or as "
                "AWSLambda('LambdaCVPredict', 'eu-central-1')."
            )
        return replace(self, function_name=function, region=self.region or settings.get("aws_region"))

    def open(self, store: Store, settings: Mapping[str, Any]) -> Backend:
        from .backend import LambdaBackend

        spec = self.resolved(settings)
        backend = LambdaBackend(spec, store)
        backend.label = f"AWS Lambda {spec.function_name!r} (up to {spec.max_concurrency} concurrent invocations)"
        return backend
