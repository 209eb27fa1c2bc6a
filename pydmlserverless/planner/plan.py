"""Plan a Lambda fit before paying for it: probe a few of its tasks, predict time and cost, recommend.

:func:`plan_aws_lambda` (the models' ``plan_aws_lambda()``) runs ``probe_tasks`` of the fit's own
tasks (scaling ``'n_folds * n_rep'``, one fold each, taken in turn from every nuisance of the first
repetitions) and turns what they measured into a :class:`~pydmlserverless.planner.model.TaskProfile`:

- ``probe='lambda'``: on the function, at each memory size of the grid, as AWS Lambda Power Tuning
  does: the function's ``MemorySize`` is set with ``UpdateFunctionConfiguration`` (then put back).
  Where it cannot be changed (no permission; the emulator), the probe runs at the function's
  memory and the other sizes are scaled by the CPU model (the table's ``probed`` column says which).
  The probe runs its tasks in two waves of ``ceil(probe_tasks / 2)``: the first starts new
  execution environments (cold starts: the init and first data load are measured), the second
  reuses them (warm task times).
- ``probe='local'``: on the local process pool; a local core is taken as one Lambda vCPU at
  1,769 MB (``local_core_mb``), so the fold times are scaled by the CPU model to every memory
  size; the init duration of a Lambda cold start is not measured locally (``init_s``, default 1 s).

:func:`~pydmlserverless.planner.model.predict` then gives every (memory, scaling) of the grid its
wall time, billed GB-s, USD and whether its longest task fits the function's timeout with margin.
The result is a :class:`LambdaPlan` (a pandas DataFrame, one row per configuration, plus a local
comparison row), which recommends a configuration as Power Tuning does (``'cost'``, ``'speed'``
or ``'balanced'``) and draws the cost-time frontier (:meth:`LambdaPlan.plot`, matplotlib: the
``plot`` extra). The probe's own invocations, seconds, GB-s and USD are in ``plan.probe``.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ..backends.aws_lambda.config import AWSLambda
from ..backends.aws_lambda.cost import DEFAULT_PRICES, LambdaPrices
from ..backends.local import Local
from ..core.staging import stage_fits
from ..core.tasks import SCALINGS, check_scaling, fold_groups, plan_tasks
from ..errors import ConfigurationError
from ..worker.protocol import Task
from ..worker.store import Store
from .model import LAMBDA_CPU, LAMBDA_VCPU_MB, TIMEOUT_MARGIN, CpuModel, Prediction, TaskProfile, predict

__all__ = ["LambdaPlan", "PlanOptions", "PlanTarget", "STRATEGIES", "choose_scaling", "plan_aws_lambda", "plan_local"]

#: Power Tuning's strategies.
STRATEGIES = ("cost", "speed", "balanced")
_DEFAULT_MEMORY = (512, 1024, 1769, 3008)


@dataclass(frozen=True)
class PlanTarget:
    """The fit a plan is for: the model, the DoubleML door that reads it, its data and store, its settings.

    Attributes
    ----------
    model : DoubleML model
        A pydmlserverless model, its splits drawn.
    adapter : module
        :mod:`pydmlserverless.doubleml.adapter`.
    data : doubleml.DoubleMLData
        The model's data (a ``DoubleMLDataS3`` for a probe on Lambda).
    store : Store
        Where the probe stages the data and splits.
    settings : dict
        The model's ``lambda_function_name`` and ``aws_region``.
    last_plan : LambdaPlan or None
        The model's last plan, which ``scaling='auto'`` reuses when it was made for this fit.
    fit_report : FitReport or None
        The model's last backend fit (its estimation time is added to the predictions).
    """

    model: Any
    adapter: Any
    data: Any
    store: Store
    settings: dict[str, Any]
    last_plan: Any = None
    fit_report: Any = None


@dataclass(frozen=True)
class PlanOptions:
    """How :func:`plan_aws_lambda` probes and what it predicts for, besides the function's settings.

    Parameters
    ----------
    memory_mb : int or tuple of int, default (512, 1024, 1769, 3008)
        The memory sizes of the grid.
    scaling : str or tuple of str, default ('n_rep', 'n_folds * n_rep')
        The scalings of the grid.
    probe_tasks : int, default 4
        Tasks run per memory size (two waves: cold, then warm).
    probe : {'lambda', 'local'}
        Where the probe runs: on the function, or on the local pool (a local core taken as one vCPU).
    strategy : {'cost', 'speed', 'balanced'}
        AWS Lambda Power Tuning's strategy for the recommendation (and ``scaling='auto'``).
    seed : int, optional
        The probe tasks' seed (as a fit's).
    configure_memory : callable, bool or None
        ``f(memory_mb)`` that sets the function's memory; None uses UpdateFunctionConfiguration;
        False never changes it (the probe runs at the function's memory, the rest is scaled).
    cpu : CpuModel
        The CPU share by memory (:mod:`pydmlserverless.planner.model`).
    init_billed : bool, optional
        Whether a cold start's init is billed (None: what the probe's REPORT lines say).
    init_s : float, optional
        A cold start's init seconds for ``probe='local'`` (default 1 s).
    local_core_mb : float, default 1769
        The Lambda memory a local core is taken for (``probe='local'``).
    compare_local : bool or int, default True
        Add the same work on the local pool (an int: its ``n_jobs``).
    verbose : bool, default True
        Print the plan.
    """

    memory_mb: int | tuple[int, ...] = (512, 1024, 1769, 3008)
    scaling: str | tuple[str, ...] = ("n_rep", "n_folds * n_rep")
    probe_tasks: int = 4
    probe: str = "lambda"
    strategy: str = "balanced"
    seed: int | None = None
    configure_memory: Callable[[int], None] | bool | None = None
    cpu: CpuModel = LAMBDA_CPU
    init_billed: bool | None = None
    init_s: float | None = None
    local_core_mb: float = LAMBDA_VCPU_MB
    compare_local: bool | int = True
    verbose: bool = True

    def __post_init__(self) -> None:
        _check_grid(self.memory_mb, self.scaling, self.probe_tasks, self.strategy)
        if self.probe not in ("lambda", "local"):
            raise ConfigurationError(f"probe must be 'lambda' or 'local'; got {self.probe!r}.")


@dataclass
class PlanContext:
    """What a plan needs to predict further configurations."""

    profile: TaskProfile | None
    shapes: dict[str, list[list[tuple[str, int]]]]
    concurrency: int
    timeout_s: float
    architecture: str
    prices: LambdaPrices
    cpu: CpuModel
    init_billed: bool
    margin: float
    function_memory_mb: float | None
    fingerprint: tuple
    local_profile: TaskProfile | None = None
    local_n_jobs: int | None = None
    local_startup_s: float = 0.0
    client_s: dict[str, float] = field(default_factory=dict)


class LambdaPlan(pd.DataFrame):
    """The planner's table: one row per (backend, memory, scaling), with ``probe``, ``notes`` and the model.

    Columns: ``backend`` (``'aws_lambda'`` or ``'local'``), ``memory_mb``, ``scaling``,
    ``n_tasks``, ``task_s`` (mean predicted task duration), ``max_task_s``, ``wall_s``
    (the whole fit: staging, tasks, estimation), ``tasks_wall_s``, ``gb_s`` (billed GB-seconds),
    ``usd``, ``cold_starts``, ``fits_timeout`` (the longest task within 80 % of the timeout) and
    ``probed`` (measured at this memory, or scaled from another by the CPU model).
    """

    _metadata = ["probe", "notes", "strategy", "context"]
    probe: dict[str, Any]
    notes: list[str]
    strategy: str
    context: PlanContext

    @property
    def _constructor(self) -> Any:  # slices and copies are plain frames
        return pd.DataFrame

    def candidates(self) -> pd.DataFrame:
        """The Lambda rows whose tasks fit the timeout."""
        frame = pd.DataFrame(self)
        return frame[(frame["backend"] == "aws_lambda") & frame["fits_timeout"]]

    def recommend(self, strategy: str | None = None, weight: float = 0.5) -> pd.Series:
        """The recommended Lambda configuration (a row) by Power Tuning's ``strategy``.

        ``'cost'``: the least USD; ``'speed'``: the least wall time; ``'balanced'``: the least
        ``weight x usd / max(usd) + (1 - weight) x wall / max(wall)``. Ties go to the earlier row.
        Only configurations whose tasks fit the timeout count.

        Raises
        ------
        ConfigurationError
            When no configuration fits the function's timeout.
        """
        strategy = strategy or getattr(self, "strategy", None) or "balanced"
        if strategy not in STRATEGIES:
            raise ConfigurationError(f"strategy must be one of {', '.join(map(repr, STRATEGIES))}; got {strategy!r}.")
        frame = self.candidates()
        if frame.empty:
            raise ConfigurationError(
                "No configuration of the plan fits the function's timeout: use a lighter learner, more "
                f"memory or scaling='n_folds * n_rep' (longest predicted task {self['max_task_s'].min():.1f} s)."
            )
        if strategy == "cost":
            score = frame["usd"]
        elif strategy == "speed":
            score = frame["wall_s"]
        else:
            score = weight * frame["usd"] / frame["usd"].max() + (1 - weight) * frame["wall_s"] / frame["wall_s"].max()
        return frame.iloc[int(np.argmin(score.to_numpy(dtype=float)))]

    def predict(self, memory_mb: float, scaling: str) -> Prediction:
        """The model's prediction for any memory size and scaling (also outside the grid)."""
        ctx: PlanContext = self.context
        if ctx.profile is None:
            raise ConfigurationError("This plan has no Lambda profile.")
        return _predict_rounds(ctx, ctx.profile, memory_mb, check_scaling(scaling), ctx.concurrency, True)

    def summary(self) -> str:
        """The table, the recommendations and the probe's cost, as printed by ``plan_aws_lambda``."""
        shown = pd.DataFrame(self).copy()
        for column, digits in (("task_s", 2), ("max_task_s", 2), ("wall_s", 1), ("tasks_wall_s", 1), ("gb_s", 1)):
            shown[column] = shown[column].round(digits)
        shown["usd"] = shown["usd"].map(lambda v: f"{v:.4f}" if v == v else "–")
        lines = ["Lambda plan (predicted):", shown.to_string(index=False)]
        try:
            for strategy in STRATEGIES:
                row = self.recommend(strategy)
                lines.append(
                    f"  {strategy:>8}: {int(row['memory_mb'])} MB, scaling '{row['scaling']}' — "
                    f"{row['wall_s']:.1f} s, {row['gb_s']:.1f} GB-s, ${row['usd']:.4f}"
                )
        except ConfigurationError as exc:
            lines.append(f"  {exc}")
        probe = self.probe
        lines.append(
            f"  probe: {probe['tasks']} tasks x {probe['memory_sizes']} memory size(s) on {probe['where']}, "
            f"{probe['invocations']} invocations, {probe['wall_s']:.1f} s, {probe['gb_s']:.2f} GB-s, "
            f"${probe['usd']:.5f}"
        )
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)

    def plot(self, ax: Any = None, annotate: bool = True) -> Any:  # type: ignore[override]
        """Draw the cost-time frontier: USD against wall time, one point per configuration.

        The Pareto-optimal Lambda configurations (none both cheaper and faster) are joined by a
        line; configurations that do not fit the timeout are crossed; the local row is a square
        at no cost. Needs matplotlib (``pip install 'pydmlserverless[plot]'``). Returns the axes.
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            raise ImportError(
                "LambdaPlan.plot() needs matplotlib: pip install 'pydmlserverless[plot]' (or matplotlib)."
            ) from None
        frame = pd.DataFrame(self)
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        lam = frame[frame["backend"] == "aws_lambda"]
        for scaling, marker in zip(SCALINGS, ("o", "^")):
            part = lam[lam["scaling"] == scaling]
            ok, bad = part[part["fits_timeout"]], part[~part["fits_timeout"]]
            ax.scatter(ok["wall_s"], ok["usd"], marker=marker, label=f"Lambda, '{scaling}'")
            if len(bad):
                ax.scatter(bad["wall_s"], bad["usd"], marker="x", color="grey")
            if annotate:
                for _, row in part.iterrows():
                    ax.annotate(f"{int(row['memory_mb'])}", (row["wall_s"], row["usd"]), fontsize=7)
        front = pareto_front(lam[lam["fits_timeout"]])
        if len(front):
            ax.plot(front["wall_s"], front["usd"], color="black", linewidth=0.8, label="frontier")
        local = frame[frame["backend"] == "local"]
        if len(local):
            ax.scatter(local["wall_s"], [0.0] * len(local), marker="s", color="red", label=local["probed"].iloc[0])
        ax.set_xlabel("predicted wall time of the fit (s)")
        ax.set_ylabel("predicted cost (USD)")
        ax.set_title("Cost-time frontier (labels: memory MB)")
        ax.legend(fontsize=7)
        return ax

    def __str__(self) -> str:
        return self.summary()


def pareto_front(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows no other row beats on both ``wall_s`` and ``usd``, by wall time.

    Examples
    --------
    >>> f = pd.DataFrame({"wall_s": [1.0, 2.0, 3.0], "usd": [3.0, 1.0, 2.0]})
    >>> pareto_front(f).index.tolist()
    [0, 1]
    """
    ordered = frame.sort_values(["wall_s", "usd"], kind="stable")
    keep, best = [], math.inf
    for idx, row in ordered.iterrows():
        if row["usd"] < best:
            keep.append(idx)
            best = row["usd"]
    return ordered.loc[keep]


