"""Benchmark 3: request and response bytes per Lambda task as the number of observations grows.

PLR on simulated data (20 covariates), ``LinearRegression`` for ``ml_l`` and ``ml_m``, 5 folds,
1 repetition, scaling ``'n_folds * n_rep'`` (10 tasks, each fitting one fold), at n_obs = 10^3 to
10^6. Each fit runs through ``fit_aws_lambda`` against two emulated Lambda runtimes (AWS's Runtime
Interface Emulator running ``lambda/handler.py``) with the data in moto's S3 server; the bytes are
``aws_lambda_metrics``' ``request_bytes`` (the JSON task payload sent) and ``response_bytes`` (the
function's JSON response), per successful invocation.

A request names the dataset and the splits by S3 key, so it should not grow with n_obs. A
response carries the task's test-row predictions inline (base64 float64 in JSON, 32/3 bytes per
row) up to the payload's ``inline_max_bytes`` (64 KiB of base64), beyond it an S3 key (the
predictions then travel as raw float64 through S3, 8 bytes per row). The marginal
response bytes per predicted row and the constant are fitted by least squares over the inline
responses. A second table runs the same fits with every result inline up to 5 MB (near Lambda's
6 MB response limit; ``pydmlserverless.worker.protocol.INLINE_MAX_BYTES``, a client-side setting the
payload carries) and compares the tasks phase's wall time with the default, alternated within each
repeat: what the S3 route costs or saves. A third table weighs compact lossless inline encodings on
one task's predictions at the largest size: none reaches 8 bytes per row.

Run: ``python -m bench.payload_bytes [--repeats 3]`` (``--quick`` skips 10^6).
"""

from __future__ import annotations

import base64
import zlib

import numpy as np
from sklearn.linear_model import LinearRegression

from pydmlserverless import DoubleMLPLRServerless
from pydmlserverless.worker import protocol

from .common import Result, fmt, mmm, parser, stats
from .emulated import FUNCTION_NAME, REGION, EmulatedAWS, emulated_aws, plr_frame

N_FOLDS, N_REP, SCALING = 5, 1, "n_folds * n_rep"
SIZES = [10**3, 10**4, 10**5, 10**6]
#: The goal's "small constant": base64's excess over 8 bytes per row is a quarter of an inline
#: response, at most INLINE_MAX_BYTES / 4, plus the response's fixed fields (under 1 KiB).
SMALL_CONSTANT = protocol.INLINE_MAX_BYTES // 4 + 1024
#: The alternative compared with: every result inline up to 5 MB of base64.
LARGE_INLINE_BYTES = 5_000_000


def fit(aws: EmulatedAWS, data, inline: bool) -> DoubleMLPLRServerless:
    """One ``fit_aws_lambda`` on the emulators (``inline``: the default threshold, else inline up to 5 MB)."""
    np.random.seed(1)  # the same sample splits for every fit of one size
    model = DoubleMLPLRServerless(
        FUNCTION_NAME, REGION, data, LinearRegression(), LinearRegression(), n_folds=N_FOLDS, n_rep=N_REP
    )
    default = protocol.INLINE_MAX_BYTES
    protocol.INLINE_MAX_BYTES = default if inline else LARGE_INLINE_BYTES
    try:
        model.fit_aws_lambda(
            scaling=SCALING, max_concurrency=aws.n_emulators, progress=False, verbose=False, resume=False
        )
    finally:
        protocol.INLINE_MAX_BYTES = default
    return model


def task_rows(model: DoubleMLPLRServerless) -> list[dict]:
    """The successful invocations, each with its number of predicted (test) rows."""
    metrics = model.aws_lambda_metrics
    test_rows = [len(test) for _, test in model.smpls[0]]
    rows = metrics[metrics["outcome"] == "ok"].to_dict("records")
    for row in rows:
        row["rows"] = test_rows[int(row["task_id"].rsplit("/f", 1)[1])]
    return rows


def encodings(values: np.ndarray) -> list[list[str]]:
    """Bytes per value of lossless encodings of ``values``: raw, and as base64 text in a JSON response."""
    raw = values.astype("<f8").tobytes()
    shuffled = np.frombuffer(raw, np.uint8).reshape(-1, 8).T.tobytes()  # byte planes, as blosc does
    rows = []
    for name, body in (
        ("float64 (today's inline form)", raw),
        ("float64, zlib", zlib.compress(raw, 6)),
        ("float64, byte planes, zlib", zlib.compress(shuffled, 6)),
    ):
        rows.append([name, f"{len(body) / values.size:.2f}", f"{len(base64.b64encode(body)) / values.size:.2f}"])
    return rows


def byte_cells(s: dict) -> list[str]:
    """Median, min and max of a :func:`stats` dict of byte counts, as whole numbers."""
    return [f"{round(s[k]):,}" for k in ("median", "min", "max")]


