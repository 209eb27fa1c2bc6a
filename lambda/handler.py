"""LambdaCVPredict: the AWS Lambda entry point of pydmlserverless (``Handler: handler.lambda_handler``).

All the work is the package's shared worker; the dependency layer provides pydmlserverless.
"""

from pydmlserverless.worker.handler import handle_event


def lambda_handler(event, context):
    """Run one task (see :func:`pydmlserverless.worker.handler.handle_event`)."""
    return handle_event(event)
