"""A pytest plugin for the whole run: under the test command (``PYDMLSERVERLESS_NO_SKIPS=1``) a skip fails.

``tools/test.sh`` installs everything the tests need (R, the data, the emulators), so a test that
skips there skipped for a reason the command should have fixed. Docstring examples skip too when
all their lines are marked ``+SKIP``: every example runs (the emulators stand in for AWS).
"""

from __future__ import annotations

import os

import pytest

_skips: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _skips.append(f"{report.nodeid}: {reason}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _skips and os.environ.get("PYDMLSERVERLESS_NO_SKIPS") == "1":
        print("\n\nPYDMLSERVERLESS_NO_SKIPS=1, and these tests skipped (the test command should make them run):")
        for line in _skips:
            print(f"  {line}")
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
