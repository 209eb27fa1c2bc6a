"""A test-only Lambda handler: the package's worker, with failures injected for chosen tasks.

Wraps :func:`pydmlserverless.worker.handler.handle_event` (no copy of its logic).
The environment of the emulated function chooses the tasks, by task id (comma-separated):

``FAULTY_FAIL_ALWAYS``
    Raise ``RuntimeError`` on every invocation of these tasks.
``FAULTY_FAIL_ONCE``
    Raise on the first invocation of these tasks only; ``FAULTY_MARKER_DIR`` (shared by all
    emulators) remembers which tasks already failed.
``FAULTY_SLEEP``
    Sleep ``FAULTY_SLEEP_S`` seconds first (to run past the function's timeout).
``FAULTY_OLD_SKLEARN``
    Treatment names whose tasks report scikit-learn 1.0.2, as an outdated deployment would.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from pydmlserverless.worker.handler import handle_event


def _chosen(name: str) -> set[str]:
    return {item for item in os.environ.get(name, "").split(",") if item}


def lambda_handler(event, context):
    """Fail, sleep, or run the task as the real handler does."""
    task_id = event.get("task_id", "")
    if task_id in _chosen("FAULTY_FAIL_ALWAYS"):
        raise RuntimeError(f"injected failure in {task_id}")
    if task_id in _chosen("FAULTY_FAIL_ONCE"):
        marker = Path(os.environ["FAULTY_MARKER_DIR"]) / task_id.replace("/", "_")
        try:
            marker.touch(exist_ok=False)
        except FileExistsError:
            pass
        else:
            raise RuntimeError(f"injected one-off failure in {task_id}")
    if task_id in _chosen("FAULTY_SLEEP"):
        time.sleep(float(os.environ.get("FAULTY_SLEEP_S", "10")))
    response = handle_event(event)
    if task_id.split("/")[0] in _chosen("FAULTY_OLD_SKLEARN"):
        response["versions"]["scikit-learn"] = "1.0.2"
    return response
