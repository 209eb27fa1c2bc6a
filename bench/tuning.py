"""Benchmark 10: tune_local against DoubleML's own tune(n_jobs_cv=-1), same grid and data, same choice.

PLR on simulated data (``make_plr_CCDDHNR2018``, ``--n-obs`` rows, 20 covariates), 5 folds,
``RandomForestRegressor(n_estimators=50, random_state=0)`` for ``ml_l`` and ``ml_m``, a grid of
``max_depth`` x ``min_samples_leaf`` x ``max_features`` (18 candidates), ``n_folds_tune=5``,
``tune_on_folds=False``: 2 x 18 x 5 = 180 inner fits (DoubleML's searches also refit each
best candidate, 2 more fits). Alternated in one process from the same ``np.random.seed``:
``tune_local(n_jobs=-1, resume=False)`` (every candidate's inner folds as tasks on the pool), the
same with ``scaling='n_rep'`` (one task per candidate, its 5 inner folds inside: fewer, longer
tasks) and DoubleML's ``tune(n_jobs_cv=-1)`` (each search's candidates and folds in parallel with
joblib, one search after the other). The chosen parameters are asserted identical. Reported:
wall seconds and the ratio of DoubleML's to each contender's.

The Lambda path's overhead per tuning task: a fast learner (``Lasso(random_state=0)``, 10
``alpha`` candidates x 2 learners x 5 inner folds = 100 tasks, 1,000 simulated rows) through
``tune_aws_lambda()`` on a pool of emulated Lambda runtimes (AWS's Runtime Interface Emulator,
moto S3) in a child process: the client's CPU per task, and the wall time against the ideal (the
functions' own durations summed, divided by the concurrency).

Run: ``python -m bench.tuning [--repeats 3] [--n-obs 1000] [--no-lambda]``.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from doubleml import DoubleMLPLR
from doubleml.plm.datasets import make_plr_CCDDHNR2018
from sklearn.ensemble import RandomForestRegressor

from pydmlserverless import DoubleMLPLRServerless

from .common import Result, fmt, mmm, parser, stats

N_FOLDS = 5
GRID = {"max_depth": [3, 5, 8], "min_samples_leaf": [1, 5, 10], "max_features": ["sqrt", 0.5]}


def _learner(trees: int) -> RandomForestRegressor:
    return RandomForestRegressor(n_estimators=trees, random_state=0, n_jobs=1)


def ours(data, trees: int, grid: dict, scaling: str = "n_folds * n_rep") -> tuple[dict, float]:
    np.random.seed(1)
    model = DoubleMLPLRServerless(None, None, data, _learner(trees), _learner(trees), n_folds=N_FOLDS)
    np.random.seed(2)
    t0 = time.perf_counter()
    model.tune_local({"ml_l": grid, "ml_m": grid}, n_jobs=-1, progress=False, resume=False, scaling=scaling)
    return model.params, time.perf_counter() - t0


def doubleml(data, trees: int, grid: dict) -> tuple[dict, float]:
    np.random.seed(1)
    model = DoubleMLPLR(data, _learner(trees), _learner(trees), n_folds=N_FOLDS)
    np.random.seed(2)
    t0 = time.perf_counter()
    with warnings.catch_warnings():  # DoubleML deprecates tune() in favour of tune_ml_models()
        warnings.simplefilter("ignore", FutureWarning)
        model.tune({"ml_l": grid, "ml_m": grid}, n_jobs_cv=-1)
    return model.params, time.perf_counter() - t0


def lambda_overhead(result: Result, repeats: int) -> None:
    """``tune_aws_lambda()`` on emulated runtimes: client CPU per task, wall against the ideal."""
    from sklearn.linear_model import Lasso

    from .emulated import FUNCTION_NAME, REGION, aws_environment, new_bucket, plr_data, plr_frame
    from .lambda_overhead import services_in_child

    emulators = 4
    grid = {"alpha": list(np.geomspace(1e-4, 1.0, 10))}
    runs = []
    with services_in_child(emulators) as services, aws_environment(services.lambda_url, services.s3_url):
        data = plr_data(new_bucket(), plr_frame(1000), "tuning-overhead")
        for i in range(repeats + 1):  # the first warms every emulator's caches (not counted)
            np.random.seed(1)
            model = DoubleMLPLRServerless(FUNCTION_NAME, REGION, data, Lasso(random_state=0), Lasso(random_state=0))
            np.random.seed(2)
            model.tune_aws_lambda({"ml_l": grid, "ml_m": grid}, max_concurrency=emulators, progress=False,
                                  verbose=False, resume=False)  # fmt: skip
            if i:
                report, calls = model.tune_report, model.aws_lambda_metrics
                ok = calls[calls["outcome"] == "ok"]
                runs.append({
                    "n_tasks": report.n_tasks, "wall_s": report.seconds["total"],
                    "ideal_s": float(ok["duration_ms"].sum()) / 1000 / emulators,
                    "cpu_ms_per_task": 1000 * report.cpu_seconds["total"] / report.n_tasks,
                    "function_ms": float(ok["duration_ms"].median()),
                    "latency_ms": 1000 * float(ok["latency_s"].median()),
                })  # fmt: skip
    wall, ideal = stats([r["wall_s"] for r in runs]), stats([r["ideal_s"] for r in runs])
    result.table(
        f"tune_aws_lambda() on {emulators} emulated runtimes: Lasso on 1,000 rows, 10 candidates x 2 learners x 5 "
        f"inner folds = {runs[0]['n_tasks']} tasks in one round; {len(runs)} runs (medians)",
        ["tasks", "wall s", "ideal s", "wall / ideal", "client CPU ms / task", "function ms", "latency ms"],
        [
            [
                str(runs[0]["n_tasks"]),
                fmt(wall["median"]),
                fmt(ideal["median"]),
                f"{wall['median'] / ideal['median']:.2f}",
                fmt(stats([r["cpu_ms_per_task"] for r in runs])["median"]),
                fmt(stats([r["function_ms"] for r in runs])["median"]),
                fmt(stats([r["latency_ms"] for r in runs])["median"]),
            ]
        ],
    )
    result.note(
        "The ideal is the functions' own durations (REPORT lines) summed and divided by the concurrency. A tuning "
        "task is a fit task (one learner fit, its predictions), so its overhead is a fit task's "
        "(bench.lambda_overhead): with a learner this fast the client's CPU dominates; with fits of a second or "
        "more it is a few per mille."
    )
    result.raw("lambda_runs", runs)


def main(argv: list[str] | None = None) -> Result:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3, help="alternated pairs (default 3)")
    p.add_argument("--n-obs", type=int, default=1000, help="rows (default 1000)")
    p.add_argument("--no-lambda", action="store_true", help="skip the emulated Lambda part")
    args = p.parse_args(argv)
    repeats, trees = (1, 5) if args.quick else (args.repeats, 50)
    grid = {"max_depth": [3, 5], "min_samples_leaf": [1, 5]} if args.quick else GRID
    n_obs = 200 if args.quick else args.n_obs
    np.random.seed(0)
    data = make_plr_CCDDHNR2018(n_obs=n_obs, dim_x=20)
    ours(data, trees, grid)  # warm the pool
    walls: dict[str, list[float]] = {"tune_local": [], "tune_local_n_rep": [], "doubleml": []}
    for _ in range(repeats):
        mine, wall = ours(data, trees, grid)
        walls["tune_local"].append(wall)
        per_candidate, wall = ours(data, trees, grid, scaling="n_rep")
        walls["tune_local_n_rep"].append(wall)
        theirs, wall = doubleml(data, trees, grid)
        walls["doubleml"].append(wall)
        assert mine == theirs == per_candidate, "the chosen parameters differ"
    n_candidates = int(np.prod([len(v) for v in grid.values()]))

    def ratio(name: str) -> str:
        return f"{stats([d / t for d, t in zip(walls['doubleml'], walls[name])])['median']:.2f}"

    rows = [
        ["tune_local(n_jobs=-1): a task per inner fold", *mmm(stats(walls["tune_local"])), ratio("tune_local")],
        [
            "tune_local(n_jobs=-1, scaling='n_rep'): a task per candidate",
            *mmm(stats(walls["tune_local_n_rep"])),
            ratio("tune_local_n_rep"),
        ],  # fmt: skip
        ["DoubleML tune(n_jobs_cv=-1)", *mmm(stats(walls["doubleml"])), "1.00"],
    ]
    result = Result("tuning", "Tuning: tune_local against DoubleML's own tune()", argv=argv)
    result.table(
        f"PLR, {n_obs:,} rows, 20 covariates, RF({trees}), grid of {n_candidates} candidates x 2 learners, "
        f"n_folds_tune=5: {2 * n_candidates * 5} inner fits; {repeats} alternated pairs; wall seconds",
        ["tuning", "median", "min", "max", "DoubleML / this (median)"],
        rows,
    )
    result.note("Identical chosen parameters in every pair (asserted).")
    result.raw("walls", walls)
    if not args.no_lambda:
        lambda_overhead(result, repeats)
    result.write(args.results_dir)
    return result


if __name__ == "__main__":
    main()
