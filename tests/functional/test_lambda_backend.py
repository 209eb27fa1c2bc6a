"""The Lambda backend against fakes (no processes): price table, REPORT parser, retry policy, client
configuration, retries and exactly-once accounting, timeouts, version check, results through the store,
and fit_aws_lambda() end to end with an in-process worker behind a fake Lambda client."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import random
import threading
import time
from collections import Counter

import boto3
import numpy as np
import pandas as pd
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from sklearn.linear_model import LinearRegression

from pydmlserverless import (
    ConfigurationError,
    DeploymentMismatchError,
    DoubleMLDataS3,
    DoubleMLPLRServerless,
    TaskError,
    TaskTimeoutError,
)
from pydmlserverless.backends.aws_lambda import (
    INVOCATION_COLUMNS,
    AWSLambda,
    LambdaBackend,
    lambda_client_config,
    version_mismatches,
)
from pydmlserverless.backends.aws_lambda.cost import (
    DEFAULT_PRICES,
    LambdaPrices,
    decode_log_result,
    gb_seconds,
    invocation_cost,
    parse_report_line,
)
from pydmlserverless.backends.aws_lambda.retry import AdaptiveConcurrency, RetryPolicy, parse_retry_after
from pydmlserverless.backends.aws_lambda.speculation import NO_SPECULATION, SpeculationPolicy
from pydmlserverless.worker import codec
from pydmlserverless.worker.config import WorkerConfig
from pydmlserverless.worker.handler import handle_event
from pydmlserverless.worker.protocol import (
    TASK_FORMAT_VERSION,
    ResultSpec,
    Target,
    Task,
    TaskPayload,
    dataset_key,
    results_prefix,
    splits_key,
)
from pydmlserverless.worker.store import LocalStore, S3Store
from pydmlserverless.worker.versions import runtime_versions

FAST = RetryPolicy(base_delay_s=0.0, max_delay_s=0.0)
RIE_REPORT = (
    "REPORT RequestId: 8cd03f8b-e69d-4e82-8ad5-faf9e74d97b4\tInit Duration: 0.31 ms\tDuration: 108.35 ms\t"
    "Billed Duration: 109 ms\tMemory Size: 512 MB\tMax Memory Used: 512 MB\t"
)
LAMBDA_REPORT = (
    "REPORT RequestId: 0f9c2e1a-1111-2222-3333-444455556666\tDuration: 1021.55 ms\tBilled Duration: 1022 ms\t"
    "Memory Size: 1769 MB\tMax Memory Used: 201 MB\tInit Duration: 812.07 ms"
)


# --------------------------------------------------------------------------- price table and REPORT line


def test_parse_report_line_rie_and_lambda_formats():
    rie = parse_report_line(RIE_REPORT)
    assert rie["request_id"] == "8cd03f8b-e69d-4e82-8ad5-faf9e74d97b4"
    assert (rie["duration_ms"], rie["billed_duration_ms"], rie["init_duration_ms"]) == (108.35, 109.0, 0.31)
    assert (rie["memory_size_mb"], rie["max_memory_used_mb"]) == (512.0, 512.0)
    real = parse_report_line(f"START RequestId: x\nsome print\nEND RequestId: x\n{LAMBDA_REPORT}\n")
    assert (real["billed_duration_ms"], real["memory_size_mb"], real["max_memory_used_mb"]) == (1022.0, 1769.0, 201.0)
    assert real["init_duration_ms"] == 812.07 and real["duration_ms"] == 1021.55


def test_parse_report_line_warm_timeout_and_absent():
    warm = parse_report_line("REPORT RequestId: a1\tDuration: 5.00 ms\tBilled Duration: 5 ms\tMemory Size: 128 MB\t")
    assert warm["init_duration_ms"] is None and warm["max_memory_used_mb"] is None
    timed_out = parse_report_line(
        "REPORT RequestId: b2 Duration: 3000.00 ms Billed Duration: 3000 ms Memory Size: 128 MB "
        "Max Memory Used: 40 MB Status: timeout"
    )
    assert timed_out["status"] == "timeout" and timed_out["billed_duration_ms"] == 3000.0
    assert parse_report_line(None) is None
    assert parse_report_line("START RequestId: x\nEND RequestId: x") is None
    two = "REPORT RequestId: r1\tBilled Duration: 10 ms\nREPORT RequestId: r2\tBilled Duration: 20 ms\n"
    assert parse_report_line(two)["billed_duration_ms"] == 20.0
    assert parse_report_line(two, request_id="r1")["billed_duration_ms"] == 10.0


def test_log_result_and_costs():
    assert decode_log_result(base64.b64encode(RIE_REPORT.encode()).decode()) == RIE_REPORT
    assert decode_log_result(None) == "" and decode_log_result("%%%") == ""
    assert gb_seconds(1000, 1024) == 1.0
    gb_s, usd = invocation_cost(1000, 2048, "arm64")
    assert gb_s == 2.0 and usd == pytest.approx(2 * 0.0000133334 + 0.2e-6, rel=1e-12)
    _, usd_x86 = invocation_cost(1000, 2048, "x86_64")
    assert usd_x86 == pytest.approx(2 * 0.0000166667 + 0.2e-6, rel=1e-12)
    assert np.isnan(invocation_cost(None, 1024, "arm64")[1])
    custom = LambdaPrices({"arm64": 1.0, "x86_64": 2.0}, per_request=0.5, source="test")
    assert invocation_cost(1000, 1024, "x86_64", custom) == (1.0, 2.5)
    with pytest.raises(ValueError, match="architecture 'ppc'"):
        DEFAULT_PRICES.compute_usd(1.0, "ppc")
    with pytest.raises(ValueError, match="non-negative"):
        LambdaPrices({"arm64": -1.0})


# --------------------------------------------------------------------------- retry policy


def test_backoff_has_jitter_cap_and_honours_retry_after():
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=4.0)
    rng = random.Random(3)
    assert [policy.backoff_window(n) for n in (1, 2, 3, 4, 5, 10)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    delays = [policy.delay(3, rng=rng) for _ in range(2000)]
    assert 0.0 <= min(delays) and max(delays) <= 2.0 and len(set(delays)) > 1900  # jittered, within the window
    assert np.mean(delays) == pytest.approx(1.0, abs=0.1)  # full jitter: uniform on [0, window]
    after = [policy.delay(1, retry_after=3.0, rng=rng) for _ in range(500)]
    assert min(after) >= 3.0 and max(after) <= 3.5
    assert policy.delay(1, retry_after=float("nan"), rng=rng) <= 0.5
    assert policy.limit("throttle") == 50 and policy.limit("function_error") == 2 and policy.limit("connection") == 100
    assert policy.connection_budget_s == 30.0  # connection errors: retried for 30 s, not 5 quick tries
    with pytest.raises(ValueError, match="max_function_error_retries"):
        RetryPolicy(max_function_error_retries=-1)


def test_parse_retry_after():
    assert parse_retry_after("1.5") == 1.5 and parse_retry_after(2) == 2.0
    assert parse_retry_after(None) is None and parse_retry_after("") is None and parse_retry_after("-3") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") is None


def test_adaptive_concurrency_backs_off_and_recovers():
    gate = AdaptiveConcurrency(8)
    for _ in range(8):
        assert gate.acquire()
    for _ in range(6):  # six of eight were throttled: the limit falls as they give their slots back
        gate.throttled()
        gate.release()
    assert gate.limit == 2.0 and gate.in_flight == 2
    stop = threading.Event()
    stop.set()
    assert gate.acquire(stop) is False  # full, and the fit was stopped: no slot taken
    gate.release()
    for _ in range(200):
        gate.succeeded()
    assert gate.limit == 8.0 and gate.peak == 8
    with pytest.raises(ValueError):
        AdaptiveConcurrency(0)


# --------------------------------------------------------------------------- client configuration


def test_client_config_turns_retries_off_and_waits_past_the_function_timeout():
    config = lambda_client_config(32, 900)
    assert config.read_timeout == 960 and config.max_pool_connections == 32
    assert config.retries == {"total_max_attempts": 1, "mode": "standard"}
    merged = lambda_client_config(4, 300, Config(user_agent_extra="me", read_timeout=2000, retries={"max_attempts": 9}))
    assert merged.user_agent_extra == "me" and merged.read_timeout == 2000
    assert merged.retries["total_max_attempts"] == 1 and merged.max_pool_connections == 10


def test_lambda_clients_are_shared_per_settings(monkeypatch):
    from pydmlserverless.backends.aws_lambda.client import make_lambda_client

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "one")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    first = make_lambda_client("eu-central-1", 4, 300)
    assert make_lambda_client("eu-central-1", 4, 300) is first
    assert make_lambda_client("eu-west-1", 4, 300) is not first
    assert make_lambda_client("eu-central-1", 8, 300) is not first
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "two")  # other credentials: another client
    assert make_lambda_client("eu-central-1", 4, 300) is not first
    session = boto3.session.Session(region_name="eu-central-1")
    assert make_lambda_client("eu-central-1", 4, 300, session=session) is not make_lambda_client(
        "eu-central-1", 4, 300, session=session
    )  # a caller's session: a client of its own each time


def test_injected_client_is_checked():
    short = boto3.client(
        "lambda",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=Config(read_timeout=60, retries={"total_max_attempts": 1}),
    )
    with pytest.raises(ConfigurationError, match="read timeout"):
        LambdaBackend(AWSLambda("fn", function_timeout_s=300, lambda_client=short), LocalStore())
    retrying = boto3.client(
        "lambda",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=Config(read_timeout=1000),
    )
    with pytest.warns(RuntimeWarning, match="retries enabled"):
        LambdaBackend(AWSLambda("fn", lambda_client=retrying), LocalStore())


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"max_concurrency": 0}, "max_concurrency"),
        ({"architecture": "ppc"}, "architecture"),
        ({"memory_mb": 64}, "memory_mb"),
        ({"function_timeout_s": 1000}, "function_timeout_s"),
        ({"retry_policy": {"max": 1}}, "retry_policy"),
        ({"speculation": "yes"}, "speculation must be True, False or a SpeculationPolicy"),
        ({"max_function_error_retries": -1}, "max_function_error_retries"),
    ],
)
def test_backend_options_are_validated(kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        AWSLambda(**kwargs)


def test_version_mismatches():
    here = runtime_versions()
    assert version_mismatches(dict(here, python="3.12.9"), here) == {}  # python may differ
    assert version_mismatches(dict(here, scipy="0.1"), here) == {"scipy": ("0.1", here["scipy"])}
    assert set(version_mismatches(None, here)) == {"numpy", "scipy", "scikit-learn", "pydmlserverless"}


# --------------------------------------------------------------------------- a fake Lambda client


def _tasks(n: int) -> list[Task]:
    out = []
    for i in range(n):
        task_id = f"d/ml_l/r{i}/f0"
        payload = TaskPayload(
            task_id=task_id,
            bucket=None,
            dataset=dataset_key("0" * 64),
            splits=splits_key("1" * 64),
            splits_member=0,
            rep=i,
            folds=(0,),
            learner={},
            params=({},),
            target=Target("y"),
            features=("x",),
            subset=None,
            method="predict",
            result=ResultSpec(5_000_000, results_prefix("k", ["s"])),
        )
        out.append(Task(task_id, "d", "ml_l", i, (0,), payload, n_predictions=5))
    return out


def _expected(task_id: str) -> np.ndarray:
    rep = int(task_id.split("/")[2][1:])
    return np.arange(5, dtype=float) + 100.0 * rep


def _log(request_id: str, billed: int = 120, cold: bool = False) -> str:
    init = "Init Duration: 250.00 ms\t" if cold else ""
    line = (
        f"START RequestId: {request_id} Version: $LATEST\nEND RequestId: {request_id}\n"
        f"REPORT RequestId: {request_id}\t{init}Duration: {billed - 0.5} ms\tBilled Duration: {billed} ms\t"
        f"Memory Size: 1024 MB\tMax Memory Used: 180 MB\t\n"
    )
    return base64.b64encode(line.encode()).decode()


class FakeLambda:
    """Answers Invoke like Lambda; ``script(task_id, call_number)`` picks a misbehaviour or None.

    With ``worker=True`` the real worker (``handle_event``) computes the answer in this process.
    """

    def __init__(self, script=None, worker=False, versions=None, store=None, delay=0.0):
        self.script = script
        self.worker = worker
        self.versions = versions
        self.store = store
        self.delay = delay
        self.calls: Counter = Counter()
        self.order: list[str] = []
        self.in_flight = 0
        self.peak = 0
        self._lock = threading.Lock()

    def invoke(self, FunctionName, InvocationType, LogType, Payload):  # noqa: N803 - boto3's names
        assert InvocationType == "RequestResponse" and LogType == "Tail"
        event = json.loads(Payload)
        task_id = event["task_id"]
        with self._lock:
            self.calls[task_id] += 1
            self.order.append(task_id)
            call = self.calls[task_id]
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            if self.delay:
                time.sleep(self.delay)
            action = self.script(task_id, call) if self.script else None
            request_id = f"req-{task_id}-{call}"
            if isinstance(action, float):  # a straggler: this invocation takes so many seconds
                time.sleep(action)
                action = None
            retry_after = "0"
            if isinstance(action, tuple):  # ("throttle", the Retry-After header's text)
                action, retry_after = action
            if action == "throttle":
                raise ClientError(
                    {
                        "Error": {"Code": "TooManyRequestsException", "Message": "Rate Exceeded."},
                        "ResponseMetadata": {"HTTPStatusCode": 429, "HTTPHeaders": {"retry-after": retry_after}},
                        "retryAfterSeconds": retry_after,
                    },
                    "Invoke",
                )
            if action == "connection":
                raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
            if action == "read_timeout":
                raise ReadTimeoutError(endpoint_url="http://127.0.0.1:1")
            if action == "service":
                raise ClientError(
                    {
                        "Error": {"Code": "ServiceException", "Message": "oops"},
                        "ResponseMetadata": {"HTTPStatusCode": 500},
                    },
                    "Invoke",
                )
            if action == "not_found":
                raise ClientError(
                    {
                        "Error": {"Code": "ResourceNotFoundException", "Message": "Function not found: fn"},
                        "ResponseMetadata": {"HTTPStatusCode": 404},
                    },
                    "Invoke",
                )
            if action == "error":
                body = {"errorType": "ValueError", "errorMessage": f"boom in {task_id}", "stackTrace": []}
                return self._response(json.dumps(body).encode(), request_id, function_error="Unhandled")
            if action == "error_no_header":  # RIE: no X-Amz-Function-Error, only the payload says it
                body = {"errorType": "MemoryError", "errorMessage": "", "requestId": request_id}
                return self._response(json.dumps(body).encode(), request_id)
            if action == "timeout_rie":
                return self._response(b"Task timed out after 1.00 seconds", request_id, billed=1000)
            if action == "timeout_lambda":
                message = "RequestId: x Error: Task timed out after 3.00 seconds"
                body = {"errorType": "Sandbox.Timedout", "errorMessage": message}
                return self._response(json.dumps(body).encode(), request_id, function_error="Unhandled", billed=3000)
            if self.worker:
                # a function deployed for the task's bucket
                answer = handle_event(event, WorkerConfig(S3Store(event["bucket"])))
            else:
                answer = {
                    "task_id": task_id,
                    "n_predictions": 5,
                    "predictions_b64": codec.array_to_b64(_expected(task_id)),
                    "timings": {"load_s": 0.01, "fit_s": 0.02, "predict_s": 0.0, "total_s": 0.03},
                    "info": {"dataset_cache_hit": call > 1, "splits_cache_hit": True},
                    "versions": runtime_versions(),
                }
            if self.versions:
                answer["versions"] = dict(answer["versions"], **self.versions)
            if action == "corrupt_b64":
                answer["predictions_b64"] = "%%%not base64%%%"
            if action == "short":  # consistent in itself, one prediction short of the test rows
                values = codec.b64_to_array(answer["predictions_b64"])[:-1]
                answer.update(predictions_b64=codec.array_to_b64(values), n_predictions=values.size)
            if action in MALFORMED_FIELDS:  # an optional field of the wrong shape
                answer.update(MALFORMED_FIELDS[action])
            return self._response(json.dumps(answer).encode(), request_id, cold=call == 1)
        finally:
            with self._lock:
                self.in_flight -= 1

    @staticmethod
    def _response(body: bytes, request_id: str, function_error=None, billed=120, cold=False) -> dict:
        response = {"StatusCode": 200, "Payload": io.BytesIO(body), "LogResult": _log(request_id, billed, cold)}
        if function_error:
            response["FunctionError"] = function_error
        return response


#: Answers whose optional fields have the wrong shape (each crashed the fit before they were type-checked).
MALFORMED_FIELDS = {
    "timings_list": {"timings": [0.1, 0.2]},
    "info_str": {"info": "cached"},
    "versions_list": {"versions": ["numpy", "2.0"]},
    "timings_nan_text": {"timings": {"fit_s": "NaN"}},
    "info_nested": {"info": {"pid": {"evil": 1}}},
    "n_predictions_text": {"n_predictions": "5"},
    "task_id_number": {"task_id": 7},
}


def _backend(client, **kwargs) -> LambdaBackend:
    options = {"memory_mb": 1024, "architecture": "arm64", "retry_policy": FAST, "max_concurrency": 8}
    options.update(kwargs)
    return LambdaBackend(AWSLambda("fn", lambda_client=client, **options), LocalStore())


def _run_all(backend, tasks) -> dict:
    results = {}
    for result in backend.run(tasks):
        assert result.task.task_id not in results
        results[result.task.task_id] = result
    return results


# --------------------------------------------------------------------------- backend behaviour


def test_every_task_returns_exactly_once_despite_throttles_and_errors():
    def script(task_id, call):  # each task's misbehaviours, in order, before it answers
        rep = int(task_id.split("/")[2][1:])
        plan = ["throttle", "throttle"] * (rep % 3 == 0) + ["connection"] * (rep % 5 == 1)
        plan += ["error"] * (rep % 7 == 2) + ["service"] * (rep % 11 == 3)
        return plan[call - 1] if call <= len(plan) else None

    fake = FakeLambda(script, delay=0.002)
    backend = _backend(fake)
    tasks = _tasks(60)
    results = _run_all(backend, tasks)
    assert set(results) == {t.task_id for t in tasks}
    for task_id, result in results.items():
        np.testing.assert_array_equal(result.predictions, _expected(task_id))
    frame = backend.invocations_frame()
    assert list(frame.columns) == INVOCATION_COLUMNS
    assert len(frame) == sum(fake.calls.values())  # one row per invocation request
    counts = frame["outcome"].value_counts()
    assert counts["ok"] == 60
    assert counts["throttled"] == 2 * len([t for t in tasks if t.rep % 3 == 0])
    assert counts["function_error"] == len([t for t in tasks if t.rep % 7 == 2])
    assert counts["connection_error"] == sum((t.rep % 5 == 1) + (t.rep % 11 == 3) for t in tasks)
    ok = frame[frame["outcome"] == "ok"]
    assert ok["billed_duration_ms"].eq(120).all() and ok["memory_size_mb"].eq(1024).all()
    assert frame.loc[frame["outcome"] == "throttled", "cost_usd"].eq(0).all()
    row = results["d/ml_l/r51/f0"].metrics  # 51 % 3 == 0, 51 % 5 == 1, 51 % 7 == 2: 2 throttles, 1 + 1 errors
    assert (row["attempts"], row["throttles"], row["connection_errors"], row["function_errors"]) == (5, 2, 1, 1)
    assert row["invocations"] == 2
    cost = backend.cost()
    billed_rows = 60 + counts["function_error"]
    assert cost["requests"] == billed_rows and cost["throttled"] == counts["throttled"]
    assert cost["billed_gb_seconds"] == pytest.approx(billed_rows * 0.12, rel=1e-12)
    assert cost["total_usd"] == pytest.approx(billed_rows * (0.12 * 0.0000133334 + 0.2e-6), rel=1e-9)
    lines = backend.summary_lines(frame)
    assert "throttled requests" in lines[0] and "$" in lines[2]


def test_throttling_holds_threads_back():
    capacity = 2
    lock = threading.Lock()
    running = [0]

    class Throttling(FakeLambda):
        def invoke(self, **kwargs):
            with lock:
                over = running[0] >= capacity
                if not over:
                    running[0] += 1
            if over:
                self.script = lambda task_id, call: "throttle"
                try:
                    return super().invoke(**kwargs)
                finally:
                    self.script = None
            try:
                return super().invoke(**kwargs)
            finally:
                with lock:
                    running[0] -= 1

    fake = Throttling(delay=0.005)
    backend = _backend(fake, retry_policy=RetryPolicy(base_delay_s=0.001, max_delay_s=0.01, max_throttle_retries=1000))
    results = _run_all(backend, _tasks(100))
    assert len(results) == 100
    frame = backend.invocations_frame()
    throttled = int((frame["outcome"] == "throttled").sum())
    assert throttled > 0 and (frame["outcome"] == "ok").sum() == 100
    assert throttled < 400  # the adaptive limit keeps most threads waiting instead of hammering


def test_function_errors_are_retried_then_reported_with_the_task():
    fake = FakeLambda(lambda task_id, call: "error" if task_id == "d/ml_l/r3/f0" else None)
    backend = _backend(fake, retry_policy=RetryPolicy(max_function_error_retries=2, base_delay_s=0.0))
    with pytest.raises(TaskError, match=r"d/ml_l/r3/f0 \(treatment 'd', learner 'ml_l', rep 3, fold 0\)") as info:
        _run_all(backend, _tasks(6))
    assert not isinstance(info.value, TaskTimeoutError)
    assert info.value.error_type == "ValueError" and info.value.error_message == "boom in d/ml_l/r3/f0"
    assert info.value.task == {"treatment": "d", "learner": "ml_l", "rep": 3, "folds": [0]}
    assert fake.calls["d/ml_l/r3/f0"] == 3  # 1 + 2 retries
    frame = backend.invocations_frame()
    failed = frame[frame["task_id"] == "d/ml_l/r3/f0"]
    assert failed["outcome"].tolist() == ["function_error"] * 3 and failed["attempt"].tolist() == [1, 2, 3]


def test_an_error_payload_without_the_header_is_a_function_error():
    fake = FakeLambda(lambda task_id, call: "error_no_header" if call == 1 else None)
    results = _run_all(_backend(fake), _tasks(3))
    assert len(results) == 3 and all(result.metrics["function_errors"] == 1 for result in results.values())


@pytest.mark.parametrize("kind", ["timeout_rie", "timeout_lambda"])
def test_timeouts_are_named_and_not_retried(kind):
    fake = FakeLambda(lambda task_id, call: kind if task_id == "d/ml_l/r1/f0" else None)
    backend = _backend(fake)
    with pytest.raises(TaskTimeoutError, match=r"d/ml_l/r1/f0 .*rep 1.* ran past the function's timeout") as info:
        _run_all(backend, _tasks(4))
    assert "Task timed out after" in info.value.error_message
    assert fake.calls["d/ml_l/r1/f0"] == 1
    frame = backend.invocations_frame()
    assert frame.loc[frame["task_id"] == "d/ml_l/r1/f0", "outcome"].tolist() == ["timeout"]


def test_connection_errors_are_bounded():
    fake = FakeLambda(lambda task_id, call: "read_timeout")
    with pytest.raises(TaskError, match="met connection errors 3 times"):
        _run_all(_backend(fake, retry_policy=RetryPolicy(max_connection_retries=2, base_delay_s=0.0)), _tasks(1))
    assert sum(fake.calls.values()) == 3


def test_a_connection_outage_of_seconds_is_waited_out_within_the_budget():
    started = time.monotonic()
    fake = FakeLambda(lambda task_id, call: "connection" if time.monotonic() - started < 1.0 else None)
    policy = RetryPolicy(base_delay_s=0.05, max_delay_s=0.2, connection_budget_s=30.0)
    results = _run_all(_backend(fake, retry_policy=policy, max_concurrency=4), _tasks(4))
    assert len(results) == 4 and time.monotonic() - started >= 1.0
    assert all(result.metrics["connection_errors"] >= 1 for result in results.values())


def test_connection_retries_stop_at_the_time_budget():
    fake = FakeLambda(lambda task_id, call: "connection")
    policy = RetryPolicy(base_delay_s=0.02, max_delay_s=0.05, connection_budget_s=0.3)
    started = time.monotonic()
    with pytest.raises(TaskError, match="met connection errors"):
        _run_all(_backend(fake, retry_policy=policy), _tasks(1))
    assert 0.3 <= time.monotonic() - started < 3.0


@pytest.mark.parametrize("fault", ["corrupt_b64", "short", *MALFORMED_FIELDS])
def test_an_unusable_answer_is_retried_then_named(fault):
    once = FakeLambda(lambda task_id, call: fault if call == 1 else None)
    (result,) = _run_all(_backend(once), _tasks(1)).values()
    np.testing.assert_array_equal(result.predictions, _expected("d/ml_l/r0/f0"))
    assert result.metrics["function_errors"] == 1
    always = FakeLambda(lambda task_id, call: fault)
    with pytest.raises(
        TaskError, match=r"d/ml_l/r0/f0 .*failed in the function 3 times; last error: InvalidResponse"
    ) as info:
        _run_all(_backend(always), _tasks(1))
    assert info.value.task == {"treatment": "d", "learner": "ml_l", "rep": 0, "folds": [0]}


class RecordingPolicy(RetryPolicy):
    """A retry policy that records the waits it hands out (a frozen dataclass: the list is shared)."""

    def delay(self, retry, retry_after=None, rng=None):
        wait = super().delay(retry, retry_after, rng)
        self.waits.append(wait)  # type: ignore[attr-defined]
        return wait


@pytest.mark.parametrize("header", ["3600", "1e20", "inf", "nan", "-5"])
def test_retry_after_is_capped_by_the_policy_and_absurd_values_are_ignored(header):
    policy = RecordingPolicy(base_delay_s=0.0, max_delay_s=0.0, max_retry_after_s=0.01)
    object.__setattr__(policy, "waits", [])
    fake = FakeLambda(lambda task_id, call: ("throttle", header) if call <= 2 else None)
    (result,) = _run_all(_backend(fake, retry_policy=policy), _tasks(1)).values()
    assert result.metrics["throttles"] == 2
    assert policy.waits and all(0.0 <= wait <= 0.01 for wait in policy.waits)
    default = RetryPolicy()
    assert default.delay(1, parse_retry_after(header), random.Random(0)) <= default.max_retry_after_s + 0.2


def test_missing_function_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="'fn' was not found"):
        _run_all(_backend(FakeLambda(lambda task_id, call: "not_found")), _tasks(2))


def test_version_mismatch_stops_the_fit_at_the_first_response():
    fake = FakeLambda(versions={"scikit-learn": "0.24.2"}, delay=0.01)
    backend = _backend(fake, max_concurrency=2)
    with pytest.raises(DeploymentMismatchError, match=r"scikit-learn 0\.24\.2 .*sam/build_layer\.py --arch arm64"):
        _run_all(backend, _tasks(40))
    time.sleep(0.05)
    assert sum(fake.calls.values()) <= 4  # the rest were cancelled
    results = _run_all(_backend(FakeLambda(versions={"scikit-learn": "0.24.2"}), check_versions=False), _tasks(3))
    assert len(results) == 3


@pytest.mark.parametrize("keep", [True, False])
def test_large_results_come_through_the_store(tmp_path, keep):
    store = LocalStore(tmp_path)
    task = _tasks(1)[0]
    payload = dataclasses.replace(task.payload, result=dataclasses.replace(task.payload.result, keep=keep))
    task = dataclasses.replace(task, payload=payload, n_predictions=1000)
    values = np.linspace(0, 1, 1000)
    store.put(task.payload.result_key, codec.encode_result(values, task.payload.digest))

    class ViaStore(FakeLambda):
        def _response(self, body, request_id, **kwargs):
            answer = json.loads(body)
            answer.pop("predictions_b64")
            answer.update(predictions_key=task.payload.result_key, n_predictions=1000)
            return FakeLambda._response(json.dumps(answer).encode(), request_id, **kwargs)

    spec = AWSLambda("fn", memory_mb=1024, architecture="x86_64", retry_policy=FAST, lambda_client=ViaStore())
    backend = LambdaBackend(spec, store)
    (result,) = list(backend.run([task]))
    np.testing.assert_array_equal(result.predictions, values)
    # a kept result stays for a rerun; one that is not kept is deleted once read
    assert result.metrics["result_via"] == "store" and store.exists(task.payload.result_key) == keep


def test_stubbed_client_sends_the_invoke_lambda_expects():
    client = boto3.client(
        "lambda",
        region_name="eu-central-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=lambda_client_config(1, 900),
    )
    task = _tasks(1)[0]
    payload = task.payload.to_json()
    answer = json.dumps(
        {
            "task_id": task.task_id,
            "n_predictions": 5,
            "predictions_b64": codec.array_to_b64(_expected(task.task_id)),
            "versions": runtime_versions(),
        }
    ).encode()
    with Stubber(client) as stub:
        stub.add_response(
            "get_function_configuration",
            {"MemorySize": 1769, "Architectures": ["x86_64"], "Timeout": 300},
            {"FunctionName": "LambdaCVPredict"},
        )
        stub.add_client_error(
            "invoke",
            "TooManyRequestsException",
            "Rate exceeded",
            429,
            modeled_fields={"retryAfterSeconds": "0", "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"},
            expected_params={
                "FunctionName": "LambdaCVPredict",
                "InvocationType": "RequestResponse",
                "LogType": "Tail",
                "Payload": payload,
            },
        )
        stub.add_response(
            "invoke",
            {
                "StatusCode": 200,
                "Payload": StreamingBody(io.BytesIO(answer), len(answer)),
                "LogResult": _log("abc", billed=2000),
                "ExecutedVersion": "$LATEST",
            },
            {"FunctionName": "LambdaCVPredict", "InvocationType": "RequestResponse", "LogType": "Tail", "Payload": ANY},
        )
        backend = LambdaBackend(AWSLambda("LambdaCVPredict", retry_policy=FAST, lambda_client=client), LocalStore())
        (result,) = list(backend.run([task]))
        stub.assert_no_pending_responses()
    np.testing.assert_array_equal(result.predictions, _expected(task.task_id))
    assert backend.architecture == "x86_64" and backend.memory_mb == 1769
    frame = backend.invocations_frame()
    assert frame["outcome"].tolist() == ["throttled", "ok"]
    ok = frame.iloc[1]
    assert ok["request_bytes"] == len(payload) and ok["billed_duration_ms"] == 2000 and ok["memory_size_mb"] == 1024
    assert ok["cost_usd"] == pytest.approx(2.0 * 0.0000166667 + 0.2e-6, rel=1e-12)  # x86_64 from the configuration


def test_function_timeout_above_the_clients_wait_is_refused():
    class Configured(FakeLambda):
        def get_function_configuration(self, FunctionName):  # noqa: N803
            return {"MemorySize": 512, "Architectures": ["arm64"], "Timeout": 900}

    spec = AWSLambda("fn", function_timeout_s=60, retry_policy=FAST, lambda_client=Configured())
    backend = LambdaBackend(spec, LocalStore())
    with pytest.raises(ConfigurationError, match="pass function_timeout_s=900"):
        list(backend.run(_tasks(1)))


# --------------------------------------------------------------------------- fit_aws_lambda() with a fake client


def _plr_s3(bucket, n_obs=200):
    from doubleml.plm.datasets import make_plr_CCDDHNR2018

    np.random.seed(5)
    frame = make_plr_CCDDHNR2018(n_obs=n_obs, dim_x=4, return_type="DataFrame")
    return DoubleMLDataS3(bucket, "plr.csv", frame, y_col="y", d_cols="d")


def test_fit_aws_lambda_needs_s3_data_and_a_function_name():
    from doubleml.plm.datasets import make_plr_CCDDHNR2018
    from sklearn.linear_model import LinearRegression

    np.random.seed(1)
    data = make_plr_CCDDHNR2018(n_obs=50, dim_x=3)
    fake = FakeLambda()
    model = DoubleMLPLRServerless("fn", "eu-central-1", data, LinearRegression(), LinearRegression(), n_folds=2)
    with pytest.raises(ConfigurationError, match="DoubleMLDataS3"):
        model.fit_aws_lambda(lambda_client=fake)
    frame = data.data
    s3_data = DoubleMLDataS3("bucket", "f.csv", frame, y_col="y", d_cols="d")
    nameless = DoubleMLPLRServerless(None, None, s3_data, LinearRegression(), LinearRegression(), n_folds=2)
    with pytest.raises(ConfigurationError, match="No Lambda function name"):
        nameless.fit_aws_lambda(lambda_client=fake)
    named = DoubleMLPLRServerless("fn", None, s3_data, LinearRegression(), LinearRegression(), n_folds=2)
    with pytest.raises(ConfigurationError, match="scaling"):
        named.fit_aws_lambda(lambda_client=fake, scaling="n_folds")
    with pytest.raises(ConfigurationError, match="max_function_error_retries"):
        named.fit_aws_lambda(lambda_client=fake, max_function_error_retries=-1)
    assert sum(fake.calls.values()) == 0


@pytest.mark.parametrize("scaling", ["n_folds * n_rep", "n_rep"])
def test_fit_aws_lambda_equals_fit_local(s3_env, scaling, capsys):
    from sklearn.ensemble import RandomForestRegressor

    data = _plr_s3(s3_env)
    learners = [RandomForestRegressor(n_estimators=5, max_depth=3), RandomForestRegressor(n_estimators=5, max_depth=3)]
    local = DoubleMLPLRServerless(None, None, data, *learners, n_folds=3, n_rep=2)
    local.fit_local(n_jobs=1, seed=11, progress=False, resume=False)  # the remote fit must run
    remote = DoubleMLPLRServerless(
        "LambdaCVPredict", "eu-central-1", data, *learners, n_folds=3, n_rep=2, draw_sample_splitting=False
    )
    remote.set_sample_splitting(local.smpls)
    fake = FakeLambda(worker=True, script=lambda task_id, call: "throttle" if call == 1 else None)
    remote.fit_aws_lambda(
        scaling=scaling,
        seed=11,
        lambda_client=fake,
        memory_mb=1769,
        architecture="arm64",
        retry_policy=FAST,
        progress=False,
    )
    np.testing.assert_allclose(remote.coef, local.coef, rtol=1e-12)
    np.testing.assert_allclose(remote.se, local.se, rtol=1e-12)
    n_tasks = 2 * 2 * (3 if scaling == "n_folds * n_rep" else 1)
    metrics = remote.aws_lambda_metrics
    assert len(metrics) == 2 * n_tasks and (metrics["outcome"] == "ok").sum() == n_tasks
    assert len(remote.task_metrics) == n_tasks and remote.task_metrics["throttles"].eq(1).all()
    cost = remote.aws_lambda_cost
    assert cost["requests"] == n_tasks and cost["total_usd"] > 0 and cost["wall_s"] > 0
    printed = capsys.readouterr().err
    assert "AWS Lambda 'LambdaCVPredict'" in printed and "GB-s" in printed and "cost $" in printed
    # the same fit through the backend argument: the shim is one line onto it
    spec = AWSLambda(lambda_client=fake, memory_mb=1769, architecture="arm64", retry_policy=FAST)
    remote.fit(backend=spec, scaling=scaling, seed=11, progress=False, resume=False)
    np.testing.assert_allclose(remote.coef, local.coef, rtol=1e-12)
    np.testing.assert_allclose(remote.se, local.se, rtol=1e-12)
    assert remote.aws_lambda_cost["requests"] == n_tasks


# --------------------------------------------------------------------------- the handler


def test_handler_runs_without_doubleml_or_pandas(tmp_path):
    """The layer holds numpy, scipy, scikit-learn and pydmlserverless only: the handler must not need more."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    values = np.column_stack([np.arange(20.0), np.arange(20.0) % 2, 3.0 * np.arange(20.0)])
    body, digest = codec.encode_dataset(values, ["x", "d", "y"])
    local = LocalStore(tmp_path)
    local.put(dataset_key(digest), body)
    smpls = [(np.arange(10, 20), np.arange(10)), (np.arange(10), np.arange(10, 20))]
    splits, splits_digest = codec.encode_splits(smpls, 20)
    local.put(splits_key(splits_digest), splits)
    from sklearn.linear_model import LinearRegression

    from pydmlserverless.worker.learners import encode_learner

    event = {
        "v": TASK_FORMAT_VERSION,
        "task_id": "d/ml_l/r0/all",
        "bucket": None,
        "dataset": dataset_key(digest),
        "splits": splits_key(splits_digest),
        "rep": 0,
        "folds": [0, 1],
        "learner": encode_learner(LinearRegression()),
        "params": [{}, {}],
        "target": {"column": "y"},
        "features": ["x"],
        "subset": None,
        "method": "predict",
        "result": {"inline_max_bytes": 5_000_000, "prefix": results_prefix("k", ["s"]), "keep": True},
        "return_models": True,  # skops too must work without pandas
    }
    script = (
        "import json, sys\n"
        "class Absent:  # as in the Lambda layer: doubleml and pandas are not installed\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('doubleml', 'pandas'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Absent())\n"
        f"sys.path[:0] = [{str(root / 'lambda')!r}, {str(root)!r}]\n"
        "import handler\n"
        # the function's own configuration, here a local folder instead of the deployment's bucket
        "import pydmlserverless.worker.handler as entry_point\n"
        "from pydmlserverless.worker.store import LocalStore\n"
        "from pydmlserverless.worker.config import WorkerConfig\n"
        f"entry_point._config = WorkerConfig(LocalStore({str(tmp_path)!r}))\n"
        "print(json.dumps(handler.lambda_handler(json.loads(sys.stdin.read()), None)))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], input=json.dumps(event), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    response = json.loads(done.stdout)
    np.testing.assert_allclose(codec.b64_to_array(response["predictions_b64"]), 3.0 * np.arange(20.0), atol=1e-9)
    assert set(response["versions"]) == {"python", "numpy", "scipy", "scikit-learn", "pydmlserverless"}
    from pydmlserverless.worker.fitted_models import load_models

    fitted = load_models(local.get(response["models_key"]), 2)
    np.testing.assert_allclose(fitted[0].coef_, [3.0])
    blocked = script.replace("import handler\n", "import pydmlserverless.doubleml.models\n")
    assert subprocess.run([sys.executable, "-c", blocked], input="{}", capture_output=True, text=True).returncode != 0


def test_a_failed_refit_leaves_the_model_as_it_was_and_its_metrics_on_the_error(s3_env):
    data = _plr_s3(s3_env)
    model = DoubleMLPLRServerless("LambdaCVPredict", "eu-central-1", data, LinearRegression(), LinearRegression())
    options = {"memory_mb": 1769, "architecture": "arm64", "retry_policy": FAST, "progress": False, "verbose": False}
    options["resume"] = False  # the refit must invoke its tasks again
    model.fit_aws_lambda(lambda_client=FakeLambda(worker=True), **options)
    before = (model.coef.copy(), model.se.copy(), model.fit_report, model.aws_lambda_metrics, model.aws_lambda_cost)
    failing = FakeLambda(worker=True, script=lambda task_id, call: "error" if task_id == "d/ml_m/r0/f3" else None)
    with pytest.raises(TaskError, match="d/ml_m/r0/f3") as info:
        model.fit_aws_lambda(lambda_client=failing, **options)
    np.testing.assert_array_equal(model.coef, before[0])
    np.testing.assert_array_equal(model.se, before[1])
    assert (
        model.fit_report is before[2] and model.aws_lambda_metrics is before[3] and model.aws_lambda_cost is before[4]
    )
    failed = info.value.aws_lambda_metrics
    assert (failed.loc[failed["task_id"] == "d/ml_m/r0/f3", "outcome"] == "function_error").sum() == 3
    assert info.value.aws_lambda_cost["requests"] >= 3


# --------------------------------------------------------------------------- speculative copies of stragglers

QUICK_SPECULATION = SpeculationPolicy(slowdown=3.0, min_finished=0.5, min_seconds=0.3, max_copies=0.1)


def test_a_straggler_gets_one_copy_and_the_first_answer_wins():
    straggler = "d/ml_l/r7/f0"
    fake = FakeLambda(lambda task_id, call: 3.0 if (task_id, call) == (straggler, 1) else None, delay=0.02)
    backend = _backend(fake, speculation=QUICK_SPECULATION, max_concurrency=4)
    t0 = time.perf_counter()
    results = _run_all(backend, _tasks(20))
    assert time.perf_counter() - t0 < 2.5  # the copy answered; the straggler's first invocation still runs
    assert set(results) == {t.task_id for t in _tasks(20)}
    for task_id, result in results.items():
        np.testing.assert_array_equal(result.predictions, _expected(task_id))
    assert fake.calls[straggler] == 2 and sum(fake.calls.values()) == 21
    assert results[straggler].metrics["speculative_copy_won"]
    assert not any(r.metrics["speculative_copy_won"] for k, r in results.items() if k != straggler)
    time.sleep(3.1)  # the original's late answer is dropped, its invocation listed (billed)
    frame = backend.invocations_frame()
    assert len(frame) == 21 and frame["speculative"].sum() == 1
    assert frame.loc[frame["speculative"] == True, "task_id"].tolist() == [straggler]  # noqa: E712
    lines = backend.summary_lines(pd.DataFrame())
    assert any(line.startswith("speculative copies of 1 straggling task(s): 1 invocations") for line in lines)


def test_no_copy_without_a_straggler_or_when_switched_off():
    fake = FakeLambda(delay=0.02)
    _run_all(_backend(fake, speculation=QUICK_SPECULATION), _tasks(20))
    assert sum(fake.calls.values()) == 20
    straggler = "d/ml_l/r7/f0"
    fake = FakeLambda(lambda task_id, call: 1.0 if task_id == straggler else None, delay=0.02)
    _run_all(_backend(fake, speculation=NO_SPECULATION), _tasks(20))
    assert fake.calls[straggler] == 1


def test_copies_stay_within_their_budget_and_a_failed_copy_does_not_fail_the_fit():
    slow = {f"d/ml_l/r{i}/f0" for i in range(10, 16)}

    def script(task_id, call):
        if task_id in slow:
            return 1.0 if call == 1 else "error"  # the copies fail: the originals' answers are used
        return None

    fake = FakeLambda(script, delay=0.02)
    policy = SpeculationPolicy(min_finished=0.5, min_seconds=0.2, max_copies=0.1)  # 2 of 20 tasks
    backend = _backend(
        fake,
        speculation=policy,
        max_concurrency=20,
        retry_policy=RetryPolicy(max_function_error_retries=0, base_delay_s=0.0, max_delay_s=0.0),
    )
    results = _run_all(backend, _tasks(20))
    assert len(results) == 20 and not any(r.metrics["speculative_copy_won"] for r in results.values())
    copies = [t for t, n in fake.calls.items() if n > 1]
    assert len(copies) <= 2 and set(copies) <= slow


def test_the_speculation_policy_rules():
    policy = SpeculationPolicy(slowdown=3.0, min_finished=0.5, min_seconds=10.0, max_copies=0.02)
    assert policy.copy_budget(10) == 1 and policy.copy_budget(1000) == 20 and NO_SPECULATION.copy_budget(1000) == 0
    assert not policy.is_straggler(31.0, [10.0, 10.0], n_of_kind=4)  # fewer than 3 finished
    assert not policy.is_straggler(31.0, [10.0] * 3, n_of_kind=10)  # fewer than half finished
    assert policy.is_straggler(31.0, [10.0] * 5, n_of_kind=10)
    assert not policy.is_straggler(9.0, [1.0] * 5, n_of_kind=10)  # under min_seconds
    running = {"a": ("ml_l", 40.0), "b": ("ml_l", 50.0), "c": ("ml_m", 40.0)}
    finished = {"ml_l": [10.0] * 5, "ml_m": [20.0] * 5}  # ml_m's tasks are slower: c is not a straggler
    assert policy.stragglers(running, finished, {"ml_l": 10, "ml_m": 10}, exclude=set()) == ["b", "a"]
    assert policy.stragglers(running, finished, {"ml_l": 10, "ml_m": 10}, exclude={"b"}) == ["a"]
    with pytest.raises(ConfigurationError, match="slowdown"):
        SpeculationPolicy(slowdown=1.0)
    with pytest.raises(ConfigurationError, match="speculation must be True, False or a SpeculationPolicy"):
        AWSLambda(speculation=1.5)
