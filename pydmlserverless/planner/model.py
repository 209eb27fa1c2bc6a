"""The planner's time and cost model of a Lambda (or local) fit: pure functions, no I/O.

What a fit costs and how long it takes, from a profile of its tasks (:class:`TaskProfile`,
measured by :mod:`pydmlserverless.planner.plan` on a few probe tasks):

Billing (AWS's rules, https://aws.amazon.com/lambda/pricing/)
    Each invocation is billed for its duration rounded *up* to the next millisecond
    (:func:`billed_ms`), times the function's memory: GB-s = billed s x memory MB / 1024
    (:func:`billed_gb_seconds`). USD = GB-s x the architecture's price + requests x the request
    price (:func:`lambda_usd`, prices from
    :class:`~pydmlserverless.backends.aws_lambda.cost.LambdaPrices`). Since 1 August 2025 the
    init phase of a cold start is billed too (``init_billed``); before, it was not.

CPU share by memory (:class:`CpuModel`)
    Lambda allocates CPU in proportion to memory: 1,769 MB is one full vCPU, half of that half a
    vCPU, and so on; above 1,769 MB a function gets more vCPUs (up to 6 at 10,240 MB), which only
    shorten a task whose learner runs several threads (e.g. ``n_jobs=-1`` of a random forest).
    So the CPU-bound part of a task (the learners' ``fit`` and ``predict``) takes
    ``t_ref x speed(ref) / speed(m)`` at memory ``m`` with ``speed(m) = min(vcpus(m), threads)``
    and ``vcpus(m) = m / 1769`` (capped at 6). The rest of a task (reading the data, writing the
    result, the runtime's own overhead) does not scale in this model.

Wall time (:func:`simulate_wall`)
    Tasks are taken in order by ``concurrency`` slots (the client's ``max_concurrency``); a slot's
    first task starts a new execution environment (a cold start: the init duration plus the first
    load of the data). Lambda's burst scaling lets a function add 1,000 concurrent executions
    every 10 s (:data:`BURST_STEP`, :data:`BURST_INTERVAL_S`): slot ``j`` is usable from
    ``10 s x floor(j / 1000)``. The client's own per-invocation time (request, network, response)
    adds to each task's wall time but not to its billed time.

Timeout (:func:`fits_timeout`)
    A task fits when its predicted duration is at most ``margin`` (80 %) of the function's timeout.

The paper's Table 1 (Kurz 2021) as a worked case: 200 invocations of 17.16 s mean at 1,024 MB are
``200 x 17.16 x 1024 / 1024 = 3,432`` GB-s of compute; the paper reports 3,515 GB-s billed. The
1 ms rounding explains at most 200 ms x 1 GB = 0.2 GB-s of the 83 GB-s difference; the rest,
0.415 s per invocation, is what Lambda billed beyond the tasks' reported mean (the handler, the
data loading, the response: :attr:`TaskProfile.fixed_s` in this model), which the table does not
break down.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..backends.aws_lambda.cost import DEFAULT_PRICES, LambdaPrices

__all__ = [
    "LAMBDA_VCPU_MB",
    "BURST_STEP",
    "BURST_INTERVAL_S",
    "TIMEOUT_MARGIN",
    "CpuModel",
    "LAMBDA_CPU",
    "TaskProfile",
    "Prediction",
    "billed_ms",
    "billed_gb_seconds",
    "lambda_usd",
    "simulate_wall",
    "fits_timeout",
    "predict",
    "scaling_folds",
]

#: Memory (MB) at which a function has one full vCPU.
LAMBDA_VCPU_MB = 1769
#: Lambda's largest memory and its vCPUs.
LAMBDA_MAX_MB, LAMBDA_MAX_VCPUS = 10240, 6.0
#: Concurrent executions a function may add per :data:`BURST_INTERVAL_S` (AWS, since November 2023).
BURST_STEP = 1000
BURST_INTERVAL_S = 10.0
#: The share of the timeout a task may use and still "fit".
TIMEOUT_MARGIN = 0.8


@dataclass(frozen=True)
class CpuModel:
    """CPU share by memory: ``vcpus(m) = min(m / full_vcpu_mb, max_vcpus)``.

    Parameters
    ----------
    full_vcpu_mb : float, default 1769
        Memory of one full vCPU (Lambda's 1,769 MB).
    max_vcpus : float, default 6
        The most vCPUs (Lambda: 6 at 10,240 MB).

    Examples
    --------
    >>> round(LAMBDA_CPU.vcpus(1024), 4), LAMBDA_CPU.vcpus(3538)
    (0.5789, 2.0)
    >>> LAMBDA_CPU.speed(3008, threads=1), round(LAMBDA_CPU.speed(3008, threads=4), 4)
    (1.0, 1.7004)
    >>> round(LAMBDA_CPU.scale(10.0, 1769, 512), 3)  # a 10 s task at 1,769 MB takes 34.6 s at 512 MB
    34.551
    """

    full_vcpu_mb: float = LAMBDA_VCPU_MB
    max_vcpus: float = LAMBDA_MAX_VCPUS

    def vcpus(self, memory_mb: float) -> float:
        """vCPUs at ``memory_mb``."""
        return min(float(memory_mb) / self.full_vcpu_mb, self.max_vcpus)

    def speed(self, memory_mb: float, threads: int = 1) -> float:
        """The CPU a task of ``threads`` threads uses at ``memory_mb``, in vCPUs: ``min(vcpus, threads)``."""
        return min(self.vcpus(memory_mb), float(max(1, threads)))

    def scale(self, seconds: float, from_mb: float, to_mb: float, threads: int = 1) -> float:
        """CPU-bound ``seconds`` measured at ``from_mb`` as they would take at ``to_mb``."""
        return seconds * self.speed(from_mb, threads) / self.speed(to_mb, threads)


#: Lambda's CPU model.
LAMBDA_CPU = CpuModel()


def billed_ms(duration_ms: float) -> int:
    """An invocation's billed duration: its duration rounded up to the millisecond (at least 1 ms).

    Examples
    --------
    >>> billed_ms(102.25), billed_ms(17160.0), billed_ms(0.2)
    (103, 17160, 1)
    """
    return max(1, math.ceil(float(duration_ms) - 1e-9))


def billed_gb_seconds(durations_ms: Iterable[float], memory_mb: float) -> float:
    """GB-seconds billed for invocations of these durations at ``memory_mb`` (1 GB = 1024 MB).

    Examples
    --------
    >>> billed_gb_seconds([1000.4, 999.0], 1024)
    2.0
    """
    return sum(billed_ms(d) for d in durations_ms) / 1000.0 * float(memory_mb) / 1024.0


def lambda_usd(gb_s: float, requests: int, architecture: str, prices: LambdaPrices = DEFAULT_PRICES) -> float:
    """USD of ``gb_s`` billed GB-seconds and ``requests`` invocations on ``architecture``.

    Examples
    --------
    >>> round(lambda_usd(3515, 200, "x86_64"), 4)  # the paper's Table 1: $0.0586
    0.0586
    """
    return prices.compute_usd(gb_s, architecture) + requests * prices.per_request


def simulate_wall(
    durations_s: Sequence[float],
    concurrency: int,
    cold_extra_s: float = 0.0,
    per_task_client_s: float = 0.0,
    burst_step: int | None = BURST_STEP,
    burst_interval_s: float = BURST_INTERVAL_S,
) -> tuple[float, list[bool]]:
    """Wall seconds of running tasks in order on ``concurrency`` slots, and which tasks ran cold.

    Parameters
    ----------
    durations_s : sequence of float
        Each task's (warm) duration.
    concurrency : int
        Slots (invocations in flight at most).
    cold_extra_s : float
        Added to a slot's first task (a new execution environment: init plus first data load).
    per_task_client_s : float
        Added to every task's wall time (the client's request and response).
    burst_step, burst_interval_s : int, float
        Burst scaling: slot ``j`` is usable from ``burst_interval_s x floor(j / burst_step)``;
        ``burst_step=None`` makes every slot usable at once (a local pool).

    Returns
    -------
    wall_s : float
    cold : list of bool

    Examples
    --------
    >>> simulate_wall([1.0] * 10, 4)  # three waves: 4, 4, 2
    (3.0, [True, True, True, True, False, False, False, False, False, False])
    >>> simulate_wall([30.0] * 2000, 2000)[0]  # the second thousand starts 10 s later (burst limit)
    40.0
    """
    n = len(durations_s)
    if n == 0:
        return 0.0, []
    slots = max(1, min(int(concurrency), n))
    ready = [(burst_interval_s * (j // burst_step) if burst_step else 0.0, j) for j in range(slots)]
    heapq.heapify(ready)
    used: set[int] = set()
    cold = [False] * n
    end = 0.0
    for i, duration in enumerate(durations_s):
        t, j = heapq.heappop(ready)
        extra = 0.0
        if j not in used:
            used.add(j)
            cold[i] = True
            extra = cold_extra_s
        finish = t + float(duration) + extra + per_task_client_s
        end = max(end, finish)
        heapq.heappush(ready, (finish, j))
    return end, cold


def fits_timeout(task_s: float, timeout_s: float, margin: float = TIMEOUT_MARGIN) -> bool:
    """Whether a task of ``task_s`` seconds fits ``margin`` of the function's timeout.

    Examples
    --------
    >>> fits_timeout(700, 900), fits_timeout(730, 900)
    (True, False)
    """
    return task_s <= margin * timeout_s


def scaling_folds(scaling: str, n_folds: int) -> int:
    """Folds one task fits under ``scaling``."""
    return n_folds if scaling == "n_rep" else 1


@dataclass(frozen=True)
class TaskProfile:
    """What the probe measured about a fit's tasks, at ``reference_mb`` of memory.

    Parameters
    ----------
    fold_compute_s : mapping of str to float
        Per nuisance: seconds of one fold's ``fit`` + ``predict`` (CPU-bound; scaled by :class:`CpuModel`).
    fixed_s : float
        Seconds of a warm task besides its folds' compute (the billed rest: reading the splits,
        writing the result, the runtime's overhead); not scaled.
    cold_extra_s : float
        Extra duration of a task in a new execution environment (the first data load), billed.
    init_s : float
        Init duration of a new execution environment (the runtime and the imports).
    client_s : float
        Per invocation, wall seconds beyond the function's duration (request, network, response); not billed.
    reference_mb : float
        The memory the times were measured at.
    threads : int
        Threads a learner uses (1 unless it runs ``n_jobs``).
    fixed_per_fold_s : float
        Of ``fixed_s``, the part that grows with the folds of a task (one split's read and result per fold).
    """

    fold_compute_s: Mapping[str, float]
    fixed_s: float
    cold_extra_s: float = 0.0
    init_s: float = 0.0
    client_s: float = 0.0
    reference_mb: float = LAMBDA_VCPU_MB
    threads: int = 1
    fixed_per_fold_s: float = 0.0

    def task_s(self, nuisance: str, folds: int, memory_mb: float, cpu: CpuModel = LAMBDA_CPU) -> float:
        """A warm task's duration: ``folds`` folds of ``nuisance`` at ``memory_mb``."""
        compute = folds * cpu.scale(self.fold_compute_s[nuisance], self.reference_mb, memory_mb, self.threads)
        return self.fixed_s + (folds - 1) * self.fixed_per_fold_s + compute


@dataclass(frozen=True)
class Prediction:
    """The predicted time and cost of one configuration (see :func:`predict`)."""

    memory_mb: float
    scaling: str
    n_tasks: int
    task_s: float
    max_task_s: float
    tasks_wall_s: float
    billed_gb_s: float
    usd: float
    cold_starts: int
    fits_timeout: bool
    extra: dict = field(default_factory=dict)


def predict(
    profile: TaskProfile,
    tasks: Sequence[tuple[str, int]],
    memory_mb: float,
    scaling: str,
    concurrency: int,
    timeout_s: float = 900.0,
    architecture: str = "arm64",
    prices: LambdaPrices = DEFAULT_PRICES,
    cpu: CpuModel = LAMBDA_CPU,
    init_billed: bool = True,
    margin: float = TIMEOUT_MARGIN,
    burst_step: int | None = BURST_STEP,
) -> Prediction:
    """Time and cost of a fit whose tasks are ``tasks`` ((nuisance, folds) in plan order).

    The tasks' durations come from ``profile`` at ``memory_mb``; the wall time from
    :func:`simulate_wall` over ``concurrency`` slots; the billed GB-s add a cold start's extra
    (and, with ``init_billed``, its init) to each new environment's first task.

    Examples
    --------
    >>> profile = TaskProfile({"ml_l": 17.16}, fixed_s=0.0, reference_mb=1024)
    >>> p = predict(profile, [("ml_l", 1)] * 200, 1024, "n_rep", concurrency=200, architecture="x86_64")
    >>> round(p.billed_gb_s, 2), round(p.usd, 4), p.tasks_wall_s
    (3432.0, 0.0572, 17.16)
    """
    durations = [profile.task_s(nu, folds, memory_mb, cpu) for nu, folds in tasks]
    cold_wall = profile.cold_extra_s + profile.init_s
    wall, cold = simulate_wall(durations, concurrency, cold_wall, profile.client_s, burst_step)
    cold_billed = profile.cold_extra_s + (profile.init_s if init_billed else 0.0)
    billed = [1000.0 * (d + (cold_billed if c else 0.0)) for d, c in zip(durations, cold)]
    gb_s = billed_gb_seconds(billed, memory_mb)
    longest = max(d + (cold_billed if c else 0.0) for d, c in zip(durations, cold)) if durations else 0.0
    return Prediction(
        memory_mb=memory_mb,
        scaling=scaling,
        n_tasks=len(tasks),
        task_s=sum(durations) / len(durations) if durations else 0.0,
        max_task_s=longest,
        tasks_wall_s=wall,
        billed_gb_s=gb_s,
        usd=lambda_usd(gb_s, len(tasks), architecture, prices),
        cold_starts=sum(cold),
        fits_timeout=fits_timeout(longest, timeout_s, margin),
    )
