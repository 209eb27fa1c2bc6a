"""Drive a fit: stage data and splits, plan and run tasks, hand the predictions to DoubleML.

The steps, each one call: :func:`pydmlserverless.doubleml.adapter.sub_fits` names the models the
fit plans (the model, or a container's sub-models: APOS's levels, DIDMulti's cells),
:func:`pydmlserverless.doubleml.adapter.fit_spec` reads each, :func:`pydmlserverless.core.staging.stage_fits`
stores their inputs, :func:`pydmlserverless.core.tasks.plan_tasks` writes the tasks, the backend runs
all of them in one round, :func:`collect` places the predictions, and
:func:`pydmlserverless.doubleml.adapter.estimate_all` hands them to DoubleML.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..backends.base import Backend
from ..doubleml import adapter as adapter
from ..errors import ConfigurationError, NonFinitePredictionsError, PyDMLServerlessError, TaskError
from ..worker.protocol import Task
from ..worker.store import Store
from .checks import is_int
from .resume import stored_results
from .staging import stage_fits
from .tasks import FitSpec, check_scaling, count_tasks, plan_tasks

__all__ = ["FitReport", "FitOutcome", "ProgressSink", "run_fit", "check_seed", "collect", "progress_option"]


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
        Number of tasks run (not counting resumed ones).
    seconds : dict
        Wall seconds by phase: ``stage``, ``tasks``, ``estimate``, ``total``.
    task_seconds : float
        Sum of the workers' own task durations.
    extra : list of str
        Backend-specific summary lines (cost, retries, ...).
    cpu_seconds : dict
        CPU seconds of this (the client's) process by phase, keys as ``seconds``: what planning,
        encoding, invoking, decoding and aggregating cost here, all threads included.
    n_resumed : int
        Tasks not run because an earlier attempt of the fit had kept their results.
    resume_seconds : float
        Wall seconds spent looking for and reading kept results.
    n_discarded : int
        Kept results that were not used (damaged, of the wrong length, or another task's): their
        tasks ran again and are among ``n_tasks``.
    activity : str
        What ran: ``"Fit"``, or ``"Tuning"`` for a backend tuning.
    """

    backend: str
    scaling: str
    n_tasks: int
    seconds: dict[str, float]
    task_seconds: float
    extra: list[str] = field(default_factory=list)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    n_resumed: int = 0
    resume_seconds: float = 0.0
    activity: str = "Fit"
    n_discarded: int = 0

    def __str__(self) -> str:
        s = self.seconds
        speedup = self.task_seconds / s["tasks"] if s["tasks"] > 0 else float("nan")
        resumed = f" ({self.n_resumed} more resumed from kept results)" if self.n_resumed else ""
        lines = [
            f"{self.activity} on {self.backend}, scaling '{self.scaling}': {self.n_tasks} tasks{resumed}",
            f"  wall time {s['total']:.2f} s = staging {s['stage']:.2f} s + tasks {s['tasks']:.2f} s "
            f"+ estimation {s['estimate']:.2f} s",
        ]
        if self.n_tasks:
            lines.append(f"  task time {self.task_seconds:.2f} s in total, {speedup:.2f}x parallel")
        if self.n_resumed:
            lines.append(
                f"  kept results read in {self.resume_seconds:.2f} s; resume=False (--no-resume) computes every task"
            )
        if self.n_discarded:
            lines.append(
                f"  {self.n_discarded} kept result(s) not used (damaged, or another task's) and computed again"
            )
        if self.cpu_seconds and self.n_tasks:
            cpu = self.cpu_seconds["total"]
            lines.append(f"  client CPU {cpu:.2f} s ({1000 * cpu / self.n_tasks:.1f} ms per task)")
        return "\n".join(lines + [f"  {line}" for line in self.extra])


