"""Benchmark 11: tune_ml_models_local (Optuna) against DoubleML's own tune_ml_models; batches; Lambda overhead.

1. **Against DoubleML.** The bonus data (``penn_jae.dat``), PLR with
   ``RandomForestRegressor(n_estimators=--trees, random_state=0)`` for ``ml_l`` and ``ml_m``, a
   space of ``max_depth`` x ``min_samples_leaf`` x ``max_features``, ``--trials`` trials per study,
   ``cv=5``, one seeded ``TPESampler`` (so DoubleML runs the two studies one after the other, and
   so do we). Alternated in one process: ``tune_ml_models_local(n_jobs=-1, resume=False)``
   (each trial's 5 folds as tasks on the pool) and DoubleML's ``tune_ml_models()`` (each trial's
   ``cross_val_score`` in this process, serially: DoubleML has no ``n_jobs`` for it). The trials
   (parameters and values) and the chosen parameters are asserted identical.
2. **Batches.** ``n_jobs_optuna = k`` asks ``k`` trials before telling any (one round of
   ``k x 5`` tasks). The same study for k = 1, 2, 4, 8: the chosen parameters, the best CV score,
   the PLR estimate after it, and the wall time. A batch's trials are drawn from fewer completed
   trials, which is what may move the choice.
3. **Lambda overhead per tuning task.** A fast learner (``Lasso`` on 1,000 simulated rows,
   ``alpha`` tuned) through ``tune_ml_models_aws_lambda()`` on a pool of emulated Lambda
   runtimes (AWS's Runtime Interface Emulator, moto S3): the client's CPU per task, and the
   round trip of a trial's round (5 tasks at once) against the function's own duration.

Run: ``python -m bench.optuna_tuning [--repeats 2] [--trials 20] [--trees 50]``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import optuna
from doubleml import DoubleMLPLR
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import Lasso

from pydmlserverless import DoubleMLPLRServerless
from pydmlserverless.datasets import bonus_data

from .common import Result, fmt, mmm, parser, stats

N_FOLDS = 5
BATCHES = (1, 2, 4, 8)


def forest_space(trial: Any) -> dict:
    return {
        "max_depth": trial.suggest_int("max_depth", 2, 12),
        "min_samples_leaf": trial.suggest_int("min_samples_leaf", 1, 50, log=True),
        "max_features": trial.suggest_float("max_features", 0.2, 1.0),
    }


def lasso_space(trial: Any) -> dict:
    return {"alpha": trial.suggest_float("alpha", 1e-4, 1.0, log=True)}


def _settings(trials: int, batch: int = 1) -> dict:
    return {"n_trials": trials, "sampler": optuna.samplers.TPESampler(seed=42), "n_jobs_optuna": batch}


def _learner(trees: int) -> RandomForestRegressor:
    return RandomForestRegressor(n_estimators=trees, random_state=0, n_jobs=1)


def ours(data: Any, trees: int, trials: int, batch: int = 1) -> tuple[Any, Any, float]:
    np.random.seed(1)
    model = DoubleMLPLRServerless(None, None, data, _learner(trees), _learner(trees), n_folds=N_FOLDS)
    t0 = time.perf_counter()
    res = model.tune_ml_models_local({"ml_l": forest_space, "ml_m": forest_space},
                                     optuna_settings=_settings(trials, batch), return_tune_res=True, n_jobs=-1,
                                     progress=False, resume=False)  # fmt: skip
    return model, res, time.perf_counter() - t0


def doubleml(data: Any, trees: int, trials: int) -> tuple[Any, Any, float]:
    np.random.seed(1)
    model = DoubleMLPLR(data, _learner(trees), _learner(trees), n_folds=N_FOLDS)
    t0 = time.perf_counter()
    res = model.tune_ml_models({"ml_l": forest_space, "ml_m": forest_space}, optuna_settings=_settings(trials),
                               return_tune_res=True)  # fmt: skip
    return model, res, time.perf_counter() - t0


def _trials(res: Any) -> list:
    return [(t.params, t.value) for name in res[0] for t in res[0][name].study.trials]


def against_doubleml(result: Result, data: Any, trees: int, trials: int, repeats: int) -> None:
    ours(data, trees, 2)  # warm the pool
    walls: dict[str, list[float]] = {"tune_ml_models_local": [], "doubleml": []}
    for _ in range(repeats):
        _, mine, wall = ours(data, trees, trials)
        walls["tune_ml_models_local"].append(wall)
        _, theirs, wall = doubleml(data, trees, trials)
        walls["doubleml"].append(wall)
        assert _trials(mine) == _trials(theirs), "the trials differ"
    ratio = stats([d / t for d, t in zip(walls["doubleml"], walls["tune_ml_models_local"])])
    result.table(
        f"PLR on the bonus data ({len(data.data):,} rows), RF({trees}), 2 studies x {trials} trials x {N_FOLDS} "
        f"folds = {2 * trials * N_FOLDS} fits; {repeats} alternated pairs; wall seconds",
        ["tuning", "median", "min", "max", "DoubleML / ours (median)"],
        [
            ["tune_ml_models_local(n_jobs=-1)", *mmm(stats(walls["tune_ml_models_local"])), "1.00"],
            ["DoubleML tune_ml_models()", *mmm(stats(walls["doubleml"])), f"{ratio['median']:.2f}"],
        ],
    )
    result.note("Identical trials (parameters and CV values) and chosen parameters in every pair (asserted).")
    result.raw("walls", walls)


def batches(result: Result, data: Any, trees: int, trials: int) -> None:
    rows = []
    for batch in BATCHES:
        model, res, wall = ours(data, trees, trials, batch)
        np.random.seed(3)
        model.fit_local(n_jobs=-1, progress=False, verbose=False, seed=None)
        best = {name: r.best_params for name, r in res[0].items()}
        rows.append(
            [
                str(batch),
                fmt(wall),
                f"{res[0]['ml_l'].best_score:.5f}",
                f"{res[0]['ml_m'].best_score:.5f}",
                _short(best["ml_l"]),
                _short(best["ml_m"]),
                f"{model.coef[0]:.4f}",
                f"{model.se[0]:.4f}",
            ]
        )
    result.table(
        f"The same two studies ({trials} trials each, TPESampler(seed=42)) with n_jobs_optuna = k: k trials asked "
        "before any is told; best CV score (negative RMSE), chosen parameters, and PLR's coef/se after the fit",
        ["k", "wall s", "ml_l best", "ml_m best", "ml_l params", "ml_m params", "coef", "se"],
        rows,
    )
    result.note(
        "k = 1 is DoubleML's sequential study (the first table asserts it equal). A batch's trials are drawn from "
        "the trials told before the batch, so larger k explores more like random search: TPE's first "
        "n_startup_trials (10) trials are random draws in any case, and the later ones see fewer results."
    )


def _short(params: dict) -> str:
    return ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())


def lambda_overhead(result: Result, trials: int) -> None:
    from .emulated import FUNCTION_NAME, REGION, aws_environment, new_bucket, plr_data, plr_frame
    from .lambda_overhead import services_in_child

    with services_in_child(N_FOLDS) as services, aws_environment(services.lambda_url, services.s3_url):
        data = plr_data(new_bucket(), plr_frame(1000), "optuna-overhead")
        runs = []
        for i in range(2):  # the first warms every emulator's caches (not counted)
            np.random.seed(1)
            model = DoubleMLPLRServerless(FUNCTION_NAME, REGION, data, Lasso(random_state=0), Lasso(random_state=0))
            model.tune_ml_models_aws_lambda({"ml_l": lasso_space, "ml_m": lasso_space},
                                            optuna_settings=_settings(trials if i else 2), max_concurrency=N_FOLDS,
                                            progress=False, verbose=False, resume=False)  # fmt: skip
            runs.append(model)
    model = runs[-1]
    report, calls = model.tune_report, model.aws_lambda_metrics
    ok = calls[calls["outcome"] == "ok"]
    n_rounds = 2 * trials
    round_s = report.seconds["total"] / n_rounds
    function_s = float(ok["duration_ms"].median()) / 1000
    result.table(
        f"tune_ml_models_aws_lambda() on {N_FOLDS} emulated runtimes: Lasso on 1,000 rows, 2 studies x {trials} "
        f"trials x {N_FOLDS} folds = {report.n_tasks} tasks in {n_rounds} rounds (one trial at a time)",
        [
            "tasks",
            "wall s",
            "client CPU ms / task",
            "round trip s / trial",
            "function ms (median)",
            "latency ms (median)",
            "round trip - function s",
        ],
        [
            [
                str(report.n_tasks),
                fmt(report.seconds["total"]),
                fmt(1000 * report.cpu_seconds["total"] / report.n_tasks),
                fmt(round_s),
                fmt(float(ok["duration_ms"].median())),
                fmt(1000 * float(ok["latency_s"].median())),
                fmt(round_s - function_s),
            ]
        ],
    )
    result.note(
        "A trial's round waits for its slowest fold; what a round costs beyond the function's median duration is "
        "the overhead per trial: the invocation's latency, the client's encoding and decoding, Optuna's ask and "
        "tell (an upper bound: the slowest fold runs longer than the median). "
        "With a shared seeded sampler the studies run one trial at a time; n_jobs_optuna widens each round."
    )


def main(argv: list[str] | None = None) -> Result:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=2, help="alternated pairs (default 2)")
    p.add_argument("--trials", type=int, default=20, help="trials per study (default 20)")
    p.add_argument("--trees", type=int, default=50, help="trees of each forest (default 50)")
    p.add_argument("--no-lambda", action="store_true", help="skip the emulated Lambda part")
    args = p.parse_args(argv)
    repeats, trees, trials = (1, 5, 3) if args.quick else (args.repeats, args.trees, args.trials)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    data = bonus_data()
    result = Result("optuna_tuning", "Optuna tuning: tune_ml_models_local against DoubleML's", argv=argv)
    against_doubleml(result, data, trees, trials, repeats)
    batches(result, data, trees, trials)
    if not args.no_lambda:
        lambda_overhead(result, trials)
    result.write(args.results_dir)
    return result


if __name__ == "__main__":
    main()
