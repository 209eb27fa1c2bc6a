"""Drive a fit: stage data and splits, plan and run tasks, hand predictions to DoubleML."""

from __future__ import annotations

import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from . import codec
from .backends.base import Backend
from .data import DoubleMLDataS3, stage_dataset, validate_data
from .errors import ConfigurationError, TaskError
from .nuisance import features_for, nuisances_for, theta_initial
from .planning import StagedFit, Task, check_scaling, plan_tasks
from .store import KEY_PREFIX, S3Store, Store

__all__ = ["FitReport", "FitOutcome", "run_fit", "check_seed"]


@dataclass
class FitReport:
    """Timing and volume of one fit.

    Attributes
    ----------
    backend : str
        Backend name and size (e.g. ``"local (2 processes)"``).
    scaling : str
        The scaling used.
    n_tasks : int
        Number of tasks run.
    seconds : dict
        Wall seconds by phase: ``stage``, ``tasks``, ``estimate``, ``total``.
    task_seconds : float
        Sum of the workers' own task durations.
    extra : list of str
        Backend-specific summary lines (cost, retries, ...).
    cpu_seconds : dict
        CPU seconds of this (the client's) process by phase, keys as ``seconds``: what planning,
        encoding, invoking, decoding and aggregating cost here, all threads included.
    """

    backend: str
    scaling: str
    n_tasks: int
    seconds: dict
    task_seconds: float
    extra: list = field(default_factory=list)
    cpu_seconds: dict = field(default_factory=dict)

    def __str__(self) -> str:
        s = self.seconds
        speedup = self.task_seconds / s["tasks"] if s["tasks"] > 0 else float("nan")
        lines = [
            f"Fit on {self.backend}, scaling '{self.scaling}': {self.n_tasks} tasks",
            f"  wall time {s['total']:.2f} s = staging {s['stage']:.2f} s + tasks {s['tasks']:.2f} s "
            f"+ estimation {s['estimate']:.2f} s",
            f"  task time {self.task_seconds:.2f} s in total, {speedup:.2f}x parallel",
        ]
        if self.cpu_seconds and self.n_tasks:
            cpu = self.cpu_seconds["total"]
            lines.append(f"  client CPU {cpu:.2f} s ({1000 * cpu / self.n_tasks:.1f} ms per task)")
        return "\n".join(lines + [f"  {line}" for line in self.extra])


@dataclass
class FitOutcome:
    """What a backend fit leaves besides DoubleML's own results."""

    report: FitReport
    metrics: pd.DataFrame
    nuisance_targets: dict
    nuisance_loss: dict


def check_seed(seed) -> int | None:
    """Validate a fit seed (None or a non-negative integer)."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigurationError(f"seed must be None or a non-negative integer; {seed!r} was passed.")
    return int(seed)


#: Repetitions share one stored splits object up to this many bytes of arrays (about four
#: repetitions of 10^6 rows): one PUT per fit for typical sizes, one GET per worker.
SPLITS_BUNDLE_BYTES = 4 * 2**20


def _bundles(reps: list[dict], limit: int = SPLITS_BUNDLE_BYTES) -> list[list[int]]:
    """Consecutive repetitions grouped so that each group's arrays stay within ``limit`` bytes.

    Examples
    --------
    >>> import numpy as np
    >>> rep = {"fold_of": np.zeros(1000, dtype=np.int8)}
    >>> _bundles([rep] * 5, limit=2500)
    [[0, 1], [2, 3], [4]]
    """
    groups: list[list[int]] = []
    size = 0
    for i, rep in enumerate(reps):
        nbytes = sum(a.nbytes for a in rep.values())
        if not groups or size + nbytes > limit:
            groups.append([])
            size = 0
        groups[-1].append(i)
        size += nbytes
    return groups


def _stage_splits(model, store: Store) -> tuple[list[str], list[int]]:
    """Store the sample splits in bundles; return each repetition's bundle key and position in it."""
    n_obs = model.n_obs
    reps = [codec.splits_arrays(model.smpls[rep], n_obs) for rep in range(model.n_rep)]
    keys: list[str] = [""] * model.n_rep
    members: list[int] = [0] * model.n_rep
    bodies = {}
    for group in _bundles(reps):
        body, digest = codec.encode_splits_bundle([reps[i] for i in group], n_obs)
        key = codec.splits_key(digest)
        bodies[key] = body
        for member, rep in enumerate(group):
            keys[rep], members[rep] = key, member
    # on S3 one PUT of a content-addressed object (rewriting it is harmless) costs less than
    # HEAD + PUT; a local file is cheaper to look for than to write
    write = store.put if isinstance(store, S3Store) else store.put_if_absent
    with ThreadPoolExecutor(max_workers=min(8, len(bodies))) as pool:
        list(pool.map(lambda item: write(*item), bodies.items()))
    return keys, members


