"""Benchmark 5: a Lambda runtime's cold start, its first (cold) task and its later (warm) tasks.

One emulated Lambda runtime (AWS's Runtime Interface Emulator running ``lambda/handler.py``), the
data in moto's S3 server. Each repeat starts a fresh emulator and runs one ``fit_aws_lambda``
with ``max_concurrency=1`` (PLR on simulated data with 20 covariates, ``LinearRegression`` for
``ml_l`` and ``ml_m``, 5 folds, 1 repetition: 10 tasks one after the other), at n_obs = 10^4 and
10^5. From ``aws_lambda_metrics``:

* init — the first invocation's REPORT ``Init Duration`` (what the emulator reports as the
  runtime's initialisation);
* first task (cold) — its invocation's wall time (``latency_s``) and the worker's ``load_s``
  (downloading and decoding the dataset and the splits from S3, the learner's import);
* later tasks (warm) — the same for the other nine invocations (dataset and splits cache hits);
* cold penalty — the first invocation's wall time minus the median of the later ones.

Separately, the handler module's import in a fresh interpreter: ``python -c "import handler"``
run in ``lambda/``, timed inside (``perf_counter`` around the import) and from outside (the
process's wall time, less that of ``python -c pass``). Timings are median, min and max over the
repeats (the warm rows over all later tasks of all repeats).

Run: ``python -m bench.cold_warm [--repeats 5]``.
"""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
from sklearn.linear_model import LinearRegression

from pydmlserverless import DoubleMLPLRServerless
from pydmlserverless.testing import LAMBDA_CODE_DIR, REPO_ROOT, MotoS3Server

from .common import Result, fmt, mmm, parser, stats
from .emulated import FUNCTION_NAME, REGION, emulated_aws, plr_frame

N_FOLDS, N_REP = 5, 1
SIZES = [10**4, 10**5]
IMPORT = """
import time
t0 = time.perf_counter()
import handler
t1 = time.perf_counter()
import boto3
boto3.client("s3", region_name="eu-central-1")
print(t1 - t0, time.perf_counter() - t1)
"""


def import_times() -> tuple[float, float, float, float]:
    """Seconds of the handler's import (timed inside), ``python -c <import>``, ``python -c pass``, and
    of importing boto3 and making an S3 client after the handler (timed inside)."""
    env = {"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"}
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", IMPORT], cwd=LAMBDA_CODE_DIR, env=env, capture_output=True, text=True)
    with_import = time.perf_counter() - t0
    out.check_returncode()
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    handler_s, boto_s = (float(v) for v in out.stdout.split())
    return handler_s, with_import, time.perf_counter() - t0, boto_s


def cold_fit(frame, s3: MotoS3Server) -> dict:
    """One fit, task after task, in a fresh emulated runtime; the rows of its invocations in order."""
    with emulated_aws(1, s3=s3) as aws:
        np.random.seed(1)
        model = DoubleMLPLRServerless(
            FUNCTION_NAME, REGION, aws.data(frame), LinearRegression(), LinearRegression(), n_folds=N_FOLDS, n_rep=N_REP
        )
        model.fit_aws_lambda(max_concurrency=1, progress=False, verbose=False, resume=False)
        rows = model.aws_lambda_metrics
    rows = rows[rows["outcome"] == "ok"].to_dict("records")  # in order of their start
    first, later = rows[0], rows[1:]
    assert not first["dataset_cache_hit"] and all(r["dataset_cache_hit"] for r in later)
    return {"first": first, "later": later}


