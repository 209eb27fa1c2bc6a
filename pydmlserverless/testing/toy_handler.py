"""A toy Lambda handler for the harness's own tests (never the project's worker).

The event's ``action`` selects what it does:

``echo`` (default)
    Return the event and what the context says.
``sleep``
    Sleep ``seconds``.
``raise``
    Raise :class:`ToyError` with ``message``.
``allocate``
    Allocate and touch ``mb`` megabytes, return the peak RSS.
``exit``
    End the runtime process with ``code`` (a crash as Lambda sees it).
``env``
    Return the values of the environment variables named in ``keys``.
``big``
    Return a string of ``bytes`` characters.
``s3_get``
    Read ``key`` from ``bucket`` with boto3 (through AWS_ENDPOINT_URL_S3).

Every action first prints the strings in ``print``, one line each.
"""

from __future__ import annotations

import os
import resource
import time
from typing import Any


class ToyError(Exception):
    """The error the ``raise`` action raises."""


def lambda_handler(event: Any, context: Any) -> Any:
    """Do what ``event["action"]`` says (see the module docstring)."""
    event = event if isinstance(event, dict) else {"value": event}
    for line in event.get("print", []):
        print(line)
    action = event.get("action", "echo")
    if action == "echo":
        return {
            "echo": event,
            "function_name": context.function_name,
            "memory_limit_in_mb": int(context.memory_limit_in_mb),
            "remaining_ms": context.get_remaining_time_in_millis(),
            "request_id": context.aws_request_id,
            "pid": os.getpid(),
        }
    if action == "sleep":
        seconds = float(event.get("seconds", 1.0))
        time.sleep(seconds)
        return {"slept": seconds, "pid": os.getpid()}
    if action == "raise":
        raise ToyError(event.get("message", "toy failure"))
    if action == "allocate":
        megabytes = int(event.get("mb", 10))
        block = bytearray(megabytes * 1024 * 1024)
        for offset in range(0, len(block), 4096):
            block[offset] = 1
        return {
            "allocated_mb": megabytes,
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        }
    if action == "exit":
        os._exit(int(event.get("code", 1)))
    if action == "env":
        return {key: os.environ.get(key) for key in event.get("keys", [])}
    if action == "big":
        return "x" * int(event["bytes"])
    if action == "s3_get":
        import boto3

        body = boto3.client("s3").get_object(Bucket=event["bucket"], Key=event["key"])["Body"].read()
        return {"body": body.decode()}
    raise ValueError(f"unknown action {action!r}")
