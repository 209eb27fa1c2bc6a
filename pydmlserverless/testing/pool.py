"""Processes of AWS's Runtime Interface Emulator (RIE), each running one handler through awslambdaric.

One emulator is ``aws-lambda-rie --runtime-interface-emulator-address 127.0.0.1:P1
--runtime-api-address 127.0.0.1:P2 <python> -m awslambdaric <module.handler>``: it serves the
Invoke API for the single function name ``function`` and runs one invocation at a time (a second,
concurrent request makes it panic). The Python runtime starts lazily on the first invocation, so
that invocation's REPORT line carries an ``Init Duration`` and its wall time includes the imports.

Each emulator runs in its own session (``start_new_session``); RIE puts the runtime in a process
group of its own but in the same session, so stopping kills every process of that session.
"""

from __future__ import annotations

import atexit
import http.client
import importlib.util
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import PyDMLServerlessError
from .logs import LogBuffer, pump

#: The folder the package sits in: a source checkout (pydmlserverless/testing/pool.py -> the repository
#: root), or site-packages for an installed package.
REPO_ROOT = Path(__file__).resolve().parents[2]
#: Whether :data:`REPO_ROOT` is this package's source checkout (with the function's ``lambda/`` code).
IN_CHECKOUT = (REPO_ROOT / "pyproject.toml").is_file() and (REPO_ROOT / "lambda" / "handler.py").is_file()
INVOKE_PATH = "/2015-03-31/functions/function/invocations"
_PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")
_LIVE: set[Emulator] = set()
_LIVE_LOCK = threading.Lock()


class EmulatorError(PyDMLServerlessError, RuntimeError):
    """An emulator, the router or the S3 server could not be started, stopped or used as asked."""


def rie_binary() -> Path:
    """Locate the RIE binary shipped in the installed ``samcli`` package.

    Returns
    -------
    pathlib.Path
        ``samcli/local/rapid/aws-lambda-rie-<arch>``; a private executable copy in a temporary
        folder when the installed file is not executable (the installed file is never changed).

    Raises
    ------
    EmulatorError
        When aws-sam-cli is not installed or ships no binary for this machine.
    """
    spec = importlib.util.find_spec("samcli")
    if spec is None or not spec.submodule_search_locations:
        raise EmulatorError("aws-sam-cli (package samcli) is not installed")
    arch = "arm64" if platform.machine().lower() in ("aarch64", "arm64") else "x86_64"
    binary = Path(next(iter(spec.submodule_search_locations))) / "local" / "rapid" / f"aws-lambda-rie-{arch}"
    if not binary.is_file():
        raise EmulatorError(f"no Runtime Interface Emulator at {binary}")
    if os.access(binary, os.X_OK):
        return binary
    copy = Path(tempfile.mkdtemp(prefix="rie-")) / binary.name
    shutil.copyfile(binary, copy)
    copy.chmod(0o755)
    return copy


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class EmulatorSpec:
    """What every emulator of a pool runs, and with which settings.

    Parameters
    ----------
    handler : str
        ``module.function`` as awslambdaric takes it.
    code_dir : pathlib.Path
        Working directory of the runtime (Lambda's task root); the handler module lives here.
    function_name : str
        Set as AWS_LAMBDA_FUNCTION_NAME (``context.function_name`` in the handler).
    timeout_s : int
        AWS_LAMBDA_FUNCTION_TIMEOUT in whole seconds, as Lambda configures it.
    memory_mb : int
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE (not enforced by RIE).
    env : mapping of str to str
        Further variables; they override the defaults below.
    pythonpath : sequence of path
        PYTHONPATH entries after ``code_dir``; the repository root by default.
    python : str
        The interpreter that runs awslambdaric.
    region : str
        AWS_REGION and AWS_DEFAULT_REGION.

    Notes
    -----
    The runtime gets a small environment: PATH, HOME, LANG, LC_ALL, TMPDIR and TZ from the test
    process, the AWS_LAMBDA_* settings, test credentials (``testing``), the region,
    PYTHONUNBUFFERED=1, PYTHONPATH, then ``env``. Nothing else leaks in from the test process.
    """

    handler: str
    code_dir: Path
    function_name: str = "function"
    timeout_s: int = 60
    memory_mb: int = 3008
    env: Mapping[str, str] = field(default_factory=dict)
    pythonpath: Sequence[Path | str] = (REPO_ROOT,)
    python: str = sys.executable
    region: str = "eu-central-1"

    def environment(self) -> dict[str, str]:
        """The environment the emulator (and so the runtime) starts with."""
        env = {name: os.environ[name] for name in _PASSED_THROUGH if name in os.environ}
        env.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
                "AWS_LAMBDA_FUNCTION_TIMEOUT": str(int(self.timeout_s)),
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(int(self.memory_mb)),
                "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "PYTHONUNBUFFERED": "1",
                "PYTHONPATH": os.pathsep.join(str(p) for p in (self.code_dir, *self.pythonpath)),
            }
        )
        env.update({str(k): str(v) for k, v in self.env.items()})
        return env


