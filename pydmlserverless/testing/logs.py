"""Capture of an emulator's output and parsing of Lambda's START / END / REPORT lines.

The Runtime Interface Emulator (RIE) writes two kinds of lines to its output:

* its own diagnostics, e.g. ``25 Nov 2026 12:08:52,020 [INFO] (rapid) INIT REPORT(durationMs: 64.4)``
  (on stderr), which real Lambda never shows to a caller;
* the function's log as real Lambda writes it to CloudWatch (on stdout): ``START RequestId: <id>
  Version: $LATEST``, whatever the handler prints, ``END RequestId: <id>`` and a tab-separated
  ``REPORT RequestId: <id>\\tInit Duration: 0.02 ms\\tDuration: 65.00 ms\\tBilled Duration: 65 ms\\t
  Memory Size: 512 MB\\tMax Memory Used: 512 MB\\t`` (``Init Duration`` only on a cold start;
  ``Max Memory Used`` is always the configured memory size, RIE does not measure it).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

RIE_DIAGNOSTIC = re.compile(r"^\d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2},\d{3} \[[A-Z]+\] \(rapid\) ")
_REPORT_PREFIX = "REPORT RequestId: "
_REPORT_FIELD = re.compile(r"^(?P<key>[A-Za-z][A-Za-z ]*): (?P<value>\d+(?:\.\d+)?) (?:ms|MB)$")


@dataclass(frozen=True)
class Report:
    """The numbers of one REPORT line.

    Attributes
    ----------
    request_id : str
        The invocation's request id.
    duration_ms : float
        ``Duration``.
    billed_duration_ms : float
        ``Billed Duration``.
    memory_size_mb : int
        ``Memory Size`` (the configured memory).
    max_memory_used_mb : int
        ``Max Memory Used`` (RIE reports the configured memory size here).
    init_duration_ms : float or None
        ``Init Duration``, present on a cold start only.
    line : str
        The line itself.
    """

    request_id: str
    duration_ms: float
    billed_duration_ms: float
    memory_size_mb: int
    max_memory_used_mb: int
    init_duration_ms: float | None
    line: str


def parse_report(line: str) -> Report | None:
    """Parse a REPORT line.

    Parameters
    ----------
    line : str
        One log line.

    Returns
    -------
    Report or None
        The parsed numbers, or None when ``line`` is not a REPORT line.
    """
    if not line.startswith(_REPORT_PREFIX):
        return None
    request_id = line[len(_REPORT_PREFIX) :].split(maxsplit=1)[0]
    fields = {}
    for part in line.split("\t")[1:]:
        match = _REPORT_FIELD.match(part.strip())
        if match:
            fields[match["key"]] = float(match["value"])
    if "Duration" not in fields or "Billed Duration" not in fields:
        return None
    return Report(
        request_id=request_id,
        duration_ms=fields["Duration"],
        billed_duration_ms=fields["Billed Duration"],
        memory_size_mb=int(fields.get("Memory Size", 0)),
        max_memory_used_mb=int(fields.get("Max Memory Used", 0)),
        init_duration_ms=fields.get("Init Duration"),
        line=line,
    )


def is_rie_diagnostic(line: str) -> bool:
    """Whether ``line`` is one of RIE's own diagnostics (not part of the function's log)."""
    return RIE_DIAGNOSTIC.match(line) is not None


class LogBuffer:
    """Thread-safe, append-only store of output lines that other threads can wait on."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._cond = threading.Condition()

    def __len__(self) -> int:
        with self._cond:
            return len(self._lines)

    def append(self, line: str) -> None:
        """Add one line and wake the waiters."""
        with self._cond:
            self._lines.append(line)
            self._cond.notify_all()

    def lines(self, start: int = 0) -> list[str]:
        """A copy of the lines from index ``start`` on."""
        with self._cond:
            return self._lines[start:]

    def wait_for(self, predicate: Callable[[str], bool], start: int = 0, timeout: float = 0.0) -> int | None:
        """Wait until a line at index ``start`` or later satisfies ``predicate``.

        Parameters
        ----------
        predicate : callable
            Test applied to each line.
        start : int
            First index to look at.
        timeout : float
            Seconds to wait at most.

        Returns
        -------
        int or None
            The index of the first matching line, or None on timeout.
        """
        deadline = time.monotonic() + timeout
        position = start
        with self._cond:
            while True:
                while position < len(self._lines):
                    if predicate(self._lines[position]):
                        return position
                    position += 1
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)

    def wait_for_report(self, request_id: str, start: int = 0, timeout: float = 0.0) -> Report | None:
        """Wait for the REPORT line of ``request_id`` and parse it (None on timeout)."""
        prefix = f"{_REPORT_PREFIX}{request_id}\t"
        index = self.wait_for(lambda line: line.startswith(prefix), start, timeout)
        return None if index is None else parse_report(self.lines(index)[0])

    def request_lines(self, request_id: str, start: int = 0) -> list[str]:
        """The function-log lines of one invocation, RIE's diagnostics left out.

        Parameters
        ----------
        request_id : str
            The invocation's request id.
        start : int
            Index from which to search (the buffer length when the invocation was sent).

        Returns
        -------
        list of str
            From ``START RequestId: <id>`` through ``REPORT RequestId: <id>`` (or to the end of
            the buffer when no REPORT line was printed). Empty when no START line is found.
        """
        begin = f"START RequestId: {request_id} "
        end = f"{_REPORT_PREFIX}{request_id}\t"
        selected: list[str] = []
        started = False
        for line in self.lines(start):
            if not started:
                started = line.startswith(begin)
            if started and not is_rie_diagnostic(line):
                selected.append(line)
                if line.startswith(end):
                    break
        return selected


def pump(stream: IO[bytes], buffer: LogBuffer) -> None:
    """Copy ``stream`` into ``buffer`` line by line until end of file (run it in a thread).

    Lines are split on ``\\n`` only: awslambdaric joins the lines of a traceback with ``\\r`` into
    one log event, as CloudWatch shows it.
    """
    for raw in iter(stream.readline, b""):
        buffer.append(raw.rstrip(b"\n").decode("utf-8", errors="replace"))
    stream.close()
