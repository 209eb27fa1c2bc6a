"""Benchmark 1: ``fit_local()`` against DoubleML's own ``fit(n_jobs_cv=-1)`` on the same work.

The bonus data (``penn_jae.dat``), PLR with ``RandomForestRegressor(n_estimators=100, n_jobs=1,
random_state=42)`` for both learners, 5 folds, 10 repetitions, the same sample splits. Three
contenders run alternately in one process (the order rotates every round), so that machine
noise hits them alike:

* ``doubleml`` — plain DoubleML, ``fit(n_jobs_cv=-1)`` (joblib over the 5 folds of one repetition
  at a time, so at most 5 fits run at once);
* ``bare pool`` — a bare joblib pool over all 100 fits, feeding ``fit(external_predictions=...)``
  (the lower bound of what the package's own planning and staging can cost);
* ``fit_local`` — :meth:`DoubleMLPLRServerless.fit_local` (its staging, planning, progress and
  estimation included).

The wall time of each fit call is measured; the ratio of each contender to DoubleML within a round
is summarised by median, min and max. Each round prints the coefficients, which must be identical
(the learners' fixed ``random_state`` and the shared splits make every fit identical).

Run: ``python -m bench.local_vs_doubleml [--repeats 5]``.
"""

from __future__ import annotations

import time

import numpy as np
from doubleml import DoubleMLPLR
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.ensemble import RandomForestRegressor

from pydmlserverless import DoubleMLPLRServerless
from pydmlserverless.datasets import bonus_data

from .common import Result, mmm, parser, stats

N_FOLDS, N_REP, SPLIT_SEED = 5, 10, 3141


def learner(n_estimators: int = 100) -> RandomForestRegressor:
    """The benchmark's learner (one thread, fixed random_state)."""
    return RandomForestRegressor(n_estimators=n_estimators, n_jobs=1, random_state=42)


def _fit_predict(ml, x, y, train, test):
    return test, clone(ml).fit(x[train], y[train]).predict(x[test])


def splits(data, n_folds: int, n_rep: int):
    """The sample splits every contender uses (drawn once by DoubleML)."""
    np.random.seed(SPLIT_SEED)
    return DoubleMLPLR(data, learner(), learner(), n_folds=n_folds, n_rep=n_rep).smpls


def run_doubleml(data, ml, smpls, n_folds, n_rep) -> tuple[float, float]:
    model = DoubleMLPLR(data, clone(ml), clone(ml), n_folds=n_folds, n_rep=n_rep)
    model.set_sample_splitting(smpls)
    t0 = time.perf_counter()
    model.fit(n_jobs_cv=-1)
    return time.perf_counter() - t0, float(model.coef[0])


def run_bare_pool(data, ml, smpls, n_folds, n_rep) -> tuple[float, float]:
    model = DoubleMLPLR(data, clone(ml), clone(ml), n_folds=n_folds, n_rep=n_rep)
    model.set_sample_splitting(smpls)
    t0 = time.perf_counter()
    x, y, d = data.x, data.y, data.d
    jobs = [(name, rep, target) for rep in range(n_rep) for name, target in (("ml_l", y), ("ml_m", d))]
    calls = (
        delayed(_fit_predict)(ml, x, target, train, test) for name, rep, target in jobs for train, test in smpls[rep]
    )
    results = Parallel(n_jobs=-1)(calls)
    preds = {name: np.full((data.n_obs, n_rep), np.nan) for name in ("ml_l", "ml_m")}
    for (name, rep, _), chunk in zip([job for job in jobs for _ in range(n_folds)], results):
        test, values = chunk
        preds[name][test, rep] = values
    model.fit(external_predictions={data.d_cols[0]: preds})
    return time.perf_counter() - t0, float(model.coef[0])


def run_fit_local(data, ml, smpls, n_folds, n_rep) -> tuple[float, float]:
    model = DoubleMLPLRServerless(None, None, data, clone(ml), clone(ml), n_folds=n_folds, n_rep=n_rep)
    model.set_sample_splitting(smpls)
    t0 = time.perf_counter()
    model.fit_local(progress=False, resume=False)
    return time.perf_counter() - t0, float(model.coef[0])


CONTENDERS = {"doubleml": run_doubleml, "bare pool": run_bare_pool, "fit_local": run_fit_local}


