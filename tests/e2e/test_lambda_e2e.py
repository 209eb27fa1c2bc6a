"""fit_aws_lambda() end to end: boto3 -> the Invoke router -> AWS's Runtime Interface Emulator running
lambda/handler.py (awslambdaric) -> moto's S3 server; compared with fit_local() on the same seed."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest
from doubleml.did.datasets import make_did_SZ2020
from doubleml.irm.datasets import make_iivm_data, make_irm_data, make_irm_data_discrete_treatments
from doubleml.plm.datasets import make_pliv_CHS2015, make_plr_CCDDHNR2018
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LassoCV, LinearRegression, LogisticRegression

from pydmlserverless import (
    DeploymentMismatchError,
    DoubleMLAPOServerless,
    DoubleMLAPOSServerless,
    DoubleMLCVARServerless,
    DoubleMLDataS3,
    DoubleMLDIDCSServerless,
    DoubleMLDIDDataS3,
    DoubleMLDIDMultiServerless,
    DoubleMLDIDServerless,
    DoubleMLIIVMServerless,
    DoubleMLIRMServerless,
    DoubleMLLPLRServerless,
    DoubleMLPanelDataS3,
    DoubleMLPLIVServerless,
    DoubleMLPLPRServerless,
    DoubleMLPLRServerless,
    DoubleMLPQServerless,
    TaskError,
    TaskTimeoutError,
    clear_results,
)
from pydmlserverless.testing import REPO_ROOT, apply_aws_env, ensure_bucket
from pydmlserverless.worker import store

pytestmark = pytest.mark.emulator

SCALINGS = ["n_folds * n_rep", "n_rep"]
RTOL = 1e-12
FAULTS_DIR = REPO_ROOT / "tests" / "lambda_faults"
EMULATED_FUNCTION_NAME = "LambdaCVPredict"  # the name tests/conftest_emulator.py serves


def _bucket(s3_url: str) -> str:
    """The emulated function's bucket (shared by the tests), without results kept by earlier tests."""
    store._STORES.clear()  # S3 clients made under other settings must not be reused
    bucket = ensure_bucket()
    clear_results(bucket)
    return bucket


@pytest.fixture
def bucket(emulated_aws_env):
    """The emulated function's bucket, with the SDK pointed at the emulated Lambda and moto's S3."""
    return _bucket(emulated_aws_env.s3_url)


def _rf(n=5):
    return RandomForestRegressor(n_estimators=n, max_depth=4, n_jobs=1)


def _rf_clf(n=5):
    return RandomForestClassifier(n_estimators=n, max_depth=4, n_jobs=1)


def _plr(bucket, n_obs=300, treatment="d", score="partialling out", ml_m=None):
    np.random.seed(21)
    frame = make_plr_CCDDHNR2018(n_obs=n_obs, dim_x=5, return_type="DataFrame").rename(columns={"d": treatment})
    data = DoubleMLDataS3(bucket, "plr.csv", frame, y_col="y", d_cols=treatment)
    ml_g = {"ml_g": _rf()} if score == "IV-type" else {}
    ml_m = ml_m if ml_m is not None else LassoCV(cv=3)
    return DoubleMLPLRServerless, data, {"ml_l": _rf(), "ml_m": ml_m, **ml_g}, {"score": score}


def _pliv(bucket):
    np.random.seed(22)
    frame = make_pliv_CHS2015(n_obs=300, dim_x=5, dim_z=1, return_type="DataFrame")
    data = DoubleMLDataS3(
        bucket, "pliv.csv", frame, y_col="y", d_cols="d", z_cols="Z1", x_cols=[f"X{i}" for i in range(1, 6)]
    )
    return DoubleMLPLIVServerless, data, {"ml_l": _rf(), "ml_m": LinearRegression(), "ml_r": _rf()}, {}


def _irm(bucket):
    np.random.seed(23)
    frame = make_irm_data(n_obs=300, dim_x=5, theta=0.5, return_type="DataFrame")
    data = DoubleMLDataS3(bucket, "irm.csv", frame, y_col="y", d_cols="d")
    return DoubleMLIRMServerless, data, {"ml_g": _rf(), "ml_m": _rf_clf()}, {}


def _iivm(bucket):
    np.random.seed(24)
    frame = make_iivm_data(n_obs=400, dim_x=5, theta=0.5, alpha_x=1.0, return_type="DataFrame")
    data = DoubleMLDataS3(bucket, "iivm.csv", frame, y_col="y", d_cols="d", z_cols="z")
    return DoubleMLIIVMServerless, data, {"ml_g": _rf(), "ml_m": LogisticRegression(), "ml_r": _rf_clf()}, {}


