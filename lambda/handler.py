"""LambdaCVPredict: the AWS Lambda entry point of pydmlserverless (``Handler: handler.lambda_handler``).

All the work is the package's shared worker; the dependency layer provides pydmlserverless.
"""

from pydmlserverless.worker import handle_event


def lambda_handler(event, context):
    """Run one task (see :func:`pydmlserverless.worker.handle_event`) and return its JSON-safe result."""
    return handle_event(event)