# -- the fit's tasks ------------------------------------------------------------------------------


def task_shapes(target: PlanTarget, scaling: str) -> list[list[tuple[str, int]]]:
    """The fit's tasks as (nuisance, folds) per round, in plan order, without staging anything."""
    rounds: list[list[tuple[str, int]]] = [[], []]
    for sub in target.adapter.sub_fits(target.model, target.data, None):
        spec = target.adapter.sub_fit_spec(sub)
        for r, second in enumerate((False, True)):
            if second and not spec.has_second_round:
                continue
            for _ in range(spec.n_rep):
                for _, nuisance in spec.fitted(second):
                    for group in fold_groups(scaling, spec.n_folds):
                        rounds[r].append((nuisance.name, len(group)))
    return [r for r in rounds if r]


def probe_tasks_of(target: PlanTarget, store: Store, n: int, seed: int | None) -> tuple[list[Task], float]:
    """``n`` of the fit's one-fold tasks, in turn from every nuisance, and the seconds staging took."""
    t0 = time.perf_counter()
    subs = target.adapter.sub_fits(target.model, target.data, None)
    specs = {sub.label: target.adapter.sub_fit_spec(sub) for sub in subs}
    staged = dict(zip(specs, stage_fits(target.adapter, [(specs[sub.label], sub.data) for sub in subs], store)))
    tasks = [
        task
        for label, spec in specs.items()
        for task in plan_tasks(spec, staged[label], "n_folds * n_rep", seed if seed is not None else 0,
                               seed_only_unset=seed is None, keep_results=False)
    ]  # fmt: skip
    stage_s = time.perf_counter() - t0
    by_kind: dict[tuple[str, str, str], list[Task]] = {}
    for task in tasks:
        by_kind.setdefault((task.group, task.treatment, task.nuisance), []).append(task)
    chosen: list[Task] = []
    queues = list(by_kind.values())
    i = 0
    while len(chosen) < min(n, len(tasks)):
        q = queues[i % len(queues)]
        k = i // len(queues)
        if k < len(q):
            chosen.append(q[k])
        i += 1
    return chosen, stage_s


