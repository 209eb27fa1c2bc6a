"""LambdaCVPredict: the AWS Lambda entry point of pydmlserverless (``Handler: handler.lambda_handler``).

All the work is the package's worker (:mod:`pydmlserverless.worker.handler`); the dependency layer
provides the worker subpackage.
"""

from pydmlserverless.worker.handler import lambda_handler

__all__ = ["lambda_handler"]
