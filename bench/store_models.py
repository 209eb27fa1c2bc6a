"""Benchmark 8: what ``store_models=True`` costs: bytes per fold, the worker's time, the fit's wall time.

PLR on simulated data (1,000 rows, 20 covariates), 5 folds, 1 repetition, ``fit_local(n_jobs=-1)``
with ``resume=False``, for ``LassoCV`` and ``RandomForestRegressor(n_estimators=100)``. For each
learner, fits with ``store_models=False`` and ``store_models=True`` alternate in one process.
From ``task_metrics``: the skops bytes of one fold's fitted learner (``models_bytes``) and the
worker's ``models_s`` (serializing and writing it; the first task of each worker process also
imports skops). Per fit: wall seconds, and the ratio of ``store_models=True`` to ``False``.
The stored learners must predict like the ones DoubleML's own ``fit(store_models=True)`` keeps
(checked by the tests, not here).

Run: ``python -m bench.store_models [--repeats 3]``.
"""

from __future__ import annotations

import numpy as np
from doubleml import DoubleMLData
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LassoCV

from pydmlserverless import DoubleMLPLRServerless

from .common import Result, mmm, parser, stats
from .emulated import plr_frame

N_OBS, N_FOLDS = 1000, 5


def _learners(quick: bool) -> dict:
    trees = 10 if quick else 100
    return {"LassoCV": LassoCV(), f"RandomForestRegressor({trees})": RandomForestRegressor(trees, n_jobs=1)}


def one_fit(data, learner, store_models: bool) -> dict:
    np.random.seed(1)
    model = DoubleMLPLRServerless(None, None, data, learner, learner, n_folds=N_FOLDS)
    model.fit_local(n_jobs=-1, seed=1, progress=False, resume=False, store_models=store_models)
    metrics = model.task_metrics
    out = {"wall_s": model.fit_report.seconds["total"], "coef": float(model.coef[0])}
    if store_models:
        out["bytes"] = float(metrics["models_bytes"].median())
        out["models_s"] = float(metrics["models_s"].median())
    return out


def main(argv: list[str] | None = None) -> Result:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3, help="alternated pairs per learner (default 3)")
    args = p.parse_args(argv)
    repeats = 1 if args.quick else args.repeats
    frame = plr_frame(200 if args.quick else N_OBS)
    data = DoubleMLData(frame, "y", "d")
    rows, raw = [], {}
    for name, learner in _learners(args.quick).items():
        one_fit(data, learner, True)  # warm the pool and skops' import in its workers
        plain, stored = [], []
        for _ in range(repeats):
            plain.append(one_fit(data, learner, False))
            stored.append(one_fit(data, learner, True))
        assert {r["coef"] for r in plain + stored} == {plain[0]["coef"]}, "store_models changed the estimate"
        ratio = stats([s["wall_s"] / q["wall_s"] for s, q in zip(stored, plain)])
        rows.append([name, "bytes per fold", *mmm(stats([s["bytes"] for s in stored]))])
        rows.append([name, "worker models_s per fold, ms", *mmm(stats([1000 * s["models_s"] for s in stored]))])
        rows.append([name, "fit wall s, store_models=False", *mmm(stats([q["wall_s"] for q in plain]))])
        rows.append([name, "fit wall s, store_models=True", *mmm(stats([s["wall_s"] for s in stored]))])
        rows.append([name, "wall ratio True / False", *mmm(ratio)])
        raw[name] = {"plain": plain, "stored": stored}
    result = Result("store_models", "What store_models=True costs", argv=argv)
    n_obs = 200 if args.quick else N_OBS
    result.table(
        f"PLR, {n_obs:,} rows, 20 covariates, {N_FOLDS} folds, fit_local(n_jobs=-1); {repeats} alternated pairs",
        ["learner", "measure", "median", "min", "max"],
        rows,
    )
    result.note(
        "Every fold's fitted learner is one skops file in the fit's store (one PUT and one GET of that size on "
        "S3): cheap for linear learners, large for forests, whose trees grow with the rows."
    )
    result.raw("fits", raw)
    result.write(args.results_dir)
    return result


if __name__ == "__main__":
    main()