def _fingerprint(model: Any, function_name: str | None) -> tuple:
    """What a plan was made for: the model's class, repetitions, folds, function and splits.

    A container (APOS, DIDMulti) has no splits of its own: its sub-models' stand for them.
    """
    splits = getattr(model, "smpls", None)
    if splits is None and getattr(model, "modellist", None) is not None:
        return (type(model).__name__, model.n_rep, model.n_folds, function_name,
                tuple(id(getattr(sub, "smpls", None)) for sub in model.modellist))  # fmt: skip
    return (type(model).__name__, model.n_rep, model.n_folds, function_name, id(splits))


# -- profiles from the probe's measurements -------------------------------------------------------


def _num(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)


def profile_from_rows(rows: pd.DataFrame, reference_mb: float, duration_col: str = "duration_ms") -> dict[str, Any]:
    """A :class:`TaskProfile`'s fields (and ``init_billed``) from the probe's invocation (or task) rows.

    Warm rows give each nuisance's fold compute (the worker's ``fit_s + predict_s``) and the fixed
    rest of a task (duration minus compute); cold rows (``cold_start`` or a dataset-cache miss)
    give the cold extra and the init duration; ``latency_s`` minus duration is the client's share.
    """
    rows = rows.reset_index(drop=True)
    compute = np.nan_to_num(_num(rows, "fit_s")) + np.nan_to_num(_num(rows, "predict_s"))
    if duration_col == "duration_ms":
        duration = _num(rows, "duration_ms") / 1000.0
    else:
        duration = _num(rows, duration_col)
    init = np.nan_to_num(_num(rows, "init_duration_ms") / 1000.0) if "init_duration_ms" in rows else np.zeros(len(rows))
    cold_flag = rows["cold_start"].astype(bool).to_numpy() if "cold_start" in rows else np.zeros(len(rows), bool)
    if "dataset_cache_hit" in rows:
        cold_flag = cold_flag | ~rows["dataset_cache_hit"].fillna(True).astype(bool).to_numpy()
    warm = ~cold_flag if (~cold_flag).any() else np.ones(len(rows), bool)
    fold_compute = {
        str(nu): float(np.mean(compute[(rows["learner"] == nu).to_numpy() & warm]))
        if ((rows["learner"] == nu).to_numpy() & warm).any()
        else float(np.mean(compute[(rows["learner"] == nu).to_numpy()]))
        for nu in rows["learner"].unique()
    }
    rest = duration - compute
    fixed = float(np.mean(rest[warm]))
    cold_extra = float(max(0.0, np.mean(rest[cold_flag]) - fixed)) if cold_flag.any() and (~cold_flag).any() else 0.0
    init_s = float(np.mean(init[cold_flag])) if cold_flag.any() else 0.0
    client = 0.0
    if "latency_s" in rows:
        client = max(0.0, float(np.nanmean(_num(rows, "latency_s") - duration - init)))
    init_billed = None
    if "billed_duration_ms" in rows and cold_flag.any() and init_s > 0:
        billed = _num(rows, "billed_duration_ms")[cold_flag] / 1000.0
        init_billed = bool(np.nanmean(billed - duration[cold_flag]) > 0.5 * init_s)
    return {
        "fold_compute_s": fold_compute,
        "fixed_s": max(0.0, fixed),
        "cold_extra_s": cold_extra,
        "init_s": init_s,
        "client_s": client,
        "reference_mb": float(reference_mb),
        "init_billed": init_billed,
    }


