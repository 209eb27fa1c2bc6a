"""The Lambda backend's metrics: one row per invocation request, per-task rows, cost totals, summary lines.

``outcome`` of a row is ``'ok'``, ``'function_error'`` or ``'timeout'`` for invocations that ran
(and were billed), ``'throttled'``, ``'connection_error'`` or ``'rejected'`` for requests that did
not run (no ``REPORT`` line, no cost).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ...worker.protocol import Task, TaskResponse
from .cost import LambdaPrices, decode_log_result, invocation_cost, parse_report_line

__all__ = [
    "INVOCATION_COLUMNS",
    "BILLED_OUTCOMES",
    "new_row",
    "fill_invocation",
    "fill_worker_report",
    "task_row",
    "invocations_frame",
    "cost_totals",
    "summary_lines",
]

#: Columns of the per-invocation metrics table, in order.
INVOCATION_COLUMNS = [
    "task_id",
    "treatment",
    "learner",
    "rep",
    "folds",
    "attempt",
    "speculative",
    "outcome",
    "request_id",
    "started_at",
    "latency_s",
    "request_bytes",
    "response_bytes",
    "result_via",
    "duration_ms",
    "billed_duration_ms",
    "memory_size_mb",
    "max_memory_used_mb",
    "init_duration_ms",
    "cold_start",
    "gb_seconds",
    "cost_usd",
    "dataset_cache_hit",
    "splits_cache_hit",
    "rss_start_mb",
    "peak_rss_mb",
    "load_s",
    "fit_s",
    "predict_s",
    "store_s",
    "models_s",
    "total_s",
    "result_bytes",
    "models_bytes",
    "error_type",
    "error_message",
]

#: Outcomes of invocations that ran in the function, and so were billed.
BILLED_OUTCOMES = ("ok", "function_error", "timeout")


def new_row(task: Task, attempt: int, request_bytes: int, speculative: bool = False) -> dict:
    """A blank invocation row for one request of ``task``, started now.

    Examples
    --------
    >>> row = new_row(Task("d/ml_l/r0/f0", "d", "ml_l", 0, (0,), {}), 1, 42)
    >>> row["attempt"], row["request_bytes"], row["outcome"]
    (1, 42, None)
    """
    row: dict[str, Any] = dict.fromkeys(INVOCATION_COLUMNS)
    row.update(
        task_id=task.task_id,
        treatment=task.treatment,
        learner=task.nuisance,
        rep=task.rep,
        folds=len(task.folds),
        attempt=attempt,
        speculative=speculative,
        started_at=time.time(),
        request_bytes=request_bytes,
        cold_start=False,
        gb_seconds=0.0,
        cost_usd=0.0,
    )
    return row


def fill_invocation(
    row: dict[str, Any],
    response: Mapping[str, Any],
    body: bytes,
    latency_s: float,
    outcome: str,
    error_type: str | None,
    error_message: str | None,
    memory_mb: int | None,
    architecture: str,
    prices: LambdaPrices,
) -> None:
    """Fill ``row`` from an Invoke that reached the function: its outcome, ``REPORT`` line and cost.

    Parameters
    ----------
    row : dict
        The request's row (:func:`new_row`), filled in place.
    response : dict
        The Invoke response (``LogResult``, ``ResponseMetadata``).
    body : bytes
        The response payload.
    latency_s : float
        Seconds from the request to the response.
    outcome, error_type, error_message : str or None
        The invocation's classification.
    memory_mb : int or None
        The function's memory, for a ``REPORT`` line without it.
    architecture : str
        The function's architecture, for the price.
    prices : LambdaPrices
        The price table.

    Examples
    --------
    >>> row = new_row(Task("d/ml_l/r0/f0", "d", "ml_l", 0, (0,), {}), 1, 42)
    >>> fill_invocation(row, {}, b"{}", 0.1, "ok", None, None, 1024, "arm64", LambdaPrices())
    >>> row["memory_size_mb"], row["cold_start"], row["cost_usd"] == LambdaPrices().per_request
    (1024, False, True)
    """
    row["latency_s"] = latency_s
    row["outcome"] = outcome
    row["response_bytes"] = len(body)
    row["error_type"], row["error_message"] = error_type, error_message
    report = parse_report_line(decode_log_result(response.get("LogResult"))) or {}
    row["request_id"] = report.get("request_id") or (response.get("ResponseMetadata") or {}).get("RequestId")
    for key in ("duration_ms", "billed_duration_ms", "max_memory_used_mb", "init_duration_ms"):
        row[key] = report.get(key)
    row["memory_size_mb"] = report.get("memory_size_mb") or memory_mb
    row["cold_start"] = report.get("init_duration_ms") is not None
    gb_s, usd = invocation_cost(row["billed_duration_ms"], row["memory_size_mb"], architecture, prices)
    row["gb_seconds"] = gb_s
    # without a REPORT line the compute is unknown; the request itself is still billed
    row["cost_usd"] = usd if not math.isnan(usd) else prices.per_request


def fill_worker_report(row: dict[str, Any], parsed: TaskResponse) -> None:
    """Copy the worker's cache hits, memory and timings from a successful response into ``row``.

    Examples
    --------
    >>> row = {}
    >>> answer = TaskResponse("t", 0, timings={"fit_s": 1.5}, info={"dataset_cache_hit": True}, predictions_b64="")
    >>> fill_worker_report(row, answer)
    >>> row["dataset_cache_hit"], row["fit_s"], row["load_s"]
    (True, 1.5, None)
    """
    info, timings = parsed.info, parsed.timings
    row["dataset_cache_hit"] = info.get("dataset_cache_hit")
    row["splits_cache_hit"] = info.get("splits_cache_hit")
    row["rss_start_mb"] = info.get("rss_start_mb")  # absent from an older deployed worker
    row["peak_rss_mb"] = info.get("peak_rss_mb")
    for key in ("load_s", "fit_s", "predict_s", "store_s", "models_s", "total_s"):
        row[key] = timings.get(key)
    row["result_bytes"] = info.get("result_bytes")  # a kept (or large) result's stored size
    row["models_bytes"] = info.get("models_bytes")  # the fitted learners', with store_models=True


def _sum_known(values: Any) -> float:
    """Sum without the missing values (None, NaN); plain Python, as this runs once per task.

    Examples
    --------
    >>> _sum_known([1.5, None, float("nan"), 2.0])
    3.5
    """
    return float(sum(v for v in values if v is not None and v == v))


def task_row(task: Task, rows: list[dict], counts: dict) -> dict:
    """The metrics row of a finished task from the rows of its requests.

    Parameters
    ----------
    task : Task
        The task.
    rows : list of dict
        Its invocation rows, in order; the last one is the successful invocation.
    counts : dict
        Its retried failures: ``{'throttle': n, 'connection': n, 'function_error': n}``.

    Returns
    -------
    dict
        Sums over the invocations that ran (billed duration, GB-seconds, USD) and the last
        invocation's sizes, cache hits, worker memory and timings.

    Examples
    --------
    >>> task = Task("d/ml_l/r0/f0", "d", "ml_l", 0, (0,), {})
    >>> row = new_row(task, 1, 42)
    >>> row["outcome"] = "ok"
    >>> task_row(task, [row], {"throttle": 0, "connection": 0, "function_error": 0})["invocations"]
    1
    """
    last = rows[-1]
    invoked = [r for r in rows if r["outcome"] in BILLED_OUTCOMES]
    billed = [r["billed_duration_ms"] for r in invoked if r["billed_duration_ms"] is not None]
    return {
        **task.metric_columns(),
        "attempts": len(rows),
        "invocations": len(invoked),
        "throttles": counts["throttle"],
        "connection_errors": counts["connection"],
        "function_errors": counts["function_error"],
        "request_bytes": last["request_bytes"],
        "response_bytes": last["response_bytes"],
        "result_via": last["result_via"],
        "cold_start": last["cold_start"],
        "billed_duration_ms": float(sum(billed)) if billed else math.nan,
        "gb_seconds": _sum_known(r["gb_seconds"] for r in invoked),
        "cost_usd": _sum_known(r["cost_usd"] for r in invoked),
        "dataset_cache_hit": last["dataset_cache_hit"],
        "splits_cache_hit": last["splits_cache_hit"],
        "rss_start_mb": last["rss_start_mb"],
        "peak_rss_mb": last["peak_rss_mb"],
        "load_s": last["load_s"],
        "fit_s": last["fit_s"],
        "predict_s": last["predict_s"],
        "store_s": last["store_s"],
        "models_s": last["models_s"],
        "total_s": last["total_s"],
        "result_bytes": last["result_bytes"],
        "models_bytes": last["models_bytes"],
        "latency_s": last["latency_s"],
    }


def invocations_frame(rows: list[dict]) -> pd.DataFrame:
    """The invocation rows as a table with :data:`INVOCATION_COLUMNS`, in order of their start.

    Examples
    --------
    >>> list(invocations_frame([]).columns) == INVOCATION_COLUMNS
    True
    """
    frame = pd.DataFrame(rows, columns=INVOCATION_COLUMNS)
    return frame.sort_values("started_at", kind="stable").reset_index(drop=True)


def cost_totals(frame: pd.DataFrame, prices: LambdaPrices, architecture: str) -> dict:
    """Totals of an invocations table: requests, billed GB-seconds and USD.

    Parameters
    ----------
    frame : pandas.DataFrame
        :func:`invocations_frame`.
    prices : LambdaPrices
        The price table.
    architecture : str
        The function's architecture.

    Returns
    -------
    dict

    Examples
    --------
    >>> cost_totals(invocations_frame([]), LambdaPrices(), "arm64")["total_usd"]
    0.0
    """
    ran = frame[frame["outcome"].isin(BILLED_OUTCOMES)]
    gb_s = float(np.nansum(ran["gb_seconds"].to_numpy(dtype=float)))
    compute = prices.compute_usd(gb_s, architecture)
    requests = len(ran)
    return {
        "requests": requests,
        "throttled": int((frame["outcome"] == "throttled").sum()),
        "connection_errors": int((frame["outcome"] == "connection_error").sum()),
        "billed_duration_s": float(np.nansum(ran["billed_duration_ms"].to_numpy(dtype=float))) / 1000.0,
        "billed_gb_seconds": gb_s,
        "compute_usd": compute,
        "request_usd": requests * prices.per_request,
        "total_usd": compute + requests * prices.per_request,
        "architecture": architecture,
        "unreported": int(ran["billed_duration_ms"].isna().sum()),
        "price_source": prices.source,
    }


def summary_lines(function_name: str, frame: pd.DataFrame, cost: dict, peak: int) -> list[str]:
    """The fit summary's lines about the invocations: outcomes, cold starts, cache hits, cost.

    Parameters
    ----------
    function_name : str
        The function.
    frame : pandas.DataFrame
        :func:`invocations_frame`.
    cost : dict
        :func:`cost_totals` of ``frame``.
    peak : int
        Most invocations in flight at once.

    Returns
    -------
    list of str

    Examples
    --------
    >>> frame = invocations_frame([])
    >>> summary_lines("f", frame, cost_totals(frame, LambdaPrices(), "arm64"), 0)[1]
    'cold starts 0; dataset downloads 0, warm-cache hits 0'
    """
    outcomes = frame["outcome"].value_counts()
    ok = frame[frame["outcome"] == "ok"]
    memory = frame["memory_size_mb"].dropna()
    memory_text = f", {int(memory.iloc[0])} MB" if len(memory) else ""
    downloads = int((ok["dataset_cache_hit"] == False).sum())  # noqa: E712 - the column may hold None
    hits = int((ok["dataset_cache_hit"] == True).sum())  # noqa: E712
    lines = [
        f"AWS Lambda {function_name!r} ({cost['architecture']}{memory_text}): {cost['requests']} invocations "
        f"= {int(outcomes.get('ok', 0))} ok + {int(outcomes.get('function_error', 0))} function errors retried "
        f"+ {int(outcomes.get('timeout', 0))} timeouts; {cost['throttled']} throttled requests, "
        f"{cost['connection_errors']} connection errors retried; peak {peak} in flight",
        f"cold starts {int(ok['cold_start'].sum())}; dataset downloads {downloads}, warm-cache hits {hits}",
        f"billed {cost['billed_duration_s']:.2f} s = {cost['billed_gb_seconds']:.3f} GB-s; "
        f"cost ${cost['total_usd']:.6f} = compute ${cost['compute_usd']:.6f} "
        f"+ requests ${cost['request_usd']:.6f} ({cost['price_source']})",
    ]
    copies = frame[frame["speculative"] == True]  # noqa: E712 - the column may hold None
    if len(copies):
        billed = copies["billed_duration_ms"].sum() / max(frame["billed_duration_ms"].sum(), 1)
        lines.append(
            f"speculative copies of {copies['task_id'].nunique()} straggling task(s): "
            f"{len(copies)} invocations, {100 * billed:.1f} % of the billed time"
        )
    if cost["unreported"]:
        lines.append(f"{cost['unreported']} invocations reported no billed duration (no REPORT line); not costed")
    return lines
