"""The AWS Lambda backend: every task is one synchronous ``Invoke`` of the deployed worker.

One boto3 Lambda client per fit (:mod:`.client`), shared by a thread pool of
``max_concurrency`` threads (the client's connection pool is sized to match). botocore's own
retries are off and its read timeout is above the function's timeout, so botocore never sends a
running task a second time; the backend's :class:`~.retry.RetryPolicy` decides instead
(throttles, connection errors, function errors; never timeouts), and an
:class:`~.retry.AdaptiveConcurrency` gate holds threads back while the function is being
throttled. Each task's thread hands back exactly one result (or raises), so no result is lost or
counted twice. The settings are one :class:`~.config.AWSLambda`; the metrics and cost are in
:mod:`.metrics`, the deployment's version check in :mod:`.versions`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import random
import threading
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...errors import ConfigurationError, ProtocolError, StoreError, TaskError, TaskNearTimeoutWarning, TaskTimeoutError
from ...worker import codec
from ...worker.config import BUCKET_VARIABLE
from ...worker.protocol import Task, TaskResponse
from ...worker.store import Store
from ...worker.versions import runtime_versions
from ...worker.warning_capture import reemit
from ..base import Backend, BackendResult
from . import metrics as lambda_metrics
from .client import check_injected_client, make_lambda_client
from .cost import ARCHITECTURES
from .retry import AdaptiveConcurrency, parse_retry_after
from .versions import require_matching_versions

if TYPE_CHECKING:
    from .config import AWSLambda

    pass

__all__ = ["LambdaBackend"]

logger = logging.getLogger(__name__)

_MAX_ERROR_TEXT = 2000
_TIMEOUT_TEXT = "Task timed out after"
_DEFAULT_ARCHITECTURE = "arm64"
#: How often the client looks for stragglers while it waits for results.
_SPECULATION_TICK_S = 0.25
#: A task past this share of the function's timeout is reported (:class:`TaskNearTimeoutWarning`).
NEAR_TIMEOUT_SHARE = 0.8


class _Cancelled(Exception):
    """The fit stopped (another task failed); this task's thread gives up quietly."""


class _BadResponse(Exception):
    """A successful invocation whose answer cannot be used (undecodable, short, another task's): retried."""


def _error_code(exc: Exception) -> tuple[str, int, float | None, str]:
    response = getattr(exc, "response", None) or {}
    error = response.get("Error") or {}
    meta = response.get("ResponseMetadata") or {}
    headers = {str(k).lower(): v for k, v in (meta.get("HTTPHeaders") or {}).items()}
    retry_after = parse_retry_after(headers.get("retry-after") or response.get("retryAfterSeconds"))
    return str(error.get("Code", "")), int(meta.get("HTTPStatusCode") or 0), retry_after, str(error.get("Message", ""))


def _classify(response: Mapping[str, Any], body: bytes) -> tuple[str, TaskResponse | None, str | None, str | None]:
    """(outcome, parsed response, errorType, errorMessage) of an Invoke that reached the function."""
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    function_error = response.get("FunctionError")
    if TaskResponse.is_response(parsed) and not function_error:
        try:
            return "ok", TaskResponse.from_dict(parsed), None, None
        except ProtocolError as exc:
            return "function_error", None, "InvalidResponse", str(exc)
    error_type = error_message = None
    if isinstance(parsed, dict):
        error_type, error_message = parsed.get("errorType"), parsed.get("errorMessage")
    elif isinstance(parsed, str):
        error_message = parsed
    elif body:
        error_message = body.decode("utf-8", errors="replace")
    error_type = str(error_type or function_error or "InvalidResponse")
    error_message = str(error_message if error_message is not None else "The function returned an empty response.")
    if error_type == "Sandbox.Timedout" or _TIMEOUT_TEXT in error_message:
        return "timeout", None, error_type, error_message[:_MAX_ERROR_TEXT]
    return "function_error", None, error_type, error_message[:_MAX_ERROR_TEXT]