def _profile(fields: dict[str, Any], threads: int) -> TaskProfile:
    keep = {k: v for k, v in fields.items() if k != "init_billed"}
    return TaskProfile(threads=threads, **keep)


def _learner_threads(model: Any) -> int:
    """The most threads any learner asks for (``n_jobs``); 1 when none does."""
    threads = 1
    for learner in (getattr(model, "learner", None) or {}).values():
        params = learner.get_params() if hasattr(learner, "get_params") else {}
        n_jobs = params.get("n_jobs")
        if isinstance(n_jobs, int) and n_jobs != 1:
            threads = max(threads, n_jobs if n_jobs > 0 else 6)
    return threads


# -- prediction over the grid ---------------------------------------------------------------------


def _predict_rounds(
    ctx: PlanContext, profile: TaskProfile, memory_mb: float, scaling: str, concurrency: int, burst: bool
) -> Prediction:
    """One configuration over the fit's rounds (a second round reuses warm environments)."""
    parts = []
    for r, shape in enumerate(ctx.shapes[scaling]):
        prof = profile if r == 0 else replace(profile, cold_extra_s=0.0, init_s=0.0)
        parts.append(
            predict(prof, shape, memory_mb, scaling, concurrency, ctx.timeout_s, ctx.architecture, ctx.prices,
                    ctx.cpu, ctx.init_billed, ctx.margin, 1000 if burst else None)
        )  # fmt: skip
    n = sum(p.n_tasks for p in parts)
    longest = max(p.max_task_s for p in parts)
    return Prediction(
        memory_mb=memory_mb,
        scaling=scaling,
        n_tasks=n,
        task_s=sum(p.task_s * p.n_tasks for p in parts) / n,
        max_task_s=longest,
        tasks_wall_s=sum(p.tasks_wall_s for p in parts),
        billed_gb_s=sum(p.billed_gb_s for p in parts),
        usd=sum(p.usd for p in parts),
        cold_starts=sum(p.cold_starts for p in parts),
        fits_timeout=all(p.fits_timeout for p in parts),
    )


