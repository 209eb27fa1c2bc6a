"""A pool of emulated Lambda runtimes behind one Invoke API endpoint, and the settings that use it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .pool import IN_CHECKOUT, REPO_ROOT, EmulatorPool, EmulatorSpec
from .router import InvocationRecord, InvokeRouter
from .s3 import TEST_CREDENTIALS

if TYPE_CHECKING:
    import pytest
    from mypy_boto3_lambda import LambdaClient

#: The deployed function's code: the checkout's ``lambda/`` (what ``sam/template.yaml`` deploys), or, for an
#: installed package, the handler the worker subpackage holds (the same function).
LAMBDA_CODE_DIR = REPO_ROOT / "lambda" if IN_CHECKOUT else REPO_ROOT
REAL_HANDLER = "handler.lambda_handler" if IN_CHECKOUT else "pydmlserverless.worker.handler.lambda_handler"
TOY_CODE_DIR = Path(__file__).resolve().parent
TOY_HANDLER = "toy_handler.lambda_handler"
DEFAULT_REGION = "eu-central-1"
#: The bucket the emulated function is deployed for (its PYDMLSERVERLESS_BUCKET), unless ``env`` names another.
EMULATED_BUCKET = "pydmlserverless-emulated"


class LambdaPool:
    """N emulators running one handler, served as one Lambda function by an :class:`InvokeRouter`.

    Parameters
    ----------
    n : int
        Number of emulators, i.e. the account's concurrency.
    handler : str
        ``module.function``; the project's handler by default.
    code_dir : path, optional
        Task root holding the handler module; the repository's ``lambda/`` by default.
    function_name : str
        The name the router serves (and AWS_LAMBDA_FUNCTION_NAME in the runtime).
    env : mapping of str to str, optional
        Extra environment of the runtime (e.g. AWS_ENDPOINT_URL_S3).
    max_concurrency : int, optional
        Reserved concurrency, smaller than ``n`` to throttle before the pool is exhausted.
    timeout_s : int
        The function timeout.
    memory_mb : int
        The function's memory size (reported, not enforced).
    pythonpath : sequence of path
        PYTHONPATH after ``code_dir``; the repository root by default.
    region : str
        Region of the runtime and of ARNs.
    retry_after_s : int
        ``Retry-After`` of a 429.
    ready_timeout_s : float
        Seconds to wait for each emulator to answer.

    Examples
    --------
    >>> import json
    >>> from pydmlserverless.testing import TOY_CODE_DIR, TOY_HANDLER
    >>> with lambda_pool(1, TOY_HANDLER, TOY_CODE_DIR, function_name="Toy") as pool:
    ...     answer = pool.client().invoke(FunctionName="Toy", Payload=json.dumps({"action": "echo", "x": 1}))
    ...     json.loads(answer["Payload"].read())["echo"]
    {'action': 'echo', 'x': 1}
    """

    def __init__(
        self,
        n: int,
        handler: str = REAL_HANDLER,
        code_dir: str | Path | None = None,
        *,
        function_name: str = "LambdaCVPredict",
        env: Mapping[str, str] | None = None,
        max_concurrency: int | None = None,
        timeout_s: int = 60,
        memory_mb: int = 3008,
        pythonpath: Sequence[str | Path] = (REPO_ROOT,),
        region: str = DEFAULT_REGION,
        retry_after_s: int = 1,
        ready_timeout_s: float = 30.0,
    ) -> None:
        spec = EmulatorSpec(
            handler=handler,
            code_dir=Path(code_dir) if code_dir is not None else LAMBDA_CODE_DIR,
            function_name=function_name,
            timeout_s=timeout_s,
            memory_mb=memory_mb,
            env={"PYDMLSERVERLESS_BUCKET": EMULATED_BUCKET, **(env or {})},
            pythonpath=tuple(pythonpath),
            region=region,
        )
        self.function_name = function_name
        self.region = region
        self.emulators = EmulatorPool(n, spec, ready_timeout_s)
        self.router = InvokeRouter(
            self.emulators,
            function_name,
            max_concurrency=max_concurrency,
            retry_after_s=retry_after_s,
            region=region,
        )
        self._started = False

    # -- life cycle -------------------------------------------------------------------------------
    def start(self) -> LambdaPool:
        """Start the emulators and the router; returns self. Everything is stopped on failure."""
        try:
            self.emulators.start()
            self.router.start()
        except BaseException:
            self.stop()
            raise
        self._started = True
        return self

    def stop(self) -> None:
        """Stop the router and every emulator process (safe to call twice)."""
        self._started = False
        try:
            self.router.stop()
        finally:
            self.emulators.stop()

    def __enter__(self) -> LambdaPool:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what tests look at -----------------------------------------------------------------------
    @property
    def endpoint_url(self) -> str:
        """The router's URL (AWS_ENDPOINT_URL_LAMBDA)."""
        return self.router.endpoint_url

    @property
    def invocations(self) -> int:
        """Invocations forwarded to an emulator."""
        return self.router.invocations

    @property
    def throttles(self) -> int:
        """429 TooManyRequestsException answers sent."""
        return self.router.throttles

    @property
    def per_emulator_invocations(self) -> list[int]:
        """Invocations per emulator index."""
        return list(self.router.per_emulator)

    @property
    def restarts(self) -> int:
        """Emulators restarted after their process died or stopped answering."""
        return self.emulators.restarts

    @property
    def records(self) -> list[InvocationRecord]:
        """One record per Invoke request (throttled ones included)."""
        return list(self.router.records)

    @property
    def peak_concurrency(self) -> int:
        """Most invocations that ran at once."""
        return self.router.peak_concurrency

    def reset_counters(self) -> None:
        """Zero all counters and records (e.g. between tests sharing a module-scoped pool)."""
        self.router.reset_counters()

    def warm_up(self, payload: bytes = b"{}") -> list[float]:
        """Start every emulator's runtime now (see :meth:`EmulatorPool.warm_up`); seconds per emulator."""
        return self.emulators.warm_up(payload)

    def logs(self, index: int) -> list[str]:
        """All output lines of emulator ``index`` (RIE diagnostics included)."""
        return self.emulators.emulators[index].logs.lines()

    def pids(self) -> list[int]:
        """Process ids of all emulators and runtimes now alive."""
        return [pid for emulator in self.emulators.emulators for pid in emulator.pids()]

    def client(self, read_timeout: float | None = None, max_attempts: int = 0, **config: Any) -> LambdaClient:
        """A boto3 Lambda client for this pool.

        Parameters
        ----------
        read_timeout : float, optional
            botocore's read timeout; the function timeout plus 30 s by default (a shorter one
            makes botocore send the invocation again).
        max_attempts : int
            botocore retries (0: none, so throttles surface as ClientError).
        **config
            Further ``botocore.config.Config`` arguments.
        """
        import boto3
        from botocore.config import Config

        timeout = read_timeout if read_timeout is not None else self.emulators.spec.timeout_s + 30
        cfg = Config(retries={"max_attempts": max_attempts}, read_timeout=timeout, **config)
        return boto3.client(
            "lambda",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            config=cfg,
        )


