"""Drive a fit: stage data and splits, plan and run tasks, hand the predictions to DoubleML.

The one fit driver, whatever the backend and the model. The steps, each one call through the
run's DoubleML door (``ctx.adapter``, :mod:`pydmlserverless.doubleml.adapter`): ``sub_fits`` names
the models the fit plans (the model, or a container's sub-models: APOS's levels, DIDMulti's
cells), ``sub_fit_spec`` reads each, :func:`~pydmlserverless.core.staging.stage_fits` stores their
inputs, :func:`~pydmlserverless.core.tasks.plan_tasks` writes the tasks, the backend runs all of
them in one round, :func:`collect` places the predictions, and ``estimate_all`` hands them to
DoubleML.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..backends.base import Backend
from ..errors import NonFinitePredictionsError, PyDMLServerlessError, TaskError
from ..worker.protocol import Task
from ..worker.store import Store
from .progress import progress_bar
from .report import Clock, FitReport, Resumed
from .resume import stored_results
from .run import RunContext
from .staging import stage_fits, stage_second_round
from .tasks import FitSpec, count_tasks, plan_tasks

__all__ = ["FitOutcome", "Round", "collect", "finish_report", "initial_predictions", "load_fitted_models", "run_fit"]


@dataclass
class FitOutcome:
    """What a backend fit leaves besides DoubleML's own results."""

    report: FitReport
    metrics: pd.DataFrame
    nuisance_targets: dict[str, np.ndarray] | None
    nuisance_loss: dict[str, np.ndarray] | None


def _checked(spec: FitSpec, task: Task, values: np.ndarray) -> np.ndarray:
    """A task's predictions, refused as DoubleML refuses non-finite ones (it skips the check for
    external ones) and where their number is not the task's test rows'."""
    finite = np.isfinite(values)
    if not finite.all():
        nuisance = next(nu for nu in spec.nuisances[task.treatment] if nu.name == task.nuisance)
        learner = spec.learners[nuisance.learner]
        raise NonFinitePredictionsError(
            f"Predictions from learner {learner!s} for {task.nuisance} are not finite "
            f"({task.describe()}: {int((~finite).sum())} of {values.size}).",
            task=task.coordinates(),
            error_type="NonFinitePredictions",
        )
    expected = sum(len(spec.smpls[task.rep][fold][1]) for fold in task.folds)
    if values.size != expected:
        raise TaskError(
            f"Task returned {values.size} predictions where {expected} were expected ({task.describe()}).",
            task=task.coordinates(),
        )
    return values


def _place(predictions: dict[str, dict[str, np.ndarray]], spec: FitSpec, task: Task, values: np.ndarray) -> None:
    target = predictions[task.treatment][task.nuisance]
    start = 0
    for fold in task.folds:
        test = spec.smpls[task.rep][fold][1]
        if spec.folds_overlap:
            target[test, task.rep, fold] = values[start : start + len(test)]
        else:
            target[test, task.rep] = values[start : start + len(test)]
        start += len(test)


@dataclass
class Round:
    """What one round of tasks returned.

    Attributes
    ----------
    predictions : dict of str to numpy.ndarray
        Each task's predictions (its folds' test rows, in fold order), by task id: resumed and run.
    metrics : list of dict
        One backend metrics row per task that ran.
    models_keys : dict of str to str
        Where each task's fitted learners are, by task id (tasks that stored them).
    resumed : Resumed
        What an earlier attempt had kept.
    """

    predictions: dict[str, np.ndarray] = field(default_factory=dict)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    models_keys: dict[str, str] = field(default_factory=dict)
    resumed: Resumed = field(default_factory=Resumed)

    def place(self, tasks: list[Task], specs: Mapping[str, FitSpec], predictions: Mapping[str, Any]) -> None:
        """Write each task's predictions into its sub-model's prediction arrays (``predictions[group]``)."""
        for task in tasks:
            _place(predictions[task.group], specs[task.group], task, self.predictions[task.task_id])


