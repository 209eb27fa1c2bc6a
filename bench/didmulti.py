"""Benchmark 9: staggered DiD (DIDMulti), fit_local against DoubleML's own fit, same work, same estimates.

DoubleML's ``make_did_CS2021`` panel (``--n-obs`` units over 6 periods, 4 treated groups): 20
group-time cells with the ``'standard'`` combinations, ``RandomForestRegressor`` /
``RandomForestClassifier`` (100 trees), 5 folds, 1 repetition, observational score, so
20 cells x 3 nuisances x 5 folds = 300 learner fits. Alternated in one process, on the same
splits (each cell's) and the same per-fold ``random_state``:

* ``fit_local(n_jobs=-1, resume=False)``: every cell's fits in one fan-out on the process pool;
* DoubleML's ``fit(n_jobs_models=-1)``: its cells in parallel (joblib), each cell's folds in turn;
* DoubleML's ``fit(n_jobs_cv=-1)``: the cells in turn, each cell's folds in parallel.

The plain models get the pydmlserverless fit's splits and ``seeded_nuisance_params``, so all
three give identical estimates and event-study aggregation (asserted). Reported: wall seconds
and the ratio of DoubleML's to fit_local's.

Run: ``python -m bench.didmulti [--repeats 3] [--n-obs 1000]``.
"""

from __future__ import annotations

import time

import numpy as np
from doubleml import DoubleMLPanelData
from doubleml.did import DoubleMLDIDMulti
from doubleml.did.datasets import make_did_CS2021
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

from pydmlserverless import DoubleMLDIDMultiServerless, seeded_nuisance_params

from .common import Result, mmm, parser, stats

N_FOLDS, SEED = 5, 3
X_COLS = ["Z1", "Z2", "Z3", "Z4"]


def _learners(trees: int) -> tuple:
    return RandomForestRegressor(trees, n_jobs=1), RandomForestClassifier(trees, n_jobs=1)


def ours(data, trees: int) -> tuple[DoubleMLDIDMultiServerless, float]:
    np.random.seed(1)
    model = DoubleMLDIDMultiServerless(None, None, data, *_learners(trees), n_folds=N_FOLDS)
    t0 = time.perf_counter()
    model.fit_local(n_jobs=-1, seed=SEED, progress=False, resume=False)
    return model, time.perf_counter() - t0


def plain(data, trees: int, reference: DoubleMLDIDMultiServerless, **fit_args) -> tuple[DoubleMLDIDMulti, float]:
    """DoubleML's own fit on the reference fit's splits and seeds."""
    model = DoubleMLDIDMulti(data, *_learners(trees), n_folds=N_FOLDS)
    params = seeded_nuisance_params(reference, data, SEED)
    for label, ref, cell in zip(model.gt_labels, reference.modellist, model.modellist):
        cell.set_sample_splitting(ref.smpls)
        for name, by_treatment in params[label].items():
            for treatment, nested in by_treatment.items():
                cell.set_ml_nuisance_params(name, treatment, nested)
    t0 = time.perf_counter()
    model.fit(**fit_args)
    return model, time.perf_counter() - t0


def _same(a, b) -> None:
    assert np.array_equal(a.coef, b.coef) and np.array_equal(a.se, b.se), "the estimates differ"
    ea, eb = a.aggregate("eventstudy"), b.aggregate("eventstudy")
    assert np.array_equal(ea.aggregated_frameworks.thetas, eb.aggregated_frameworks.thetas), "event study differs"


def main(argv: list[str] | None = None) -> Result:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3, help="alternated rounds (default 3)")
    p.add_argument("--n-obs", type=int, default=1000, help="units of the panel (default 1000)")
    args = p.parse_args(argv)
    repeats, trees = (1, 10) if args.quick else (args.repeats, 100)
    n_obs = 200 if args.quick else args.n_obs
    np.random.seed(0)
    frame = make_did_CS2021(n_obs=n_obs, dgp_type=1, n_periods=6)
    data = DoubleMLPanelData(frame, y_col="y", d_cols="d", t_col="t", id_col="id", x_cols=X_COLS)
    ours(data, trees)  # warm the pool
    variants = {
        "DoubleML fit(n_jobs_models=-1)": {"n_jobs_models": -1},
        "DoubleML fit(n_jobs_cv=-1)": {"n_jobs_cv": -1},
    }
    walls: dict[str, list[float]] = {"fit_local(n_jobs=-1)": [], **{name: [] for name in variants}}
    n_cells = n_tasks = 0
    for _ in range(repeats):
        model, wall = ours(data, trees)
        walls["fit_local(n_jobs=-1)"].append(wall)
        n_cells, n_tasks = len(model.gt_labels), model.fit_report.n_tasks
        for name, fit_args in variants.items():
            twin, wall = plain(data, trees, model, **fit_args)
            _same(model, twin)
            walls[name].append(wall)
    base = walls["fit_local(n_jobs=-1)"]
    rows = [["fit_local(n_jobs=-1)", *mmm(stats(base)), "1.00"]]
    for name in variants:
        ratio = stats([w / b for w, b in zip(walls[name], base)])
        rows.append([name, *mmm(stats(walls[name])), f"{ratio['median']:.2f}"])
    result = Result("didmulti", "Staggered DiD: fit_local against DoubleML's own fit", argv=argv)
    result.table(
        f"DIDMulti, make_did_CS2021 panel of {n_obs:,} units, {n_cells} group-time cells, RF({trees}) learners, "
        f"{N_FOLDS} folds: {n_tasks} learner fits; {repeats} alternated rounds; wall seconds",
        ["fit", "median", "min", "max", "DoubleML / fit_local (median)"],
        rows,
    )
    result.note(
        "Identical estimates and event-study aggregation in every round (asserted). DoubleML's n_jobs_models "
        "parallelises over the cells and n_jobs_cv over one cell's folds; fit_local runs all cells' folds as one "
        "fan-out on the pool."
    )
    result.raw("walls", walls)
    result.write(args.results_dir)
    return result


if __name__ == "__main__":
    main()