def _apo(bucket):
    np.random.seed(25)
    raw = make_irm_data_discrete_treatments(n_obs=400)
    frame = pd.DataFrame(raw["x"], columns=[f"x{i}" for i in range(raw["x"].shape[1])]).assign(y=raw["y"], d=raw["d"])
    data = DoubleMLDataS3(bucket, "apo.csv", frame, y_col="y", d_cols="d")
    return DoubleMLAPOServerless, data, {"ml_g": _rf(), "ml_m": _rf_clf()}, {"treatment_level": 2}


def _apos(bucket):
    cls, data, learners, _ = _apo(bucket)
    return DoubleMLAPOSServerless, data, learners, {"treatment_levels": [0, 1, 2]}


def _didmulti(bucket, panel=True):
    from doubleml.did.datasets import make_did_CS2021, make_did_cs_CS2021

    np.random.seed(28)
    frame = (make_did_CS2021 if panel else make_did_cs_CS2021)(n_obs=300, dgp_type=1)
    data = DoubleMLPanelDataS3(
        bucket, "staggered.csv", frame, y_col="y", d_cols="d", t_col="t", id_col="id", x_cols=["Z1", "Z2", "Z3", "Z4"]
    )
    kwargs = {"panel": panel, "gt_combinations": "standard", "control_group": "not_yet_treated"}
    return DoubleMLDIDMultiServerless, data, {"ml_g": _rf(), "ml_m": _rf_clf()}, kwargs


def _plpr(bucket):
    from doubleml.plm.datasets import make_plpr_CP2025

    np.random.seed(29)
    frame = make_plpr_CP2025(num_id=60, num_t=5, dim_x=5)
    data = DoubleMLPanelDataS3(bucket, "plpr.csv", frame, "y", "d", "time", "id", static_panel=True)
    return DoubleMLPLPRServerless, data, {"ml_l": _rf(), "ml_m": _rf()}, {"approach": "cre_normal"}


def _lplr(bucket):
    from doubleml.plm.datasets import make_lplr_LZZ2020

    np.random.seed(30)
    frame = make_lplr_LZZ2020(n_obs=300, dim_x=20, return_type="DataFrame")
    data = DoubleMLDataS3(bucket, "lplr.csv", frame, y_col="y", d_cols="d")
    learners = {"ml_M": _rf_clf(), "ml_t": _rf(), "ml_m": _rf()}
    return DoubleMLLPLRServerless, data, learners, {"n_folds_inner": 3, "score": "instrument"}


def _pq(bucket, treatment=1):
    np.random.seed(32)
    frame = make_irm_data(n_obs=400, dim_x=5, theta=0.5, return_type="DataFrame")
    data = DoubleMLDataS3(bucket, "pq.csv", frame, y_col="y", d_cols="d")
    return DoubleMLPQServerless, data, {"ml_g": _rf_clf(), "ml_m": _rf_clf()}, {"treatment": treatment, "quantile": 0.4}


def _cvar(bucket):
    np.random.seed(33)
    frame = make_irm_data(n_obs=400, dim_x=5, theta=0.5, return_type="DataFrame")
    data = DoubleMLDataS3(bucket, "cvar.csv", frame, y_col="y", d_cols="d")
    return DoubleMLCVARServerless, data, {"ml_g": _rf(), "ml_m": _rf_clf()}, {"treatment": 0, "quantile": 0.7}


def _did(bucket):
    np.random.seed(26)
    frame = make_did_SZ2020(n_obs=400, return_type="DataFrame")
    data = DoubleMLDIDDataS3(bucket, "did.csv", frame, y_col="y", d_cols="d")
    return DoubleMLDIDServerless, data, {"ml_g": _rf(), "ml_m": _rf_clf()}, {}


def _didcs(bucket):
    np.random.seed(27)
    frame = make_did_SZ2020(n_obs=500, cross_sectional_data=True, return_type="DataFrame")
    data = DoubleMLDIDDataS3(bucket, "didcs.csv", frame, y_col="y", d_cols="d", t_col="t")
    return DoubleMLDIDCSServerless, data, {"ml_g": _rf(), "ml_m": _rf_clf()}, {}


CASES = {
    "plr": _plr,
    "plr-iv-type": lambda bucket: _plr(bucket, score="IV-type"),
    "pliv": _pliv,
    "irm": _irm,
    "iivm": _iivm,
    "apo": _apo,
    "did": _did,
    "didcs": _didcs,
    "apos": _apos,
    "didmulti": _didmulti,
    "didmulti-cs": lambda bucket: _didmulti(bucket, panel=False),
    "plpr": _plpr,
    "lplr": _lplr,
    "pq": _pq,
    "pq-untreated": lambda bucket: _pq(bucket, treatment=0),
    "cvar": _cvar,
}


