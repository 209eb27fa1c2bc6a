"""The Lambda emulator pool and moto helpers, used by tests/ and bench/ alike.

boto3's Lambda client against real Lambda runtimes on loopback: AWS's Runtime Interface Emulator
(shipped in aws-sam-cli) runs each handler through awslambdaric; a small router speaks the Invoke
API in front of N of them, with throttling, function errors, timeouts and log tails as real Lambda
has them; moto serves S3.

A public test utility, for testing code that fits on Lambda without AWS: ``pip install
pydmlserverless[testing]`` brings what it needs (aws-sam-cli for the emulator binary, awslambdaric,
moto[server]). In a source checkout the runtimes run the repository's ``lambda/`` handler (what
``sam/template.yaml`` deploys) and import the package from the checkout; from an installed package
they run the same handler from :mod:`pydmlserverless.worker.handler` (:data:`REAL_HANDLER`,
:data:`LAMBDA_CODE_DIR`). Nothing else in :mod:`pydmlserverless` imports this package, ``import
pydmlserverless`` does not load it, and the Lambda layer does not hold it.

Examples
--------
A PLR fitted on two emulated Lambda runtimes, its data in moto's S3 (a few seconds):

>>> import os
>>> from unittest import mock
>>> import numpy as np
>>> from doubleml.plm.datasets import make_plr_CCDDHNR2018
>>> from sklearn.linear_model import LinearRegression
>>> from pydmlserverless import AWSLambda, DoubleMLDataS3, DoubleMLPLRServerless
>>> from pydmlserverless.testing import MotoS3Server, aws_env, ensure_bucket, lambda_pool
>>> np.random.seed(1)
>>> frame = make_plr_CCDDHNR2018(n_obs=200, dim_x=3, return_type="DataFrame")
>>> with MotoS3Server() as s3, lambda_pool(2, env={"AWS_ENDPOINT_URL_S3": s3.endpoint_url}) as pool:
...     with mock.patch.dict(os.environ, aws_env(pool.endpoint_url, s3.endpoint_url)):
...         data = DoubleMLDataS3(ensure_bucket(), "plr.csv", frame, y_col="y", d_cols="d")
...         model = DoubleMLPLRServerless(
...             "LambdaCVPredict", "eu-central-1", data, LinearRegression(), LinearRegression(), n_folds=2
...         )
...         report = model.fit(backend=AWSLambda(max_concurrency=2), seed=1, progress=False, verbose=False).fit_report
>>> report.n_tasks
4

Modules
-------
logs
    Output capture and REPORT-line parsing.
pool
    The emulator processes.
router
    The Invoke API router.
s3
    The moto S3 server.
harness
    :class:`LambdaPool` / :func:`lambda_pool` and the AWS environment helpers.
toy_handler
    A handler for the harness's own tests.
"""

from .harness import (
    AWS_ENV_REMOVED,
    EMULATED_BUCKET,
    LAMBDA_CODE_DIR,
    REAL_HANDLER,
    TOY_CODE_DIR,
    TOY_HANDLER,
    LambdaPool,
    apply_aws_env,
    aws_env,
    ensure_bucket,
    lambda_pool,
)
from .logs import Report, parse_report
from .pool import REPO_ROOT, Emulator, EmulatorError, EmulatorPool, EmulatorSpec, rie_binary
from .router import InvocationRecord, InvokeRouter
from .s3 import TEST_CREDENTIALS, MotoS3Server, moto_s3

__all__ = [
    "EMULATED_BUCKET",
    "ensure_bucket",
    "AWS_ENV_REMOVED",
    "LAMBDA_CODE_DIR",
    "REAL_HANDLER",
    "REPO_ROOT",
    "TEST_CREDENTIALS",
    "TOY_CODE_DIR",
    "TOY_HANDLER",
    "Emulator",
    "EmulatorError",
    "EmulatorPool",
    "EmulatorSpec",
    "InvocationRecord",
    "InvokeRouter",
    "LambdaPool",
    "MotoS3Server",
    "Report",
    "apply_aws_env",
    "aws_env",
    "lambda_pool",
    "moto_s3",
    "parse_report",
    "rie_binary",
]