@dataclass
class FitOutcome:
    """What a backend fit leaves besides DoubleML's own results."""

    report: FitReport
    metrics: pd.DataFrame
    nuisance_targets: dict[str, np.ndarray] | None
    nuisance_loss: dict[str, np.ndarray] | None


def check_seed(seed: Any) -> int | None:
    """Validate a fit seed (None or a non-negative integer)."""
    if seed is None:
        return None
    if not is_int(seed) or seed < 0:
        raise ConfigurationError(f"seed must be None or a non-negative integer; {seed!r} was passed.")
    return int(seed)


def _check_finite(spec: FitSpec, task: Task, values: np.ndarray) -> None:
    """DoubleML's own refusal of non-finite predictions (it skips the check for external ones)."""
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


def _place(predictions: dict[str, dict[str, np.ndarray]], spec: FitSpec, task: Task, values: np.ndarray) -> None:
    _check_finite(spec, task, values)
    target = predictions[task.treatment][task.nuisance]
    start = 0
    for fold in task.folds:
        test = spec.smpls[task.rep][fold][1]
        if spec.folds_overlap:
            target[test, task.rep, fold] = values[start : start + len(test)]
        else:
            target[test, task.rep] = values[start : start + len(test)]
        start += len(test)
    if start != values.size:
        raise TaskError(
            f"Task returned {values.size} predictions where {start} were expected ({task.describe()}).",
            task=task.coordinates(),
        )


@dataclass
class Resumed:
    """What the rounds of a fit found of an earlier attempt's kept results.

    Attributes
    ----------
    tasks : int
        Tasks placed from kept results (not run).
    discarded : int
        Kept results not used (damaged, of the wrong length, or another task's): their tasks ran.
    seconds : float
        Wall seconds spent listing and reading.
    """

    tasks: int = 0
    discarded: int = 0
    seconds: float = 0.0

    def __add__(self, other: Resumed) -> Resumed:
        return Resumed(self.tasks + other.tasks, self.discarded + other.discarded, self.seconds + other.seconds)

    def report_fields(self) -> dict[str, Any]:
        """The :class:`FitReport` fields these counts fill."""
        return {"n_resumed": self.tasks, "n_discarded": self.discarded, "resume_seconds": self.seconds}


def collect(
    backend: Backend,
    tasks: list[Task],
    specs: Mapping[str, FitSpec],
    predictions: Mapping[str, dict[str, dict[str, np.ndarray]]],
    metrics: list[dict[str, Any]],
    bar: Any,
    store: Store | None = None,
    models_keys: dict[str, str] | None = None,
) -> Resumed:
    """Run one round of tasks and place each result's predictions, exactly once per task.

    ``specs`` and ``predictions`` are keyed by the tasks' group (:attr:`FitSpec.group`; ``""``
    for a model of its own): every sub-model's tasks go to the backend in one round. With
    ``store``, the results kept there by an earlier attempt of the fit are placed first and
    only the other tasks run. Where the tasks store their learners, ``models_keys`` receives each
    task's key. Returns what was resumed.
    """
    resumed = Resumed()
    models_keys = models_keys if models_keys is not None else {}
    if store is not None:
        found = stored_results(store, tasks)
        for task in tasks:
            if task.task_id in found.predictions:
                _place(predictions[task.group], specs[task.group], task, found.predictions[task.task_id])
                if task.payload.return_models:
                    models_keys[task.task_id] = task.payload.models_key
                bar.update(1)
        resumed = Resumed(len(found.predictions), len(found.discarded), found.seconds)
        tasks = [task for task in tasks if task.task_id not in found.predictions]
    seen: set[str] = set()
    results = backend.run(tasks)
    try:
        for result in results:
            if result.task.task_id in seen:
                raise TaskError(f"Duplicate result for task {result.task.task_id}.", task=result.task.coordinates())
            seen.add(result.task.task_id)
            _place(predictions[result.task.group], specs[result.task.group], result.task, result.predictions)
            if result.task.payload.return_models:
                if result.models_key != result.task.payload.models_key:
                    raise TaskError(
                        f"Task {result.task.task_id} did not store its fitted learners ({result.task.describe()}).",
                        task=result.task.coordinates(),
                    )
                models_keys[result.task.task_id] = result.models_key
            metrics.append(result.metrics)
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
    return resumed


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