def main(argv: list[str] | None = None) -> Result:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5, help="fresh emulators per size (default 5)")
    args = p.parse_args(argv)
    sizes = SIZES[:1] if args.quick else SIZES
    repeats = 1 if args.quick else args.repeats

    imports = [import_times() for _ in range(repeats)]
    fits: dict[int, list[dict]] = {}
    with MotoS3Server() as s3:
        for n_obs in sizes:
            frame = plr_frame(n_obs)
            fits[n_obs] = [cold_fit(frame, s3) for _ in range(repeats)]
            print(f"n_obs {n_obs:,}: {repeats} fresh runtimes done", flush=True)

    result = Result("cold_warm", "Cold start, first task and warm tasks of one Lambda runtime", argv=argv)
    inside, outside, bare, boto = (stats([1000 * t[i] for t in imports]) for i in range(4))
    net = stats([1000 * (t[1] - t[2] - t[3]) for t in imports])
    inits = [f["first"]["init_duration_ms"] for n in sizes for f in fits[n]]
    init = stats(inits) if all(v is not None for v in inits) else None
    result.table(
        f"Start of the handler's Python runtime, ms ({repeats} fresh processes; Init Duration over "
        f"{len(inits)} fresh emulators)",
        ["what", "median", "min", "max"],
        [
            ["handler import, timed inside the process", *mmm(inside)],
            ["then import boto3 and make an S3 client (the first task does it), timed inside", *mmm(boto)],
            ["python -c '<both>', process wall", *mmm(outside)],
            ["python -c pass, process wall", *mmm(bare)],
            ["handler import from outside: the difference, less boto3", *mmm(net)],
            ["REPORT Init Duration of the first invocation", *(mmm(init) if init else ["–"] * 3)],
        ],
    )

    rows, penalties = [], {}
    for n_obs in sizes:
        firsts = [f["first"] for f in fits[n_obs]]
        later = [r for f in fits[n_obs] for r in f["later"]]
        penalty = [
            1000 * (f["first"]["latency_s"] - float(np.median([r["latency_s"] for r in f["later"]])))
            for f in fits[n_obs]
        ]
        penalties[n_obs] = stats(penalty)
        for phase, group in (("first task (cold)", firsts), ("later tasks (warm)", later)):
            wall = stats([1000 * r["latency_s"] for r in group])
            duration = stats([r["duration_ms"] for r in group])
            load = stats([1000 * r["load_s"] for r in group])
            rows.append([n_obs, phase, len(group), *mmm(wall), *mmm(duration), *mmm(load)])
        rows.append([n_obs, "cold penalty: first - median later", len(penalty), *mmm(penalties[n_obs])] + ["–"] * 6)
    result.table(
        f"PLR, 20 covariates, LinearRegression, {N_FOLDS} folds x {N_REP} rep: 10 tasks one after the other in "
        f"one fresh runtime per repeat ({repeats} repeats); ms",
        [
            "n_obs",
            "phase",
            "n",
            "wall median",
            "min",
            "max",
            "REPORT Duration median",
            "min",
            "max",
            "worker load_s median",
            "min",
            "max",
        ],
        rows,
    )

    memory = []
    for n_obs in sizes:
        start = stats([f["first"]["rss_start_mb"] for f in fits[n_obs]])
        peak = stats([max(r["peak_rss_mb"] for r in [f["first"], *f["later"]]) for f in fits[n_obs]])
        memory.append([n_obs, *mmm(start), *mmm(peak)])
    result.table(
        "The runtime's resident memory, MiB: at its first task's start (handler imported) and its peak after the fit",
        ["n_obs", "idle median", "min", "max", "peak median", "min", "max"],
        memory,
    )

    if init is None or init["max"] < 1:
        result.note(
            "The emulator's Init Duration is not the start's cost: RIE starts the Python runtime lazily, inside "
            "the first invocation, whose Duration and wall time therefore include the imports (the cold penalty)."
        )
    result.note(
        f"The first invocation's wall time includes the runtime's start (the handler's imports, "
        f"{fmt(net['median'])} ms in a fresh process), the S3 client's creation, and the dataset's and "
        "splits' download; the emulator and moto run on this machine, so S3 transfer is loopback."
    )
    result.raw("imports_s", imports)
    result.raw(
        "invocations",
        {
            str(n): [
                [
                    {k: r[k] for k in ("latency_s", "duration_ms", "init_duration_ms", "load_s", "fit_s", "total_s")}
                    for r in [f["first"], *f["later"]]
                ]
                for f in fits[n]
            ]
            for n in sizes
        },
    )
    if args.quick:
        result.note("Quick run (--quick): n_obs 10^4 only, one repeat; not a measurement.")
    result.write(args.results_dir)
    return result


if __name__ == "__main__":
    main()
