"""DoubleML's ``tune_ml_models()`` (Optuna) with every trial's cross-validation folds as tasks.

DoubleML's ``tune_ml_models()`` runs one Optuna study per (sub-model,) treatment and nuisance,
on the nuisance's sample (IRM's ``ml_g0`` on the untreated, ...), in this process: each trial
suggests parameters and is scored by ``cross_val_score`` over ``cv`` (an int is
``KFold(cv, shuffle=True, random_state=42)``); the best trial's parameters are set. Here:

1. the studies are DoubleML's, made by DoubleML's own helpers from ``optuna_settings`` (sampler,
   direction, ``study``, ``study_kwargs``, per-nuisance overrides), in DoubleML's order;
2. each trial is asked from its study (Optuna's ask/tell interface), its parameters drawn in
   this process by the ``ml_param_space`` function, and its ``cv`` folds fitted as tasks on the
   backend (scaling ``'n_folds * n_rep'``: one task per fold; ``'n_rep'``: one per trial); the
   trial's value is ``nanmean`` of the folds' scores, as ``cross_val_score`` computes them, told
   to the study, then the callbacks run;
3. studies that share a sampler or a study object (a seeded ``sampler`` in the global settings
   is one object for every study) run one after another in DoubleML's order, so a seeded
   sampler draws exactly DoubleML's trials; studies with samplers of their own run at the same
   time;
4. ``n_jobs_optuna = k`` asks ``k`` trials of a study before telling any: a batch evaluated at
   once. DoubleML runs ``k`` threads on one study, whose trials then depend on timing; a batch
   is reproducible with a seeded sampler, but a batch's trials see fewer completed trials than a
   sequential study's (TPE's first ``n_startup_trials`` random trials are the same), so a
   batched study may choose other parameters; ``n_jobs_optuna`` of 1 or None (the default) asks one trial at
   a time, as DoubleML's sequential study does.

PLR's and PLPR's IV-type ``ml_g`` is studied after ``ml_l`` and ``ml_m``: their best
parameters' ``cross_val_predict`` over ``cv`` (tasks too) give DoubleML's initial estimate
``theta_initial``, and ``ml_g`` is tuned on ``y - theta_initial d``.

What differs from DoubleML
--------------------------
* ``scoring_methods`` are scikit-learn scorer names, scored from the predictions the workers
  return (a callable scorer would need the fitted learner in this process).
* A result's ``best_estimator`` is the learner with the best parameters, unfitted, also for a
  nuisance without a parameter space (DoubleML fits that one on the whole sample in-process).
* ``catch`` matches a failed task's exception by its class name (a worker's exception is
  reported by name); the failed trial is told ``FAIL`` and the others go on.
* ``gc_after_trial`` and ``show_progress_bar`` have no effect: nothing is fitted in this
  process, and the tasks have the package's progress bar.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.model_selection import check_cv

from ..core.fitting import Round, collect, finish_report, initial_predictions
from ..core.progress import progress_bar
from ..core.report import Clock
from ..core.run import RunContext
from ..core.staging import staged_fit
from ..core.tasks import FitSpec, Nuisance, plan_tasks
from ..errors import ConfigurationError, InvalidInputError, TaskError
from ..worker.learner_parameters import check_parameters
from .grid import TuneOutcome, _score_method, one_fit

__all__ = ["OPTIMIZE_KEYS", "run_tune_ml_models"]

#: The keys of ``optimize_kwargs`` (and of the settings) a study's run reads.
OPTIMIZE_KEYS = frozenset(
    {"n_trials", "timeout", "callbacks", "catch", "show_progress_bar", "gc_after_trial", "n_jobs"}
)


def _optuna() -> Any:
    import optuna  # noqa: PLC0415  (Optuna is imported by DoubleML's tuning module only when tuning)

    return optuna


@dataclass(frozen=True)
class _Unit:
    """One DoubleML model whose ``_nuisance_tuning_optuna`` runs: the model, or a container's sub-model."""

    model: Any
    data: Any
    label: str


def _units(adapter: Any, model: Any, data: Any) -> list[_Unit]:
    return [_Unit(sub.model, sub.data, sub.label) for sub in adapter.sub_fits(model, data)]