def _session_members(session_id: int) -> list[int]:
    """Process ids whose session id is ``session_id`` (Linux /proc)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()  # state ppid pgrp session ...
        if len(fields) > 3 and int(fields[3]) == session_id:
            members.append(int(entry.name))
    return members


def _kill_session(session_id: int) -> None:
    for pid in _session_members(session_id):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Emulator:
    """One RIE process on its own pair of free loopback ports.

    Parameters
    ----------
    index : int
        Position in its pool (used in records and log messages).
    spec : EmulatorSpec
        What to run.
    binary : pathlib.Path, optional
        The RIE binary; located with :func:`rie_binary` when omitted.

    Attributes
    ----------
    logs : LogBuffer
        Every output line (stdout and stderr) of every run of this emulator.
    port : int
        The Invoke API port (0 before the first start).
    starts : int
        How many times the process was started.
    """

    def __init__(self, index: int, spec: EmulatorSpec, binary: Path | None = None) -> None:
        self.index = index
        self.spec = spec
        self.binary = binary or rie_binary()
        self.logs = LogBuffer()
        self.port = 0
        self.runtime_api_port = 0
        self.starts = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The emulator's own invocation URL (function name ``function``)."""
        return f"http://127.0.0.1:{self.port}{INVOKE_PATH}"

    def alive(self) -> bool:
        """Whether the RIE process is running."""
        return self.process is not None and self.process.poll() is None

    def start(self, ready_timeout_s: float = 30.0, attempts: int = 3) -> None:
        """Start the process and wait until its Invoke API answers.

        Parameters
        ----------
        ready_timeout_s : float
            Seconds to wait for readiness per attempt.
        attempts : int
            Attempts with fresh ports (a port taken between probing and binding makes RIE exit).

        Raises
        ------
        EmulatorError
            When the emulator is not ready after all attempts.
        """
        error: EmulatorError | None = None
        for _ in range(attempts):
            self._spawn()
            try:
                self._wait_ready(ready_timeout_s)
                return
            except EmulatorError as exc:
                error = exc
                self.stop()
        raise error or EmulatorError("emulator not started")

    def _spawn(self) -> None:
        self.port, self.runtime_api_port = free_port(), free_port()
        command = [
            str(self.binary),
            "--runtime-interface-emulator-address",
            f"127.0.0.1:{self.port}",
            "--runtime-api-address",
            f"127.0.0.1:{self.runtime_api_port}",
            self.spec.python,
            "-m",
            "awslambdaric",
            self.spec.handler,
        ]
        self.logs.append(f"# harness: emulator {self.index} start {self.starts + 1}: port {self.port}")
        self.process = subprocess.Popen(
            command,
            cwd=self.spec.code_dir,
            env=self.spec.environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.starts += 1
        with _LIVE_LOCK:
            _LIVE.add(self)
        assert self.process.stdout is not None
        self._reader = threading.Thread(
            target=pump, args=(self.process.stdout, self.logs), name=f"rie-{self.index}-log", daemon=True
        )
        self._reader.start()

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.alive():
                tail = "\n".join(self.logs.lines()[-20:])
                raise EmulatorError(f"emulator {self.index} exited while starting:\n{tail}")
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1.0)
            try:
                connection.request("GET", "/")
                connection.getresponse().read()
                return
            except OSError:
                time.sleep(0.05)
            finally:
                connection.close()
        raise EmulatorError(f"emulator {self.index} not ready after {timeout_s} s")

    def stop(self, grace_s: float = 3.0) -> None:
        """Terminate the emulator and its runtime (SIGTERM, then SIGKILL to the whole session)."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                process.wait(grace_s)
            except subprocess.TimeoutExpired:
                pass
        _kill_session(process.pid)
        process.wait()
        if self._reader is not None:
            self._reader.join(timeout=5)
        with _LIVE_LOCK:
            _LIVE.discard(self)

    def restart(self, ready_timeout_s: float = 30.0) -> None:
        """Stop whatever is left of the process and start it again on fresh ports."""
        self.logs.append(f"# harness: emulator {self.index} restarting")
        self.stop(grace_s=0.5)
        self.start(ready_timeout_s)

    def pids(self) -> list[int]:
        """Process ids of the emulator's session (RIE and the runtime); empty when stopped."""
        return [] if self.process is None else _session_members(self.process.pid)