def _row(backend: str, p: Prediction, fixed_s: float, probed: str) -> dict[str, Any]:
    return {
        "backend": backend,
        "memory_mb": int(p.memory_mb) if backend == "aws_lambda" else None,
        "scaling": p.scaling,
        "n_tasks": p.n_tasks,
        "task_s": p.task_s,
        "max_task_s": p.max_task_s,
        "wall_s": p.tasks_wall_s + fixed_s,
        "tasks_wall_s": p.tasks_wall_s,
        "gb_s": p.billed_gb_s if backend == "aws_lambda" else math.nan,
        "usd": p.usd if backend == "aws_lambda" else math.nan,
        "cold_starts": p.cold_starts,
        "fits_timeout": bool(p.fits_timeout),
        "probed": probed,
    }


def _check_grid(memory_mb: Any, scaling: Any, probe_tasks: Any, strategy: Any) -> tuple[list[int], list[str]]:
    sizes = [memory_mb] if isinstance(memory_mb, (int, np.integer)) else list(memory_mb)
    bad = [m for m in sizes if not isinstance(m, (int, np.integer)) or isinstance(m, bool) or not 128 <= m <= 10240]
    if not sizes or bad:
        raise ConfigurationError(f"memory_mb must be integers from 128 to 10240 (MB); got {memory_mb!r}.")
    scalings = [scaling] if isinstance(scaling, str) else list(scaling)
    scalings = [check_scaling(s) for s in scalings]
    if not isinstance(probe_tasks, int) or isinstance(probe_tasks, bool) or probe_tasks < 1:
        raise ConfigurationError(f"probe_tasks must be a positive integer; got {probe_tasks!r}.")
    if strategy not in STRATEGIES:
        raise ConfigurationError(f"strategy must be one of {', '.join(map(repr, STRATEGIES))}; got {strategy!r}.")
    return [int(m) for m in sizes], scalings


def _estimate_seconds(target: PlanTarget) -> float:
    """DoubleML's estimation after the tasks, from the model's last backend fit (0 before one)."""
    report = target.fit_report
    return float(report.seconds.get("estimate", 0.0)) if report is not None else 0.0