def _fixed_splits(cv: Any) -> bool:
    """Whether ``cv`` splits the same way every time it is called (no draw from a generator)."""
    if isinstance(cv, list):
        return True
    if not getattr(cv, "shuffle", False) and not hasattr(cv, "random_state"):
        return True
    if getattr(cv, "shuffle", True) is False:
        return True
    return isinstance(getattr(cv, "random_state", None), (int, np.integer))


@dataclass
class _Trial:
    """One asked trial: its Optuna handle, parameters and task group."""

    trial: Any
    params: dict[str, Any]
    group: str
    splits: list[tuple[np.ndarray, np.ndarray]]


@dataclass
class _Study:
    """One of DoubleML's ``_dml_tune_optuna`` calls: a nuisance's study and how its trials run."""

    unit: _Unit
    treatment: str
    nuisance: Nuisance
    params_name: str
    rows: np.ndarray
    space: Callable[[Any], Any] | None
    scoring: Any
    score: Callable[[np.ndarray, np.ndarray], float]
    settings: dict[str, Any]
    study: Any = None
    second_round: bool = False
    theta: float | None = None
    n_trials: int | None = None
    timeout: float | None = None
    callbacks: tuple[Callable[..., Any], ...] = ()
    catch: tuple[type, ...] = ()
    batch: int = 1
    n_asked: int = 0
    started: datetime.datetime | None = None
    running: list[_Trial] = field(default_factory=list)
    done: bool = False
    result: Any = None

    @property
    def label(self) -> str:
        where = f"{self.unit.label}/" if self.unit.label else ""
        return f"optuna/{where}{self.treatment}/{self.params_name}"

    @property
    def learner(self) -> Any:
        return self.unit.model.learner[self.nuisance.learner]

    def describe(self) -> str:
        where = f"{self.unit.label!r}, " if self.unit.label else ""
        return f"{where}treatment {self.treatment!r}, {self.params_name}"


@dataclass
class _Refit:
    """PLR's IV-type step: the best ``ml_l`` and ``ml_m`` predicted over ``cv``, then ``theta_initial``."""

    unit: _Unit
    treatment: str
    first: list[_Study]
    then: _Study
    done: bool = False


def _check_optimize(settings: dict[str, Any], params_name: str) -> dict[str, Any]:
    """The study's ``optimize`` arguments as DoubleML builds them (``optimize_kwargs`` last)."""
    kwargs = {key: settings[key] for key in ("n_trials", "timeout", "callbacks", "catch",
                                              "show_progress_bar", "gc_after_trial")}  # fmt: skip
    kwargs["n_jobs"] = settings["n_jobs_optuna"]
    extra = settings.get("optimize_kwargs", {})
    unknown = sorted(set(extra) - OPTIMIZE_KEYS)
    if unknown:
        raise InvalidInputError(
            f"optuna_settings for {params_name!r}: optimize_kwargs {', '.join(unknown)} not known here "
            f"(known: {', '.join(sorted(OPTIMIZE_KEYS))})."
        )
    kwargs.update(extra)
    return kwargs


def _batch_size(n_jobs: Any) -> int:
    if n_jobs is None:
        return 1
    if not isinstance(n_jobs, int) or isinstance(n_jobs, bool) or n_jobs == 0 or n_jobs < -1:
        raise InvalidInputError(f"n_jobs_optuna must be a positive int, -1 or None. Got {n_jobs!r}.")
    return (os.cpu_count() or 1) if n_jobs == -1 else n_jobs


