"""The planner: the cost/time model against hand-computed cases, and plan_aws_lambda on the emulator."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Lasso

from pydmlserverless import ConfigurationError, DoubleMLDataS3, DoubleMLPLRServerless, TaskNearTimeoutWarning
from pydmlserverless.backends.aws_lambda.cost import DEFAULT_PRICES, LambdaPrices
from pydmlserverless.datasets import bonus_data
from pydmlserverless.planner.model import (
    LAMBDA_CPU,
    CpuModel,
    TaskProfile,
    billed_gb_seconds,
    billed_ms,
    fits_timeout,
    lambda_usd,
    predict,
    simulate_wall,
)
from pydmlserverless.planner.plan import LambdaPlan, PlanContext, pareto_front, profile_from_rows

X86 = LambdaPrices().gb_second["x86_64"]


# -- billing --------------------------------------------------------------------------------------


def test_paper_table_1_compute_and_billed_gb_seconds():
    # Kurz (2021), Table 1: 200 invocations (n_rep = 100, 2 learners, scaling 'n_rep'), 17.16 s mean, 1024 MB
    compute = billed_gb_seconds([17160.0] * 200, 1024)
    assert compute == pytest.approx(3432.0)
    # billed 3,515 GB-s: 83 GB-s more, 0.415 s per invocation at 1 GB ...
    overhead_s = (3515 - compute) / 200 / (1024 / 1024)
    assert overhead_s == pytest.approx(0.415)
    # ... of which 1 ms rounding explains at most 1 ms per invocation (0.2 GB-s); the rest is per-invocation
    # time beyond the reported mean (the model's fixed_s)
    assert billed_gb_seconds([17159.001] * 200, 1024) - billed_gb_seconds([17159.001 - 0.001] * 200, 1024) < 0.21
    profile = TaskProfile({"ml_l": 17.16, "ml_m": 17.16}, fixed_s=overhead_s, reference_mb=1024)
    p = predict(profile, [("ml_l", 5), ("ml_m", 5)] * 100, 1024, "n_rep", 200, architecture="x86_64")
    # one 'n_rep' task fits 5 folds: per fold 17.16 / 5 s of compute
    profile = TaskProfile({"ml_l": 17.16 / 5, "ml_m": 17.16 / 5}, fixed_s=overhead_s, reference_mb=1024)
    p = predict(profile, [("ml_l", 5), ("ml_m", 5)] * 100, 1024, "n_rep", 200, architecture="x86_64")
    assert p.n_tasks == 200 and p.cold_starts == 200
    assert p.billed_gb_s == pytest.approx(3515.0, abs=0.01)
    # the paper's $0.0586: 3,515 GB-s at x86_64's price plus 200 requests
    assert p.usd == pytest.approx(3515 * X86 + 200 * 0.2e-6, rel=1e-9)
    assert round(p.usd, 4) == 0.0586
    assert p.tasks_wall_s == pytest.approx(17.16 + 0.415)


def test_billed_duration_rounds_up_to_the_millisecond():
    assert [billed_ms(d) for d in (0.01, 1.0, 1.001, 102.25, 999.9999)] == [1, 1, 2, 103, 1000]
    # 3 invocations of 100.2 ms at 512 MB: 3 x 101 ms x 0.5 GB
    assert billed_gb_seconds([100.2] * 3, 512) == pytest.approx(0.1515)
    assert lambda_usd(1.0, 1, "arm64") == pytest.approx(0.0000133334 + 0.2e-6)
    assert lambda_usd(1.0, 1, "x86_64") == pytest.approx(0.0000166667 + 0.2e-6)


def test_init_is_billed_only_when_told():
    profile = TaskProfile({"a": 1.0}, fixed_s=0.0, init_s=0.5, cold_extra_s=0.25, reference_mb=1024)
    billed = predict(profile, [("a", 1)] * 4, 1024, "n_rep", 2, init_billed=True)
    unbilled = predict(profile, [("a", 1)] * 4, 1024, "n_rep", 2, init_billed=False)
    # 2 cold starts: 4 x 1 s + 2 x 0.25 s (+ 2 x 0.5 s init when billed), at 1 GB
    assert billed.billed_gb_s == pytest.approx(5.5) and unbilled.billed_gb_s == pytest.approx(4.5)
    # the wall time has the init either way: 2 waves of 1 s, the first with 0.75 s of cold start
    assert billed.tasks_wall_s == unbilled.tasks_wall_s == pytest.approx(2.75)


# -- CPU share by memory ---------------------------------------------------------------------------


def test_cpu_share_is_proportional_to_memory_up_to_one_vcpu():
    assert LAMBDA_CPU.vcpus(1769) == 1.0
    assert LAMBDA_CPU.vcpus(10240) == pytest.approx(5.788, abs=1e-3) and LAMBDA_CPU.vcpus(20000) == 6.0
    # a single-threaded task: 10 s at 1769 MB is 20 s at half the memory, and no faster above 1769 MB
    assert LAMBDA_CPU.scale(10.0, 1769, 884.5) == pytest.approx(20.0)
    assert LAMBDA_CPU.scale(10.0, 1769, 3538) == pytest.approx(10.0)
    # a 4-thread learner gets 2 vCPUs at 3538 MB: twice as fast as at 1769 MB
    assert LAMBDA_CPU.scale(10.0, 1769, 3538, threads=4) == pytest.approx(5.0)
    assert LAMBDA_CPU.scale(10.0, 1769, 10240, threads=8) == pytest.approx(10.0 / (10240 / 1769))


def test_memory_grid_cost_has_its_minimum_at_one_vcpu_for_a_cpu_bound_task():
    # 10 s of compute at 1769 MB plus 0.2 s fixed: below 1 vCPU the GB-s stay flat but the fixed part
    # and per-request price make less memory slightly cheaper; above 1 vCPU a single thread only costs more
    profile = TaskProfile({"a": 10.0}, fixed_s=0.2, reference_mb=1769)
    tasks = [("a", 1)] * 10
    gb = {m: predict(profile, tasks, m, "n_rep", 10).billed_gb_s for m in (512, 1024, 1769, 3008)}
    # by hand: task = 0.2 + 10 x 1769 / m s (m <= 1769), else 10.2 s; GB-s = 10 x task x m / 1024
    for m in (512, 1024, 1769):
        assert gb[m] == pytest.approx(10 * (0.2 + 10 * 1769 / m) * m / 1024, rel=1e-4)
    assert gb[3008] == pytest.approx(10 * 10.2 * 3008 / 1024, rel=1e-4)
    assert gb[512] < gb[1024] < gb[1769] < gb[3008]
    walls = {m: predict(profile, tasks, m, "n_rep", 10).tasks_wall_s for m in gb}
    assert walls[1769] == pytest.approx(10.2) and walls[3008] == pytest.approx(10.2)
    assert walls[512] == pytest.approx(0.2 + 10 * 1769 / 512)


def test_emulated_cpu_model_gives_every_size_one_core():
    flat = CpuModel(full_vcpu_mb=128, max_vcpus=1)
    assert flat.scale(3.0, 3008, 512) == 3.0


# -- waves, cold starts, burst, timeout -----------------------------------------------------------


def test_waves_over_the_concurrency():
    wall, cold = simulate_wall([2.0] * 10, 3, cold_extra_s=1.0, per_task_client_s=0.1)
    # 4 waves on 3 slots; each slot's first task is cold: slot 0 runs tasks 0, 3, 6, 9 = 1 + 4 x 2.1
    assert wall == pytest.approx(1.0 + 4 * 2.1)
    assert sum(cold) == 3 and cold[:3] == [True] * 3


def test_burst_scaling_adds_1000_every_10_s():
    # 3,000 tasks of 60 s on 3,000 slots: slots 1000-1999 start at 10 s, 2000-2999 at 20 s
    wall, cold = simulate_wall([60.0] * 3000, 3000)
    assert wall == pytest.approx(80.0) and sum(cold) == 3000
    # without the burst limit (a local pool) all start at once
    assert simulate_wall([60.0] * 3000, 3000, burst_step=None)[0] == pytest.approx(60.0)


def test_timeout_margin():
    assert fits_timeout(720, 900) and not fits_timeout(720.1, 900)
    profile = TaskProfile({"a": 200.0}, fixed_s=1.0, reference_mb=1769)
    assert predict(profile, [("a", 1)], 1769, "n_folds * n_rep", 1).fits_timeout
    p = predict(profile, [("a", 5)], 1769, "n_rep", 1)
    assert p.max_task_s == pytest.approx(1001.0) and not p.fits_timeout


# -- profiles from probe rows ---------------------------------------------------------------------


def test_profile_from_probe_rows():
    rows = pd.DataFrame(
        {
            "learner": ["ml_l", "ml_m", "ml_l", "ml_m"],
            "fit_s": [0.9, 0.4, 0.8, 0.3],
            "predict_s": [0.1, 0.1, 0.2, 0.1],
            "duration_ms": [2500.0, 1900.0, 1100.0, 500.0],
            "billed_duration_ms": [3500.0, 2900.0, 1100.0, 500.0],
            "init_duration_ms": [1000.0, 1000.0, None, None],
            "cold_start": [True, True, False, False],
            "latency_s": [3.55, 2.95, 1.15, 0.55],
        }
    )
    f = profile_from_rows(rows, 1024)
    assert f["fold_compute_s"] == pytest.approx({"ml_l": 1.0, "ml_m": 0.4})
    assert f["fixed_s"] == pytest.approx(0.1)  # warm: 1.1 - 1.0 and 0.5 - 0.4
    assert f["cold_extra_s"] == pytest.approx(1.35)  # cold: 2.5 - 1.0 and 1.9 - 0.5, mean 1.45, less 0.1
    assert f["init_s"] == pytest.approx(1.0) and f["client_s"] == pytest.approx(0.05)
    assert f["init_billed"] is True and f["reference_mb"] == 1024


# -- the plan's recommendation --------------------------------------------------------------------


def _plan(rows):
    plan = LambdaPlan(rows)
    plan.probe = {"tasks": 2, "invocations": 2, "wall_s": 1.0, "gb_s": 0.1, "usd": 0.0, "memory_sizes": 1,
                  "where": "test"}  # fmt: skip
    plan.notes, plan.strategy = [], "balanced"
    plan.context = PlanContext(None, {}, 1, 900, "arm64", LambdaPrices(), LAMBDA_CPU, True, 0.8, None, ())
    return plan


def test_recommendation_by_power_tunings_strategies():
    base = {"backend": "aws_lambda", "scaling": "n_rep", "n_tasks": 1, "task_s": 1.0, "max_task_s": 1.0,
            "tasks_wall_s": 1.0, "gb_s": 1.0, "cold_starts": 1, "probed": "measured"}  # fmt: skip
    rows = [
        {**base, "memory_mb": 512, "wall_s": 100.0, "usd": 1.0, "fits_timeout": True},
        {**base, "memory_mb": 1024, "wall_s": 60.0, "usd": 1.5, "fits_timeout": True},
        {**base, "memory_mb": 3008, "wall_s": 40.0, "usd": 4.0, "fits_timeout": True},
        {**base, "memory_mb": 128, "wall_s": 400.0, "usd": 0.5, "fits_timeout": False},
        {**base, "backend": "local", "memory_mb": None, "wall_s": 10.0, "usd": math.nan, "fits_timeout": True},
    ]
    plan = _plan(rows)
    assert plan.recommend("cost")["memory_mb"] == 512  # 128 MB is cheaper but its tasks do not fit
    assert plan.recommend("speed")["memory_mb"] == 3008  # the local row is no candidate
    # balanced: 0.5 usd / 4 + 0.5 wall / 100 = 0.625, 0.4875, 0.7 -> 1024 MB
    assert plan.recommend("balanced")["memory_mb"] == 1024
    assert pareto_front(plan.candidates())["memory_mb"].tolist() == [3008, 1024, 512]
    assert "cost: 512 MB" in plan.summary() and isinstance(plan, pd.DataFrame)
    with pytest.raises(ConfigurationError, match="strategy"):
        plan.recommend("fastest")


def test_plot_draws_the_cost_time_frontier(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    base = {"backend": "aws_lambda", "n_tasks": 1, "task_s": 1.0, "max_task_s": 1.0, "tasks_wall_s": 1.0,
            "gb_s": 1.0, "cold_starts": 1, "probed": "measured"}  # fmt: skip
    rows = [
        {**base, "scaling": "n_rep", "memory_mb": 512, "wall_s": 100.0, "usd": 1.0, "fits_timeout": True},
        {**base, "scaling": "n_rep", "memory_mb": 1024, "wall_s": 60.0, "usd": 1.5, "fits_timeout": True},
        {**base, "scaling": "n_folds * n_rep", "memory_mb": 3008, "wall_s": 40.0, "usd": 4.0, "fits_timeout": True},
        {**base, "scaling": "n_rep", "memory_mb": 128, "wall_s": 400.0, "usd": 0.5, "fits_timeout": False},
        {**base, "backend": "local", "scaling": "n_rep", "memory_mb": None, "wall_s": 10.0, "usd": math.nan,
         "fits_timeout": True, "probed": "local pool (2 processes)"},
    ]  # fmt: skip
    ax = _plan(rows).plot()
    frontier = [line for line in ax.get_lines() if line.get_label() == "frontier"]
    assert len(frontier) == 1
    assert frontier[0].get_xdata().tolist() == [40.0, 60.0, 100.0]  # 128 MB does not fit the timeout
    assert frontier[0].get_ydata().tolist() == [4.0, 1.5, 1.0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "local pool (2 processes)" in labels and "Lambda, 'n_rep'" in labels
    assert sorted(t.get_text() for t in ax.texts) == ["1024", "128", "3008", "512"]
    ax.figure.savefig(tmp_path / "frontier.png")
    assert (tmp_path / "frontier.png").stat().st_size > 1000


def test_plan_arguments_are_checked_before_anything_runs():
    np.random.seed(1)
    model = DoubleMLPLRServerless(None, None, bonus_data(), Lasso(), Lasso(), n_folds=2)
    with pytest.raises(ConfigurationError, match="memory_mb"):
        model.plan_aws_lambda(memory_mb=(64,))
    with pytest.raises(ConfigurationError, match="probe"):
        model.plan_aws_lambda(probe="cloud")
    with pytest.raises(ConfigurationError, match="scaling"):
        model.plan_aws_lambda(scaling=("n_folds",))


def test_local_probe_plans_every_configuration(tmp_path, monkeypatch):
    monkeypatch.setenv("PYDMLSERVERLESS_CACHE_DIR", str(tmp_path))
    np.random.seed(3)
    model = DoubleMLPLRServerless(None, None, bonus_data(), Lasso(alpha=0.01), Lasso(alpha=0.01), n_folds=5, n_rep=4)
    plan = model.plan_aws_lambda(probe="local", probe_tasks=4, compare_local=1, verbose=False)
    lam = plan[plan["backend"] == "aws_lambda"]
    assert len(lam) == 8 and set(lam["n_tasks"]) == {8, 40}  # 2 learners x 4 reps (x 5 folds)
    assert (plan[plan["backend"] == "local"]["n_tasks"].tolist()) == [8, 40]
    assert plan.probe["tasks"] == 4 and plan.probe["invocations"] == 4
    # more memory below 1 vCPU: faster, same compute GB-s; the model's 512 MB row is the slowest
    by_mem = lam[lam["scaling"] == "n_rep"].set_index("memory_mb")
    assert by_mem.loc[512, "tasks_wall_s"] > by_mem.loc[1769, "tasks_wall_s"]
    assert by_mem.loc[3008, "gb_s"] > by_mem.loc[1769, "gb_s"]
    assert model.lambda_plan is plan
    local = model.plan_local(n_jobs=1, probe_tasks=2, verbose=False)
    assert local["n_tasks"].tolist() == [8, 40] and (local["wall_s"] > 0).all()


# -- on the emulator ------------------------------------------------------------------------------


@pytest.fixture
def bucket(emulated_aws_env):
    """The emulated function's bucket, with the SDK pointed at the emulated Lambda and moto's S3."""
    from tests.e2e.test_lambda_e2e import _bucket

    return _bucket(emulated_aws_env.s3_url)


@pytest.mark.emulator
def test_plan_auto_scaling_and_timeout_refusal_on_the_emulator(bucket, emulated_aws_env, capsys):
    from tests.conftest_emulator import EMULATED_FUNCTION_NAME

    dml = bonus_data()
    data = DoubleMLDataS3(bucket, "bonus_plan.npz", dml.data, y_col="inuidur1", d_cols="tg", x_cols=list(dml.x_cols))
    np.random.seed(5)
    model = DoubleMLPLRServerless(EMULATED_FUNCTION_NAME, "eu-central-1", data, Lasso(alpha=0.01),
                                  Lasso(alpha=0.01), n_folds=5, n_rep=3)  # fmt: skip
    plan = model.plan_aws_lambda(memory_mb=(512, 1769), probe_tasks=4, max_concurrency=2, compare_local=False)
    printed = capsys.readouterr().err
    assert "Lambda plan (predicted)" in printed and "balanced:" in printed
    # the emulator's memory cannot be changed: one probe of 4 invocations at its 3008 MB, the rest scaled
    assert plan.probe["invocations"] == 4 and plan.probe["memory_sizes"] == 1
    assert plan["probed"].tolist() == ["scaled from 3008 MB"] * 4
    assert plan["n_tasks"].tolist() == [6, 30, 6, 30] and plan.probe["gb_s"] > 0
    model.fit_aws_lambda(scaling="auto", max_concurrency=2, seed=1, progress=False)
    printed = capsys.readouterr().err
    assert "scaling='auto' chose" in printed
    assert model.fit_report.scaling in ("n_rep", "n_folds * n_rep")
    assert model.fit_report.n_tasks == (6 if model.fit_report.scaling == "n_rep" else 30)
    # a timeout below the predicted task time: refused before any invocation, with the numbers
    pool = emulated_aws_env.lambda_pool
    pool.reset_counters()
    longest = plan.predict(3008, "n_rep").max_task_s
    with pytest.raises(ConfigurationError, match=r"predicts tasks of up to .* nothing was invoked") as info:
        model.fit_aws_lambda(scaling="n_rep", function_timeout_s=longest / 2, max_concurrency=2, progress=False)
    assert f"{longest / 2:g} s" in str(info.value)
    assert pool.invocations == 0


def test_task_near_the_timeout_is_reported():
    from pydmlserverless.backends.aws_lambda.backend import LambdaBackend
    from pydmlserverless.backends.aws_lambda.config import AWSLambda
    from pydmlserverless.backends.base import BackendResult
    from pydmlserverless.worker.protocol import Task
    from pydmlserverless.worker.store import LocalStore

    class Client:  # a test double: never invoked here
        pass

    backend = LambdaBackend(AWSLambda("f", function_timeout_s=10, lambda_client=Client()), LocalStore())
    task = Task("d/ml_l/r0/f0", "d", "ml_l", 0, (0,), {})
    with pytest.warns(TaskNearTimeoutWarning, match=r"d/ml_l/r0/f0 .* ran 8.5 s, 85% of the function's timeout"):
        backend._warn_near_timeout(BackendResult(task, np.zeros(1), {"billed_duration_ms": 8500.0}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        backend._warn_near_timeout(BackendResult(task, np.zeros(1), {"billed_duration_ms": 7900.0}))


@pytest.mark.slow
@pytest.mark.emulator
def test_the_plan_predicts_the_fits_own_tasks_on_the_emulator(bucket, emulated_aws_env):
    """The plan is made of the fit's own tasks: their number, and the prices of what the probe measured.

    How near its times come to a measured fit is a benchmark's question (bench.planner, on an idle
    machine: within 13 %), not a test's: on a busy machine any wall time is other work's too.
    """
    from sklearn.ensemble import RandomForestRegressor

    from tests.conftest_emulator import EMULATED_FUNCTION_NAME

    dml = bonus_data()
    data = DoubleMLDataS3(bucket, "bonus_slow.npz", dml.data, y_col="inuidur1", d_cols="tg", x_cols=list(dml.x_cols))
    rf = RandomForestRegressor(n_estimators=8, max_depth=5, n_jobs=1)
    np.random.seed(2)
    model = DoubleMLPLRServerless(EMULATED_FUNCTION_NAME, "eu-central-1", data, rf, rf, n_folds=5, n_rep=10)
    plan = model.plan_aws_lambda(memory_mb=3008, scaling="n_folds * n_rep", max_concurrency=4, compare_local=False,
                                 verbose=False)  # fmt: skip
    model.fit_aws_lambda(scaling="n_folds * n_rep", max_concurrency=4, seed=1, progress=False, verbose=False,
                         resume=False, speculation=False)  # fmt: skip
    row = plan.iloc[0]
    assert row["n_tasks"] == model.fit_report.n_tasks == 100
    assert row["usd"] == pytest.approx(
        row["gb_s"] * DEFAULT_PRICES.gb_second[plan.context.architecture] + 100 * DEFAULT_PRICES.per_request, rel=1e-9
    )
    assert plan.probe["invocations"] >= 4 and plan.probe["gb_s"] > 0


def test_memory_is_set_with_update_function_configuration_and_waited_for(monkeypatch):
    """The probe's memory changes as AWS takes them: UpdateFunctionConfiguration, then polling LastUpdateStatus."""
    import boto3
    from botocore.stub import Stubber

    from pydmlserverless.planner import plan as planner

    monkeypatch.setattr(planner.time, "sleep", lambda s: None)
    client = boto3.client("lambda", region_name="eu-central-1", aws_access_key_id="x", aws_secret_access_key="y")
    name = {"FunctionName": "LambdaCVPredict"}
    with Stubber(client) as stub:
        stub.add_response("update_function_configuration", {"MemorySize": 1769}, {**name, "MemorySize": 1769})
        stub.add_response("get_function_configuration", {"LastUpdateStatus": "InProgress"}, name)
        stub.add_response("get_function_configuration", {"LastUpdateStatus": "Successful", "MemorySize": 1769}, name)
        planner._set_memory_boto(client, "LambdaCVPredict", 1769)
        stub.assert_no_pending_responses()

        stub.add_response("update_function_configuration", {}, {**name, "MemorySize": 512})
        stub.add_response("get_function_configuration", {"LastUpdateStatus": "Failed"}, name)
        with pytest.raises(ConfigurationError, match="Setting LambdaCVPredict's memory to 512 MB failed"):
            planner._set_memory_boto(client, "LambdaCVPredict", 512)

        clock = iter([0.0, 1.0, 200.0])
        monkeypatch.setattr(planner.time, "monotonic", lambda: next(clock))
        stub.add_response("update_function_configuration", {}, {**name, "MemorySize": 3008})
        stub.add_response("get_function_configuration", {"LastUpdateStatus": "InProgress"}, name)
        with pytest.raises(ConfigurationError, match="3008 MB did not finish in 120 s"):
            planner._set_memory_boto(client, "LambdaCVPredict", 3008)