def plan_aws_lambda(target: PlanTarget, spec: AWSLambda, options: PlanOptions) -> LambdaPlan:
    """Probe, predict and recommend; see the models' ``plan_aws_lambda()``.

    ``spec`` is the function and how a fit would invoke it (concurrency, timeout, architecture,
    prices, version check, client); ``options`` what to probe and predict.
    """
    # Long: the planner's steps in their order (check, probe each memory size, predict each scaling,
    # compare with a local pool) share the probe's measurements; each step is a function of its own.
    sizes, scalings = _check_grid(options.memory_mb, options.scaling, options.probe_tasks, options.strategy)
    model, probe_tasks, seed = target.model, options.probe_tasks, options.seed
    if options.probe == "lambda":  # a local probe needs no function
        spec = spec.resolved(target.settings)
    function_name = spec.function_name or target.settings.get("lambda_function_name")
    prices, architecture = spec.prices, spec.architecture
    notes: list[str] = []
    threads = _learner_threads(model)
    t_start = time.perf_counter()
    function_memory: float | None = None
    measured: dict[int, dict[str, Any]] = {}
    probe_info: dict[str, Any] = {"tasks": probe_tasks, "invocations": 0, "gb_s": 0.0, "usd": 0.0, "memory_sizes": 0}
    local_fields = None
    local_n_jobs = None
    local_startup = 0.0
    compare_local = options.compare_local
    local_jobs = compare_local if isinstance(compare_local, int) and not isinstance(compare_local, bool) else -1
    if options.probe == "lambda":
        tasks, stage_s = probe_tasks_of(target, target.store, probe_tasks, seed)
        measured, function_memory, arch, frames = _probe_lambda(target, spec, tasks, sizes, options, notes)
        architecture = architecture or arch
        all_rows = pd.concat(frames, ignore_index=True)
        ran = all_rows[all_rows["outcome"].isin(("ok", "function_error", "timeout"))]
        probe_info.update(
            invocations=len(ran),
            gb_s=float(np.nansum(_num(ran, "gb_seconds"))),
            usd=float(np.nansum(_num(ran, "cost_usd"))),
            memory_sizes=len(measured),
            where=f"Lambda {spec.function_name!r}",
        )
    else:
        architecture = architecture or "arm64"
        local_fields, local_n_jobs, local_startup, stage_s, n_inv = _probe_local(target, probe_tasks, seed, local_jobs)
        probe_info.update(memory_sizes=1, invocations=n_inv, where=f"the local pool ({local_n_jobs} processes)")
        lam = dict(local_fields)
        lam["reference_mb"] = float(options.local_core_mb)
        lam["init_s"] = float(options.init_s if options.init_s is not None else 1.0)
        lam["client_s"] = 0.05  # a Lambda Invoke's round trip in the region (not measured locally)
        measured = {int(options.local_core_mb): lam}
        notes.append(
            f"probe='local': a local core taken as one Lambda vCPU at {options.local_core_mb:g} MB, init "
            f"{lam['init_s']:g} s per cold start and 0.05 s per Invoke round trip assumed (not measured)."
        )
    probe_info["wall_s"] = time.perf_counter() - t_start
    probe_info["stage_s"] = stage_s
    inferred = [m.get("init_billed") for m in measured.values() if m.get("init_billed") is not None]
    init_billed = options.init_billed
    if init_billed is None:
        init_billed = inferred[0] if inferred else True
    shapes = {s: task_shapes(target, s) for s in scalings}
    max_concurrency, probe = spec.max_concurrency, options.probe
    ctx = PlanContext(
        profile=None, shapes=shapes, concurrency=max_concurrency, timeout_s=float(spec.function_timeout_s),
        architecture=architecture or "arm64", prices=prices, cpu=options.cpu, init_billed=bool(init_billed),
        margin=TIMEOUT_MARGIN, function_memory_mb=function_memory,
        fingerprint=_fingerprint(model, function_name),
    )  # fmt: skip
    estimate_s = _estimate_seconds(target)
    fixed_s = estimate_s + (probe_info.get("stage_s", 0.0) if probe == "local" else 0.0)
    rows = []
    for m in sizes:
        ref = m if m in measured else min(measured, key=lambda k: abs(k - m))
        prof = _profile(measured[ref], threads)
        probed = "measured" if m == ref and probe == "lambda" else f"scaled from {ref} MB"
        if probe == "local":
            probed = f"local probe, scaled to {m} MB"
        if m == (function_memory or sizes[0]) or ctx.profile is None:
            ctx.profile = prof
        for s in scalings:
            rows.append(_row("aws_lambda", _predict_rounds(ctx, prof, m, s, max_concurrency, True), fixed_s, probed))
    if local_fields is None and compare_local:
        local_fields, local_n_jobs, local_startup, _, _ = _probe_local(target, probe_tasks, seed, local_jobs)
    if local_fields is not None and local_n_jobs is not None:
        lprof = _profile(local_fields, threads)
        ctx.local_profile, ctx.local_n_jobs, ctx.local_startup_s = lprof, local_n_jobs, local_startup
        # joblib keeps the pool's processes (and their data caches) after the probe: the fit starts warm
        warm = replace(lprof, init_s=0.0, cold_extra_s=0.0)
        for s in scalings:
            p = _predict_rounds(ctx, warm, lprof.reference_mb, s, local_n_jobs, False)
            rows.append(_row("local", p, estimate_s, f"local pool ({local_n_jobs} processes)"))
    if estimate_s == 0.0:
        notes.append("wall_s leaves out DoubleML's estimation after the tasks (no earlier backend fit to time it).")
    plan = LambdaPlan(rows)
    plan.probe, plan.notes, plan.strategy, plan.context = probe_info, notes, options.strategy, ctx
    if options.verbose:
        print(plan.summary(), file=sys.stderr)
    return plan


