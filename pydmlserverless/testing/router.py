"""A loopback HTTP server that speaks Lambda's Invoke REST API and fans out to an emulator pool.

boto3's Lambda client, pointed here with ``endpoint_url`` or AWS_ENDPOINT_URL_LAMBDA, sees what
real Lambda would answer, as far as this harness can tell:

* ``POST /2015-03-31/functions/{name}/invocations`` for the configured name (plain, ``name:$LATEST``,
  full or partial ARN, ``?Qualifier=$LATEST``); any other name or qualifier is a 404
  ``ResourceNotFoundException``.
* ``X-Amz-Invocation-Type``: ``RequestResponse`` (default) runs the function, ``DryRun`` answers
  204, ``Event`` is refused with 400 ``InvalidParameterValueException`` (not emulated).
* A payload over 6 MB is a 413 ``RequestTooLargeException``; one that is not JSON a 400
  ``InvalidRequestContentException``; an empty payload becomes ``{}``.
* When no emulator is free, or ``max_concurrency`` invocations run already, a 429
  ``TooManyRequestsException`` with a ``Retry-After`` header.
* A function error (an error object from awslambdaric, or one of RIE's 502 answers: import error,
  runtime exit, response too large) is a 200 with ``X-Amz-Function-Error: Unhandled``.
* RIE answers a timeout with the plain text ``Task timed out after 3.00 seconds``; the router turns
  it into real Lambda's error object ``{"errorType": "Sandbox.Timedout", "errorMessage":
  "RequestId: <id> Error: Task timed out after 3.00 seconds"}`` with ``Unhandled``.
* ``X-Amz-Log-Type: Tail`` adds ``X-Amz-Log-Result``: base64 of the last 4 KB of the invocation's
  log (START ... REPORT, RIE's own diagnostics left out). Where RIE printed no REPORT line (it
  prints none when the runtime exits) the router writes one from its own timing; on a timeout it
  appends Lambda's ``<timestamp> <id> Task timed out after N.NN seconds`` line.
* When an emulator's process died, or the connection to it broke, the emulator is restarted; an
  invocation that broke that way gets a 500 ``ServiceException``.
"""

from __future__ import annotations

import base64
import http.client
import json
import math
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from .logs import Report, parse_report
from .pool import INVOKE_PATH, Emulator, EmulatorError, EmulatorPool

ACCOUNT_ID = "123456789012"
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
LOG_TAIL_BYTES = 4096
_INVOKE_ROUTE = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
_THROTTLED = "TooManyRequestsException"
_RESERVED_LIMIT = "ReservedFunctionConcurrentInvocationLimitExceeded"
_ACCOUNT_LIMIT = "ConcurrentInvocationLimitExceeded"
_RIE_TIMEOUT = re.compile(r"^Task timed out after (?P<seconds>\d+(?:\.\d+)?) seconds$")


@dataclass
class InvocationRecord:
    """What happened to one Invoke request.

    Attributes
    ----------
    request_id : str
        The request id (also in the log lines and the ``x-amzn-RequestId`` header).
    emulator : int or None
        Index of the emulator that ran it; None when throttled or refused.
    status : int
        HTTP status sent to the client.
    function_error : str or None
        ``Unhandled`` for a function error, else None.
    error_type : str or None
        ``errorType`` of a function error, or the API error (e.g. ``TooManyRequestsException``).
    timed_out : bool
        Whether the function hit its timeout.
    started : float
        ``time.time()`` when the request arrived.
    duration_s : float
        Wall time spent in the router (for a run: until the response came back).
    report : Report or None
        The REPORT line's numbers.
    report_synthesized : bool
        Whether the REPORT line was written by the router because RIE printed none.
    """

    request_id: str
    emulator: int | None
    status: int
    function_error: str | None = None
    error_type: str | None = None
    timed_out: bool = False
    started: float = 0.0
    duration_s: float = 0.0
    report: Report | None = None
    report_synthesized: bool = False


@dataclass
class _Reply:
    status: int
    headers: dict[str, str]
    body: bytes = b""


def _api_error(status: int, error_type: str, body: dict, request_id: str, **headers: str) -> _Reply:
    head = {
        "Content-Type": "application/json",
        "x-amzn-ErrorType": error_type,
        "x-amzn-RequestId": request_id,
    }
    head.update(headers)
    return _Reply(status, head, json.dumps(body).encode())


def _user(message: str) -> dict:
    """Body of a client-side API error."""
    return {"Type": "User", "message": message}


def _error_object(data: bytes) -> dict | None:
    """The payload as an error object (has errorType and errorMessage), else None."""
    try:
        payload = json.loads(data)
    except ValueError:
        return None
    if isinstance(payload, dict) and "errorType" in payload and "errorMessage" in payload:
        return payload
    return None


def _split_function_name(raw: str) -> tuple[str, str | None]:
    """Name and qualifier from a name, ``name:qualifier``, or a full or partial ARN."""
    parts = unquote(raw).split(":")
    if parts[0] == "arn" and len(parts) >= 7:
        return parts[6], parts[7] if len(parts) > 7 else None
    if len(parts) >= 3 and parts[1] == "function":
        return parts[2], parts[3] if len(parts) > 3 else None
    return parts[0], parts[1] if len(parts) > 1 else None


