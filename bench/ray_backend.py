"""Benchmark: ``fit_ray()`` on a 2-CPU local Ray instance against ``fit_local()`` on 2 processes, same work.

The work of :mod:`bench.dask_backend`: the bonus data (``penn_jae.dat``), PLR with
``RandomForestRegressor(n_estimators=50, n_jobs=1, random_state=42)`` for both learners, 5 folds,
4 repetitions (40 one-fold tasks), the same splits. Three contenders run alternately in one
process (the order rotates every round):

* ``fit_local`` — the local pool, ``n_jobs=2`` (warm: its processes are kept between fits);
* ``fit_ray put`` — ``ray.init(num_cpus=2)``, the dataset and splits put once into Ray's object
  store (the default);
* ``fit_ray store`` — the same instance, the workers reading the local store (``ship='store'``).

Every fit runs all its tasks (``resume=False``) and must give the same coefficient. The ratio of
each Ray contender's wall time to ``fit_local``'s within a round is summarised by median, min and
max; ``(ray - local) / tasks`` is Ray's overhead per task. Bytes: the pickled arguments of one task
(payload and store descriptor, or the data objects' ids) and the data put into the object store.

Run: ``python -m bench.ray_backend [--repeats 5]``.
"""

from __future__ import annotations

import os
import time

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import RandomForestRegressor

from pydmlserverless import DoubleMLPLRServerless
from pydmlserverless.datasets import bonus_data

from .common import Result, fmt, mmm, parser, stats
from .dask_backend import N_FOLDS, N_REP, SPLIT_SEED, TREES, model_on_splits


def main(argv: list[str] | None = None) -> Result:
    import ray

    p = parser(__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5, help="rounds of the three contenders (default 5)")
    args = p.parse_args(argv)
    n_rep, trees = (1, 5) if args.quick else (N_REP, TREES)
    repeats = 1 if args.quick else args.repeats
    data = bonus_data()
    ml = RandomForestRegressor(n_estimators=trees, n_jobs=1, random_state=42)
    np.random.seed(SPLIT_SEED)
    smpls = DoubleMLPLRServerless(None, None, data, clone(ml), clone(ml), n_folds=N_FOLDS, n_rep=n_rep).smpls
    n_tasks = 2 * N_FOLDS * n_rep

    seconds: dict[str, list[float]] = {"fit_local": [], "fit_ray put": [], "fit_ray store": []}
    coefs: dict[str, set[float]] = {name: set() for name in seconds}
    details: dict[str, dict] = {}
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # a loopback instance of this benchmark's own
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    try:
        model_on_splits(data, ml, smpls, n_rep).fit_local(n_jobs=2, progress=False, resume=False)  # warm both
        model_on_splits(data, ml, smpls, n_rep).fit_ray(progress=False, resume=False)
        names = list(seconds)
        for round_ in range(repeats):
            for name in names[round_ % 3 :] + names[: round_ % 3]:
                model = model_on_splits(data, ml, smpls, n_rep)
                t0 = time.perf_counter()
                if name == "fit_local":
                    model.fit_local(n_jobs=2, progress=False, resume=False)
                else:
                    model.fit_ray(ship=name.split()[1], progress=False, resume=False)
                seconds[name].append(time.perf_counter() - t0)
                coefs[name].add(float(model.coef[0]))
                details[name] = {"metrics": model.task_metrics, "report": model.fit_report}
    finally:
        ray.shutdown()

    res = Result("ray_backend", "fit_ray on a 2-CPU local Ray instance against fit_local on 2 processes", argv=argv)
    rows = []
    local = seconds["fit_local"]
    for name, values in seconds.items():
        ratio = stats([v / b for v, b in zip(values, local)])
        overhead_ms = stats([1000 * (v - b) / n_tasks for v, b in zip(values, local)])
        rows.append([name, *mmm(stats(values)), *mmm(ratio), fmt(overhead_ms["median"])])
    res.table(
        f"Wall seconds of one fit ({n_tasks} tasks, {trees} trees, {repeats} rounds) and the ratio to fit_local",
        ["contender", "median s", "min s", "max s", "ratio median", "ratio min", "ratio max",
         "overhead ms/task (median)"],
        rows,
    )  # fmt: skip
    byte_rows = []
    for name in ("fit_ray put", "fit_ray store"):
        metrics = details[name]["metrics"]
        put = _put_mib(" ".join(details[name]["report"].extra))
        loads = int((~metrics["dataset_cache_hit"].astype(bool)).sum())
        byte_rows.append([name, fmt(float(metrics["request_bytes"].median())), fmt(put), f"{loads} of {len(metrics)}"])
    res.table(
        "Bytes sent per task",
        ["contender", "task arguments (bytes, median)", "put into the object store (MiB)",
         "tasks that read the dataset (last fit)"],
        byte_rows,
    )  # fmt: skip
    same = all(len(c) == 1 for c in coefs.values()) and len({next(iter(c)) for c in coefs.values()}) == 1
    put_ratio = stats([v / b for v, b in zip(seconds["fit_ray put"], local)])["median"]
    store_ratio = stats([v / b for v, b in zip(seconds["fit_ray store"], local)])["median"]
    res.goal("fit_ray gives fit_local's coefficient", "identical" if same else f"differ: {coefs}", same)
    res.goal("fit_ray put within 1.25x of fit_local on the same 2 cores", f"{put_ratio:.3f}x", put_ratio <= 1.25)
    res.note(
        f"Put against store: {put_ratio:.3f}x against {store_ratio:.3f}x of fit_local. Either way a worker "
        "process decodes the dataset once (the worker's cache); 'put' needs no file system or credentials "
        "shared with the workers, so it is the default."
    )
    res.note(
        "Ray's raylet, object store and GCS run on the same 2 cores as its 2 worker processes here, while the "
        "local pool's parent only waits: the overhead per task includes that contention."
    )
    res.raw("seconds", seconds)
    if args.quick:
        res.note("--quick: a smoke run with tiny sizes, not a measurement.")
    res.write(args.results_dir)
    return res


def _put_mib(extra: str) -> float:
    """The MiB put into Ray's object store, from the fit report's Ray line (0 when nothing was put).

    Examples
    --------
    >>> _put_mib("data put once into Ray's object store: 0.25 MiB in 0.01 s")
    0.25
    """
    marker = "object store: "
    if marker not in extra:
        return 0.0
    return float(extra.split(marker, 1)[1].split(" MiB", 1)[0])


if __name__ == "__main__":
    main()
