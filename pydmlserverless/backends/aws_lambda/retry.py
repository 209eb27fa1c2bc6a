"""The retry policy of remote task invocations, and a concurrency limit that adapts to throttling.

Pure logic, no I/O: the Lambda backend asks :class:`RetryPolicy` whether and how long to wait
before trying a task again, and gates its invocations with :class:`AdaptiveConcurrency`.

* Throttled (HTTP 429): wait at least the server's ``Retry-After`` (capped at
  ``max_retry_after_s``, 60 s; a non-finite or negative value is ignored), plus exponential
  backoff with full jitter, so that the throttled threads do not come back in lockstep.
* Connection errors and 5xx service errors: retry with the same backoff for up to
  ``connection_budget_s`` (30 s) from a task's first such error, so that a network outage of a
  few seconds costs a wait, not the fit.
* Function errors (the handler raised): retry a bounded number of times; the task may have met a
  transient failure (out of memory in a recycled container, a failed S3 read).
* Timeouts (the task ran past the function's timeout): never retried. The worker is
  deterministic, so a retry runs the same work again and times out again, billed each time.
"""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass
from typing import Any

from ..._checks import check_int, check_number

__all__ = ["RetryPolicy", "AdaptiveConcurrency", "parse_retry_after"]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and after which wait a failed invocation is tried again.

    Parameters
    ----------
    max_function_error_retries : int, default 2
        Retries of a task whose function raised (so at most ``1 + max_function_error_retries``
        invocations ran it).
    max_throttle_retries : int, default 50
        Retries of a task after throttling responses (429).
    max_connection_retries : int, default 100
        Retries of a task after connection errors, read timeouts or 5xx service errors, at most.
    connection_budget_s : float, default 30.0
        How long a task keeps retrying connection errors, from its first one.
    base_delay_s : float, default 0.2
        Backoff scale: the n-th retry waits a uniform random time in ``[0, base * 2**(n-1)]``.
    max_delay_s : float, default 10.0
        Cap of that backoff window (``Retry-After`` is honoured on top of it).
    max_retry_after_s : float, default 60.0
        The longest ``Retry-After`` honoured: a larger one waits this long (an answer cannot stall
        a fit for an hour); a non-finite or negative one is ignored.

    Examples
    --------
    >>> policy = RetryPolicy(base_delay_s=1.0, max_delay_s=8.0)
    >>> rng = random.Random(0)
    >>> 0.0 <= policy.delay(3, rng=rng) <= 4.0
    True
    >>> policy.delay(1, retry_after=2.0, rng=rng) >= 2.0
    True
    >>> policy.delay(1, retry_after=1e20, rng=rng) <= 60.0 + 1.0
    True
    """

    max_function_error_retries: int = 2
    max_throttle_retries: int = 50
    max_connection_retries: int = 100
    base_delay_s: float = 0.2
    max_delay_s: float = 10.0
    connection_budget_s: float = 30.0
    max_retry_after_s: float = 60.0

    def __post_init__(self) -> None:
        for name in ("max_function_error_retries", "max_throttle_retries", "max_connection_retries"):
            check_int(getattr(self, name), name, minimum=0)
        for name in ("base_delay_s", "max_delay_s", "connection_budget_s", "max_retry_after_s"):
            check_number(getattr(self, name), name, minimum=0)

    def backoff_window(self, retry: int) -> float:
        """Upper end of the jittered wait before the ``retry``-th retry (1-based)."""
        return min(self.max_delay_s, self.base_delay_s * 2.0 ** max(0, min(retry - 1, 62)))

    def delay(self, retry: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
        """Seconds to wait before the ``retry``-th retry of a task.

        Parameters
        ----------
        retry : int
            1 for the first retry, 2 for the second, ...
        retry_after : float, optional
            The server's ``Retry-After`` in seconds; the wait is at least this, up to
            ``max_retry_after_s`` (ignored when not finite or negative).
        rng : random.Random, optional
            Source of the jitter.

        Returns
        -------
        float
        """
        jitter = (rng or random).uniform(0.0, self.backoff_window(retry))
        floor = retry_after if retry_after is not None and math.isfinite(retry_after) and retry_after > 0 else 0.0
        return min(floor, self.max_retry_after_s) + jitter

    def limit(self, kind: str) -> int:
        """The number of retries allowed for ``kind``: ``'throttle'``, ``'connection'`` or ``'function_error'``."""
        return {
            "throttle": self.max_throttle_retries,
            "connection": self.max_connection_retries,
            "function_error": self.max_function_error_retries,
        }[kind]


def parse_retry_after(value: Any) -> float | None:
    """Seconds from a ``Retry-After`` header or Lambda's ``retryAfterSeconds`` (None if absent or a date).

    Examples
    --------
    >>> parse_retry_after("2"), parse_retry_after(None), parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT")
    (2.0, None, None)
    """
    if value is None or value == "":
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None  # an HTTP date: Lambda does not send one; fall back to the backoff alone
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


class AdaptiveConcurrency:
    """A limit on concurrent invocations that backs off when throttled (additive increase, quick decrease).

    A throttle means the service ran fewer invocations than we had in flight, so the limit drops
    to one below the number in flight; every success raises it by ``1 / limit`` (about one per
    round of ``limit`` completions), up to ``maximum``. Threads beyond the limit wait in
    :meth:`acquire` instead of hammering the service with requests that will be throttled.

    Parameters
    ----------
    maximum : int
        The ceiling (the thread pool's size).

    Examples
    --------
    >>> gate = AdaptiveConcurrency(4)
    >>> [gate.acquire() for _ in range(3)]
    [True, True, True]
    >>> gate.throttled()  # three in flight, one was refused: at most two fit
    >>> gate.release()
    >>> gate.limit
    2.0
    """

    def __init__(self, maximum: int) -> None:
        self.maximum = check_int(maximum, "maximum", minimum=1)
        self.limit = float(maximum)
        self.in_flight = 0
        self.peak = 0
        self._cond = threading.Condition()

    def acquire(self, stop: threading.Event | None = None) -> bool:
        """Wait for a slot; False if ``stop`` was set meanwhile (no slot taken)."""
        with self._cond:
            while self.in_flight >= max(1, int(self.limit)):
                if stop is not None and stop.is_set():
                    return False
                self._cond.wait(0.1)
            if stop is not None and stop.is_set():
                return False
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            return True

    def throttled(self) -> None:
        """Record a throttled request (call before :meth:`release` of its slot)."""
        with self._cond:
            self.limit = max(1.0, min(self.limit, float(self.in_flight - 1)))

    def succeeded(self) -> None:
        """Record a request the service accepted."""
        with self._cond:
            self.limit = min(float(self.maximum), self.limit + 1.0 / max(self.limit, 1.0))

    def release(self) -> None:
        """Give a slot back."""
        with self._cond:
            self.in_flight -= 1
            self._cond.notify_all()