def _pair(factory, bucket, n_folds=3, n_rep=2, function_name=EMULATED_FUNCTION_NAME):
    """Two models on the same data and splits: one for fit_local(), one for fit_aws_lambda()."""
    cls, data, learners, kwargs = factory(bucket)
    if cls is DoubleMLLPLRServerless:  # its double splits cannot be set: the same draw gives the same ones
        models = []
        for name in (None, function_name):
            np.random.seed(31)
            models.append(cls(name, "eu-central-1", data, **learners, n_folds=n_folds, n_rep=n_rep, **kwargs))
        return models[0], models[1]
    local = cls(None, None, data, **learners, n_folds=n_folds, n_rep=n_rep, **kwargs)
    remote = cls(
        function_name,
        "eu-central-1",
        data,
        **learners,
        n_folds=n_folds,
        n_rep=n_rep,
        draw_sample_splitting=False,
        **kwargs,
    )
    if hasattr(remote, "gt_labels"):  # DIDMulti: each group-time cell has its own splits
        for ours, theirs in zip(local.modellist, remote.modellist):
            theirs.set_sample_splitting(ours.smpls)
    elif local._dml_data.is_cluster_data:  # PLPR's panel: splits by unit
        remote.set_sample_splitting(local.smpls, all_smpls_cluster=local.smpls_cluster)
    else:
        remote.set_sample_splitting(local.smpls)
    return local, remote


def _assert_same_estimates(remote, local):
    np.testing.assert_allclose(remote.all_coef, local.all_coef, rtol=RTOL)
    np.testing.assert_allclose(remote.all_se, local.all_se, rtol=RTOL)
    np.testing.assert_allclose(remote.coef, local.coef, rtol=RTOL)
    np.testing.assert_allclose(remote.se, local.se, rtol=RTOL)


# --------------------------------------------------------------------------- parity with fit_local()


@pytest.mark.parametrize("scaling", SCALINGS)
@pytest.mark.parametrize("case", list(CASES))
def test_fit_aws_lambda_equals_fit_local(bucket, emulated_aws_env, case, scaling):
    local, remote = _pair(CASES[case], bucket)
    local.fit_local(n_jobs=1, scaling=scaling, seed=7, progress=False, resume=False)
    remote.fit_aws_lambda(scaling=scaling, seed=7, max_concurrency=4, progress=False, verbose=False)
    _assert_same_estimates(remote, local)
    metrics = remote.aws_lambda_metrics
    assert (metrics["outcome"] == "ok").sum() == len(remote.task_metrics)
    assert emulated_aws_env.lambda_pool.invocations == len(remote.task_metrics)  # each task ran exactly once
    if hasattr(remote, "aggregate"):  # DIDMulti's event study (equal to plain DoubleML's: test_further_models.py)
        ours, theirs = remote.aggregate("eventstudy"), local.aggregate("eventstudy")
        np.testing.assert_allclose(ours.aggregated_frameworks.thetas, theirs.aggregated_frameworks.thetas, rtol=RTOL)
        np.testing.assert_allclose(ours.aggregated_frameworks.ses, theirs.aggregated_frameworks.ses, rtol=RTOL)
    if hasattr(remote, "causal_contrast"):  # APOS
        np.testing.assert_allclose(remote.causal_contrast(0).thetas, local.causal_contrast(0).thetas, rtol=RTOL)