def main(argv: list[str] | None = None) -> Result:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3, help="fits per size and result path (default 3)")
    args = p.parse_args(argv)
    sizes = SIZES[:-1] if args.quick else SIZES
    repeats = 1 if args.quick else args.repeats

    found: dict[tuple[int, bool], dict[str, list]] = {}
    last = None
    with emulated_aws(2) as aws:
        aws.pool.warm_up()  # runtimes started: latencies below are warm ones
        for n_obs in sizes:
            data = aws.data(plr_frame(n_obs))
            for repeat in range(repeats):
                for inline in (True, False) if repeat % 2 == 0 else (False, True):
                    model = fit(aws, data, inline)
                    got = found.setdefault((n_obs, inline), {"rows": [], "tasks_s": []})
                    got["rows"] += task_rows(model)
                    got["tasks_s"].append(model.fit_report.seconds["tasks"])
                    last = model
            print(f"n_obs {n_obs:,}: {repeats} x 2 fits done", flush=True)

    inline_rows = [r for n in sizes for r in found[(n, True)]["rows"] if r["result_via"] == "inline"]
    slope, const = np.polyfit([r["rows"] for r in inline_rows], [r["response_bytes"] for r in inline_rows], 1)

    result = Result("payload_bytes", "Request and response bytes per Lambda task", argv=argv)
    table, requests, goal_ok = [], [], True
    for n_obs in sizes:
        rows = found[(n_obs, True)]["rows"]
        req, resp = stats([r["request_bytes"] for r in rows]), stats([r["response_bytes"] for r in rows])
        pred = stats([r["rows"] for r in rows])
        per_row = stats([r["response_bytes"] / r["rows"] for r in rows])
        via = sorted({r["result_via"] for r in rows})
        # the goal: <= 8 bytes per predicted row plus a small constant, or an S3 reference
        ok = all(r["result_via"] == "store" or r["response_bytes"] <= 8 * r["rows"] + SMALL_CONSTANT for r in rows)
        goal_ok &= ok
        requests.append(req)
        table.append(
            [n_obs, *byte_cells(req), *byte_cells(resp), byte_cells(pred)[0], *mmm(per_row), "/".join(via), ok]
        )
    result.table(
        f"PLR, 20 covariates, LinearRegression, {N_FOLDS} folds x {N_REP} rep, scaling '{SCALING}', "
        f"2 emulated runtimes; per successful invocation over {repeats} fits per size",
        [
            "n_obs",
            "request B median",
            "min",
            "max",
            "response B median",
            "min",
            "max",
            "predicted rows per task",
            "response B per row median",
            "min",
            "max",
            "result via",
            f"<= 8 B/row + {SMALL_CONSTANT:,} B or S3",
        ],
        table,
    )

    comparison = []
    for n_obs in sizes:
        default, large = found[(n_obs, True)], found[(n_obs, False)]
        ratio = stats([d / g for d, g in zip(default["tasks_s"], large["tasks_s"])])
        resp = stats([r["response_bytes"] for r in large["rows"]])
        comparison.append(
            [n_obs, *mmm(stats(default["tasks_s"])), *mmm(stats(large["tasks_s"])), *mmm(ratio), byte_cells(resp)[2]]
        )
    result.table(
        f"The default (inline up to {protocol.INLINE_MAX_BYTES:,} B, else S3) against every result inline up to "
        f"{LARGE_INLINE_BYTES:,} B; tasks phase wall s per fit, {repeats} alternated fits each",
        [
            "n_obs",
            "default s median",
            "min",
            "max",
            "inline up to 5 MB s median",
            "min",
            "max",
            "default / 5 MB inline median",
            "min",
            "max",
            "5 MB inline response B max",
        ],
        comparison,
    )

    test = last.smpls[0][0][1]  # the first fold's test rows: one task's predictions at the largest size
    result.table(
        f"Lossless encodings of one task's predictions ({len(test):,} rows of ml_l at n_obs {sizes[-1]:,}), "
        "bytes per row",
        ["encoding", "raw", "as base64 in JSON"],
        encodings(last.predictions["ml_l"][test, 0, 0]),
    )

    spread = max(r["max"] for r in requests) - min(r["min"] for r in requests)
    result.goal(
        "request bytes constant across n_obs",
        f"{fmt(min(r['min'] for r in requests))}–{fmt(max(r['max'] for r in requests))} B (spread {spread:.0f} B)",
        spread == 0,
    )
    result.goal(
        f"response <= 8 B per predicted row + {SMALL_CONSTANT:,} B, or an S3 reference",
        f"inline: {slope:.2f} B per row + {const:.0f} B (least squares over {len(inline_rows)} responses), at most "
        f"{max(r['response_bytes'] - 8 * r['rows'] for r in inline_rows):,.0f} B above 8 B per row; larger results "
        "via S3",
        goal_ok,
    )
    result.note(
        "Inline predictions are base64 float64 in JSON: 8 x 4/3 = 10.67 B per row; results go through S3 only "
        f"above inline_max_bytes ({protocol.INLINE_MAX_BYTES:,} B of base64, about "
        f"{protocol.INLINE_MAX_BYTES * 3 // 4 // 8:,} rows per task)."
    )
    result.raw(
        "invocations",
        {
            f"{n}/{'default' if inline else 'inline-5MB'}": [
                {k: r[k] for k in ("task_id", "request_bytes", "response_bytes", "rows", "result_via", "latency_s")}
                for r in got["rows"]
            ]
            for (n, inline), got in found.items()
        },
    )
    result.raw("tasks_s", {f"{n}/{'default' if i else 'inline-5MB'}": got["tasks_s"] for (n, i), got in found.items()})
    if args.quick:
        result.note("Quick run (--quick): n_obs up to 10^5, one fit per size; not a measurement.")
    result.write(args.results_dir)
    return result


if __name__ == "__main__":
    main()