def _studies(adapter: Any, model: Any, data: Any, per_unit: list[dict[str, Any]], optuna_settings: Any) -> list[Any]:
    """Every study (and IV-type refit step) in DoubleML's order, made as DoubleML makes them."""
    dml = adapter.optuna_helpers()
    steps: list[Any] = []
    for unit, resolved in zip(_units(adapter, model, data), per_unit):
        if adapter.is_iv_type_pliv(unit.model):
            raise ConfigurationError(
                "DoubleML's own tune_ml_models() cannot tune PLIV's IV-type score (its cross_val_predict of ml_r "
                "is called without a target: \"ElasticNet.fit() missing 1 required positional argument: 'y'\"); "
                "a backend tuning follows DoubleML and has no result to match. Tune the partialling-out score, "
                "or use tune_local()'s grid search."
            )
        spaces, scoring = resolved["spaces"], resolved["scoring"] or {}
        for search in adapter.tuning_searches(unit.model, unit.data, tune_on_folds=False):
            nu = search.nuisance
            learner = unit.model.learner[nu.learner]
            name = nu.name
            scoring_name, _ = dml.scoring_for(scoring.get(name), learner, name)
            method, score = _score_method(scoring_name, learner, name)
            if len(search.train) == 0:
                raise InvalidInputError(f"Empty target passed to Optuna tuner for learner '{name}'.")
            settings = dml.settings_for(optuna_settings, name)
            study = _Study(
                unit, search.treatment, replace(nu, method=method), name, search.train, spaces.get(name),
                scoring_name, score, settings, second_round=nu.second_round,
            )  # fmt: skip
            if study.space is not None:
                if not callable(study.space):
                    raise TypeError(
                        "param_grid must be a callable function that takes a trial and returns a dict. "
                        f"Got {type(study.space).__name__} for learner '{name}'."
                    )
                kwargs = _check_optimize(settings, name)
                study.n_trials, study.timeout = kwargs["n_trials"], kwargs["timeout"]
                study.callbacks = tuple(kwargs["callbacks"] or ())
                catch = kwargs["catch"] or ()
                study.catch = tuple(catch) if isinstance(catch, Iterable) else (catch,)
                study.batch = _batch_size(kwargs["n_jobs"])
            if nu.second_round:
                first = [
                    s for s in steps if isinstance(s, _Study) and s.unit is unit and s.treatment == search.treatment
                ]
                steps.append(_Refit(unit, search.treatment, first, study))
            steps.append(study)
    return steps


def _create(study: _Study, dml: Any) -> None:
    """The Optuna study, made by DoubleML's helper (``dml``) when the study starts (as DoubleML makes it)."""
    verbosity = study.settings.get("verbosity")
    if verbosity is not None:
        _optuna().logging.set_verbosity(verbosity)
    study.study = dml.create_study(study.settings, study.params_name)
    study.study._stop_flag = False
    study.started = datetime.datetime.now()


def _lane_key(step: Any, fixed: bool) -> Any:
    """Steps sharing a key run one after another: the same sampler or study object, or any draws of ``cv``."""
    if not fixed:
        return "splits"
    study = step.then if isinstance(step, _Refit) else step
    if study.settings.get("study") is not None:
        return ("study", id(study.settings["study"]))
    if study.settings.get("sampler") is not None:
        return ("sampler", id(study.settings["sampler"]))
    return ("own", id(study))