def explain(seconds: dict[str, list[float]], cores: int, n_fits: int, n_folds: int) -> list[str]:
    """What bounds the ratios, from the measured seconds (notes for the report).

    Examples
    --------
    >>> explain({"doubleml": [10.0], "bare pool": [8.0], "fit_local": [8.0]}, 2, 100, 5)[0][:40]
    'DoubleML runs the 5 folds of one learner'
    """
    per_call = -(-n_folds // cores)  # DoubleML: waves of one learner's folds
    pool = -(-n_fits // cores)  # the pool: waves of all fits
    best = pool / (per_call * (n_fits // n_folds))
    bare = stats([b / d for b, d in zip(seconds["bare pool"], seconds["doubleml"])])["median"]
    return [
        f"DoubleML runs the {n_folds} folds of one learner and repetition at a time: {per_call} wave(s) of fits "
        f"on {cores} cores for {n_folds} fits, {n_fits // n_folds} times; one pool over all {n_fits} fits needs "
        f"{pool} waves. Counting waves of equal fits alone predicts a ratio of {best:.3f} (DoubleML's per-call "
        f"costs lower it, uneven fits raise it); the bare pool, which adds nothing to the fits but DoubleML's own "
        f"estimation, measured {bare:.3f}. fit_local is the bare pool plus staging, planning and the nuisance "
        "targets and losses: the second table shows what those cost."
    ]


def main(argv: list[str] | None = None) -> Result:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5, help="rounds of the three contenders (default 5)")
    args = p.parse_args(argv)
    n_folds, n_rep, trees = (N_FOLDS, 2, 10) if args.quick else (N_FOLDS, N_REP, 100)
    repeats = 1 if args.quick else args.repeats
    data = bonus_data()
    ml = learner(trees)
    smpls = splits(data, n_folds, n_rep)

    names = list(CONTENDERS)
    CONTENDERS["fit_local"](data, ml, smpls, n_folds, 1)  # start the shared process pool (not timed)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    coefs: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(repeats):
        order = names[round_ % 3 :] + names[: round_ % 3]
        for name in order:
            wall, coef = CONTENDERS[name](data, ml, smpls, n_folds, n_rep)
            seconds[name].append(wall)
            coefs[name].append(coef)
        line = ", ".join(f"{n} {seconds[n][-1]:.2f} s coef {coefs[n][-1]:.12f}" for n in names)
        print(f"round {round_ + 1}/{repeats} ({' -> '.join(order)}): {line}", flush=True)

    ratios = {name: [s / b for s, b in zip(seconds[name], seconds["doubleml"])] for name in names}
    ratios["fit_local / bare pool"] = [a / b for a, b in zip(seconds["fit_local"], seconds["bare pool"])]
    result = Result("local_vs_doubleml", "Local backend against DoubleML's own fit", argv=argv)
    cores = result.info["cores"]
    rows = [[name, *mmm(stats(seconds[name])), *mmm(stats(ratios[name]))] for name in names]
    result.table(
        f"Bonus data, PLR, RandomForest({trees} trees, n_jobs=1) for ml_l and ml_m, {n_folds} folds x {n_rep} reps, "
        f"{repeats} alternated rounds",
        ["contender", "wall s median", "min", "max", "ratio to DoubleML median", "min", "max"],
        rows,
    )
    r = stats(ratios["fit_local / bare pool"])
    result.table(
        "fit_local against the bare pool", ["ratio", "median", "min", "max"], [["fit_local / bare pool", *mmm(r)]]
    )
    identical = all(len(set(values)) == 1 for values in coefs.values()) and len({v[0] for v in coefs.values()}) == 1
    result.table(
        "Coefficients (every round)",
        ["contender", "coef", "identical in all rounds and contenders"],
        [[name, f"{coefs[name][0]:.12f}", identical] for name in names],
    )
    local = stats(ratios["fit_local"])
    target = 0.85 if cores <= 2 else 0.30 if cores >= 16 else None
    if target is not None:
        result.goal(
            f"fit_local / DoubleML <= {target} on {cores} cores (median)",
            f"{local['median']:.3f}",
            local["median"] <= target,
        )
    result.goal("fit_local not slower than the bare pool (median ratio <= 1)", f"{r['median']:.3f}", r["median"] <= 1.0)
    result.goal("identical coef in every run", "yes" if identical else "no", identical)
    for text in explain(seconds, cores, 2 * n_folds * n_rep, n_folds):
        result.note(text)
    result.raw("seconds", seconds)
    result.raw("coef", coefs)
    if args.quick:
        result.note("Quick run (--quick): 2 repetitions, 10 trees, one round; not a measurement.")
    result.write(args.results_dir)
    return result


if __name__ == "__main__":
    main()