class InvokeRouter:
    """Lambda Invoke API on a free loopback port, backed by an :class:`EmulatorPool`.

    Parameters
    ----------
    pool : EmulatorPool
        The emulators; one invocation at a time each.
    function_name : str
        The only function name served.
    max_concurrency : int, optional
        Reserved concurrency: invocations beyond it are throttled even if emulators are free.
    retry_after_s : int
        Value of the ``Retry-After`` header of a 429.
    report_wait_s : float
        How long to wait for RIE's REPORT line after the response arrived.
    region : str
        Region used in ARNs of error messages.

    Attributes
    ----------
    invocations : int
        Requests forwarded to an emulator.
    throttles : int
        429s sent.
    per_emulator : list of int
        Invocations per emulator index.
    records : list of InvocationRecord
        Every Invoke request, throttled ones included, in order of completion.
    peak_concurrency : int
        Most invocations running at once.
    """

    def __init__(
        self,
        pool: EmulatorPool,
        function_name: str,
        max_concurrency: int | None = None,
        retry_after_s: int = 1,
        report_wait_s: float = 2.0,
        region: str = "eu-central-1",
    ) -> None:
        if max_concurrency is not None and max_concurrency < 1:
            raise EmulatorError("max_concurrency must be at least 1")
        self.pool = pool
        self.function_name = function_name
        self.max_concurrency = max_concurrency
        self.retry_after_s = retry_after_s
        self.report_wait_s = report_wait_s
        self.region = region
        self.forward_timeout_s = pool.spec.timeout_s + 60
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.reset_counters()

    # -- life cycle -------------------------------------------------------------------------------
    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>``, for boto3's ``endpoint_url`` / AWS_ENDPOINT_URL_LAMBDA."""
        if self._server is None:
            raise EmulatorError("router not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> None:
        """Serve on a free loopback port in a daemon thread."""
        handler = type("_BoundHandler", (_Handler,), {"router": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="lambda-router", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving (running invocations end when their emulators are stopped)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def reset_counters(self) -> None:
        """Zero the counters and forget the records (the pool's restart count too)."""
        with self._lock:
            self.invocations = 0
            self.throttles = 0
            self.per_emulator = [0] * len(self.pool)
            self.records: list[InvocationRecord] = []
            self.peak_concurrency = 0
            self._running = 0
            self.pool.restarts = 0

    # -- the API ----------------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> _Reply:
        """Answer one HTTP request (``headers`` with lower-case names)."""
        request_id = str(uuid.uuid4())
        url = urlsplit(target)
        route = _INVOKE_ROUTE.match(url.path)
        if method != "POST" or route is None:
            return _api_error(
                404,
                "UnknownOperationException",
                {"Type": "User", "message": f"Unknown operation {method} {url.path}"},
                request_id,
            )
        name, qualifier = _split_function_name(route["name"])
        qualifier = parse_qs(url.query).get("Qualifier", [qualifier])[0]
        if name != self.function_name or qualifier not in (None, "$LATEST"):
            arn = f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{name}"
            arn += f":{qualifier}" if qualifier else ""
            return _api_error(
                404,
                "ResourceNotFoundException",
                {"Type": "User", "Message": f"Function not found: {arn}"},
                request_id,
            )
        invocation_type = headers.get("x-amz-invocation-type", "RequestResponse")
        if invocation_type == "DryRun":
            return _Reply(204, {"x-amzn-RequestId": request_id})
        if invocation_type != "RequestResponse":
            return _api_error(
                400,
                "InvalidParameterValueException",
                {"Type": "User", "message": f"InvocationType {invocation_type!r} is not emulated"},
                request_id,
            )
        if len(body) > MAX_PAYLOAD_BYTES:
            limit = MAX_PAYLOAD_BYTES
            message = f"Request must be smaller than {limit} bytes for the InvokeFunction operation"
            return _api_error(413, "RequestTooLargeException", _user(message), request_id)
        body = body or b"{}"
        try:
            json.loads(body)
        except ValueError as exc:
            message = f"Could not parse request body into json: {exc}"
            return _api_error(400, "InvalidRequestContentException", _user(message), request_id)
        return self._invoke(request_id, body, headers)

    def _throttle(self, request_id: str, started: float) -> _Reply:
        limited = self.max_concurrency is not None and self.max_concurrency < len(self.pool)
        reason = _RESERVED_LIMIT if limited else _ACCOUNT_LIMIT
        record = InvocationRecord(request_id, None, 429, error_type=_THROTTLED, started=started)
        with self._lock:
            self.throttles += 1
            self.records.append(record)
        return _api_error(
            429,
            _THROTTLED,
            {"Type": "User", "message": "Rate Exceeded.", "Reason": reason},
            request_id,
            **{"Retry-After": str(self.retry_after_s)},
        )

    def _invoke(self, request_id: str, body: bytes, headers: dict[str, str]) -> _Reply:
        started = time.time()
        emulator = self.pool.try_acquire(self.max_concurrency)
        if emulator is None:
            return self._throttle(request_id, started)
        with self._lock:
            self.invocations += 1
            self.per_emulator[emulator.index] += 1
            self._running += 1
            self.peak_concurrency = max(self.peak_concurrency, self._running)
        record = InvocationRecord(request_id, emulator.index, 200, started=started)
        try:
            return self._run(emulator, record, body, headers)
        finally:
            record.duration_s = time.time() - started
            self.pool.release(emulator)
            with self._lock:
                self._running -= 1
                self.records.append(record)

    def _run(self, emulator: Emulator, record: InvocationRecord, body: bytes, headers: dict) -> _Reply:
        rid = record.request_id
        try:
            self.pool.ensure_alive(emulator)
        except Exception as exc:
            record.status, record.error_type = 500, "ServiceException"
            return _api_error(500, "ServiceException", {"Type": "Service", "Message": str(exc)}, rid)
        mark = len(emulator.logs)
        forward = {"X-Amzn-RequestId": rid, "Content-Type": "application/json"}
        if "x-amz-client-context" in headers:
            forward["X-Amz-Client-Context"] = headers["x-amz-client-context"]
        sent = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=self.forward_timeout_s)
        try:
            connection.request("POST", INVOKE_PATH, body, forward)
            response = connection.getresponse()
            status, data = response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            message = f"emulator {emulator.index} failed: {exc!r}; restarted"
            try:
                self.pool.restart(emulator)
            except Exception as restart_error:
                message = f"emulator {emulator.index} failed: {exc!r}; restart failed: {restart_error}"
            record.status, record.error_type = 500, "ServiceException"
            return _api_error(500, "ServiceException", {"Type": "Service", "Message": message}, rid)
        finally:
            connection.close()
        elapsed_ms = (time.monotonic() - sent) * 1000.0

        data, timeout = _normalise_payload(rid, status, data)
        record.timed_out = timeout is not None
        error = _error_object(data)
        if error is not None:
            record.function_error, record.error_type = "Unhandled", str(error["errorType"])
        wait = self.report_wait_s if status == 200 else min(self.report_wait_s, 0.3)
        record.report = emulator.logs.wait_for_report(rid, mark, wait)
        lines = emulator.logs.request_lines(rid, mark)
        if record.report is None:
            line = _synthetic_report(rid, elapsed_ms, int(self.pool.spec.memory_mb))
            record.report, record.report_synthesized = parse_report(line), True
            lines = [ln for ln in lines if not ln.startswith(f"REPORT RequestId: {rid}")] + [line]
        if timeout is not None:
            stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            lines.append(f"{stamp} {rid} Task timed out after {timeout} seconds")

        reply_headers = {
            "Content-Type": "application/json",
            "X-Amz-Executed-Version": "$LATEST",
            "x-amzn-RequestId": rid,
        }
        if record.function_error:
            reply_headers["X-Amz-Function-Error"] = record.function_error
        if headers.get("x-amz-log-type") == "Tail":
            log = ("\n".join(lines) + "\n").encode()[-LOG_TAIL_BYTES:]
            reply_headers["X-Amz-Log-Result"] = base64.b64encode(log).decode()
        return _Reply(200, reply_headers, data)


def _normalise_payload(request_id: str, status: int, data: bytes) -> tuple[bytes, str | None]:
    """Real Lambda's payload for what RIE answered, and the timeout (``"3.00"``) if there was one.

    RIE answers a timeout with a 200 and plain text, and an import error, a runtime exit or a
    response over 6 MB with a 502 and an error object; real Lambda answers each with a 200 and an
    error object (sent with ``X-Amz-Function-Error: Unhandled``).
    """
    timeout = _RIE_TIMEOUT.match(data.decode("utf-8", errors="replace").strip())
    if timeout:
        seconds = timeout["seconds"]
        message = f"RequestId: {request_id} Error: Task timed out after {seconds} seconds"
        return json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": message}).encode(), seconds
    if status != 200 and _error_object(data) is None:
        text = data.decode("utf-8", errors="replace")
        return json.dumps({"errorType": "Runtime.Unknown", "errorMessage": text}).encode(), None
    return data, None


def _synthetic_report(request_id: str, elapsed_ms: float, memory_mb: int) -> str:
    """A REPORT line from the router's own timing, for invocations RIE printed none for."""
    return (
        f"REPORT RequestId: {request_id}\tDuration: {elapsed_ms:.2f} ms\t"
        f"Billed Duration: {math.ceil(elapsed_ms)} ms\tMemory Size: {memory_mb} MB\t"
        f"Max Memory Used: {memory_mb} MB\t"
    )


class _Handler(BaseHTTPRequestHandler):
    """Hands each request to the router (bound as class attribute ``router``)."""

    router: InvokeRouter
    protocol_version = "HTTP/1.1"
    # headers and body are two writes: with Nagle's algorithm the body would wait for the
    # client's delayed ACK of the headers (~40 ms per invocation)
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = self.router.handle(self.command, self.path, headers, body)
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its read timeout passed)

    do_POST = do_GET = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""