def test_the_functions_warnings_are_raised_in_the_client_as_the_pools_are(bucket, emulated_aws_env):
    """A ConvergenceWarning in the function reaches the client's filters (and R), as the local pool's."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from pydmlserverless.worker.warning_capture import recording

    np.random.seed(23)
    frame = make_irm_data(n_obs=300, dim_x=5, return_type="DataFrame")
    data = DoubleMLDataS3(bucket, "irm_warn.csv", frame, y_col="y", d_cols="d")
    fits = {}
    for backend in ("local", "lambda"):
        np.random.seed(5)  # the same splits
        model = DoubleMLIRMServerless(
            EMULATED_FUNCTION_NAME, "eu-central-1", data, LinearRegression(), LogisticRegression(max_iter=1), n_folds=2
        )  # fmt: skip
        with recording() as caught:
            if backend == "local":
                model.fit_local(n_jobs=1, seed=3, progress=False, resume=False)
            else:
                model.fit_aws_lambda(seed=3, max_concurrency=2, progress=False, verbose=False, resume=False)
        fits[backend] = (model, [w for w in caught if issubclass(w.category, ConvergenceWarning)])
    (local, local_warnings), (remote, remote_warnings) = fits["local"], fits["lambda"]
    np.testing.assert_allclose(remote.coef, local.coef, rtol=RTOL)
    assert len(remote_warnings) == len(local_warnings) >= 2  # every fold's fit, counted
    assert {str(w.message) for w in remote_warnings} == {str(w.message) for w in local_warnings}
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # the user's filters decide, as for a local warning
        with pytest.raises(ConvergenceWarning):
            remote.fit_aws_lambda(seed=3, max_concurrency=2, progress=False, verbose=False, resume=False)


# --------------------------------------------------------------------------- 4 emulators, 200 tasks


def test_a_rerun_after_ctrl_c_invokes_only_the_unfinished_tasks(bucket, emulated_aws_env, monkeypatch):
    from pydmlserverless.backends.aws_lambda.backend import LambdaBackend

    local, remote = _pair(lambda b: _plr(b, n_obs=200, ml_m=LinearRegression()), bucket, n_folds=3, n_rep=4)
    local.fit_local(n_jobs=1, seed=2, progress=False, resume=False)
    received: list[str] = []
    run = LambdaBackend.run

    def interrupting(self, tasks):
        for result in run(self, tasks):
            if len(received) == 12:
                raise KeyboardInterrupt
            received.append(result.task.task_id)
            yield result

    monkeypatch.setattr(LambdaBackend, "run", interrupting)
    with pytest.raises(KeyboardInterrupt):
        remote.fit_aws_lambda(seed=2, max_concurrency=2, progress=False, verbose=False)
    monkeypatch.setattr(LambdaBackend, "run", run)
    time.sleep(1.0)  # the invocations in flight at the interrupt finish in the function, and keep their results
    remote.fit_aws_lambda(seed=2, max_concurrency=2, progress=False, verbose=False)
    rerun = remote.aws_lambda_metrics
    invoked = set(rerun.loc[rerun["outcome"] == "ok", "task_id"])
    assert not invoked & set(received), "a finished task was invoked again"
    assert remote.fit_report.n_resumed + len(invoked) == 24 and remote.fit_report.n_resumed >= 12
    _assert_same_estimates(remote, local)


def test_np_random_seed_makes_a_fit_without_seed_reproducible_on_lambda_and_locally(bucket, emulated_aws_env):
    def fit(s, backend):
        np.random.seed(s)
        frame = make_plr_CCDDHNR2018(n_obs=200, dim_x=5, return_type="DataFrame")
        data = DoubleMLDataS3(bucket, "plr.csv", frame, y_col="y", d_cols="d")
        forest = RandomForestRegressor(n_estimators=5, max_depth=3)  # random_state=None
        model = DoubleMLPLRServerless(EMULATED_FUNCTION_NAME, "eu-central-1", data, forest, forest, n_folds=3)
        if backend == "lambda":
            model.fit_aws_lambda(max_concurrency=4, progress=False, verbose=False, resume=False)
        else:
            model.fit_local(n_jobs=2, progress=False, resume=False)
        return model.coef[0]

    first = fit(3141, "lambda")
    assert fit(3141, "lambda") == first == fit(3141, "local")
    assert fit(2718, "lambda") != first


def test_given_predictions_and_store_models_through_the_real_handler(bucket, emulated_aws_env):
    from doubleml import DoubleMLPLR
    from doubleml.utils import DMLDummyRegressor

    cls, data, learners, kwargs = _plr(bucket, n_obs=200, ml_m=LinearRegression())
    plain = DoubleMLPLR(data, LinearRegression(), LinearRegression(), n_folds=3)
    plain.fit(store_predictions=True)
    given = {"d": {"ml_l": plain.predictions["ml_l"][:, :, 0]}}
    model = cls(
        EMULATED_FUNCTION_NAME, "eu-central-1", data, DMLDummyRegressor(), LinearRegression(), n_folds=3,
        draw_sample_splitting=False,
    )  # fmt: skip
    model.set_sample_splitting(plain.smpls)
    model.fit_aws_lambda(
        max_concurrency=2, progress=False, verbose=False, external_predictions=given, store_models=True
    )
    np.testing.assert_allclose(model.coef, plain.coef, rtol=1e-12)
    assert len(model.task_metrics) == 3 and set(model.task_metrics["learner"]) == {"ml_m"}
    x = data.data[data.x_cols].to_numpy()
    for fold, (_, test) in enumerate(plain.smpls[0]):
        fitted = model.models["ml_m"]["d"][0][fold]
        np.testing.assert_allclose(fitted.predict(x[test]), plain.predictions["ml_m"][test, 0, 0], rtol=1e-12)
    assert model.models["ml_l"]["d"][0] == [None, None, None]


def test_200_tasks_on_4_emulators_warm_caches_and_cost(bucket, emulated_aws_env, capsys):
    pool = emulated_aws_env.lambda_pool
    local, remote = _pair(lambda b: _plr(b, n_obs=400, ml_m=LinearRegression()), bucket, n_folds=5, n_rep=20)
    local.fit_local(n_jobs=1, seed=3, progress=False, resume=False)
    remote.fit_aws_lambda(seed=3, max_concurrency=4, progress=False)
    _assert_same_estimates(remote, local)

    metrics = remote.aws_lambda_metrics
    ok = metrics[metrics["outcome"] == "ok"]
    assert len(ok) == 200 and ok["task_id"].is_unique
    assert len(metrics) == 200 + (metrics["outcome"] == "throttled").sum()  # one row per invocation request
    assert pool.invocations == 200 and sum(pool.per_emulator_invocations) == 200

    # the router's records say which emulator ran which request: each downloaded the data set once
    emulator_of = {record.request_id: record.emulator for record in pool.records if record.emulator is not None}
    ok = ok.assign(emulator=ok["request_id"].map(emulator_of), started=ok["started_at"])
    assert ok["emulator"].notna().all()
    used = sorted(ok["emulator"].unique())
    downloads = ok.loc[ok["dataset_cache_hit"] == False, "emulator"]  # noqa: E712
    assert sorted(downloads) == used and len(used) <= 4
    assert (ok["dataset_cache_hit"] == True).sum() == 200 - len(used)  # noqa: E712
    first = ok.sort_values("started").groupby("emulator").head(1)
    assert (first["dataset_cache_hit"] == False).all()  # noqa: E712 - the miss is each container's first task

    # REPORT lines parsed for every invocation; cost from the price table
    assert ok["billed_duration_ms"].notna().all() and (ok["billed_duration_ms"] >= ok["duration_ms"]).all()
    assert ok["memory_size_mb"].eq(3008).all()
    expected_gb_s = (ok["billed_duration_ms"] / 1000 * 3008 / 1024).sum()
    cost = remote.aws_lambda_cost
    assert cost["requests"] == 200 and cost["billed_gb_seconds"] == pytest.approx(expected_gb_s, rel=1e-9)
    assert cost["architecture"] == "arm64"
    assert cost["total_usd"] == pytest.approx(expected_gb_s * 0.0000133334 + 200 * 0.2e-6, rel=1e-9)
    assert metrics["cost_usd"].sum() == pytest.approx(cost["total_usd"], rel=1e-9)
    assert cost["wall_s"] > 0
    summary = capsys.readouterr().err
    assert "200 invocations" in summary and "GB-s" in summary and f"${cost['total_usd']:.6f}" in summary
    print(summary)


# --------------------------------------------------------------------------- throttling


@pytest.fixture(scope="module")
def throttled_lambda(lambda_pool_factory, moto_s3_server):
    """Four emulators behind a reserved concurrency of 2 (Retry-After: 1 s)."""
    return lambda_pool_factory(
        4,
        function_name=EMULATED_FUNCTION_NAME,
        env={"AWS_ENDPOINT_URL_S3": moto_s3_server.endpoint_url},
        max_concurrency=2,
        timeout_s=300,
        retry_after_s=1,
    )


def test_throttled_fit_completes_with_counted_retries(throttled_lambda, moto_s3_server, monkeypatch):
    throttled_lambda.reset_counters()
    apply_aws_env(monkeypatch, throttled_lambda.endpoint_url, moto_s3_server.endpoint_url)
    bucket = _bucket(moto_s3_server.endpoint_url)
    local, remote = _pair(lambda b: _plr(b, n_obs=200, ml_m=LinearRegression()), bucket, n_folds=5, n_rep=10)
    local.fit_local(n_jobs=1, seed=5, progress=False, resume=False)
    remote.fit_aws_lambda(seed=5, max_concurrency=8, progress=False)
    _assert_same_estimates(remote, local)

    metrics = remote.aws_lambda_metrics
    # a busy machine can make a task a straggler: its speculative copy's requests are rows of their own
    copies = metrics["speculative"].eq(True)
    ran_copies = int((copies & metrics["outcome"].isin(["ok", "function_error", "timeout"])).sum())
    throttled = metrics[metrics["outcome"] == "throttled"]
    originals = metrics[~copies]
    assert (originals["outcome"] == "ok").sum() == 100
    assert len(originals) == 100 + int((originals["outcome"] == "throttled").sum())
    assert len(throttled) == throttled_lambda.throttles > 0  # every 429 the router sent was seen and retried
    assert throttled_lambda.invocations == 100 + ran_copies and throttled_lambda.peak_concurrency <= 2
    assert (throttled["error_type"] == "TooManyRequestsException").all()
    if not copies.any():  # a task's row counts the requests of whichever of it and its copy answered first
        assert remote.task_metrics["throttles"].sum() == len(throttled)
    # Retry-After honoured: a throttled task's next request came at least a second later
    by_task = metrics.sort_values("started_at").groupby("task_id")
    gaps = [
        group["started_at"].iloc[i + 1] - group["started_at"].iloc[i]
        for _, group in by_task
        for i in range(len(group) - 1)
        if group["outcome"].iloc[i] == "throttled"
    ]
    assert min(gaps) >= 1.0
    assert remote.aws_lambda_cost["throttled"] == len(throttled)


# --------------------------------------------------------------------------- failing and slow tasks


@pytest.fixture(scope="module")
def faulty_lambda(lambda_pool_factory, moto_s3_server, tmp_path_factory):
    """Two emulators of tests/lambda_faults/faulty_handler.py with a 10 s timeout (RIE counts the cold start in)."""
    return lambda_pool_factory(
        2,
        "faulty_handler.lambda_handler",
        FAULTS_DIR,
        function_name=EMULATED_FUNCTION_NAME,
        timeout_s=10,
        env={
            "AWS_ENDPOINT_URL_S3": moto_s3_server.endpoint_url,
            "FAULTY_FAIL_ONCE": "d/ml_l/r0/f1,d/ml_m/r1/f2",
            "FAULTY_MARKER_DIR": str(tmp_path_factory.mktemp("fault-markers")),
            "FAULTY_FAIL_ALWAYS": "d_fail/ml_m/r1/f0",
            "FAULTY_SLEEP": "d_slow/ml_l/r0/f1",
            "FAULTY_SLEEP_S": "14",
            "FAULTY_OLD_SKLEARN": "d_old",
        },
    )


@pytest.fixture
def faulty_bucket(faulty_lambda, moto_s3_server, monkeypatch):
    faulty_lambda.reset_counters()
    apply_aws_env(monkeypatch, faulty_lambda.endpoint_url, moto_s3_server.endpoint_url)
    return _bucket(moto_s3_server.endpoint_url)


def test_function_errors_are_retried(faulty_bucket, faulty_lambda):
    local, remote = _pair(lambda b: _plr(b, n_obs=200), faulty_bucket)
    local.fit_local(n_jobs=1, seed=9, progress=False, resume=False)
    remote.fit_aws_lambda(seed=9, max_concurrency=2, progress=False, verbose=False)
    _assert_same_estimates(remote, local)
    metrics = remote.aws_lambda_metrics
    errors = metrics[metrics["outcome"] == "function_error"]
    assert sorted(errors["task_id"]) == ["d/ml_l/r0/f1", "d/ml_m/r1/f2"]
    assert (errors["error_type"] == "RuntimeError").all() and errors["billed_duration_ms"].notna().all()
    assert errors["error_message"].str.contains("injected one-off failure").all()
    assert faulty_lambda.invocations == 12 + 2
    assert remote.task_metrics.set_index("task_id").loc["d/ml_l/r0/f1", "function_errors"] == 1


def test_a_task_that_keeps_failing_is_named(faulty_bucket, faulty_lambda):
    _, remote = _pair(lambda b: _plr(b, n_obs=200, treatment="d_fail"), faulty_bucket)
    with pytest.raises(
        TaskError,
        match=r"d_fail/ml_m/r1/f0 \(treatment 'd_fail', learner 'ml_m', rep 1, fold 0\) "
        r"failed in the function 3 times",
    ) as info:
        remote.fit_aws_lambda(seed=9, max_concurrency=2, progress=False, verbose=False)
    assert not isinstance(info.value, TaskTimeoutError)
    assert info.value.error_type == "RuntimeError"
    assert info.value.error_message == "injected failure in d_fail/ml_m/r1/f0"
    assert info.value.task == {"treatment": "d_fail", "learner": "ml_m", "rep": 1, "folds": [0]}
    failed = [r for r in faulty_lambda.records if r.function_error == "Unhandled"]
    assert len(failed) == 3  # the first invocation and two retries
    assert remote.aws_lambda_metrics is None and remote.fit_report is None  # the model is as it was
    metrics = info.value.aws_lambda_metrics  # the failed attempt's invocations travel with the error
    assert (metrics.loc[metrics["task_id"] == "d_fail/ml_m/r1/f0", "outcome"] == "function_error").sum() == 3
    assert info.value.aws_lambda_cost["requests"] == int(
        metrics["outcome"].isin(["ok", "function_error", "timeout"]).sum()
    )


def test_a_task_past_the_function_timeout_is_reported_as_a_timeout(faulty_bucket, faulty_lambda):
    _, remote = _pair(lambda b: _plr(b, n_obs=200, treatment="d_slow"), faulty_bucket)
    with pytest.raises(
        TaskTimeoutError,
        match=r"d_slow/ml_l/r0/f1 \(treatment 'd_slow', learner 'ml_l', rep 0, "
        r"fold 1\) ran past the function's timeout",
    ) as info:
        remote.fit_aws_lambda(seed=9, max_concurrency=2, function_timeout_s=10, progress=False, verbose=False)
    assert info.value.error_type == "Sandbox.Timedout"
    assert "Task timed out after 10.00 seconds" in info.value.error_message
    assert sum(record.timed_out for record in faulty_lambda.records) == 1  # not retried
    assert remote.aws_lambda_metrics is None  # the model is as it was; the billed timeout goes with the error
    row = info.value.aws_lambda_metrics.query("outcome == 'timeout'").iloc[0]
    assert row["task_id"] == "d_slow/ml_l/r0/f1" and row["billed_duration_ms"] >= 10000


def test_a_deployment_with_other_library_versions_is_refused(faulty_bucket, faulty_lambda):
    _, remote = _pair(lambda b: _plr(b, n_obs=200, treatment="d_old"), faulty_bucket, n_rep=5)
    message = r"runs scikit-learn 1\.0\.2 \(here .*\).*python sam/build_layer\.py --arch arm64.*sam deploy"
    with pytest.raises(DeploymentMismatchError, match=message):
        remote.fit_aws_lambda(seed=9, max_concurrency=2, progress=False, verbose=False)
    time.sleep(0.5)  # let the invocation still running come back
    assert faulty_lambda.invocations <= 3  # the first response stopped the fit: 30 tasks, at most 3 ran
    _, accepted = _pair(lambda b: _plr(b, n_obs=200, treatment="d_old"), faulty_bucket, n_folds=2)
    accepted.fit_aws_lambda(seed=9, max_concurrency=2, progress=False, verbose=False, check_versions=False)
    assert np.isfinite(accepted.coef).all()


# --------------------------------------------------------------------------- payload sizes, 10^6 rows


def _linear_plr(bucket, n_obs):
    rng = np.random.default_rng(8)
    x = rng.normal(size=(n_obs, 5))
    d = x @ np.array([0.5, 0.2, 0.0, 0.0, 0.1]) + rng.normal(size=n_obs)
    y = 0.5 * d + x @ np.array([1.0, 0.0, 0.3, 0.0, 0.0]) + rng.normal(size=n_obs)
    frame = pd.DataFrame(np.column_stack([x, d, y]), columns=[f"X{i}" for i in range(1, 6)] + ["d", "y"])
    data = DoubleMLDataS3(bucket, f"linear-{n_obs}.csv", frame, y_col="y", d_cols="d")
    return DoubleMLPLRServerless, data, {"ml_l": LinearRegression(), "ml_m": LinearRegression()}, {}


@pytest.mark.slow
def test_request_size_does_not_grow_with_n_obs_and_a_million_rows_fit(bucket, emulated_aws_env):
    request_bytes = {}
    for n_obs in (1_000, 1_000_000):
        local, remote = _pair(lambda b, n=n_obs: _linear_plr(b, n), bucket, n_folds=2, n_rep=1)
        remote.fit_aws_lambda(scaling="n_rep", seed=1, max_concurrency=2, progress=False, verbose=False)
        metrics = remote.aws_lambda_metrics
        request_bytes[n_obs] = metrics.set_index("task_id")["request_bytes"].to_dict()
        if n_obs == 1_000_000:
            assert (metrics["result_via"] == "store").all()  # 8 MB of predictions per task
            assert (metrics["response_bytes"] < 10_000).all()
            local.fit_local(n_jobs=1, scaling="n_rep", seed=1, progress=False, resume=False)
            _assert_same_estimates(remote, local)
        else:
            assert (metrics["result_via"] == "inline").all()
    assert request_bytes[1_000] == request_bytes[1_000_000]
    assert max(request_bytes[1_000].values()) < 4_000
    print(json.dumps({"request_bytes": request_bytes}))


# --------------------------------------------------------------------------- tuning


@pytest.mark.parametrize("tune_on_folds", [False, True])
def test_tune_aws_lambda_equals_tune_local(bucket, emulated_aws_env, tune_on_folds):
    np.random.seed(32)
    frame = make_irm_data(n_obs=300, dim_x=5, theta=0.5, return_type="DataFrame")
    data = DoubleMLDataS3(bucket, "irm-tune.csv", frame, y_col="y", d_cols="d")
    learners = (RandomForestRegressor(n_estimators=5, random_state=0), LogisticRegression())
    grids = {"ml_g": {"max_depth": [2, 4]}, "ml_m": {"C": [0.1, 1.0, 10.0]}}
    results = {}
    for name in (None, EMULATED_FUNCTION_NAME):
        np.random.seed(33)
        model = DoubleMLIRMServerless(name, "eu-central-1", data, *learners, n_folds=3)
        np.random.seed(34)
        options = {"tune_on_folds": tune_on_folds, "n_folds_tune": 3, "progress": False, "resume": False}
        options["return_tune_res"] = True
        if name is None:
            res = model.tune_local(grids, n_jobs=1, **options)
        else:
            res = model.tune_aws_lambda(grids, max_concurrency=4, verbose=False, **options)
            assert (model.aws_lambda_metrics["outcome"] == "ok").sum() == len(model.tune_metrics)
        results[name] = (model, res[0][0] if tune_on_folds else res[0])
    (local, local_res), (remote, remote_res) = results[None], results[EMULATED_FUNCTION_NAME]
    assert remote.params == local.params
    assert remote.tune_report.n_tasks == local.tune_report.n_tasks > 0
    for key, searches in local_res["tune_res"].items():
        for ours, theirs in zip(remote_res["tune_res"][key], searches, strict=True):
            np.testing.assert_allclose(
                ours.cv_results_["mean_test_score"], theirs.cv_results_["mean_test_score"], rtol=RTOL
            )


def test_tune_ml_models_aws_lambda_equals_tune_ml_models_local(bucket, emulated_aws_env):
    import optuna

    np.random.seed(35)
    frame = make_irm_data(n_obs=300, dim_x=5, theta=0.5, return_type="DataFrame")
    data = DoubleMLDataS3(bucket, "irm-optuna.csv", frame, y_col="y", d_cols="d")
    learners = (RandomForestRegressor(n_estimators=5, random_state=0), LogisticRegression())

    def forest(trial):
        return {"max_depth": trial.suggest_int("max_depth", 2, 6)}

    def logit(trial):
        return {"C": trial.suggest_float("C", 0.01, 10.0, log=True)}

    results = {}
    for name in (None, EMULATED_FUNCTION_NAME):
        np.random.seed(36)
        model = DoubleMLIRMServerless(name, "eu-central-1", data, *learners, n_folds=3)
        settings = {"n_trials": 3, "sampler": optuna.samplers.TPESampler(seed=5), "n_jobs_optuna": 2,
                    "verbosity": optuna.logging.WARNING}  # fmt: skip
        options = {"cv": 3, "optuna_settings": settings, "return_tune_res": True, "progress": False, "resume": False}
        if name is None:
            res = model.tune_ml_models_local({"ml_g": forest, "ml_m": logit}, n_jobs=1, **options)
        else:
            res = model.tune_ml_models_aws_lambda({"ml_g": forest, "ml_m": logit}, max_concurrency=4, verbose=False,
                                                  **options)  # fmt: skip
            assert (model.aws_lambda_metrics["outcome"] == "ok").sum() == len(model.tune_metrics)
            assert model.aws_lambda_cost["requests"] >= len(model.tune_metrics)
        results[name] = (model, res[0])
    (local, local_res), (remote, remote_res) = results[None], results[EMULATED_FUNCTION_NAME]
    assert remote.params == local.params
    assert remote.tune_report.n_tasks == local.tune_report.n_tasks == 3 * 3 * 3  # studies x trials x folds
    for name, ours in remote_res.items():
        theirs = local_res[name]
        assert ours.best_params == theirs.best_params
        np.testing.assert_allclose([t.value for t in ours.study.trials], [t.value for t in theirs.study.trials],
                                   rtol=RTOL)  # fmt: skip


# --------------------------------------------------------------------------- a crafted payload through the real handler


def test_a_per_fold_lightgbm_machines_parameter_is_refused_in_the_function_before_any_socket(
    bucket, emulated_aws_env, monkeypatch
):
    """An attacker's payload, the client's own check bypassed: the function refuses it and connects nowhere."""
    import socket

    import lightgbm

    from pydmlserverless.core import tasks as planning

    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    machines = {"machines": f"127.0.0.1:{port},127.0.0.1:{port + 1}", "num_machines": 2, "tree_learner": "data"}
    honest = planning.encode_params
    monkeypatch.setattr(planning, "encode_params", lambda params, learner: {**honest(params, learner), **machines})
    np.random.seed(3)
    frame = make_plr_CCDDHNR2018(n_obs=120, dim_x=3, return_type="DataFrame")
    data = DoubleMLDataS3(bucket, "lgbm.csv", frame, y_col="y", d_cols="d")
    learner = lightgbm.LGBMRegressor(n_estimators=5, verbose=-1)
    model = DoubleMLPLRServerless(EMULATED_FUNCTION_NAME, "us-east-1", data, learner, learner, n_folds=2)
    with pytest.raises(TaskError, match="'machines' of LGBMRegressor makes the estimator connect") as info:
        model.fit_aws_lambda(seed=1, max_concurrency=2, progress=False, verbose=False)
    assert info.value.error_type == "LearnerError"
    with pytest.raises(TimeoutError):
        listener.accept()  # nothing connected to the port the payload named
    listener.close()
