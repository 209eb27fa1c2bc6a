"""What the Lambda benchmarks share: emulated AWS (moto S3 + emulated Lambda runtimes) and simulated data.

:func:`emulated_aws` runs moto's S3 server and a :class:`~pydmlserverless.testing.LambdaPool` of the
project's handler (``lambda/handler.py`` in AWS's Runtime Interface Emulator), points this process's
AWS SDK at both through ``os.environ`` and makes a bucket; everything is stopped and the environment
restored on exit. The harness, :mod:`pydmlserverless.testing`, needs a source checkout and the test
extras: aws-sam-cli (for the emulator binary), awslambdaric and moto[server].

:func:`plr_frame` simulates a partially linear regression data set quickly enough for 10^6 rows.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pydmlserverless import DoubleMLDataS3
from pydmlserverless.testing import AWS_ENV_REMOVED, EMULATED_BUCKET, LambdaPool, MotoS3Server, aws_env, ensure_bucket


def _clear_store_clients() -> None:
    """Forget the S3 clients made under other settings; the store module of this tree or of an older baseline."""
    try:
        store = importlib.import_module("pydmlserverless.worker.store")
    except ImportError:  # a baseline package (bench.profile_hot_path) from before the worker subpackage
        store = importlib.import_module("pydmlserverless.store")
    store._STORES.clear()


FUNCTION_NAME = "LambdaCVPredict"
REGION = "eu-central-1"
N_X = 20


@dataclass
class EmulatedAWS:
    """The running services of :func:`emulated_aws`."""

    pool: LambdaPool
    s3: MotoS3Server
    bucket: str

    @property
    def n_emulators(self) -> int:
        """Emulators in the pool."""
        return len(self.pool.emulators.emulators)

    def data(self, frame: pd.DataFrame, name: str = "plr") -> DoubleMLDataS3:
        """``frame`` as PLR data in the bucket (outcome ``y``, treatment ``d``, the rest covariates)."""
        return plr_data(self.bucket, frame, name)


def new_bucket() -> str:
    """The emulated function's bucket (the one it may read), made through this process's AWS settings."""
    return ensure_bucket(EMULATED_BUCKET, REGION)


def plr_data(bucket: str, frame: pd.DataFrame, name: str = "plr") -> DoubleMLDataS3:
    """``frame`` as PLR data in ``bucket`` (outcome ``y``, treatment ``d``, the rest covariates)."""
    return DoubleMLDataS3(bucket, f"{name}.npz", frame, y_col="y", d_cols="d")


@contextmanager
def aws_environment(lambda_url: str | None, s3_url: str | None) -> Iterator[dict]:
    """Point this process's AWS SDK at the given endpoints for the block (``os.environ``, restored after)."""
    names = set(AWS_ENV_REMOVED) | set(aws_env(lambda_url, s3_url))
    saved = {name: os.environ.get(name) for name in names}
    for name in AWS_ENV_REMOVED:
        os.environ.pop(name, None)
    env = aws_env(lambda_url, s3_url, REGION)
    os.environ.update(env)
    _clear_store_clients()  # S3 clients made under other settings must not be reused
    try:
        yield env
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _clear_store_clients()


@contextmanager
def emulated_aws(n_emulators: int, s3: MotoS3Server | None = None, timeout_s: int = 300) -> Iterator[EmulatedAWS]:
    """Run ``n_emulators`` fresh emulated runtimes of the handler, with S3 on moto, for the block.

    Parameters
    ----------
    n_emulators : int
        Emulators in the pool (the function's concurrency); each starts its Python runtime lazily,
        on its first invocation.
    s3 : MotoS3Server, optional
        A running moto server to use (and leave running); a new one when omitted.
    timeout_s : int
        The function's timeout.

    Yields
    ------
    EmulatedAWS
        The pool, the S3 server and a fresh bucket, with ``os.environ`` pointing at them.
    """
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
    own_s3 = s3 is None
    server = MotoS3Server().start() if s3 is None else s3
    try:
        env = {"AWS_ENDPOINT_URL_S3": server.endpoint_url}
        with LambdaPool(n_emulators, function_name=FUNCTION_NAME, env=env, timeout_s=timeout_s) as pool:
            with aws_environment(pool.endpoint_url, server.endpoint_url):
                yield EmulatedAWS(pool, server, new_bucket())
    finally:
        if own_s3:
            server.stop()


def plr_frame(n_obs: int, n_x: int = N_X, theta: float = 0.5, seed: int = 0) -> pd.DataFrame:
    """Simulated PLR data: ``y = theta d + x b + e``, ``d = x a + u``, standard normal covariates.

    Examples
    --------
    >>> plr_frame(5).shape
    (5, 22)
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_obs, n_x))
    a, b = rng.standard_normal(n_x) / n_x, rng.standard_normal(n_x) / n_x
    d = x @ a + rng.standard_normal(n_obs)
    y = theta * d + x @ b + rng.standard_normal(n_obs)
    frame = pd.DataFrame(x, columns=[f"X{i + 1}" for i in range(n_x)])
    frame["d"], frame["y"] = d, y
    return frame


def dataset_bytes(frame: pd.DataFrame) -> int:
    """Bytes of the frame's values as the worker holds them (float64)."""
    return frame.shape[0] * frame.shape[1] * 8