class _Runner:
    """Runs the studies' trials as rounds of tasks; stages each dataset once and each splits bundle once."""

    def __init__(self, ctx: RunContext, cv: Any, units: list[_Unit]):
        self.ctx, self.adapter, self.cv = ctx, ctx.adapter, cv
        self.done: list[Round] = []
        self.written: set[str] = set()
        self.datasets: dict[int, str] = {}
        self.derived: dict[int, dict[str, Any]] = {}
        for unit in units:
            self.derived.setdefault(id(unit.data), {}).update(self.adapter.derived_columns(unit.model, unit.data))

    def splits(self, study: _Study, target: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """``cv``'s splits of the study's sample, as ``cross_val_score`` draws them, in the unit's rows."""
        x_rows = study.rows
        y = target if target is not None else self.target(study)[x_rows]
        splitter = check_cv(self.cv, y, classifier=is_classifier(study.learner))
        return [(x_rows[tr], x_rows[te]) for tr, te in splitter.split(np.zeros((len(x_rows), 1)), y)]

    def target(self, study: _Study) -> np.ndarray:
        unit = study.unit
        derived = self.adapter.derived_columns(unit.model, unit.data)
        y = self.adapter.derived_values(unit.data, derived, study.nuisance.target)
        if study.second_round:
            y = y - study.theta * self.adapter.derived_values(unit.data, derived, study.treatment)
        return np.asarray(y, dtype=np.float64)

    def run(self, specs: dict[str, tuple[_Unit, FitSpec, float | None]], bar: Any) -> dict[str, Any]:
        """One round of tasks; the predictions by group. A failed task raises its TaskError."""
        ctx, tasks = self.ctx, []
        for unit, spec, theta in specs.values():
            if id(unit.data) not in self.datasets:
                self.datasets[id(unit.data)] = self.adapter.stage_data(
                    unit.data, ctx.store, self.derived[id(unit.data)]
                )
            staged = staged_fit(spec, ctx.store, self.datasets[id(unit.data)], False, self.written)
            thetas = {(t, 0): theta for t in spec.nuisances} if theta is not None else None
            tasks += plan_tasks(
                spec, staged, ctx.scaling, None, second_round=theta is not None, thetas=thetas,
                keep_results=ctx.resume,
            )  # fmt: skip
        predictions = {group: initial_predictions(spec, None) for group, (_, spec, _) in specs.items()}
        fit_specs = {group: spec for group, (_, spec, _) in specs.items()}
        done = collect(ctx.backend, tasks, fit_specs, bar, ctx.store if ctx.resume else None)
        done.place(tasks, fit_specs, predictions)
        self.done.append(done)
        return predictions


def _trial_spec(adapter: Any, study: _Study, params: dict[str, Any], splits: list, group: str) -> FitSpec:
    unit = study.unit
    spec = one_fit(adapter, unit.model, unit.data, study.treatment, study.nuisance, splits, params, group)
    tests = np.concatenate([te for _, te in splits])
    return replace(spec, folds_overlap=len(np.unique(tests)) < len(tests))


def _fold_values(predictions: dict[str, Any], study: _Study, spec_overlap: bool, j: int) -> np.ndarray:
    values = predictions[study.treatment][study.nuisance.name]
    return values[:, 0, j] if spec_overlap else values[:, 0]


class _Scheduler:
    """Asks, evaluates and tells the studies' trials in rounds, lane by lane."""

    def __init__(self, steps: list[Any], runner: _Runner, fixed: bool) -> None:
        self.steps, self.runner, self.fixed = steps, runner, fixed
        self.lanes: dict[Any, list[Any]] = {}
        for step in steps:
            self.lanes.setdefault(_lane_key(step, fixed), []).append(step)
        self.fixed_splits: dict[int, list] = {}
        self.serial = 0

    def run(self, bar: Any) -> None:
        while True:
            heads = [head for lane in self.lanes.values() if (head := self._head(lane)) is not None]
            if not heads:
                return
            specs: dict[str, tuple[_Unit, FitSpec, float | None]] = {}
            refits: list[tuple[_Refit, dict[str, str]]] = []
            for head in heads:
                if isinstance(head, _Refit):
                    if all(s.done for s in head.first):
                        refits.append((head, self._refit_specs(head, specs)))
                else:
                    self._ask(head, specs)
            if not specs and not refits and not any(head.done for head in heads):
                # cannot happen: a step waits only on earlier steps (see _lane_key)
                raise RuntimeError("Optuna studies wait on each other: no trial can run.")
            predictions = self._evaluate(specs, heads, bar)
            for refit, groups in refits:
                self._theta(refit, groups, predictions)
            for head in heads:
                if isinstance(head, _Study) and head.running:
                    self._tell(head, predictions)

    def _head(self, lane: list[Any]) -> Any:
        while lane and lane[0].done:
            lane.pop(0)
        if not lane:
            return None
        head = lane[0]
        if isinstance(head, _Study) and not head.done and head.space is None:
            self._untuned(head)
            return self._head(lane)
        if isinstance(head, _Study) and head.second_round and head.theta is None:
            return None  # its refit is in another lane and not done yet
        return head

    def _untuned(self, study: _Study) -> None:
        dml = self.runner.adapter.optuna_helpers()
        learner = study.learner
        study.result = dml.result(
            learner_name=study.nuisance.learner, params_name=study.params_name, best_estimator=clone(learner),
            best_params=learner.get_params(deep=True), best_score=np.nan, scoring_method=study.scoring,
            study=None, tuned=False,
        )  # fmt: skip
        study.done = True

    def _ask(self, study: _Study, specs: dict[str, tuple[_Unit, FitSpec, float | None]]) -> None:
        if study.study is None:
            _create(study, self.runner.adapter.optuna_helpers())
        optuna_study = study.study
        for _ in range(study.batch):
            if optuna_study._stop_flag or (study.n_trials is not None and study.n_asked >= study.n_trials):
                break
            elapsed = (datetime.datetime.now() - study.started).total_seconds()  # type: ignore[operator]
            if study.timeout is not None and elapsed >= study.timeout:
                break
            trial = optuna_study.ask()
            study.n_asked += 1
            try:
                params = study.space(trial)  # type: ignore[misc]
                if not isinstance(params, dict):
                    raise TypeError(
                        f"param function must return a dict. Got {type(params).__name__}. "
                        "Example: def params(trial): return {'learning_rate': trial.suggest_float('learning_rate', "
                        "0.01, 0.1)}"
                    )
                check_parameters(study.learner, params, f"{study.label}, trial {trial.number}")
                clone(study.learner).set_params(**params)
            except Exception as exc:
                self._fail(study, trial, exc)
                continue
            splits = self._splits(study)
            self.serial += 1
            group = f"{study.label}/t{trial.number}/{self.serial}"
            study.running.append(_Trial(trial, dict(params), group, splits))
            specs[group] = (study.unit, _trial_spec(self.runner.adapter, study, params, splits, group), study.theta)
        if not study.running:
            self._finish(study)

    def _splits(self, study: _Study) -> list:
        if not self.fixed:
            return self.runner.splits(study)
        if id(study) not in self.fixed_splits:
            self.fixed_splits[id(study)] = self.runner.splits(study)
        return self.fixed_splits[id(study)]

    def _fail(self, study: _Study, trial: Any, exc: BaseException) -> None:
        """Tell the trial FAIL; as Optuna, go on for an exception in ``catch``, else raise it (the rest told FAIL)."""
        optuna = _optuna()
        study.study.tell(trial, state=optuna.trial.TrialState.FAIL)
        if not _caught(exc, study.catch):
            for other in list(study.running):
                study.study.tell(other.trial, state=optuna.trial.TrialState.FAIL)
            study.running.clear()
            raise exc
        self._callbacks(study, trial)

    def _evaluate(self, specs: dict[str, Any], heads: list[Any], bar: Any) -> dict[str, Any]:
        """The round's tasks; a failed trial's task is its trial's failure (others resume from the store)."""
        while True:
            try:
                return self.runner.run(specs, bar)
            except TaskError as exc:
                failed = str((exc.task or {}).get("group"))
                owner = next((s for s in heads if isinstance(s, _Study) for t in s.running if t.group == failed), None)
                if owner is None:
                    raise
                trial = next(t for t in owner.running if t.group == failed)
                owner.running.remove(trial)
                specs.pop(failed)
                folds = (exc.task or {}).get("folds")
                message = (
                    f"Optuna trial {trial.trial.number} of {owner.describe()} (parameters {trial.params}) failed "
                    f"in cv fold(s) {folds}: {exc}"
                )
                error = TaskError(message, task=exc.task, error_type=exc.error_type, error_message=exc.error_message)
                self._fail(owner, trial.trial, _named(exc, error))
                if not specs:
                    return {}

    def _tell(self, study: _Study, predictions: dict[str, Any]) -> None:
        y = self.runner.target(study)
        for trial in study.running:
            spec_overlap = predictions[trial.group][study.treatment][study.nuisance.name].ndim == 3
            scores = [
                study.score(y[test], _fold_values(predictions[trial.group], study, spec_overlap, j)[test])
                for j, (_, test) in enumerate(trial.splits)
            ]
            study.study.tell(trial.trial, float(np.nanmean(scores)))
            self._callbacks(study, trial.trial)
        study.running.clear()
        if (study.n_trials is not None and study.n_asked >= study.n_trials) or study.study._stop_flag:
            self._finish(study)

    def _callbacks(self, study: _Study, trial: Any) -> None:
        if not study.callbacks:
            return
        import copy  # noqa: PLC0415

        frozen = study.study._storage.get_trial(trial._trial_id)
        study.study._thread_local.in_optimize_loop = True  # lets a callback call study.stop(), as in optimize()
        try:
            for callback in study.callbacks:
                callback(study.study, copy.deepcopy(frozen))
        finally:
            study.study._thread_local.in_optimize_loop = False

    def _finish(self, study: _Study) -> None:
        optuna, dml = _optuna(), self.runner.adapter.optuna_helpers()
        trials = study.study.trials
        if not trials or all(t.state != optuna.trial.TrialState.COMPLETE for t in trials):
            raise RuntimeError("Optuna optimization failed to produce any complete trials.")
        best = dict(study.study.best_trial.params)
        study.result = dml.result(
            learner_name=study.nuisance.learner, params_name=study.params_name,
            best_estimator=clone(study.learner).set_params(**best), best_params=best,
            best_score=study.study.best_value, scoring_method=study.scoring, study=study.study, tuned=True,
        )  # fmt: skip
        study.done = True

    def _refit_specs(self, refit: _Refit, specs: dict[str, Any]) -> dict[str, str]:
        """``cross_val_predict`` of each first-round study's best learner over ``cv``, as tasks."""
        groups = {}
        for s in refit.first:
            splits = self.runner.splits(s)
            tests = np.sort(np.concatenate([te for _, te in splits]))
            if not np.array_equal(tests, s.rows):
                raise ValueError("cross_val_predict only works for partitions")
            nu = replace(s.nuisance, method="predict")
            params = s.result.best_params if s.result.tuned else {}
            self.serial += 1
            group = f"{s.label}/cross_val_predict/{self.serial}"
            spec = one_fit(self.runner.adapter, s.unit.model, s.unit.data, s.treatment, nu, splits, params, group)
            specs[group] = (s.unit, spec, None)
            groups[s.params_name] = group
        return groups

    def _theta(self, refit: _Refit, groups: dict[str, str], predictions: dict[str, Any]) -> None:
        preds = {name: predictions[g][refit.treatment][name][:, 0] for name, g in groups.items()}
        adapter = self.runner.adapter
        refit.then.theta = adapter.theta_initial(refit.unit.model, refit.unit.data, refit.treatment, preds)
        refit.done = True


def _caught(exc: BaseException, catch: tuple[type, ...]) -> bool:
    """Whether Optuna's ``catch`` covers ``exc``; a worker's exception, known by name, by the caught classes' names.

    The name matches a caught class or any subclass of it loaded here (scikit-learn's
    ``InvalidParameterError`` is caught by ``ValueError``).
    """
    if isinstance(exc, catch):
        return True
    remote = getattr(exc, "error_type", None)
    return bool(remote) and any(remote in _class_names(c) for c in catch)


def _class_names(cls: type) -> set[str]:
    names, todo = set(), [cls]
    while todo:
        c = todo.pop()
        if c.__name__ not in names:
            names.add(c.__name__)
            todo.extend(c.__subclasses__())
    return names


def _named(cause: TaskError, error: TaskError) -> TaskError:
    error.__cause__ = cause
    return error


def run_tune_ml_models(
    ctx: RunContext, *, per_unit: list[dict[str, Any]], cv: Any, optuna_settings: Any, set_as_params: bool
) -> TuneOutcome:
    """Run ``ctx.model``'s Optuna studies through ``ctx.backend`` as DoubleML's ``tune_ml_models()`` would.

    ``per_unit`` and ``cv`` are what the DoubleML door's ``check_tune_ml_models_args`` made of the
    arguments.

    Returns
    -------
    TuneOutcome
        ``tuning_res`` in DoubleML's layout: per treatment ``{params_name: DMLOptunaResult or
        None}``; for APOS one such dict per treatment level (each level's first treatment).
    """
    clock, adapter = Clock(), ctx.adapter
    steps = _studies(adapter, ctx.model, ctx.data, per_unit, optuna_settings)
    studies = [s for s in steps if isinstance(s, _Study)]
    units = list(dict.fromkeys(s.unit for s in studies))
    runner = _Runner(ctx, cv, units)
    fixed = _fixed_splits(cv)
    n_folds = _n_splits(cv) if fixed else None
    per_trial = (n_folds or 0) if ctx.scaling == "n_folds * n_rep" else 1
    known = all(s.n_trials is not None or s.space is None for s in studies)
    total = (
        sum((s.n_trials or 0) * per_trial for s in studies) + sum(2 * per_trial for s in steps if isinstance(s, _Refit))
        if known and n_folds
        else None
    )
    with progress_bar(total, ctx.show, ctx.backend.name) as bar:
        clock.mark()
        _Scheduler(steps, runner, fixed).run(bar)
    clock.mark()
    results = [(s.unit.model, s.treatment, s.params_name, s.result) for s in studies]
    tuning_res = adapter.optuna_tuning_res(ctx.model, results)
    if set_as_params:
        adapter.set_optuna_params(ctx.model, tuning_res)
    clock.mark()
    n_trials = sum(len(s.study.trials) for s in studies if s.study is not None)
    extra = (f"{len(studies)} Optuna studies, {n_trials} trials",)
    report, frame = finish_report(ctx, clock, runner.done, activity="Tuning", extra=extra)
    return TuneOutcome(tuning_res, report, frame)


def _n_splits(cv: Any) -> int | None:
    if isinstance(cv, list):
        return len(cv)
    try:
        return int(cv.get_n_splits())
    except (TypeError, ValueError, AttributeError):  # splitters that need the data to count
        return None