class _Clock:
    """Wall and CPU seconds of this process at the ends of a fit's phases."""

    def __init__(self) -> None:
        self.marks: list[tuple[float, float]] = [(time.perf_counter(), time.process_time())]

    def mark(self) -> None:
        self.marks.append((time.perf_counter(), time.process_time()))

    def phases(self, which: int) -> dict[str, float]:
        """``stage``, ``tasks``, ``estimate`` and ``total`` from the wall (0) or CPU (1) marks."""
        t = [m[which] for m in self.marks]
        return {"stage": t[1] - t[0], "tasks": t[2] - t[1], "estimate": t[3] - t[2], "total": t[3] - t[0]}


@runtime_checkable
class ProgressSink(Protocol):
    """What a fit's ``progress`` argument may be besides a flag: anything with ``update(n)``.

    ``update(n)`` is called in the thread that runs the fit, once per finished task (``n = 1``,
    resumed tasks included). Optional methods: ``reset(total=...)`` is called once before the
    first task with the number of tasks the fit plans (None where unknown), ``close()`` once after
    the last one, also when the fit fails. A :class:`tqdm.tqdm` bar fits; so does a plain callable
    ``f(n)`` (called as ``update``).
    """

    def update(self, n: int = 1) -> Any: ...


def progress_option(progress: Any) -> Any:
    """A ``progress`` argument as ``_progress`` takes it: a sink (an object with ``update(n)``, or a
    callable) as it is; None as whether stderr is a terminal; anything else as a flag."""
    if isinstance(progress, ProgressSink) or (callable(progress) and not isinstance(progress, bool)):
        return progress
    return sys.stderr.isatty() if progress is None else bool(progress)


class _SinkBar:
    """A progress sink seen as the bar ``collect`` updates."""

    def __init__(self, sink: Any) -> None:
        self._update = sink.update if isinstance(sink, ProgressSink) else sink

    def update(self, n: int = 1) -> None:
        self._update(n)


@contextmanager
def _progress(total: int | None, show: Any, backend: Backend) -> Iterator[Any]:
    """The bar a run's tasks update: tqdm when ``show`` is a flag, else the sink ``show`` is
    (see :class:`ProgressSink`; ``show`` as :func:`progress_option` returns it)."""
    if not isinstance(show, bool) and (isinstance(show, ProgressSink) or callable(show)):
        if callable(getattr(show, "reset", None)):
            show.reset(total=total)
        try:
            yield _SinkBar(show)
        finally:
            if callable(getattr(show, "close", None)):
                show.close()
        return
    with tqdm(total=total, disable=not show, desc=f"pydmlserverless [{backend.name}]", unit="task") as bar:
        yield bar