class LambdaBackend(Backend):
    """Run tasks as synchronous invocations of the deployed worker function.

    Parameters
    ----------
    spec : AWSLambda
        The function (its name resolved: :meth:`AWSLambda.resolved`), concurrency, timeout,
        retries, cost settings, version check, and an injected client, session or botocore Config.
        An injected client's read timeout must exceed ``spec.function_timeout_s`` (see
        :func:`~.client.lambda_client_config`); else one client is made for the run.
    result_store : Store
        Where the worker keeps results, and writes those too large for a response (the data's S3 bucket).
    rng : random.Random, optional
        Source of the retry jitter.
    """

    name = "aws_lambda"

    def __init__(self, spec: AWSLambda, result_store: Store, *, rng: random.Random | None = None) -> None:
        if not spec.function_name:
            raise ConfigurationError("The AWSLambda spec names no function: resolve it first (AWSLambda.resolved).")
        client = spec.lambda_client
        if client is not None:
            check_injected_client(client, spec.function_timeout_s)
        else:
            client = make_lambda_client(
                spec.region, spec.max_concurrency, spec.function_timeout_s, spec.session, spec.boto_config
            )
        self.spec = spec
        self.function_name = spec.function_name
        self.client = client
        self.result_store = result_store
        self.retry_policy = spec.retries
        self.prices = spec.prices
        # read from the function's configuration where the spec leaves them open
        self.architecture = spec.architecture
        self.memory_mb = spec.memory_mb
        self.expected_versions = runtime_versions()
        self.deployed_versions: dict[str, str] | None = None
        self.gate = AdaptiveConcurrency(spec.max_concurrency)
        self._rng = rng or random.Random()
        self._rows: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._described = False

    # -- configuration ------------------------------------------------------------------------

    def _describe_function(self) -> None:
        """Read memory, architecture, timeout and bucket from the function's configuration, where allowed."""
        if self._described:
            return
        self._described = True
        config: Mapping[str, Any]
        try:
            config = self.client.get_function_configuration(FunctionName=self.function_name)
        except Exception as exc:  # no permission, an emulator without this API, ...: the REPORT lines say it too
            logger.info("GetFunctionConfiguration of %s failed (%s); using defaults", self.function_name, exc)
            config = {}
        if self.memory_mb is None and isinstance(config.get("MemorySize"), int):
            self.memory_mb = config["MemorySize"]
        if self.architecture is None:
            archs = list(config.get("Architectures") or [_DEFAULT_ARCHITECTURE])
            self.architecture = archs[0] if archs[0] in ARCHITECTURES else _DEFAULT_ARCHITECTURE
        deployed_bucket = (config.get("Environment") or {}).get("Variables", {}).get(BUCKET_VARIABLE)
        data_bucket = getattr(self.result_store, "bucket", None)
        if deployed_bucket and data_bucket and deployed_bucket != data_bucket:
            raise ConfigurationError(
                f"The function {self.function_name!r} reads the bucket {deployed_bucket!r}, not the data's "
                f"{data_bucket!r}: build the DoubleMLDataS3 on {deployed_bucket!r}, or deploy the function with "
                f"ExistingBucketName={data_bucket} (sam/template.yaml)."
            )
        timeout = config.get("Timeout")
        if isinstance(timeout, (int, float)) and timeout > self.spec.function_timeout_s:
            raise ConfigurationError(
                f"The function {self.function_name!r} has a timeout of {timeout} s, more than function_timeout_s="
                f"{self.spec.function_timeout_s}; pass function_timeout_s={timeout} (or more) so that the client "
                "waits for the longest task."
            )

    # -- running ------------------------------------------------------------------------------

    def run(self, tasks: Sequence[Task]) -> Iterator[BackendResult]:
        """Invoke the function once per task (plus retries) and yield the results as they arrive.

        Each task is owned by one thread from its first request to its result, so it yields
        exactly once or raises. A straggler may get one speculative copy (see
        :mod:`.speculation`): the first answer is yielded, the other dropped. On the first error
        the other threads stop taking tasks; the invocations already running cannot be recalled
        (Lambda has no cancel) and are left to finish in daemon threads, so that the interpreter
        can exit without waiting for them.
        """
        # Long: one loop owns the result queue, the straggler scan and the state the threads share (started,
        # yielded, copied); split up, that state would travel as an object every piece mutates.
        if not tasks:
            return
        self._describe_function()
        stop = threading.Event()
        todo: queue.SimpleQueue[Task] = queue.SimpleQueue()
        for task in tasks:
            todo.put(task)
        # (task, result, error, is_copy)
        done: queue.SimpleQueue[tuple[Task, BackendResult | None, BaseException | None, bool]] = queue.SimpleQueue()
        started: dict[str, float] = {}

        def work() -> None:
            while not stop.is_set():
                try:
                    task = todo.get_nowait()
                except queue.Empty:
                    return
                with self._lock:
                    started[task.task_id] = time.monotonic()
                try:
                    done.put((task, self._run_task(task, stop), None, False))
                except _Cancelled:
                    return
                except BaseException as exc:  # handed to the caller's thread, which raises it
                    done.put((task, None, exc, False))
                    return

        def copy(task: Task) -> None:
            try:
                done.put((task, self._run_task(task, stop, speculative=True), None, True))
            except _Cancelled:
                return
            except BaseException as exc:  # the original still runs: only logged
                done.put((task, None, exc, True))

        for i in range(min(self.spec.max_concurrency, len(tasks))):
            threading.Thread(target=work, name=f"pydml-lambda-{i}", daemon=True).start()
        policy = self.spec.speculation_policy
        budget = policy.copy_budget(len(tasks))
        n_by_kind = {kind: sum(t.nuisance == kind for t in tasks) for kind in {t.nuisance for t in tasks}}
        finished: dict[str, list[float]] = {kind: [] for kind in n_by_kind}
        by_id = {task.task_id: task for task in tasks}
        yielded: set[str] = set()
        copied: set[str] = set()
        shown: dict[Any, Any] = {}  # the 'default' action shows a function's warning once per run
        last_scan = time.monotonic()
        try:
            while len(yielded) < len(tasks):
                arrived: Task | None = None
                try:
                    arrived, result, error, is_copy = done.get(timeout=_SPECULATION_TICK_S if budget else None)
                except queue.Empty:
                    pass
                if arrived is not None and arrived.task_id not in yielded:
                    task = arrived  # else the slower of a task and its copy
                    if error is not None:
                        if not is_copy:
                            raise error
                        logger.info("speculative copy of %s failed (%s); the original runs on", task.task_id, error)
                    else:
                        assert result is not None
                        yielded.add(task.task_id)
                        with self._lock:
                            finished[task.nuisance].append(time.monotonic() - started[task.task_id])
                        result.metrics["speculative_copy_won"] = is_copy
                        reemit(result.warnings, shown)  # on the caller's thread, under the user's filters
                        self._warn_near_timeout(result)
                        yield result
                now = time.monotonic()
                if len(copied) < budget and now - last_scan >= _SPECULATION_TICK_S:  # one scan a tick, not a result
                    last_scan = now
                    with self._lock:
                        running = {
                            task_id: (by_id[task_id].nuisance, now - t0)
                            for task_id, t0 in started.items()
                            if task_id not in yielded
                        }
                    for task_id in policy.stragglers(running, finished, n_by_kind, copied)[: budget - len(copied)]:
                        copied.add(task_id)
                        logger.info("%s runs %.1f s: invoking a speculative copy", task_id, running[task_id][1])
                        threading.Thread(target=copy, args=(by_id[task_id],), daemon=True).start()
        finally:
            stop.set()

    def _warn_near_timeout(self, result: BackendResult) -> None:
        """Report a task whose billed duration (else its latency) passed 80 % of the function's timeout."""
        billed = result.metrics.get("billed_duration_ms")
        seconds = billed / 1000.0 if isinstance(billed, (int, float)) and billed == billed else None
        if seconds is None:
            seconds = result.metrics.get("latency_s")
        limit = self.spec.function_timeout_s
        if isinstance(seconds, (int, float)) and seconds > NEAR_TIMEOUT_SHARE * limit:
            warnings.warn(
                f"Task {result.task.task_id} ({result.task.describe()}) ran {seconds:.1f} s, "
                f"{seconds / limit:.0%} of the function's timeout ({limit:g} s): a slower one may time out. "
                "Give the function more memory, use scaling='n_folds * n_rep', or raise its Timeout.",
                TaskNearTimeoutWarning,
                stacklevel=2,
            )

    def _record(self, row: dict) -> None:
        with self._lock:
            self._rows.append(row)

    def _run_task(self, task: Task, stop: threading.Event, speculative: bool = False) -> BackendResult:
        # Long: one invocation's retry loop; each outcome (request error, bad response, timeout, function
        # error) decides retry or raise where it is seen, with the attempt's metrics row kept in order.
        payload = task.payload.to_json()
        counts = {"throttle": 0, "connection": 0, "function_error": 0}
        attempt = 0
        task_rows: list[dict] = []
        while True:
            if stop.is_set():
                raise _Cancelled()
            if not self.gate.acquire(stop):
                raise _Cancelled()
            attempt += 1
            row = lambda_metrics.new_row(task, attempt, len(payload), speculative)
            t0 = time.perf_counter()
            kind: str | None = None
            retry_after: float | None = None
            try:
                response = self.client.invoke(
                    FunctionName=self.function_name,
                    InvocationType="RequestResponse",
                    LogType="Tail",
                    Payload=payload,
                )
                body = response["Payload"].read()
                self.gate.succeeded()
            except Exception as exc:
                kind, retry_after = self._failed_request(task, exc, row, t0)  # raises when not retryable
                if kind == "throttle":
                    self.gate.throttled()
            finally:
                self.gate.release()
            if kind is not None:
                self._record(row)
                task_rows.append(row)
                self._retry_or_give_up(task, kind, counts, row, retry_after, stop)
                continue

            outcome, parsed, error_type, error_message = _classify(response, body)
            lambda_metrics.fill_invocation(
                row,
                response,
                body,
                time.perf_counter() - t0,
                outcome,
                error_type,
                error_message,
                self.memory_mb,
                self._billed_architecture,
                self.prices,
            )
            self._record(row)
            task_rows.append(row)
            if outcome == "ok":
                assert parsed is not None
                try:
                    result = self._accept(task, parsed, row)
                except _BadResponse as exc:
                    row.update(outcome="function_error", error_type="InvalidResponse", error_message=str(exc))
                    self._retry_or_give_up(task, "function_error", counts, row, None, stop)
                    continue
                return BackendResult(
                    task=task,
                    predictions=result,
                    metrics=lambda_metrics.task_row(task, task_rows, counts),
                    models_key=parsed.models_key,
                    warnings=[dict(r) for r in parsed.warnings],
                )
            if outcome == "timeout":
                raise TaskTimeoutError(
                    f"Task {task.task_id} ({task.describe()}) ran past the function's timeout: {error_message}. "
                    "Raise the function's Timeout (at most 900 s; `sam deploy --parameter-overrides Timeout=900`), "
                    "give it more memory (more vCPU), use scaling='n_folds * n_rep' for smaller tasks, or a "
                    "lighter learner.",
                    task=task.coordinates(),
                    error_type=error_type,
                    error_message=error_message,
                )
            self._retry_or_give_up(task, "function_error", counts, row, None, stop)

    def _retry_or_give_up(
        self, task: Task, kind: str, counts: dict, row: dict, retry_after: float | None, stop: threading.Event
    ) -> None:
        """Count a failed attempt of ``kind``; raise past the policy's limit, else wait out its backoff."""
        counts[kind] += 1
        if kind == "connection":
            first = counts.setdefault("connection_since", time.monotonic())
            if time.monotonic() - first > self.retry_policy.connection_budget_s:
                raise self._gave_up(task, kind, counts[kind], row)
        if counts[kind] > self.retry_policy.limit(kind):
            raise self._gave_up(task, kind, counts[kind], row)
        # function errors are worth seeing; throttles and dropped connections are routine
        level = logging.INFO if kind == "function_error" else logging.DEBUG
        logger.log(level, "retrying %s after %s (%s)", task.task_id, row["outcome"], row["error_type"])
        stop.wait(self.retry_policy.delay(counts[kind], retry_after, self._rng))

    def _failed_request(self, task: Task, exc: Exception, row: dict, t0: float) -> tuple[str, float | None]:
        """Classify an Invoke that raised: ('throttle' | 'connection', Retry-After); raise if fatal."""
        from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

        row["latency_s"] = time.perf_counter() - t0
        row["error_type"] = type(exc).__name__
        row["error_message"] = str(exc)[:_MAX_ERROR_TEXT]
        if isinstance(exc, ClientError):
            code, status, retry_after, message = _error_code(exc)
            row["error_type"] = code or row["error_type"]
            if status == 429 or code in ("TooManyRequestsException", "ThrottlingException"):
                row["outcome"] = "throttled"
                return "throttle", retry_after
            if status >= 500:
                row["outcome"] = "connection_error"
                return "connection", retry_after
            row["outcome"] = "rejected"
            self._record(row)
            if code == "ResourceNotFoundException":
                raise ConfigurationError(
                    f"The Lambda function {self.function_name!r} was not found ({message}). Check the model's "
                    "lambda_function_name and aws_region, or deploy the function: `sam build && sam deploy --guided` "
                    "in sam/."
                ) from exc
            raise TaskError(
                f"Task {task.task_id} ({task.describe()}): the Lambda service refused the invocation: "
                f"{code}: {message}",
                task=task.coordinates(),
                error_type=code,
                error_message=message,
            ) from exc
        if isinstance(exc, (ConnectionError, HTTPClientError, BotoCoreError, OSError)):
            row["outcome"] = "connection_error"
            return "connection", None
        raise exc

    def _gave_up(self, task: Task, kind: str, count: int, row: dict) -> TaskError:
        what = {
            "throttle": "was throttled",
            "connection": "met connection errors",
            "function_error": "failed in the function",
        }[kind]
        hint = {
            "throttle": " Lower max_concurrency, or raise the function's (or the account's) concurrency limit.",
            "connection": " Check the network and the endpoint (AWS_ENDPOINT_URL_LAMBDA, region).",
            "function_error": "",
        }[kind]
        return TaskError(
            f"Task {task.task_id} ({task.describe()}) {what} {count} times; last error: "
            f"{row['error_type']}: {row['error_message']}.{hint}",
            task=task.coordinates(),
            error_type=row["error_type"],
            error_message=row["error_message"],
        )

    def _accept(self, task: Task, parsed: TaskResponse, row: dict[str, Any]) -> np.ndarray:
        """Check a successful response and return its predictions; :class:`_BadResponse` if unusable."""
        if parsed.task_id != task.task_id:
            raise _BadResponse(f"the function answered task {parsed.task_id!r}")
        self.deployed_versions = dict(parsed.versions)
        if self.spec.check_versions:
            require_matching_versions(
                self.function_name, parsed.versions, self.expected_versions, self._billed_architecture
            )
        lambda_metrics.fill_worker_report(row, parsed)
        if parsed.predictions_b64 is not None:
            row["result_via"] = "inline"
            try:
                values = codec.b64_to_array(parsed.predictions_b64)
            except ValueError as exc:  # binascii.Error included
                raise _BadResponse(f"undecodable predictions ({exc})") from None
        else:
            key = parsed.predictions_key
            assert key is not None
            if key != task.payload.result_key:
                raise _BadResponse(f"an unexpected result key {key!r}")
            row["result_via"] = "store"
            try:
                values = codec.decode_result(self.result_store.get(key), task.payload.digest)
            except StoreError as exc:  # CorruptObjectError included
                raise _BadResponse(f"its result cannot be read: {exc}") from None
            if not task.payload.result.keep:
                try:
                    self.result_store.delete(key)
                except StoreError:  # the bucket's lifecycle rule expires results anyway
                    logger.debug("could not delete %s", key)
        if parsed.n_predictions >= 0 and values.size != parsed.n_predictions:
            raise _BadResponse(f"{values.size} predictions where the answer announced {parsed.n_predictions}")
        if task.n_predictions >= 0 and values.size != task.n_predictions:
            raise _BadResponse(f"{values.size} predictions for {task.n_predictions} test rows")
        if task.payload.return_models and parsed.models_key != task.payload.models_key:
            raise _BadResponse(f"the fitted learners at {parsed.models_key!r}, not the task's models key")
        return values

    # -- reporting ----------------------------------------------------------------------------

    @property
    def _billed_architecture(self) -> str:
        # before the function's configuration is read (or where it cannot be), Lambda's default
        return self.architecture or _DEFAULT_ARCHITECTURE

    def invocations_frame(self) -> pd.DataFrame:
        """One row per invocation request this backend made (retries, throttled requests included).

        ``outcome`` is ``'ok'``, ``'function_error'``, ``'timeout'`` (these ran and were billed),
        ``'throttled'``, ``'connection_error'`` or ``'rejected'`` (these did not run: no REPORT, no cost).
        """
        with self._lock:
            rows = list(self._rows)
        return lambda_metrics.invocations_frame(rows)

    def cost(self) -> dict:
        """Totals of the fit so far: requests, billed GB-seconds and USD."""
        return lambda_metrics.cost_totals(self.invocations_frame(), self.prices, self._billed_architecture)

    def summary_lines(self, metrics: pd.DataFrame) -> list[str]:
        """Invocation outcomes, cold starts, cache hits and cost, for the fit summary."""
        frame = self.invocations_frame()
        return lambda_metrics.summary_lines(
            self.function_name,
            frame,
            lambda_metrics.cost_totals(frame, self.prices, self._billed_architecture),
            self.gate.peak,
        )

    def extras(self, seconds: float) -> dict[str, Any]:
        """``aws_lambda_metrics`` (a row per invocation request) and ``aws_lambda_cost`` (with the wall seconds)."""
        cost = self.cost()
        cost["wall_s"] = seconds
        return {"aws_lambda_metrics": self.invocations_frame(), "aws_lambda_cost": cost}

    def attach(self, exc: BaseException) -> None:
        """A failed run's invocations (billed ones too) and their cost travel with its error."""
        with contextlib.suppress(AttributeError, TypeError):
            exc.aws_lambda_metrics = self.invocations_frame()  # type: ignore[attr-defined]
            exc.aws_lambda_cost = self.cost()  # type: ignore[attr-defined]