def collect(
    backend: Backend, tasks: list[Task], specs: Mapping[str, FitSpec], bar: Any, store: Store | None = None
) -> Round:
    """Run one round of tasks and return each one's result, exactly once per task.

    ``specs`` is keyed by the tasks' group (:attr:`FitSpec.group`; ``""`` for a model of its own):
    every sub-model's tasks go to the backend in one round. With ``store``, the results kept there
    by an earlier attempt are taken first and only the other tasks run. ``bar`` is updated once
    per task. Non-finite predictions raise DoubleML's error, naming the task, at once.
    """
    done = Round()
    if store is not None:
        found = stored_results(store, tasks)
        for task in tasks:
            if task.task_id in found.predictions:
                done.predictions[task.task_id] = _checked(specs[task.group], task, found.predictions[task.task_id])
                if task.payload.return_models:
                    done.models_keys[task.task_id] = task.payload.models_key
                bar.update(1)
        done.resumed = Resumed(len(found.predictions), len(found.discarded), found.seconds)
        tasks = [task for task in tasks if task.task_id not in found.predictions]
    seen: set[str] = set()
    results = backend.run(tasks)
    try:
        for result in results:
            task = result.task
            if task.task_id in seen:
                raise TaskError(f"Duplicate result for task {task.task_id}.", task=task.coordinates())
            seen.add(task.task_id)
            done.predictions[task.task_id] = _checked(specs[task.group], task, result.predictions)
            if task.payload.return_models:
                if result.models_key != task.payload.models_key:
                    raise TaskError(
                        f"Task {task.task_id} did not store its fitted learners ({task.describe()}).",
                        task=task.coordinates(),
                    )
                done.models_keys[task.task_id] = result.models_key
            done.metrics.append(result.metrics)
            bar.update(1)
    finally:
        # a failure here (or Ctrl-C in the progress sink) ends the backend's run now, not when the
        # traceback is freed: its cleanup (cancelling what is still in flight) runs at once
        close = getattr(results, "close", None)
        if close is not None:
            close()
    missing = [t.task_id for t in tasks if t.task_id not in seen]
    if missing:
        raise TaskError(f"{len(missing)} task(s) returned no result, e.g. {missing[0]}.")
    return done


def load_fitted_models(
    store: Store, specs: Mapping[str, FitSpec], tasks: list[Task], models_keys: dict[str, str]
) -> dict[str, dict[str, dict[str, list[list[Any]]]]]:
    """The stored fitted learners in DoubleML's ``models`` layout: nuisance, treatment, repetition, fold.

    Keyed by the tasks' group first (``""`` for a model of its own).
    """
    from ..worker.fitted_models import load_models

    models: dict[str, dict[str, dict[str, list[list[Any]]]]] = {}
    for group, spec in specs.items():
        for treatment, nuisances in spec.nuisances.items():
            for nu in nuisances:
                layout = [[None] * spec.n_folds for _ in range(spec.n_rep)]
                models.setdefault(group, {}).setdefault(nu.name, {})[treatment] = layout

    def read(task: Task) -> tuple[Task, list[Any]]:
        try:
            return task, load_models(store.get(models_keys[task.task_id]), len(task.folds))
        except PyDMLServerlessError as exc:
            raise TaskError(
                f"The fitted learners of task {task.task_id} cannot be read: {exc}", task=task.coordinates()
            ) from exc

    with ThreadPoolExecutor(max_workers=max(1, min(8, len(tasks)))) as pool:
        for task, fitted in pool.map(read, tasks):
            for fold, estimator in zip(task.folds, fitted):
                models[task.group][task.nuisance][task.treatment][task.rep][fold] = estimator
    return models


def run_fit(
    ctx: RunContext,
    *,
    external_predictions: Mapping[str, Any] | None = None,
    store_predictions: bool = True,
    store_models: bool = False,
) -> FitOutcome:
    """Fit ``ctx.model`` through ``ctx.backend`` and estimate with DoubleML's ``fit(external_predictions=...)``.

    Parameters
    ----------
    ctx : RunContext
        The model, its data, the opened backend, the store and the run's options.
    external_predictions : dict, optional
        DoubleML's ``{treatment: {nuisance: array (n_obs, n_rep)}}``: those nuisances are not run,
        the others are, and DoubleML gets both.
    store_predictions : bool, default True
        As DoubleML's: False leaves ``predictions`` and ``nuisance_targets`` empty after the fit.
    store_models : bool, default False
        As DoubleML's: the workers store the learners they fit (skops), which come back into the
        model's ``models`` (:mod:`pydmlserverless.worker.fitted_models`).

    Returns
    -------
    FitOutcome
        The report, the per-task metrics, and the nuisance targets and losses.
    """
    adapter, clock = ctx.adapter, Clock()
    subs = adapter.sub_fits(ctx.model, ctx.data, external_predictions)
    specs = {sub.label: adapter.sub_fit_spec(sub) for sub in subs}
    staged = dict(zip(specs, stage_fits(adapter, [(specs[sub.label], sub.data) for sub in subs], ctx.store)))
    predictions = {sub.label: initial_predictions(specs[sub.label], sub.external) for sub in subs}
    plan: dict[str, Any] = {
        "scaling": ctx.scaling,
        "seed": ctx.seed,
        "seed_only_unset": ctx.seed_only_unset,
        "keep_results": ctx.resume,
        "return_models": store_models,
    }
    first = [task for label, spec in specs.items() for task in plan_tasks(spec, staged[label], **plan)]
    clock.mark()
    try:
        rounds, thetas = _run_rounds(ctx, subs, specs, staged, predictions, first, plan)
    except TaskError as exc:
        if exc.error_type != "CorruptObjectError":
            raise
        # the next fit finds them whole
        stage_fits(adapter, [(specs[sub.label], sub.data) for sub in subs], ctx.store, force=True)
        raise TaskError(
            f"{exc} The fit's data set and splits were uploaded again; run the fit again.",
            task=exc.task,
            error_type=exc.error_type,
            error_message=exc.error_message,
        ) from exc
    if store_models:
        keys = {task_id: key for _, done in rounds for task_id, key in done.models_keys.items()}
        models = load_fitted_models(ctx.store, specs, [t for tasks, _ in rounds for t in tasks], keys)
    clock.mark()

    model = ctx.model
    adapter.estimate_all(model, subs, predictions, store_predictions, ctx.seed, ctx.seed_only_unset)
    if store_models:
        adapter.set_sub_models(model, subs, models)
    targets: dict[str, np.ndarray] | None = None
    losses: dict[str, np.ndarray] | None = None
    if not adapter.reports_own_nuisances(model):  # e.g. a container's sub-models: DoubleML's own, and their losses
        targets, losses = adapter.nuisance_targets_and_losses(model, subs[0].data, specs[""], thetas.get("", {}))
        if not store_predictions:
            adapter.forget_predictions(model)
    clock.mark()
    report, frame = finish_report(ctx, clock, [done for _, done in rounds])
    return FitOutcome(report, frame, targets if store_predictions else None, losses)