def _place(predictions: dict, model, task: Task, values: np.ndarray) -> None:
    target = predictions[task.treatment][task.nuisance]
    start = 0
    for fold in task.folds:
        test = model.smpls[task.rep][fold][1]
        target[test, task.rep] = values[start : start + len(test)]
        start += len(test)
    if start != values.size:
        raise TaskError(
            f"Task returned {values.size} predictions where {start} were expected ({task.describe()}).",
            task=task.coordinates(),
        )


def _run_round(backend: Backend, tasks: list[Task], model, predictions, metrics: list, bar) -> None:
    seen: set[str] = set()
    for result in backend.run(tasks):
        if result.task.task_id in seen:
            raise TaskError(f"Duplicate result for task {result.task.task_id}.", task=result.task.coordinates())
        seen.add(result.task.task_id)
        _place(predictions, model, result.task, result.predictions)
        metrics.append(result.metrics)
        bar.update(1)
    missing = [t.task_id for t in tasks if t.task_id not in seen]
    if missing:
        raise TaskError(f"{len(missing)} task(s) returned no result, e.g. {missing[0]}.")


def _count(plan, model, scaling: str, second_round: bool) -> int:
    per_rep = len(model.smpls[0]) if scaling == "n_folds * n_rep" else 1
    n = sum(1 for nuisances in plan.values() for nu in nuisances if nu.fitted and nu.second_round == second_round)
    return n * model.n_rep * per_rep


def _targets_and_losses(model, data, plan, thetas) -> tuple[dict, dict]:
    """Nuisance targets and losses as DoubleML computes them when it fits the learners itself.

    With external predictions DoubleML leaves both empty; they are recomputed here from the data
    (targets outside a learner's subset are NaN, like DoubleML's ``_cond_targets``).
    """
    frame = data.data
    n_obs, n_rep, n_coefs = model.n_obs, model.n_rep, len(data.d_cols)
    targets = {name: np.full((n_obs, n_rep, n_coefs), np.nan) for name in model.params_names}
    losses = {name: np.full((n_rep, n_coefs), np.nan) for name in model.params_names}
    for i_d, treatment in enumerate(data.d_cols):
        for nu in plan[treatment]:
            base = frame[nu.target].to_numpy(dtype=np.float64) if nu.fitted else np.full(n_obs, nu.constant)
            mask = np.ones(n_obs, dtype=bool)
            if nu.subset is not None:
                mask = frame[nu.subset[0]].to_numpy(dtype=np.float64) == nu.subset[1]
            for rep in range(n_rep):
                target = base
                if nu.second_round:
                    target = base - thetas[(treatment, rep)] * frame[treatment].to_numpy(dtype=np.float64)
                target = np.where(mask, target, np.nan)
                targets[nu.name][:, rep, i_d] = target
                pred = model.predictions[nu.name][:, rep, i_d]  # after DoubleML's propensity clipping
                if nu.method == "predict_proba":
                    clipped = np.clip(pred, 1e-15, 1 - 1e-15)
                    loss = -np.nanmean(target * np.log(clipped) + (1 - target) * np.log(1 - clipped))
                else:
                    loss = np.sqrt(np.nanmean(np.power(target - pred, 2)))
                losses[nu.name][rep, i_d] = loss
    return targets, losses


