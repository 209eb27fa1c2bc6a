"""Benchmark 2: the Lambda path's own overhead, through a pool of emulated Lambda runtimes.

A fast learner (``LinearRegression``) on small simulated data, PLR with 5 folds and enough
repetitions for ``--tasks`` tasks (1,000 by default), ``fit_aws_lambda()`` against a pool of
emulators (AWS's Runtime Interface Emulator running ``lambda/handler.py``) with S3 on moto. The
emulators, the Invoke router and moto run in a separate process, so that this process's CPU time
is the client's alone (``fit_report.cpu_seconds``): planning and staging, the tasks phase
(encoding, invoking and decoding in the client's threads, collecting the results), and
aggregation into DoubleML. Each runtime gets one BLAS thread.

The ideal time of a fit is the sum of the function's own durations (the REPORT lines) divided by
the concurrency (the number of emulators): what a client with no cost of its own would take.

Run: ``python -m bench.lambda_overhead [--tasks 1000] [--emulators N] [--repeats 3]``; by default
N is half the machine's cores (at least 2, at most 8).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from sklearn.linear_model import LinearRegression

from pydmlserverless import DoubleMLPLRServerless

from .common import Result, fmt, mmm, parser, stats
from .emulated import FUNCTION_NAME, REGION, aws_environment, new_bucket, plr_data, plr_frame

N_FOLDS = 5
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def _serve(conn, n_emulators: int, pythonpath: tuple[str, ...] | None, code_dir: str | None) -> None:
    """Child process: moto S3 and the emulator pool until the parent says stop."""
    import logging

    from pydmlserverless.testing import LambdaPool, MotoS3Server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with MotoS3Server() as s3:
        # one core per runtime, as a Lambda function has one or two: BLAS threads of N runtimes
        # on one machine would otherwise fight over its cores
        env = {"AWS_ENDPOINT_URL_S3": s3.endpoint_url, **ONE_THREAD}
        options: dict = {"pythonpath": pythonpath} if pythonpath else {}
        if code_dir:
            options["code_dir"] = code_dir
        with LambdaPool(n_emulators, function_name=FUNCTION_NAME, env=env, timeout_s=300, **options) as pool:
            pool.warm_up()
            conn.send((pool.endpoint_url, s3.endpoint_url))
            while conn.recv() == "records":  # anything else: stop
                conn.send([r.duration_s for r in pool.records if r.emulator is not None])
                pool.reset_counters()


class Services:
    """Endpoints of the child's services, and the router's own time per invocation since the last call."""

    def __init__(self, conn, lambda_url: str, s3_url: str):
        self._conn = conn
        self.lambda_url = lambda_url
        self.s3_url = s3_url

    def service_seconds(self) -> list[float]:
        """Seconds each invocation spent in the router and its emulator (request in to response out)."""
        self._conn.send("records")
        return self._conn.recv()


@contextmanager
def services_in_child(
    n_emulators: int, pythonpath: tuple[str, ...] | None = None, code_dir: str | None = None
) -> Iterator[Services]:
    """Run moto S3 and ``n_emulators`` warm emulators in a child process.

    ``pythonpath`` is the runtimes' path after the handler's folder (default: the repository), e.g.
    a folder holding another version of the package first; ``code_dir`` the handler's folder
    (default: the repository's ``lambda/``), e.g. that version's own.
    """
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_serve, args=(child, n_emulators, pythonpath, code_dir), daemon=True)
    process.start()
    try:
        if not parent.poll(180):
            raise RuntimeError("the emulated services did not start within 180 s")
        yield Services(parent, *parent.recv())
    finally:
        parent.send("stop")
        process.join(30)
        if process.is_alive():
            process.terminate()


def one_fit(data, n_rep: int, concurrency: int, services: Services) -> dict:
    """Fit once; return wall and CPU seconds by phase, and the function's and the service's durations."""
    services.service_seconds()  # reset the router's records
    np.random.seed(7)
    model = DoubleMLPLRServerless(
        FUNCTION_NAME, REGION, data, LinearRegression(), LinearRegression(), n_folds=N_FOLDS, n_rep=n_rep
    )
    model.fit_aws_lambda(max_concurrency=concurrency, progress=False, verbose=False, seed=1, resume=False)
    report = model.fit_report
    calls = model.aws_lambda_metrics
    assert report is not None and calls is not None
    ok = calls[calls["outcome"] == "ok"]
    n = report.n_tasks
    ideal = float(ok["duration_ms"].sum()) / 1000 / concurrency
    service = services.service_seconds()
    return {
        "n_tasks": n,
        "wall_s": report.seconds["total"],
        "tasks_wall_s": report.seconds["tasks"],
        "ideal_s": ideal,
        "service_ideal_s": sum(service) / concurrency,
        "service_ms": 1000 * float(np.median(service)),
        "cpu_ms_per_task": 1000 * report.cpu_seconds["total"] / n,
        "stage_cpu_ms": 1000 * report.cpu_seconds["stage"] / n,
        "tasks_cpu_ms": 1000 * report.cpu_seconds["tasks"] / n,
        "estimate_cpu_ms": 1000 * report.cpu_seconds["estimate"] / n,
        "stage_wall_ms": 1000 * report.seconds["stage"] / n,
        "tasks_wall_ms": 1000 * report.seconds["tasks"] / n,
        "estimate_wall_ms": 1000 * report.seconds["estimate"] / n,
        "function_ms": float(ok["duration_ms"].median()),
        "latency_ms": 1000 * float(ok["latency_s"].median()),
        "throttles": int((calls["outcome"] == "throttled").sum()),
        "coef": float(model.coef[0]),
    }


def sdk_floor_ms(calls: int = 300) -> float:
    """CPU ms of one bare boto3 ``invoke`` (an empty event, answered at once with a function error).

    The same client the fits use, one call at a time from this thread: what the AWS SDK itself
    costs per request, before anything of the package's.
    """
    from pydmlserverless.backends.aws_lambda.client import make_lambda_client

    client = make_lambda_client(REGION, 8, 900)
    for _ in range(20):  # connections and caches warm
        client.invoke(FunctionName=FUNCTION_NAME, Payload=b"{}", LogType="Tail")["Payload"].read()
    c0 = time.process_time()
    for _ in range(calls):
        client.invoke(FunctionName=FUNCTION_NAME, Payload=b"{}", LogType="Tail")["Payload"].read()
    return 1000 * (time.process_time() - c0) / calls


def explain(runs: list[dict], floor_ms: float) -> list[str]:
    """Where the client's time goes, from the measured runs (notes for the report).

    Examples
    --------
    >>> run = {"cpu_ms_per_task": 3.0, "wall_s": 3.2, "ideal_s": 1.0, "n_tasks": 1000}
    >>> explain([run], 2.0)[0][:44]
    'Of 3.00 ms of client CPU per task, the AWS S'
    """
    cpu = stats([r["cpu_ms_per_task"] for r in runs])["median"]
    wall = stats([r["wall_s"] for r in runs])["median"]
    ideal = stats([r["ideal_s"] for r in runs])["median"]
    n = runs[0]["n_tasks"]
    return [
        f"Of {cpu:.2f} ms of client CPU per task, the AWS SDK's own invoke costs {floor_ms:.2f} ms (the reference "
        f"row: boto3 alone, one request at a time): the package's share (planning, staging, encoding, decoding, "
        f"collecting, aggregation, thread hand-offs) is {cpu - floor_ms:.2f} ms per task.",
        f"One interpreter makes all {n} requests: {cpu * n / 1000:.2f} s of client CPU against a fit of "
        f"{wall:.2f} s and an ideal of {ideal:.2f} s. With tasks this short the fit is bound by the client's CPU "
        "(botocore above all), not by the functions; with tasks of a second or more, as real learners take, the "
        "same client cost is a few per mille of the fit.",
    ]


def main(argv: list[str] | None = None) -> Result:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--tasks", type=int, default=1000, help="tasks per fit (2 learners x 5 folds x reps)")
    p.add_argument(
        "--emulators",
        type=int,
        default=min(8, max(2, (os.cpu_count() or 2) // 2)),
        help="emulated runtimes = the concurrency (default: half the cores, 2 to 8, so the client has its own)",
    )
    p.add_argument("--n-obs", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)
    n_tasks = 40 if args.quick else args.tasks
    repeats = 1 if args.quick else args.repeats
    n_rep = max(1, n_tasks // (2 * N_FOLDS))
    runs = []
    with services_in_child(args.emulators) as services, aws_environment(services.lambda_url, services.s3_url):
        data = plr_data(new_bucket(), plr_frame(args.n_obs), "overhead")
        # warms every emulator's caches and the client's imports (not counted)
        one_fit(data, 2, args.emulators, services)
        for i in range(repeats):
            run = one_fit(data, n_rep, args.emulators, services)
            runs.append(run)
            print(
                f"run {i + 1}/{repeats}: {run['n_tasks']} tasks, wall {run['wall_s']:.2f} s, ideal "
                f"{run['ideal_s']:.2f} s, client CPU {run['cpu_ms_per_task']:.2f} ms per task",
                flush=True,
            )
            time.sleep(0.5)
        floor = sdk_floor_ms(50 if args.quick else 300)

    def col(key: str) -> dict:
        return stats([r[key] for r in runs])

    result = Result("lambda_overhead", "Lambda-path overhead (emulated Lambda)", argv=argv)
    n = runs[0]["n_tasks"]
    title = (
        f"{n} tasks per fit (PLR, LinearRegression, {args.n_obs} rows x 20 covariates, "
        f"{N_FOLDS} folds x {n_rep} reps), "
        f"{args.emulators} emulators = concurrency {args.emulators}, {repeats} fits"
    )
    rows = [
        ["planning and staging (data and splits to S3)", *mmm(col("stage_cpu_ms")), *mmm(col("stage_wall_ms"))],
        ["tasks: encode, invoke, decode, collect", *mmm(col("tasks_cpu_ms")), *mmm(col("tasks_wall_ms"))],
        ["aggregation (DoubleML fit, targets, losses)", *mmm(col("estimate_cpu_ms")), *mmm(col("estimate_wall_ms"))],
        ["total", *mmm(col("cpu_ms_per_task")), "–", "–", "–"],
        ["for reference: one bare boto3 invoke (the SDK alone, one thread)", fmt(floor), "–", "–", "–", "–", "–"],
    ]
    result.table(
        f"Client time per task, ms — {title}",
        ["phase", "CPU median", "min", "max", "wall median", "min", "max"],
        rows,
    )
    margin = [r["wall_s"] - (1.1 * r["ideal_s"] + 1.0) for r in runs]
    result.table(
        "Fit wall time against the ideal (sum of function durations / concurrency), s",
        ["measure", "median", "min", "max"],
        [
            ["fit wall time", *mmm(col("wall_s"))],
            ["ideal", *mmm(col("ideal_s"))],
            ["wall / ideal", *mmm(stats([r["wall_s"] / r["ideal_s"] for r in runs]))],
            ["wall - (1.1 x ideal + 1 s)", *mmm(stats(margin))],
            ["service ideal (router-to-response times / concurrency)", *mmm(col("service_ideal_s"))],
            ["wall / service ideal", *mmm(stats([r["wall_s"] / r["service_ideal_s"] for r in runs]))],
            ["function duration per task (REPORT), ms", *mmm(col("function_ms"))],
            ["service time per task (router in to response out), ms", *mmm(col("service_ms"))],
            ["client latency per task (invoke call), ms", *mmm(col("latency_ms"))],
        ],
    )
    cpu = col("cpu_ms_per_task")
    result.goal("client CPU <= 2 ms per task (median)", f"{fmt(cpu['median'])} ms", cpu["median"] <= 2.0)
    worst = stats(margin)
    result.goal(
        f"{n} tasks within 10 % + 1 s of the ideal (median)",
        f"{fmt(col('wall_s')['median'])} s against {fmt(1.1 * col('ideal_s')['median'] + 1)} s",
        worst["median"] <= 0,
    )
    result.raw("sdk_floor_ms", floor)
    for text in explain(runs, floor):
        result.note(text)
    result.note(
        "Client CPU is this process's CPU time (all threads); the emulators, router and moto run in a child "
        "process. On this machine they share its cores with the client."
    )
    if any(r["throttles"] for r in runs):
        result.note(f"Throttles: {[r['throttles'] for r in runs]} (the router answers 429 beyond the emulators).")
    result.raw("runs", runs)
    if args.quick:
        result.note("Quick run (--quick): 40 tasks, one fit; not a measurement.")
    result.write(args.results_dir)
    return result


if __name__ == "__main__":
    main()
