"""The boto3 Lambda client of a fit: its botocore ``Config``, its creation, checks of an injected one.

botocore's own retries are off and its read timeout is above the function's timeout, so botocore
never sends a running task a second time; the package's :class:`~pydmlserverless.backends.aws_lambda.retry.RetryPolicy`
decides instead. The client reaches AWS only through the SDK's own configuration: credentials,
profiles, ``AWS_REGION`` and ``AWS_ENDPOINT_URL_LAMBDA`` (e.g. a local emulator) are botocore's business.
"""

from __future__ import annotations

import threading
import warnings
from typing import TYPE_CHECKING, Any

from ...errors import ConfigurationError
from ...worker.store import aws_settings

if TYPE_CHECKING:
    import boto3
    from botocore.config import Config
    from mypy_boto3_lambda import LambdaClient

__all__ = ["lambda_client_config", "make_lambda_client", "check_injected_client"]

_READ_TIMEOUT_MARGIN_S = 60
_CLIENTS: dict[tuple[Any, ...], LambdaClient] = {}
_CLIENTS_LOCK = threading.Lock()


def lambda_client_config(max_concurrency: int, function_timeout_s: float, base: Config | None = None) -> Config:
    """The botocore ``Config`` of the invoking client.

    Parameters
    ----------
    max_concurrency : int
        Threads that invoke at once; the connection pool gets as many connections.
    function_timeout_s : float
        The function's timeout; the read timeout is a minute longer, so a running task is never
        abandoned (and never re-sent) by the client.
    base : botocore.config.Config, optional
        A caller's Config (proxies, user agent, ...); retries, the read timeout and the pool size
        are overridden where they would break the rules above.

    Returns
    -------
    botocore.config.Config

    Examples
    --------
    >>> config = lambda_client_config(16, 300)
    >>> config.read_timeout, config.max_pool_connections, config.retries["total_max_attempts"]
    (360, 16, 1)
    """
    from botocore.config import Config

    read_timeout = function_timeout_s + _READ_TIMEOUT_MARGIN_S
    pool = max_concurrency
    if base is not None:
        # botocore's Config sets its options as attributes at run time, which its stubs do not declare
        read_timeout = max(read_timeout, getattr(base, "read_timeout", None) or 0)
        pool = max(pool, getattr(base, "max_pool_connections", None) or 0)
    ours = Config(
        read_timeout=read_timeout,
        max_pool_connections=pool,
        retries={"total_max_attempts": 1, "mode": "standard"},
        tcp_keepalive=True,
    )
    return base.merge(ours) if base is not None else ours


def make_lambda_client(
    region: str | None,
    max_concurrency: int,
    function_timeout_s: float,
    session: boto3.session.Session | None = None,
    boto_config: Config | None = None,
) -> LambdaClient:
    """Make the fit's Lambda client from ``session``, or reuse this process's client for these settings.

    Without ``session`` and ``boto_config`` the client is made once per region, concurrency,
    timeout and ``AWS_*`` environment and shared by later fits (boto3 clients are thread-safe):
    making one costs about 0.1 s of CPU, as botocore reads and parses its JSON service models,
    which is more than a small fit's tasks cost the client.

    Parameters
    ----------
    region : str or None
        The client's region (None: the SDK's default chain).
    max_concurrency : int
        Threads that share the client (see :func:`lambda_client_config`).
    function_timeout_s : float
        The function's timeout (see :func:`lambda_client_config`).
    session : boto3.Session, optional
        Profiles, credentials; boto3's default session if None.
    boto_config : botocore.config.Config, optional
        Extra client settings, merged under :func:`lambda_client_config`'s.

    Returns
    -------
    botocore Lambda client

    Raises
    ------
    ConfigurationError
        If no region is configured.

    Examples
    --------
    >>> client = make_lambda_client("eu-central-1", 4, 300)
    >>> client.meta.config.read_timeout
    360
    >>> make_lambda_client("eu-central-1", 4, 300) is client
    True
    """
    import boto3
    from botocore.exceptions import NoRegionError

    shared = session is None and boto_config is None
    key = (region, max_concurrency, function_timeout_s, tuple(sorted(aws_settings().items())))
    if shared:
        with _CLIENTS_LOCK:
            if key in _CLIENTS:
                return _CLIENTS[key]
    config = lambda_client_config(max_concurrency, function_timeout_s, boto_config)
    try:
        client = (session or boto3.session.Session()).client("lambda", region_name=region, config=config)
    except NoRegionError:
        raise ConfigurationError(
            "No AWS region: pass aws_region to the model (e.g. DoubleMLPLRServerless('LambdaCVPredict', "
            "'eu-central-1', ...)) or set AWS_REGION / a profile's region."
        ) from None
    if shared:
        with _CLIENTS_LOCK:
            client = _CLIENTS.setdefault(key, client)
    return client


def check_injected_client(client: Any, function_timeout_s: float) -> None:
    """Refuse a caller's client that would abandon running tasks; warn if botocore would retry.

    Parameters
    ----------
    client : botocore Lambda client
        The injected client; an object without ``meta.config`` (a test double) is accepted as is.
    function_timeout_s : float
        The function's timeout, which the client's read timeout must exceed.

    Raises
    ------
    ConfigurationError
        If the client's read timeout is not above ``function_timeout_s``.

    Examples
    --------
    >>> check_injected_client(make_lambda_client("eu-central-1", 4, 300), 300)
    """
    config = getattr(getattr(client, "meta", None), "config", None)
    if config is None:
        return  # a test double
    read_timeout = getattr(config, "read_timeout", None)
    if read_timeout is not None and read_timeout <= function_timeout_s:
        raise ConfigurationError(
            f"The Lambda client's read timeout ({read_timeout} s) is not above the function's timeout "
            f"({function_timeout_s} s): the client would give up on (and retry) tasks that are still running. "
            "Make the client with pydmlserverless.backends.aws_lambda.lambda_client_config(...), or pass "
            "boto_config/session instead of lambda_client."
        )
    retries = getattr(config, "retries", None) or {}
    if retries.get("total_max_attempts", 0) != 1 and retries.get("max_attempts", -1) != 0:
        warnings.warn(
            "The injected Lambda client has botocore retries enabled; pydmlserverless retries invocations "
            "itself, so throttled or failed invocations may be retried more often than its policy says. "
            "Use lambda_client_config(...) for the client's Config.",
            RuntimeWarning,
            stacklevel=3,
        )