def plan_local(
    target: PlanTarget,
    n_jobs: int | None,
    scaling: str | Sequence[str],
    probe_tasks: int,
    seed: int | None,
    verbose: bool,
) -> pd.DataFrame:
    """The fit's predicted wall time on this machine's local pool (``n_jobs`` processes), per scaling."""
    scalings = [check_scaling(s) for s in ([scaling] if isinstance(scaling, str) else scaling)]
    fields, n, startup, _, _ = _probe_local(target, probe_tasks, seed, n_jobs)
    # joblib keeps the pool's processes (and their data caches) after the probe: the fit starts warm
    prof = replace(_profile(fields, _learner_threads(target.model)), init_s=0.0, cold_extra_s=0.0)
    ctx = PlanContext(None, {s: task_shapes(target, s) for s in scalings}, n, 900.0, "arm64", DEFAULT_PRICES,
                      LAMBDA_CPU, False, TIMEOUT_MARGIN, None, ())  # fmt: skip
    fixed = _estimate_seconds(target)
    label = f"local pool ({n} processes)"
    rows = [_row("local", _predict_rounds(ctx, prof, prof.reference_mb, s, n, False), fixed, label) for s in scalings]
    frame = pd.DataFrame(rows)
    if verbose:
        print(frame.to_string(index=False), file=sys.stderr)
    return frame


# -- running the probes ---------------------------------------------------------------------------


def _probe_local(target: PlanTarget, n: int, seed: int | None, n_jobs: int | None) -> tuple:
    """Run ``n`` probe tasks (at least one per process) on the local pool; the profile's fields."""
    store = target.store
    backend = Local(n_jobs).open(store, target.settings)
    n = max(n, 2 * backend.n_jobs)
    tasks, stage_s = probe_tasks_of(target, store, n, seed)
    t0 = time.perf_counter()
    rows = [result.metrics for result in backend.run(tasks)]
    wall = time.perf_counter() - t0
    frame = pd.DataFrame(rows)
    fields = profile_from_rows(frame, LAMBDA_VCPU_MB, duration_col="total_s")
    fields["client_s"] = 0.0
    prof = _profile(fields, 1)
    # the pool's start (and each process's first data load) beyond what the tasks measured: once per fit
    simulated = predict(prof, [(str(nu), 1) for nu in frame["learner"]], LAMBDA_VCPU_MB, "n_folds * n_rep",
                        backend.n_jobs, burst_step=None).tasks_wall_s  # fmt: skip
    startup = max(0.0, wall - simulated)
    return fields, backend.n_jobs, startup, stage_s, len(rows)


def _set_memory_boto(client: Any, function_name: str, memory_mb: int, wait_s: float = 120.0) -> None:
    """``UpdateFunctionConfiguration(MemorySize=...)`` and wait until the update is done."""
    client.update_function_configuration(FunctionName=function_name, MemorySize=int(memory_mb))
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        config = client.get_function_configuration(FunctionName=function_name)
        if config.get("LastUpdateStatus", "Successful") != "InProgress":
            if config.get("LastUpdateStatus") == "Failed":
                raise ConfigurationError(f"Setting {function_name}'s memory to {memory_mb} MB failed.")
            return
        time.sleep(1.0)
    raise ConfigurationError(f"Setting {function_name}'s memory to {memory_mb} MB did not finish in {wait_s:.0f} s.")


def _probe_lambda(
    target: PlanTarget, spec: AWSLambda, tasks: list[Task], sizes: list[int], options: PlanOptions, notes: list[str]
) -> tuple[dict[int, dict[str, Any]], float | None, str, list[pd.DataFrame]]:
    """Run the probe tasks at each memory size (or at the function's, scaling the rest)."""
    # Long: the function's memory is changed and always restored in one try/finally around the probes.
    from ..backends.aws_lambda.backend import LambdaBackend

    # one client for every probe round (and the memory changes)
    client = LambdaBackend(spec, target.store).client
    name = spec.function_name
    assert name is not None
    configure_memory = options.configure_memory
    original: float | None = None
    try:
        config = client.get_function_configuration(FunctionName=name)
        original = float(config["MemorySize"]) if isinstance(config.get("MemorySize"), int) else None
    except Exception:  # the emulator, or no permission
        config = {}
    setter: Callable[[int], None] | None
    if configure_memory is False:
        setter = None
    elif callable(configure_memory):
        setter = configure_memory
    else:
        setter = lambda m: _set_memory_boto(client, name, m)  # noqa: E731
    wave = max(1, math.ceil(len(tasks) / 2))
    measured: dict[int, dict[str, Any]] = {}
    frames: list[pd.DataFrame] = []
    arch = "arm64"

    def run_at(memory: int | None) -> tuple[dict[str, Any], float]:
        nonlocal arch
        at = replace(spec, max_concurrency=wave, memory_mb=memory, speculation=False, lambda_client=client)
        probe_backend = LambdaBackend(at, target.store)
        for _ in probe_backend.run(tasks):
            pass
        frame = probe_backend.invocations_frame()
        arch = probe_backend._billed_architecture
        frames.append(frame)
        ok = frame[frame["outcome"] == "ok"]
        reported = pd.to_numeric(ok["memory_size_mb"], errors="coerce").dropna()
        mem = float(reported.iloc[0]) if len(reported) else float(memory or original or LAMBDA_VCPU_MB)
        return profile_from_rows(ok, mem), mem

    changed = False
    try:
        if setter is not None:
            try:
                setter(sizes[0])
                changed = True
            except Exception as exc:
                notes.append(
                    f"the function's memory could not be changed ({type(exc).__name__}); probed at its own memory "
                    "and scaled the other sizes by the CPU model"
                )
            else:
                measured[sizes[0]] = run_at(sizes[0])[0]
                for m in sizes[1:]:
                    setter(m)
                    measured[m] = run_at(m)[0]
        if not measured:
            fields, mem = run_at(None)
            measured[int(mem)] = fields
            original = original or mem
    finally:
        if changed and original is not None and setter is not None:
            try:
                setter(int(original))
            except Exception as exc:  # reported, not raised: the plan is still good
                notes.append(f"the function's memory could not be set back to {original:g} MB: {exc}")
    return measured, original, arch, frames


