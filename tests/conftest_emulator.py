"""pytest fixtures of the Lambda emulator harness.

Load them with ``pytest_plugins = ["tests.conftest_emulator"]`` in the root conftest.py.

Session-scoped: ``moto_s3_server``, ``lambda_pool_factory`` and ``emulated_lambda`` (the project's
handler). Function-scoped: ``emulated_aws_env``, which points the AWS SDK at both with
``monkeypatch``. A module that wants its own pool can write a module-scoped fixture around
``lambda_pool_factory`` (pools with equal settings are shared by the whole session) or around
:func:`pydmlserverless.testing.lambda_pool`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from pydmlserverless.testing import REAL_HANDLER, LambdaPool, MotoS3Server, apply_aws_env

#: Emulators in the session's pool of the project's handler (override with PYDMLSERVERLESS_EMULATORS).
EMULATED_LAMBDA_SIZE = int(os.environ.get("PYDMLSERVERLESS_EMULATORS", "4"))
EMULATED_FUNCTION_NAME = "LambdaCVPredict"


@dataclass
class EmulatedAWS:
    """Endpoints set in the environment by ``emulated_aws_env``."""

    lambda_pool: LambdaPool
    s3: MotoS3Server
    env: dict

    @property
    def lambda_url(self) -> str:
        """AWS_ENDPOINT_URL_LAMBDA."""
        return self.lambda_pool.endpoint_url

    @property
    def s3_url(self) -> str:
        """AWS_ENDPOINT_URL_S3."""
        return self.s3.endpoint_url


@pytest.fixture(scope="session")
def moto_s3_server() -> Iterator[MotoS3Server]:
    """moto's S3 server on a free loopback port, for the whole session."""
    with MotoS3Server() as server:
        yield server


@pytest.fixture(scope="session")
def lambda_pool_factory() -> Iterator[Callable[..., LambdaPool]]:
    """Make started :class:`LambdaPool` objects; equal arguments give the same pool; all stop at the end.

    The factory takes the arguments of :class:`LambdaPool` (``env`` values must be strings).
    A pool handed out again keeps its counters: call ``reset_counters()`` where that matters.
    """
    pools: dict[Any, LambdaPool] = {}

    def make(n: int, handler: str = REAL_HANDLER, code_dir=None, **kwargs: Any) -> LambdaPool:
        key_kwargs = {k: tuple(sorted(v.items())) if isinstance(v, dict) else v for k, v in kwargs.items()}
        key = (n, handler, str(code_dir), tuple(sorted(key_kwargs.items(), key=lambda item: item[0])))
        if key not in pools:
            pools[key] = LambdaPool(n, handler, code_dir, **kwargs).start()
        return pools[key]

    try:
        yield make
    finally:
        for pool in pools.values():
            pool.stop()


@pytest.fixture(scope="session")
def emulated_lambda(lambda_pool_factory, moto_s3_server) -> LambdaPool:
    """The project's ``lambda/handler.lambda_handler`` as ``LambdaCVPredict`` in emulators, S3 on moto."""
    return lambda_pool_factory(
        EMULATED_LAMBDA_SIZE,
        REAL_HANDLER,
        function_name=EMULATED_FUNCTION_NAME,
        env={"AWS_ENDPOINT_URL_S3": moto_s3_server.endpoint_url},
        timeout_s=300,
    )


@pytest.fixture
def emulated_aws_env(monkeypatch, emulated_lambda, moto_s3_server) -> EmulatedAWS:
    """AWS_ENDPOINT_URL_LAMBDA / _S3, region eu-central-1 and ``testing`` credentials, for one test."""
    emulated_lambda.reset_counters()
    env = apply_aws_env(monkeypatch, emulated_lambda.endpoint_url, moto_s3_server.endpoint_url)
    return EmulatedAWS(emulated_lambda, moto_s3_server, env)