def _run_rounds(
    ctx: RunContext,
    subs: list[Any],
    specs: dict[str, FitSpec],
    staged: dict[str, Any],
    predictions: dict[str, Any],
    first: list[Task],
    plan: dict[str, Any],
) -> tuple[list[tuple[list[Task], Round]], dict[str, dict[tuple[str, int], float]]]:
    """Run the first round of tasks, then the second round of the models whose nuisances need a first-round theta.

    The predictions land in ``predictions`` (the arrays DoubleML estimates from); returned are the
    rounds run, each with its tasks, and the initial thetas of the models with a second round.
    """
    adapter = ctx.adapter
    thetas: dict[str, dict[tuple[str, int], float]] = {}
    total = len(first) + sum(count_tasks(spec, ctx.scaling, second_round=True) for spec in specs.values())
    kept = ctx.store if ctx.resume else None
    rounds: list[tuple[list[Task], Round]] = []
    with progress_bar(total, ctx.show, ctx.backend.name) as bar:
        rounds.append((first, collect(ctx.backend, first, specs, bar, kept)))
        rounds[-1][1].place(first, specs, predictions)
        for sub in subs:
            adapter.adjust_predictions(sub, specs[sub.label], predictions[sub.label])
        second = []
        for sub in subs:
            spec = specs[sub.label]
            if spec.has_second_round:
                needs = adapter.second_round(sub, spec, subs, predictions)
                thetas[sub.label] = dict(needs.thetas)
                second += plan_tasks(
                    spec,
                    staged[sub.label],
                    second_round=True,
                    thetas=needs.thetas,
                    staged_inputs=stage_second_round(needs, ctx.store),
                    **plan,
                )
        if second:
            rounds.append((second, collect(ctx.backend, second, specs, bar, kept)))
            rounds[-1][1].place(second, specs, predictions)
    return rounds, thetas


def finish_report(
    ctx: RunContext, clock: Clock, rounds: list[Round], activity: str = "Fit", extra: tuple[str, ...] = ()
) -> tuple[FitReport, pd.DataFrame]:
    """The report of a finished run and its per-task metrics table (printed where the run shows its report)."""
    frame = ctx.backend.metrics_frame([row for done in rounds for row in done.metrics])
    resumed = sum((done.resumed for done in rounds), Resumed())
    report = FitReport(
        activity=activity,
        backend=ctx.backend.label,
        scaling=ctx.scaling,
        n_tasks=len(frame),
        seconds=clock.phases(0),
        task_seconds=float(frame["total_s"].sum()) if "total_s" in frame else float("nan"),
        extra=[*extra, *ctx.backend.summary_lines(frame)],
        cpu_seconds=clock.phases(1),
        **resumed.report_fields(),
    )
    if ctx.prints_report():
        print(report, file=sys.stderr)
    return report, frame


def initial_predictions(spec: FitSpec, given: Mapping[str, Any] | None) -> dict[str, dict[str, np.ndarray]]:
    """Each nuisance's prediction array: the given one, or NaN until its tasks fill it."""
    given = given or {}
    shape = (spec.n_obs, spec.n_rep, spec.n_folds) if spec.folds_overlap else (spec.n_obs, spec.n_rep)
    return {
        d: {
            nu.name: np.array(given[d][nu.name], dtype=np.float64) if nu.external else np.full(shape, np.nan)
            for nu in nuisances
        }
        for d, nuisances in spec.nuisances.items()
    }