def run_fit(
    model: Any,
    data: Any,
    backend: Backend,
    store: Store,
    scaling: str,
    seed: int | None,
    progress: bool | ProgressSink | None,
    backend_label: str,
    verbose: bool | None = None,
    resume: bool = True,
    seed_only_unset: bool = False,
    external_predictions: adapter.Predictions | None = None,
    store_predictions: bool = True,
    store_models: bool = False,
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
    progress : bool, None or ProgressSink
        Show a progress bar; None shows one when stderr is a terminal. An object with
        ``update(n)`` (or a callable ``f(n)``) gets the task completions instead of a bar
        (:class:`ProgressSink`).
    backend_label : str
        Backend description for the report.
    verbose : bool or None
        Print the timing summary; None prints it when the (tqdm) progress bar is shown.
    resume : bool, default True
        Keep every task's result in ``store`` and skip the tasks whose results an earlier attempt
        of the same fit kept there (:mod:`pydmlserverless.core.resume`).
    seed_only_unset : bool, default False
        ``seed`` was drawn for the fit, not given: it seeds only the learners' ``random_state``
        parameters that are None.
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
    clock = _Clock()
    scaling = check_scaling(scaling)
    seed = check_seed(seed)
    subs = adapter.sub_fits(model, data, external_predictions)
    specs = {sub.label: adapter.sub_fit_spec(sub) for sub in subs}
    show = progress_option(progress)
    staged = dict(zip(specs, stage_fits([(specs[sub.label], sub.data) for sub in subs], store)))
    predictions = {sub.label: _initial_predictions(specs[sub.label], sub.external) for sub in subs}
    plan: dict[str, Any] = {
        "scaling": scaling,
        "seed": seed,
        "seed_only_unset": seed_only_unset,
        "keep_results": resume,
        "return_models": store_models,
    }
    first = [task for label, spec in specs.items() for task in plan_tasks(spec, staged[label], **plan)]
    clock.mark()

    metrics: list[dict[str, Any]] = []
    thetas: dict[str, dict[tuple[str, int], float]] = {}
    total = len(first) + sum(count_tasks(spec, scaling, second_round=True) for spec in specs.values())
    kept = store if resume else None
    resumed = Resumed()
    models_keys: dict[str, str] = {}
    planned = list(first)
    try:
        with _progress(total, show, backend) as bar:
            resumed += collect(backend, first, specs, predictions, metrics, bar, kept, models_keys)
            for sub in subs:
                adapter.adjust_predictions(sub, specs[sub.label], predictions[sub.label])
            second = []
            for sub in subs:
                spec = specs[sub.label]
                if spec.has_second_round:
                    thetas[sub.label] = adapter.theta_initials(sub.model, sub.data, predictions[sub.label])
                    second += plan_tasks(spec, staged[sub.label], second_round=True, thetas=thetas[sub.label], **plan)
            if second:
                planned += second
                resumed += collect(backend, second, specs, predictions, metrics, bar, kept, models_keys)
    except TaskError as exc:
        if exc.error_type != "CorruptObjectError":
            raise
        stage_fits([(specs[sub.label], sub.data) for sub in subs], store, force=True)  # the next fit finds them whole
        raise TaskError(
            f"{exc} The fit's data set and splits were uploaded again; run the fit again.",
            task=exc.task,
            error_type=exc.error_type,
            error_message=exc.error_message,
        ) from exc
    models = load_fitted_models(store, specs, planned, models_keys) if store_models else None
    clock.mark()

    adapter.estimate_all(model, subs, predictions, store_predictions, seed, seed_only_unset)
    if models is not None:
        adapter.set_sub_models(model, subs, models)
    targets: dict[str, np.ndarray] | None = None
    losses: dict[str, np.ndarray] | None = None
    if not adapter.reports_own_nuisances(model):  # e.g. a container's sub-models: DoubleML's own, and their losses
        targets, losses = adapter.nuisance_targets_and_losses(model, subs[0].data, specs[""], thetas.get("", {}))
        if not store_predictions:
            adapter.forget_predictions(model)
    clock.mark()

    frame = backend.metrics_frame(metrics)
    report = FitReport(
        backend=backend_label,
        scaling=scaling,
        n_tasks=len(metrics),
        seconds=clock.phases(0),
        task_seconds=float(frame["total_s"].sum()) if "total_s" in frame else float("nan"),
        extra=backend.summary_lines(frame),
        cpu_seconds=clock.phases(1),
        **resumed.report_fields(),
    )
    if verbose if verbose is not None else show is True:
        print(report, file=sys.stderr)
    return FitOutcome(report, frame, targets if store_predictions else None, losses)


def _initial_predictions(spec: FitSpec, given: adapter.Predictions | None) -> dict[str, dict[str, np.ndarray]]:
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
