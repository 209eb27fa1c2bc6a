"""The Lambda backend's settings: one frozen object, validated once, before any invocation."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...core.checks import check_int, check_number
from ...errors import ConfigurationError
from .cost import ARCHITECTURES, DEFAULT_PRICES, LambdaPrices
from .retry import RetryPolicy
from .speculation import SpeculationPolicy

__all__ = ["LambdaOptions"]

#: Lambda's longest timeout, in seconds.
MAX_FUNCTION_TIMEOUT_S = 900


@dataclass(frozen=True)
class LambdaOptions:
    """How a fit invokes the function, waits for it, retries and prices it.

    Parameters
    ----------
    max_concurrency : int, default 100
        Invocations in flight at most (client threads and connections).
    function_timeout_s : float, default 900
        The function's timeout or more; the client waits this long plus a minute for a response.
    retry_policy : RetryPolicy, optional
        Retries of throttled, failed and unanswered invocations (default :class:`RetryPolicy`).
    architecture : {'arm64', 'x86_64'}, optional
        For the cost; None reads it from the function's configuration (else ``'arm64'``).
    memory_mb : int, optional
        For the cost when a REPORT line lacks it; None reads the configuration.
    prices : LambdaPrices, optional
        The price table (:data:`~pydmlserverless.backends.aws_lambda.cost.DEFAULT_PRICES`).
    check_versions : bool, default True
        Refuse a deployment whose numpy, scipy, scikit-learn or pydmlserverless differ from the client's.
    speculation : SpeculationPolicy, optional
        When a straggling task is invoked a second time, first answer winning (default
        :class:`~.speculation.SpeculationPolicy`: past 3x its nuisance's median, at most 2 % of tasks).

    Raises
    ------
    ConfigurationError
        For a value out of range or of the wrong type, naming it.

    Examples
    --------
    >>> LambdaOptions(max_concurrency=8, function_timeout_s=300).max_concurrency
    8
    >>> LambdaOptions(architecture="sparc")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydmlserverless.errors.ConfigurationError: architecture must be one of 'arm64', 'x86_64' or None; ...
    """

    max_concurrency: int = 100
    function_timeout_s: float = MAX_FUNCTION_TIMEOUT_S
    retry_policy: RetryPolicy = field(default_factory=RetryPolicy)
    architecture: str | None = None
    memory_mb: int | None = None
    prices: LambdaPrices = DEFAULT_PRICES
    check_versions: bool = True
    speculation: SpeculationPolicy = field(default_factory=SpeculationPolicy)

    def __post_init__(self) -> None:
        check_int(self.max_concurrency, "max_concurrency", minimum=1)
        check_number(self.function_timeout_s, "function_timeout_s", minimum=0, maximum=900, above_minimum=True)
        if self.architecture is not None and self.architecture not in ARCHITECTURES:
            raise ConfigurationError(
                f"architecture must be one of {', '.join(map(repr, ARCHITECTURES))} or None; "
                f"{self.architecture!r} was passed."
            )
        if self.memory_mb is not None:
            check_int(self.memory_mb, "memory_mb", minimum=128)
        if not isinstance(self.retry_policy, RetryPolicy):
            raise ConfigurationError(f"retry_policy must be a RetryPolicy; got {type(self.retry_policy).__name__}.")
        if not isinstance(self.prices, LambdaPrices):
            raise ConfigurationError(f"prices must be a LambdaPrices; got {type(self.prices).__name__}.")
        if not isinstance(self.speculation, SpeculationPolicy):
            raise ConfigurationError(f"speculation must be a SpeculationPolicy; got {type(self.speculation).__name__}.")
        if not isinstance(self.check_versions, bool):
            raise ConfigurationError(f"check_versions must be True or False; {self.check_versions!r} was passed.")
