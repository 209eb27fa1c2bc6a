"""The planner's predictions against measured fits: the bonus PLR, both scalings, emulated Lambda and local pool.

For a grid of memory sizes, ``plan_aws_lambda()`` probes 4 of the fit's tasks at each size and
predicts every configuration; then the fit runs for real at each (memory, scaling) and the measured
wall time of its tasks and its billed GB-s are set against the prediction (goal: within 20 %). The
same for ``fit_local()`` against the plan's local row. With n_rep = 100 and 5 folds the fits have
200 ('n_rep') and 1,000 ('n_folds * n_rep') tasks, as the paper's Table 1.

Memory-dependent CPU shares are emulated with cgroup (v1) CPU quotas when this process may write
``/sys/fs/cgroup/cpu``: "setting the function's memory" restarts every emulator (new execution
environments, as Lambda's UpdateFunctionConfiguration) inside its own cgroup with a quota of
``memory / 1769`` CPUs, Lambda's share. Where cgroups cannot be written, every memory size runs on
whole cores and the planner is told so (a flat CPU model).

Run: ``python -m bench.planner`` (``--quick``: n_rep = 4, one memory size).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from sklearn.ensemble import RandomForestRegressor

from bench.common import Result, fmt, parser
from bench.emulated import FUNCTION_NAME, REGION, emulated_aws
from pydmlserverless import DoubleMLDataS3, DoubleMLPLRServerless
from pydmlserverless.datasets import bonus_data
from pydmlserverless.planner.model import LAMBDA_CPU, LAMBDA_VCPU_MB, CpuModel

CGROUP_ROOT = Path("/sys/fs/cgroup/cpu")
PERIOD_US = 100_000
N_EMULATORS = 2


def _learner() -> RandomForestRegressor:
    return RandomForestRegressor(n_estimators=8, max_depth=5, n_jobs=1)


class CpuQuotas:
    """One cgroup per emulator, its CPU quota set by the memory size (cgroup v1); removed on exit."""

    def __init__(self) -> None:
        self.groups: list[Path] = []
        self.available = self._try()

    def _try(self) -> bool:
        probe = CGROUP_ROOT / f"pydml-planner-probe-{os.getpid()}"
        try:
            probe.mkdir()
            (probe / "cpu.cfs_quota_us").write_text(str(PERIOD_US))
            probe.rmdir()
            return True
        except OSError:
            return False

    def place(self, pids: list[int], index: int, memory_mb: int) -> None:
        group = CGROUP_ROOT / f"pydml-planner-{os.getpid()}-{index}"
        if group not in self.groups:
            group.mkdir(exist_ok=True)
            self.groups.append(group)
        quota = int(PERIOD_US * memory_mb / LAMBDA_VCPU_MB)
        (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (group / "cpu.cfs_quota_us").write_text(str(quota))
        for pid in pids:
            with contextlib.suppress(OSError):
                (group / "cgroup.procs").write_text(str(pid))

    def close(self) -> None:
        for group in self.groups:
            with contextlib.suppress(OSError):
                for pid in (group / "cgroup.procs").read_text().split():
                    (CGROUP_ROOT / "cgroup.procs").write_text(pid)
                group.rmdir()


def memory_setter(pool, quotas: CpuQuotas):
    """The emulated UpdateFunctionConfiguration(MemorySize): new environments at that memory (and CPU quota)."""

    def set_memory(memory_mb: int) -> None:
        pool.emulators.spec.memory_mb = int(memory_mb)
        for emulator in pool.emulators.emulators:
            emulator.restart()
            if quotas.available:
                quotas.place(emulator.pids(), emulator.index, int(memory_mb))

    return set_memory


def _model(data, n_rep: int) -> DoubleMLPLRServerless:
    np.random.seed(11)
    return DoubleMLPLRServerless(FUNCTION_NAME, REGION, data, _learner(), _learner(), n_folds=5, n_rep=n_rep)


def _err(pred: float, meas: float) -> float:
    return (pred - meas) / meas if meas else float("nan")


@contextlib.contextmanager
def _quotas() -> Iterator[CpuQuotas]:
    q = CpuQuotas()
    try:
        yield q
    finally:
        q.close()


def main(argv=None) -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n-rep", type=int, default=None)
    args = p.parse_args(argv)
    n_rep = args.n_rep or (4 if args.quick else 100)
    grid = (1769,) if args.quick else (885, 1769)
    result = Result("planner", "Planner: predicted against measured time and cost", "bench.planner", argv)
    rows, local_rows, checks = [], [], []
    dml = bonus_data()
    with _quotas() as quotas, emulated_aws(N_EMULATORS) as aws:
        cpu = LAMBDA_CPU if quotas.available else CpuModel(full_vcpu_mb=128, max_vcpus=1)
        data = DoubleMLDataS3(aws.bucket, "bonus.npz", dml.data, y_col="inuidur1", d_cols="tg", x_cols=list(dml.x_cols))
        setter = memory_setter(aws.pool, quotas)
        model = _model(data, n_rep)
        # one measured fit first, so that the plan knows DoubleML's estimation time
        t0 = time.perf_counter()
        plan = model.plan_aws_lambda(memory_mb=grid, probe_tasks=4, max_concurrency=N_EMULATORS,
                                     configure_memory=setter, cpu=cpu, compare_local=N_EMULATORS,
                                     function_timeout_s=300, verbose=False)  # fmt: skip
        plan_s = time.perf_counter() - t0
        print(plan.summary())
        measured = {}
        for memory in grid:
            for scaling in ("n_rep", "n_folds * n_rep"):
                setter(memory)  # fresh environments, as a fit on a function nobody used for a while
                m = _model(data, n_rep)
                m.fit_aws_lambda(scaling=scaling, seed=1, max_concurrency=N_EMULATORS, function_timeout_s=300,
                                 progress=False, verbose=False, resume=False, speculation=False)  # fmt: skip
                row = plan[(plan["backend"] == "aws_lambda") & (plan["memory_mb"] == memory)
                           & (plan["scaling"] == scaling)].iloc[0]  # fmt: skip
                wall = m.fit_report.seconds["tasks"]
                gb = m.aws_lambda_cost["billed_gb_seconds"]
                usd = m.aws_lambda_cost["total_usd"]
                measured[(memory, scaling)] = usd
                ew, eg = _err(row["tasks_wall_s"], wall), _err(row["gb_s"], gb)
                checks += [abs(ew), abs(eg)]
                rows.append([memory, scaling, m.fit_report.n_tasks, row["tasks_wall_s"], wall, f"{ew:+.0%}",
                             row["gb_s"], gb, f"{eg:+.0%}", row["usd"], usd])  # fmt: skip
        for scaling in ("n_rep", "n_folds * n_rep"):
            m = _model(data, n_rep)
            m.fit_local(n_jobs=N_EMULATORS, scaling=scaling, seed=1, progress=False, resume=False)
            row = plan[(plan["backend"] == "local") & (plan["scaling"] == scaling)].iloc[0]
            wall = m.fit_report.seconds["tasks"]
            ew = _err(row["tasks_wall_s"], wall)
            checks.append(abs(ew))
            local_rows.append([scaling, m.fit_report.n_tasks, row["tasks_wall_s"], wall, f"{ew:+.0%}"])
    cheapest = min(measured, key=lambda k: measured[k])
    rec = plan.recommend("cost")
    result.table(
        f"Emulated Lambda ({N_EMULATORS} emulators, bonus PLR, 5 folds x {n_rep} reps, RF 8 trees depth 5): "
        "predicted (pred) against measured (meas) wall time of the tasks and billed GB-s",
        ["memory MB", "scaling", "tasks", "wall pred s", "wall meas s", "wall err", "GB-s pred", "GB-s meas",
         "GB-s err", "USD pred", "USD meas"],
        rows,
    )  # fmt: skip
    result.table(
        f"Local pool ({N_EMULATORS} processes): predicted against measured wall time of the tasks",
        ["scaling", "tasks", "wall pred s", "wall meas s", "err"],
        local_rows,
    )
    worst = max(checks) if checks else float("nan")
    result.goal("wall time and GB-s predicted within 20 %", f"largest error {worst:.0%}", bool(worst <= 0.2))
    match = (int(rec["memory_mb"]), rec["scaling"]) == cheapest
    result.goal(
        "the 'cost' recommendation is the cheapest measured configuration",
        f"recommended {int(rec['memory_mb'])} MB '{rec['scaling']}', "
        f"cheapest measured {cheapest[0]} MB '{cheapest[1]}'",
        match,
    )
    result.note(
        f"plan_aws_lambda() took {fmt(plan_s)} s: {plan.probe['invocations']} probe invocations, "
        f"{fmt(plan.probe['gb_s'])} GB-s, ${plan.probe['usd']:.5f}."
    )
    result.note(
        "CPU share by memory: "
        + ("emulated with cgroup v1 CPU quotas of memory/1769 CPUs per emulator (2 shared cores)."
           if quotas.available else "not emulated (cgroups not writable): every memory size ran on whole cores.")
    )  # fmt: skip
    result.note("Wall time is the fit's task phase (FitReport.seconds['tasks']); staging and estimation are apart.")
    result.raw("plan", plan.to_dict(orient="records"))
    result.write(args.results_dir)


if __name__ == "__main__":
    main()