# -- before a fit ---------------------------------------------------------------------------------


def choose_scaling(
    target: PlanTarget, spec: Any, scaling: str, seed: int | None, verbose: bool | None
) -> tuple[str, str | None]:
    """A fit's scaling, checked before any task runs, and why it was chosen (None: it was given).

    On AWS Lambda: ``scaling='auto'`` takes the model's last plan (or a probe of 2 tasks at the
    function's memory) and chooses by the plan's strategy at the fit's memory, printing what it
    chose and why; where a plan predicts the fit's tasks, one longer than the function's timeout
    raises :class:`ConfigurationError` with the predicted seconds and the configurations that fit.
    Other backends take the scaling as given (``'auto'`` is refused there).
    """
    # Long: the cases of 'auto' and of a given scaling against a plan, in the order the docstring gives them.
    if not isinstance(spec, AWSLambda):
        if scaling == "auto":
            raise ConfigurationError(
                "scaling='auto' chooses from a Lambda plan (plan_aws_lambda()); give this backend 'n_folds * n_rep' "
                "or 'n_rep'."
            )
        return check_scaling(scaling), None
    spec = spec.resolved(target.settings)
    memory_mb, function_timeout_s = spec.memory_mb, spec.function_timeout_s
    plan: LambdaPlan | None = target.last_plan
    fingerprint = _fingerprint(target.model, spec.function_name)
    if plan is not None and plan.context.fingerprint != fingerprint:
        plan = None
    if scaling == "auto" and plan is None:
        probe = PlanOptions(memory_mb=memory_mb or 1024, probe_tasks=2, configure_memory=False, compare_local=False,
                            verbose=False, seed=seed)  # fmt: skip
        plan = plan_aws_lambda(target, replace(spec, memory_mb=None), probe)
    reason = None
    if plan is None:
        return check_scaling(scaling), reason
    ctx = plan.context
    memory = float(memory_mb or ctx.function_memory_mb or plan.recommend()["memory_mb"])
    if scaling == "auto":
        predicted = {s: plan.predict(memory, s) for s in ctx.shapes}
        fitting = {s: p for s, p in predicted.items() if p.max_task_s <= function_timeout_s}
        if not fitting:
            fitting = predicted
        strategy = plan.strategy
        if strategy == "cost":
            chosen = min(fitting, key=lambda s: fitting[s].usd)
        elif strategy == "speed":
            chosen = min(fitting, key=lambda s: fitting[s].tasks_wall_s)
        else:
            top_usd = max(p.usd for p in fitting.values()) or 1.0
            top_wall = max(p.tasks_wall_s for p in fitting.values()) or 1.0
            chosen = min(fitting, key=lambda s: fitting[s].usd / top_usd + fitting[s].tasks_wall_s / top_wall)
        why = "; ".join(
            f"'{s}': {p.n_tasks} tasks, {p.tasks_wall_s:.1f} s, {p.billed_gb_s:.1f} GB-s, ${p.usd:.4f}"
            for s, p in predicted.items()
        )
        message = (
            f"scaling='auto' chose '{chosen}' at {memory:g} MB by the plan's '{strategy}' strategy (predicted {why})."
        )
        if verbose is not False:
            print(message, file=sys.stderr)
        reason = message
        scaling = chosen
    scaling = check_scaling(scaling)
    if scaling in ctx.shapes:
        p = plan.predict(memory, scaling)
        if p.max_task_s > function_timeout_s:
            fits = [
                f"scaling '{s}' at {m:g} MB ({q.max_task_s:.0f} s)"
                for m in sorted({memory, *map(float, plan["memory_mb"].dropna())})
                for s in ctx.shapes
                for q in [plan.predict(m, s)]
                if q.max_task_s <= ctx.margin * function_timeout_s
            ]
            raise ConfigurationError(
                f"The plan predicts tasks of up to {p.max_task_s:.0f} s (mean {p.task_s:.0f} s) for scaling "
                f"'{scaling}' at {memory:g} MB, more than the function's timeout of {function_timeout_s:g} s; "
                "nothing was invoked. "
                + (f"These fit within {ctx.margin:.0%} of it: {', '.join(fits)}." if fits else
                   "No planned configuration fits: use a lighter learner or fewer trees.")
            )  # fmt: skip
    return scaling, reason
