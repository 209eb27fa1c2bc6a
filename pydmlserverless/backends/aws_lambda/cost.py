"""What a Lambda fit costs: the price table and the parser of Lambda's ``REPORT`` log line.

Lambda bills each invocation for its billed duration times its memory (GB-seconds, at a price
per architecture) plus a price per request. The billed duration, memory size, peak memory and
cold-start (init) duration of an invocation are in the ``REPORT`` line of its log, which an
``Invoke`` with ``LogType='Tail'`` returns base64-encoded in ``LogResult`` (the last 4 KB).

Prices (:data:`DEFAULT_PRICES`) are AWS's list prices for us-east-1, first volume tier, from
https://aws.amazon.com/lambda/pricing/ (unchanged since arm64 was introduced in September 2021;
read for this module in 2025): x86_64 $0.0000166667 and arm64 $0.0000133334 per GB-second,
$0.20 per million requests. Other regions, tiered discounts, Savings Plans, the free tier and
ephemeral storage above 512 MB are not modelled; pass your own :class:`LambdaPrices` for them.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..._checks import check_number
from ...errors import ConfigurationError

__all__ = [
    "ARCHITECTURES",
    "LambdaPrices",
    "DEFAULT_PRICES",
    "parse_report_line",
    "decode_log_result",
    "gb_seconds",
    "invocation_cost",
]

#: Lambda's instruction-set architectures.
ARCHITECTURES = ("arm64", "x86_64")


@dataclass(frozen=True)
class LambdaPrices:
    """A Lambda price table.

    Parameters
    ----------
    gb_second : mapping of str to float
        USD per GB-second of billed duration, by architecture (``'arm64'``, ``'x86_64'``).
    per_request : float
        USD per invocation request.
    source : str
        Where the prices come from (shown in the fit summary).

    Examples
    --------
    >>> frankfurt = LambdaPrices({"arm64": 0.0000133334, "x86_64": 0.0000166667}, 0.2e-6, "eu-central-1")
    >>> round(frankfurt.compute_usd(1.0, "arm64"), 10)
    1.33334e-05
    """

    gb_second: Mapping[str, float] = field(default_factory=lambda: {"arm64": 0.0000133334, "x86_64": 0.0000166667})
    per_request: float = 0.20 / 1_000_000
    source: str = "us-east-1 list prices (aws.amazon.com/lambda/pricing, first tier, 2025)"

    def __post_init__(self) -> None:
        for arch, price in self.gb_second.items():
            check_number(price, f"The GB-second price for {arch!r}", minimum=0)
        check_number(self.per_request, "The request price", minimum=0)

    def compute_usd(self, gb_s: float, architecture: str) -> float:
        """USD for ``gb_s`` GB-seconds on ``architecture``."""
        try:
            return gb_s * self.gb_second[architecture]
        except KeyError:
            raise ConfigurationError(
                f"No GB-second price for architecture {architecture!r}; the table has {sorted(self.gb_second)}."
            ) from None


#: The default price table (see the module's docstring for the source).
DEFAULT_PRICES = LambdaPrices()

_FIELDS = {
    "Init Duration": "init_duration_ms",
    "Restore Duration": "restore_duration_ms",
    "Billed Restore Duration": "billed_restore_duration_ms",
    "Billed Duration": "billed_duration_ms",
    "Duration": "duration_ms",
    "Memory Size": "memory_size_mb",
    "Max Memory Used": "max_memory_used_mb",
}
# Longest names first so that "Duration" never matches the tail of "Billed Duration".
_FIELD_RE = re.compile(
    r"(?<![A-Za-z])(" + "|".join(sorted(map(re.escape, _FIELDS), key=len, reverse=True)) + r"):\s*([0-9.]+)\s*(?:ms|MB)"
)
_REQUEST_RE = re.compile(r"RequestId:\s*([0-9A-Za-z-]+)")
_STATUS_RE = re.compile(r"Status:\s*([A-Za-z.]+)")


def parse_report_line(log: str | None, request_id: str | None = None) -> dict | None:
    """Parse the ``REPORT`` line of a Lambda invocation's log.

    Parameters
    ----------
    log : str or None
        A log excerpt (e.g. the decoded ``LogResult``) or the ``REPORT`` line itself. The last
        ``REPORT`` line is used, or the one of ``request_id`` when given and present.
    request_id : str, optional
        The invocation's request id.

    Returns
    -------
    dict or None
        ``request_id``, ``duration_ms``, ``billed_duration_ms``, ``memory_size_mb``,
        ``max_memory_used_mb``, ``init_duration_ms`` (None on a warm start), ``status``
        (None unless Lambda reports one, e.g. ``'timeout'``); None when there is no ``REPORT`` line.

    Examples
    --------
    >>> line = ("REPORT RequestId: 3f2a-11\\tDuration: 102.25 ms\\tBilled Duration: 103 ms\\t"
    ...         "Memory Size: 1769 MB\\tMax Memory Used: 181 MB\\tInit Duration: 745.10 ms")
    >>> report = parse_report_line(line)
    >>> report["billed_duration_ms"], report["memory_size_mb"], report["init_duration_ms"]
    (103.0, 1769.0, 745.1)
    """
    if not log:
        return None
    lines = [line for line in log.splitlines() if line.lstrip().startswith("REPORT")]
    if not lines:
        return None
    chosen = lines[-1]
    if request_id:
        chosen = next((line for line in reversed(lines) if request_id in line), chosen)
    out: dict = {name: None for name in _FIELDS.values()}
    for match in _FIELD_RE.finditer(chosen):
        out[_FIELDS[match.group(1)]] = float(match.group(2))
    rid = _REQUEST_RE.search(chosen)
    status = _STATUS_RE.search(chosen)
    out["request_id"] = rid.group(1) if rid else None
    out["status"] = status.group(1) if status else None
    if out["billed_duration_ms"] is None and out["duration_ms"] is None:
        return None
    return out


def decode_log_result(log_result: str | None) -> str:
    """Decode the base64 ``LogResult`` of an ``Invoke`` response (empty string when absent).

    Examples
    --------
    >>> decode_log_result(base64.b64encode(b"REPORT RequestId: 1").decode())
    'REPORT RequestId: 1'
    """
    if not log_result:
        return ""
    try:
        return base64.b64decode(log_result).decode("utf-8", errors="replace")
    except (ValueError, TypeError):
        return ""


def gb_seconds(billed_duration_ms: float, memory_size_mb: float) -> float:
    """Billed GB-seconds of an invocation (Lambda counts 1 GB as 1024 MB).

    Examples
    --------
    >>> gb_seconds(2000, 1024)
    2.0
    """
    return billed_duration_ms / 1000.0 * memory_size_mb / 1024.0


def invocation_cost(
    billed_duration_ms: float | None,
    memory_size_mb: float | None,
    architecture: str,
    prices: LambdaPrices = DEFAULT_PRICES,
) -> tuple[float, float]:
    """GB-seconds and USD (compute plus request) of one invocation.

    Parameters
    ----------
    billed_duration_ms : float or None
        Billed duration from the ``REPORT`` line; None or NaN when unknown (then compute is NaN).
    memory_size_mb : float or None
        The function's memory.
    architecture : {'arm64', 'x86_64'}
        The function's architecture.
    prices : LambdaPrices
        The price table.

    Returns
    -------
    gb_s : float
    usd : float

    Examples
    --------
    >>> gb_s, usd = invocation_cost(1000, 1024, "x86_64")
    >>> gb_s, round(usd, 10)
    (1.0, 1.68667e-05)
    """
    if billed_duration_ms is None or memory_size_mb is None:
        return math.nan, math.nan
    gb_s = gb_seconds(float(billed_duration_ms), float(memory_size_mb))
    return gb_s, prices.compute_usd(gb_s, architecture) + prices.per_request
