"""The Lambda emulator pool and moto helpers, used by tests/ and bench/ alike.

boto3's Lambda client against real Lambda runtimes on loopback: AWS's Runtime Interface Emulator
(shipped in aws-sam-cli) runs each handler through awslambdaric; a small router speaks the Invoke
API in front of N of them, with throttling, function errors, timeouts and log tails as real Lambda
has them; moto serves S3.

Needs a source checkout, not an installed wheel: the real handler is the repository's ``lambda/``
(:data:`LAMBDA_CODE_DIR`, found from :data:`REPO_ROOT`), and the runtimes import the package from
the repository root. Needs the ``test`` extras: aws-sam-cli (the emulator binary), awslambdaric and
moto[server]. Nothing else in :mod:`pydmlserverless` imports this package, and ``import
pydmlserverless`` does not load it.

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