class EmulatorPool:
    """N emulators of one spec, handed out one invocation at a time.

    Parameters
    ----------
    n : int
        Number of emulators.
    spec : EmulatorSpec
        What each of them runs.
    ready_timeout_s : float
        Seconds to wait for each emulator's readiness.

    Attributes
    ----------
    restarts : int
        Emulators restarted after their process died.
    """

    def __init__(self, n: int, spec: EmulatorSpec, ready_timeout_s: float = 30.0) -> None:
        if n < 1:
            raise EmulatorError("a pool needs at least one emulator")
        binary = rie_binary()
        self.spec = spec
        self.ready_timeout_s = ready_timeout_s
        self.emulators = [Emulator(i, spec, binary) for i in range(n)]
        self.restarts = 0
        self.closed = False
        self._busy = [False] * n
        self._lock = threading.Lock()
        self._life = threading.RLock()  # start / restart / stop never overlap

    def __len__(self) -> int:
        return len(self.emulators)

    def start(self) -> None:
        """Start all emulators (processes first, then wait for each); stop them all on failure."""
        with self._life:
            self.closed = False
            try:
                for emulator in self.emulators:
                    emulator._spawn()
                for emulator in self.emulators:
                    try:
                        emulator._wait_ready(self.ready_timeout_s)
                    except EmulatorError:
                        emulator.stop()
                        emulator.start(self.ready_timeout_s)
            except BaseException:
                self.stop()
                raise

    def stop(self) -> None:
        """Stop every emulator; later restarts are refused, so nothing outlives the pool."""
        with self._life:
            self.closed = True
            for emulator in self.emulators:
                emulator.stop()

    def busy_count(self) -> int:
        """Emulators running an invocation now."""
        with self._lock:
            return sum(self._busy)

    def try_acquire(self, limit: int | None = None) -> Emulator | None:
        """Reserve a free emulator, the lowest index first (warm reuse).

        Parameters
        ----------
        limit : int, optional
            Reserve nothing when this many emulators are busy already.

        Returns
        -------
        Emulator or None
            None when all are busy or ``limit`` is reached.
        """
        with self._lock:
            if limit is not None and sum(self._busy) >= limit:
                return None
            for index, busy in enumerate(self._busy):
                if not busy:
                    self._busy[index] = True
                    return self.emulators[index]
        return None

    def release(self, emulator: Emulator) -> None:
        """Return a reserved emulator to the pool."""
        with self._lock:
            self._busy[emulator.index] = False

    def restart(self, emulator: Emulator) -> None:
        """Restart a reserved emulator (its process died or stopped answering) and count it."""
        with self._life:
            if self.closed:
                raise EmulatorError("the pool is stopped")
            with self._lock:
                self.restarts += 1
            emulator.restart(self.ready_timeout_s)

    def ensure_alive(self, emulator: Emulator) -> bool:
        """Restart a reserved emulator whose process died; True when it was restarted."""
        if emulator.alive():
            return False
        self.restart(emulator)
        return True

    def warm_up(self, payload: bytes = b"{}", timeout_s: float | None = None) -> list[float]:
        """Send ``payload`` straight to every emulator at once, so each runtime is started and warm.

        RIE starts the Python runtime lazily: the first invocation of each emulator includes the
        handler module's imports (seconds for the project's handler) in its Duration. The answers
        (function errors included) are discarded and not counted by the router. Call it while no
        invocation runs.

        Parameters
        ----------
        payload : bytes
            The event; it may make the handler fail, the runtime stays warm all the same.
        timeout_s : float, optional
            Seconds to wait per emulator; the function timeout plus 60 s by default.

        Returns
        -------
        list of float
            Seconds each emulator took.
        """
        reserved = [self.try_acquire() for _ in self.emulators]
        if any(emulator is None for emulator in reserved):
            for emulator in reserved:
                if emulator is not None:
                    self.release(emulator)
            raise EmulatorError("warm_up needs every emulator free")
        seconds = [0.0] * len(self.emulators)
        timeout = timeout_s if timeout_s is not None else self.spec.timeout_s + 60

        def post(emulator: Emulator) -> None:
            started = time.monotonic()
            connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=timeout)
            try:
                connection.request("POST", INVOKE_PATH, payload, {"Content-Type": "application/json"})
                connection.getresponse().read()
            finally:
                connection.close()
                seconds[emulator.index] = time.monotonic() - started

        threads = [threading.Thread(target=post, args=(emulator,)) for emulator in self.emulators]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            for emulator in self.emulators:
                self.release(emulator)
        return seconds


@atexit.register
def _stop_leftovers() -> None:
    """Last resort at interpreter exit: kill emulators that were never stopped."""
    with _LIVE_LOCK:
        leftovers = list(_LIVE)
    for emulator in leftovers:
        try:
            emulator.stop(grace_s=0.5)
        except Exception:  # best effort at exit
            pass
