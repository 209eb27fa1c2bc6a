"""Benchmark 10: tune_local against DoubleML's own tune(n_jobs_cv=-1), same grid and data, same choice.

PLR on simulated data (``make_plr_CCDDHNR2018``, ``--n-obs`` rows, 20 covariates), 5 folds,
``RandomForestRegressor(n_estimators=50, random_state=0)`` for ``ml_l`` and ``ml_m``, a grid of
``max_depth`` x ``min_samples_leaf`` x ``max_features`` (18 candidates), ``n_folds_tune=5``,
``tune_on_folds=False``: 2 x 18 x 5 = 180 inner fits (DoubleML's searches also refit each
best candidate, 2 more fits). Alternated in one process from the same ``np.random.seed``:
``tune_local(n_jobs=-1, resume=False)`` (every candidate's inner folds as tasks on the pool)
and DoubleML's ``tune(n_jobs_cv=-1)`` (each search's candidates and folds in parallel with
joblib, one search after the other). The chosen parameters are asserted identical. Reported:
wall seconds and the ratio of DoubleML's to tune_local's.

A tuning task is the same kind of task as a fit's (one learner fit and its predictions), so its
cost on Lambda is a fit task's: see ``bench.lambda_overhead``.

Run: ``python -m bench.tuning [--repeats 3] [--n-obs 1000]``.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from doubleml import DoubleMLPLR
from doubleml.plm.datasets import make_plr_CCDDHNR2018
from sklearn.ensemble import RandomForestRegressor

from pydmlserverless import DoubleMLPLRServerless

from .common import Result, mmm, parser, stats

N_FOLDS = 5
GRID = {"max_depth": [3, 5, 8], "min_samples_leaf": [1, 5, 10], "max_features": ["sqrt", 0.5]}


def _learner(trees: int) -> RandomForestRegressor:
    return RandomForestRegressor(n_estimators=trees, random_state=0, n_jobs=1)


def ours(data, trees: int, grid: dict) -> tuple[dict, float]:
    np.random.seed(1)
    model = DoubleMLPLRServerless(None, None, data, _learner(trees), _learner(trees), n_folds=N_FOLDS)
    np.random.seed(2)
    t0 = time.perf_counter()
    model.tune_local({"ml_l": grid, "ml_m": grid}, n_jobs=-1, progress=False, resume=False)
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


def main(argv: list[str] | None = None) -> Result:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3, help="alternated pairs (default 3)")
    p.add_argument("--n-obs", type=int, default=1000, help="rows (default 1000)")
    args = p.parse_args(argv)
    repeats, trees = (1, 5) if args.quick else (args.repeats, 50)
    grid = {"max_depth": [3, 5], "min_samples_leaf": [1, 5]} if args.quick else GRID
    n_obs = 200 if args.quick else args.n_obs
    np.random.seed(0)
    data = make_plr_CCDDHNR2018(n_obs=n_obs, dim_x=20)
    ours(data, trees, grid)  # warm the pool
    walls: dict[str, list[float]] = {"tune_local": [], "doubleml": []}
    for _ in range(repeats):
        mine, wall = ours(data, trees, grid)
        walls["tune_local"].append(wall)
        theirs, wall = doubleml(data, trees, grid)
        walls["doubleml"].append(wall)
        assert mine == theirs, "the chosen parameters differ"
    n_candidates = int(np.prod([len(v) for v in grid.values()]))
    ratio = stats([d / t for d, t in zip(walls["doubleml"], walls["tune_local"])])
    rows = [
        ["tune_local(n_jobs=-1)", *mmm(stats(walls["tune_local"])), "1.00"],
        ["DoubleML tune(n_jobs_cv=-1)", *mmm(stats(walls["doubleml"])), f"{ratio['median']:.2f}"],
    ]
    result = Result("tuning", "Tuning: tune_local against DoubleML's own tune()", argv=argv)
    result.table(
        f"PLR, {n_obs:,} rows, 20 covariates, RF({trees}), grid of {n_candidates} candidates x 2 learners, "
        f"n_folds_tune=5: {2 * n_candidates * 5} inner fits; {repeats} alternated pairs; wall seconds",
        ["tuning", "median", "min", "max", "DoubleML / tune_local (median)"],
        rows,
    )
    result.note("Identical chosen parameters in every pair (asserted).")
    result.raw("walls", walls)
    result.write(args.results_dir)
    return result


if __name__ == "__main__":
    main()
