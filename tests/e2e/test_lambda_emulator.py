"""The Lambda emulator harness itself: boto3 against real Lambda runtimes (RIE + awslambdaric) on loopback."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from pydmlserverless.testing import (
    LAMBDA_CODE_DIR,
    REPO_ROOT,
    TOY_CODE_DIR,
    TOY_HANDLER,
    apply_aws_env,
    lambda_pool,
    parse_report,
)

pytestmark = pytest.mark.emulator

TOY = "ToyFunction"
TIMEOUT_S = 3


@pytest.fixture(scope="module")
def toy():
    """Two emulators of the toy handler with a 3 s timeout."""
    with lambda_pool(
        2,
        TOY_HANDLER,
        TOY_CODE_DIR,
        function_name=TOY,
        timeout_s=TIMEOUT_S,
        memory_mb=1024,
        env={"TOY_MARKER": "on"},
    ) as pool:
        yield pool


@pytest.fixture
def client(toy):
    toy.reset_counters()
    lam = boto3.client(
        "lambda",
        endpoint_url=toy.endpoint_url,
        region_name="eu-central-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 0}, read_timeout=TIMEOUT_S + 30),
    )
    # botocore creates a client's exception classes lazily and without a lock: threads that raise
    # the first errors at once can get classes other than client.exceptions.*; create them now
    lam.exceptions  # noqa: B018
    return lam


def invoke(client, event, **kwargs):
    name = kwargs.pop("name", TOY)
    response = client.invoke(FunctionName=name, Payload=json.dumps(event).encode(), **kwargs)
    return response, json.loads(response["Payload"].read())


def test_echo_returns_the_payload(client, toy):
    response, payload = invoke(client, {"hello": "world"})
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    assert payload["echo"] == {"hello": "world"}
    assert payload["function_name"] == TOY
    assert payload["memory_limit_in_mb"] == 1024
    assert 0 < payload["remaining_ms"] <= TIMEOUT_S * 1000
    assert response["ResponseMetadata"]["RequestId"] == payload["request_id"]
    assert toy.invocations == 1 and toy.throttles == 0


def test_log_tail_holds_the_invocations_log_and_report(client):
    response, payload = invoke(client, {"print": ["first line", "second line"]}, LogType="Tail")
    log = base64.b64decode(response["LogResult"]).decode()
    lines = log.splitlines()
    request_id = payload["request_id"]
    assert lines[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert "first line" in lines and "second line" in lines
    assert f"END RequestId: {request_id}" in lines
    assert lines[-1].startswith(f"REPORT RequestId: {request_id}\t")
    assert "Billed Duration" in lines[-1]
    report = parse_report(lines[-1])
    assert report is not None and report.memory_size_mb == 1024 and report.billed_duration_ms >= 1
    assert "(rapid)" not in log


def test_log_tail_is_at_most_4_kb(client):
    response, _ = invoke(client, {"print": ["y" * 1000] * 10}, LogType="Tail")
    log = base64.b64decode(response["LogResult"])
    assert len(log) <= 4096
    assert b"Billed Duration" in log


def test_handler_exception_is_an_unhandled_function_error(client, toy):
    response, payload = invoke(client, {"action": "raise", "message": "no luck"}, LogType="Tail")
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "ToyError"
    assert payload["errorMessage"] == "no luck"
    assert "stackTrace" in payload
    assert "[ERROR] ToyError: no luck" in base64.b64decode(response["LogResult"]).decode()
    assert toy.records[-1].function_error == "Unhandled"
    assert toy.records[-1].error_type == "ToyError"


def _concurrent(client, events):
    outcomes: list = [None] * len(events)

    def call(i):
        try:
            outcomes[i] = invoke(client, events[i])
        except ClientError as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(events))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_busy_emulators_throttle_with_too_many_requests(client, toy):
    outcomes = _concurrent(client, [{"action": "sleep", "seconds": 1.5}] * 6)
    throttled = [o for o in outcomes if isinstance(o, ClientError)]
    succeeded = [o for o in outcomes if not isinstance(o, ClientError)]
    assert len(succeeded) >= 2 and len(throttled) >= 1
    for exc in throttled:
        assert exc.response["Error"]["Code"] == "TooManyRequestsException"
        assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 429
        assert exc.response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "1"
        assert exc.response["retryAfterSeconds"] == "1"
        assert isinstance(exc, client.exceptions.TooManyRequestsException)
        assert exc.response["Reason"] == "ConcurrentInvocationLimitExceeded"
        assert exc.response["message"] == "Rate Exceeded."
    for _, payload in succeeded:
        assert payload["slept"] == 1.5
    assert toy.throttles == len(throttled)
    assert toy.invocations == len(succeeded)
    assert toy.peak_concurrency == 2
    assert sum(toy.per_emulator_invocations) == len(succeeded)
    assert len(toy.records) == 6


def test_max_concurrency_throttles_before_the_pool_is_exhausted():
    with lambda_pool(3, TOY_HANDLER, TOY_CODE_DIR, function_name=TOY, max_concurrency=1) as pool:
        outcomes = _concurrent(pool.client(), [{"action": "sleep", "seconds": 1.0}] * 3)
        throttled = [o for o in outcomes if isinstance(o, ClientError)]
        assert len(throttled) == 2
        assert throttled[0].response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
        assert pool.peak_concurrency == 1
        assert pool.per_emulator_invocations == [1, 0, 0]


def test_unknown_function_is_resource_not_found(client):
    with pytest.raises(ClientError) as caught:
        invoke(client, {}, name="NoSuchFunction")
    error = caught.value.response
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert "NoSuchFunction" in error["Error"]["Message"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        invoke(client, {}, Qualifier="7")


def test_arn_and_latest_qualifier_name_the_function(client):
    arn = f"arn:aws:lambda:eu-central-1:123456789012:function:{TOY}"
    for name in (arn, f"{arn}:$LATEST", f"{TOY}:$LATEST", f"123456789012:function:{TOY}"):
        response, payload = invoke(client, {"n": 1}, name=name)
        assert payload["echo"] == {"n": 1}
    response = client.invoke(FunctionName=TOY, Qualifier="$LATEST", Payload=b"{}")
    assert response["StatusCode"] == 200


def test_timeout_is_a_sandbox_timedout_function_error(client, toy):
    started = time.monotonic()
    response, payload = invoke(client, {"action": "sleep", "seconds": TIMEOUT_S + 3}, LogType="Tail")
    assert time.monotonic() - started < TIMEOUT_S + 2
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Sandbox.Timedout"
    assert payload["errorMessage"].endswith(f"Task timed out after {TIMEOUT_S}.00 seconds")
    assert payload["errorMessage"].startswith(f"RequestId: {response['ResponseMetadata']['RequestId']} ")
    log = base64.b64decode(response["LogResult"]).decode()
    report = next(parse_report(line) for line in log.splitlines() if line.startswith("REPORT"))
    assert report.duration_ms == pytest.approx(TIMEOUT_S * 1000, abs=50)
    assert log.rstrip().endswith(f"Task timed out after {TIMEOUT_S}.00 seconds")
    assert toy.records[-1].timed_out
    # the emulator recovers: its next invocation starts a fresh runtime
    _, payload = invoke(client, {"after": "timeout"})
    assert payload["echo"] == {"after": "timeout"}


def test_runtime_exit_is_a_function_error_and_the_runtime_comes_back(client, toy):
    response, payload = invoke(client, {"action": "exit", "code": 3}, LogType="Tail")
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in payload["errorMessage"]
    assert "Billed Duration" in base64.b64decode(response["LogResult"]).decode()
    assert toy.records[-1].report_synthesized
    _, payload = invoke(client, {"after": "exit"})
    assert payload["echo"] == {"after": "exit"}
    assert toy.restarts == 0


def test_response_over_6_mb_is_a_function_error(client):
    response, payload = invoke(client, {"action": "big", "bytes": 7 * 1024 * 1024})
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Function.ResponseSizeTooLarge"


def test_dead_emulator_is_restarted(client, toy):
    victim = toy.emulators.emulators[0]
    os.killpg(victim.process.pid, signal.SIGKILL)
    victim.process.wait()
    _, payload = invoke(client, {"after": "kill"})
    assert payload["echo"] == {"after": "kill"}
    assert toy.restarts == 1
    assert toy.records[-1].emulator == 0


def test_request_validation_like_lambda(client, toy):
    with pytest.raises(ClientError) as caught:
        client.invoke(FunctionName=TOY, Payload=b"not json")
    assert caught.value.response["Error"]["Code"] == "InvalidRequestContentException"
    with pytest.raises(ClientError) as caught:
        client.invoke(FunctionName=TOY, Payload=json.dumps({"x": "z" * (6 * 1024 * 1024)}).encode())
    assert caught.value.response["Error"]["Code"] == "RequestTooLargeException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    with pytest.raises(ClientError) as caught:
        client.invoke(FunctionName=TOY, InvocationType="Event", Payload=b"{}")
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert client.invoke(FunctionName=TOY, InvocationType="DryRun")["StatusCode"] == 204
    response = client.invoke(FunctionName=TOY)  # no payload: the handler gets {}
    assert json.loads(response["Payload"].read())["echo"] == {}
    assert toy.invocations == 1


def test_runtime_environment(client):
    keys = [
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_TIMEOUT",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "TOY_MARKER",
        "PYTHONPATH",
        "AWS_ENDPOINT_URL_LAMBDA",
    ]
    _, env = invoke(client, {"action": "env", "keys": keys})
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == TOY
    assert env["AWS_LAMBDA_FUNCTION_TIMEOUT"] == str(TIMEOUT_S)
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "1024"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-central-1"
    assert env["AWS_ACCESS_KEY_ID"] == "testing"
    assert env["TOY_MARKER"] == "on"
    assert env["PYTHONPATH"].split(os.pathsep) == [str(TOY_CODE_DIR), str(REPO_ROOT)]
    assert env["AWS_ENDPOINT_URL_LAMBDA"] is None  # nothing leaks in from the test process


def test_allocating_memory(client):
    _, payload = invoke(client, {"action": "allocate", "mb": 200})
    assert payload["allocated_mb"] == 200
    assert payload["max_rss_mb"] >= 200


def test_records_count_each_invocation(client, toy):
    for i in range(3):
        invoke(client, {"i": i})
    assert toy.invocations == 3
    assert toy.per_emulator_invocations == [3, 0]  # a free warm emulator is reused first
    assert [r.status for r in toy.records] == [200, 200, 200]
    assert all(r.report is not None and not r.report_synthesized for r in toy.records)
    assert all(r.duration_s > 0 and r.emulator == 0 for r in toy.records)


def test_moto_server_accepts_put_and_get(moto_s3_server):
    s3 = boto3.client(
        "s3",
        endpoint_url=moto_s3_server.endpoint_url,
        region_name="eu-central-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3.create_bucket(Bucket="harness", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    s3.put_object(Bucket="harness", Key="a/b.txt", Body=b"payload")
    assert s3.get_object(Bucket="harness", Key="a/b.txt")["Body"].read() == b"payload"


def test_runtime_reads_moto_s3(lambda_pool_factory, moto_s3_server):
    s3 = boto3.client(
        "s3",
        endpoint_url=moto_s3_server.endpoint_url,
        region_name="eu-central-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3.create_bucket(Bucket="from-lambda", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    s3.put_object(Bucket="from-lambda", Key="k", Body=b"seen inside")
    pool = lambda_pool_factory(
        1,
        TOY_HANDLER,
        TOY_CODE_DIR,
        function_name="ToyS3",
        env={"AWS_ENDPOINT_URL_S3": moto_s3_server.endpoint_url},
    )
    response = pool.client().invoke(
        FunctionName="ToyS3", Payload=json.dumps({"action": "s3_get", "bucket": "from-lambda", "key": "k"})
    )
    assert json.loads(response["Payload"].read()) == {"body": "seen inside"}


def test_aws_env_points_a_default_client_at_the_router(monkeypatch, toy, moto_s3_server):
    env = apply_aws_env(monkeypatch, toy.endpoint_url, moto_s3_server.endpoint_url)
    assert env["AWS_ENDPOINT_URL_LAMBDA"] == toy.endpoint_url
    assert os.environ["AWS_ENDPOINT_URL_S3"] == moto_s3_server.endpoint_url
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
    lam = boto3.client("lambda", config=Config(retries={"max_attempts": 0}))
    assert lam.meta.region_name == "eu-central-1"
    response = lam.invoke(FunctionName=TOY, Payload=b'{"via": "env"}')
    assert json.loads(response["Payload"].read())["echo"] == {"via": "env"}


def test_warm_up_starts_every_runtime_without_counting():
    with lambda_pool(2, TOY_HANDLER, TOY_CODE_DIR, function_name=TOY) as pool:
        assert len(pool.pids()) == 2  # runtimes start lazily
        seconds = pool.warm_up()
        assert len(seconds) == 2 and all(s > 0 for s in seconds)
        assert len(pool.pids()) == 4
        assert pool.invocations == 0 and pool.records == []
        response = pool.client().invoke(FunctionName=TOY, Payload=b"{}", LogType="Tail")
        assert "Init Duration" not in base64.b64decode(response["LogResult"]).decode()


def test_stop_leaves_no_process_behind():
    with lambda_pool(2, TOY_HANDLER, TOY_CODE_DIR, function_name=TOY) as pool:
        pool.client().invoke(FunctionName=TOY, Payload=b"{}")  # starts one runtime too
        pids = pool.pids()
        assert len(pids) == 3  # two emulators and one runtime
    time.sleep(0.1)
    assert [pid for pid in pids if os.path.exists(f"/proc/{pid}")] == []
    assert pool.pids() == []


def test_stopping_during_an_invocation_leaves_no_process_behind():
    with lambda_pool(1, TOY_HANDLER, TOY_CODE_DIR, function_name=TOY) as pool:
        client = pool.client()
        outcome = _concurrent_later(client, {"action": "sleep", "seconds": 30})
        # the invocation is running once the emulator starts it (not after a fixed wait: a busy
        # machine may take longer to get it there, and stopping before would test something else)
        deadline = time.monotonic() + 60
        while not any("START RequestId" in line for line in pool.logs(0)) and time.monotonic() < deadline:
            time.sleep(0.05)
        pids = pool.pids()
        assert len(pids) == 2
    outcome.join()
    assert isinstance(outcome.result, ClientError)
    assert outcome.result.response["Error"]["Code"] == "ServiceException"
    assert [pid for pid in pids if os.path.exists(f"/proc/{pid}")] == []
    assert pool.pids() == [] and pool.restarts == 0


def test_the_harness_finds_the_checkout_and_the_package_does_not_load_it():
    """REPO_ROOT is this checkout, and ``import pydmlserverless`` does not load the harness (no module of the
    package imports it: tests/unit/test_architecture.py)."""
    assert (REPO_ROOT / "pyproject.toml").is_file() and (LAMBDA_CODE_DIR / "handler.py").is_file()
    code = "import sys, pydmlserverless; print([m for m in sys.modules if m.startswith('pydmlserverless.testing')])"
    loaded = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[]"


class _Later(threading.Thread):
    def __init__(self, client, event):
        super().__init__()
        self.client, self.event, self.result = client, event, None

    def run(self):
        try:
            self.result = invoke(self.client, self.event)
        except ClientError as exc:
            self.result = exc


def _concurrent_later(client, event):
    thread = _Later(client, event)
    thread.start()
    return thread