def run_fit(
    model,
    data,
    backend: Backend,
    store: Store,
    scaling: str,
    seed: int | None,
    progress: bool | None,
    backend_label: str,
    verbose: bool | None = None,
) -> FitOutcome:
    """Fit ``model`` through ``backend`` and estimate with DoubleML's ``fit(external_predictions=...)``.

    Parameters
    ----------
    model : DoubleML model (a pydmlserverless model class)
        The model; its sample splits must be drawn.
    data : doubleml.DoubleMLData
        The model's data.
    backend : Backend
        Runs the tasks.
    store : Store
        Holds the dataset, splits and large results.
    scaling : str
        ``'n_folds * n_rep'`` or ``'n_rep'``.
    seed : int or None
        Derives each fold's learner ``random_state``.
    progress : bool or None
        Show a progress bar; None shows one when stderr is a terminal.
    backend_label : str
        Backend description for the report.
    verbose : bool or None
        Print the timing summary; None prints it when the progress bar is shown.

    Returns
    -------
    FitOutcome
        The report, the per-task metrics, and the nuisance targets and losses.
    """
    t_start, c_start = time.perf_counter(), time.process_time()
    scaling = check_scaling(scaling)
    seed = check_seed(seed)
    validate_data(data)
    if model.smpls is None:
        raise ConfigurationError(
            "The model has no sample splits; call draw_sample_splitting() or set_sample_splitting() first."
        )
    plan = {d: nuisances_for(model, data, d) for d in data.d_cols}
    features = {d: features_for(data, d) for d in data.d_cols}
    thetas: dict[tuple[str, int], float] = {}
    n_total = _count(plan, model, scaling, False) + _count(plan, model, scaling, True)
    show = sys.stderr.isatty() if progress is None else bool(progress)

    if isinstance(data, DoubleMLDataS3) and store is data.store:
        dataset_key = data.store_and_upload_to_s3()
    else:
        dataset_key, _ = stage_dataset(data, store)
    splits_keys, splits_members = _stage_splits(model, store)
    staged = StagedFit(
        store=store.descriptor(),
        dataset_key=dataset_key,
        splits_keys=splits_keys,
        results_prefix=f"{KEY_PREFIX}results/{uuid.uuid4().hex}/",
        splits_members=splits_members,
    )
    n_obs, n_rep = model.n_obs, model.n_rep
    predictions = {d: {nu.name: np.full((n_obs, n_rep), np.nan) for nu in nuisances} for d, nuisances in plan.items()}
    first = plan_tasks(model, plan, features, staged, scaling, seed)
    t_staged, c_staged = time.perf_counter(), time.process_time()

    metrics: list[dict] = []
    with tqdm(total=n_total, disable=not show, desc=f"pydmlserverless [{backend.name}]", unit="task") as bar:
        _run_round(backend, first, model, predictions, metrics, bar)
        if any(nu.second_round for nuisances in plan.values() for nu in nuisances):
            thetas = {
                (d, rep): theta_initial(model, data, d, {name: arr[:, rep] for name, arr in predictions[d].items()})
                for d in plan
                for rep in range(n_rep)
            }
            second = plan_tasks(model, plan, features, staged, scaling, seed, second_round=True, thetas=thetas)
            _run_round(backend, second, model, predictions, metrics, bar)
    t_tasks, c_tasks = time.perf_counter(), time.process_time()

    model.fit(external_predictions=predictions, store_predictions=True)
    targets, losses = _targets_and_losses(model, data, plan, thetas)
    t_end, c_end = time.perf_counter(), time.process_time()

    frame = backend.metrics_frame(metrics)
    report = FitReport(
        backend=backend_label,
        scaling=scaling,
        n_tasks=len(metrics),
        seconds={
            "stage": t_staged - t_start,
            "tasks": t_tasks - t_staged,
            "estimate": t_end - t_tasks,
            "total": t_end - t_start,
        },
        task_seconds=float(frame["total_s"].sum()) if "total_s" in frame else float("nan"),
        extra=backend.summary_lines(frame),
        cpu_seconds={
            "stage": c_staged - c_start,
            "tasks": c_tasks - c_staged,
            "estimate": c_end - c_tasks,
            "total": c_end - c_start,
        },
    )
    if verbose if verbose is not None else show:
        print(report, file=sys.stderr)
    return FitOutcome(report, frame, targets, losses)