@contextmanager
def lambda_pool(
    n: int,
    handler: str = REAL_HANDLER,
    code_dir: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    max_concurrency: int | None = None,
    timeout_s: int = 60,
    **kwargs: Any,
) -> Iterator[LambdaPool]:
    """Run a :class:`LambdaPool` for the duration of the block; all processes end with it.

    Parameters are those of :class:`LambdaPool` (``function_name``, ``memory_mb``, ... by keyword).
    """
    settings = {"env": env, "max_concurrency": max_concurrency, "timeout_s": timeout_s, **kwargs}
    with LambdaPool(n, handler, code_dir, **settings) as pool:
        yield pool


def aws_env(lambda_url: str | None = None, s3_url: str | None = None, region: str = DEFAULT_REGION) -> dict[str, str]:
    """Environment that points the AWS SDK (and so the package) at the emulated services.

    Parameters
    ----------
    lambda_url : str, optional
        The router's URL, set as AWS_ENDPOINT_URL_LAMBDA.
    s3_url : str, optional
        The moto server's URL, set as AWS_ENDPOINT_URL_S3.
    region : str
        AWS_REGION and AWS_DEFAULT_REGION.

    Returns
    -------
    dict
        Variable names to values.
    """
    env = {"AWS_REGION": region, "AWS_DEFAULT_REGION": region, **TEST_CREDENTIALS}
    if lambda_url:
        env["AWS_ENDPOINT_URL_LAMBDA"] = lambda_url
    if s3_url:
        env["AWS_ENDPOINT_URL_S3"] = s3_url
    return env


def ensure_bucket(name: str = EMULATED_BUCKET, region: str = DEFAULT_REGION) -> str:
    """Create ``name`` through this process's AWS settings (the emulated S3) unless it exists; return it.

    An emulated function reads only the bucket it is deployed for (:data:`EMULATED_BUCKET` unless
    its ``env`` says otherwise), so the data of every fit goes there; its objects are
    content-addressed and every fit writes its results under a folder of its own.
    """
    import boto3

    client = boto3.client("s3", region_name=region)
    try:
        location: Any = {"LocationConstraint": region}  # the stubs list the regions as literals
        client.create_bucket(Bucket=name, CreateBucketConfiguration=location)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    return name


#: Variables removed by :func:`apply_aws_env` so that no profile, token or global endpoint interferes.
AWS_ENV_REMOVED = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_DEFAULT_PROFILE")


def apply_aws_env(
    monkeypatch: pytest.MonkeyPatch, lambda_url: str | None = None, s3_url: str | None = None
) -> dict[str, str]:
    """Set :func:`aws_env` with pytest's ``monkeypatch`` (undone after the test); returns it."""
    for name in AWS_ENV_REMOVED:
        monkeypatch.delenv(name, raising=False)
    env = aws_env(lambda_url, s3_url)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env
