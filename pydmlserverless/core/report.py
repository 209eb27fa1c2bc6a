"""What a run did: its report (timing, volume, resume), measured by a clock of its phases."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Clock", "FitReport", "Resumed"]


@dataclass
class FitReport:
    """Timing and volume of one fit.

    Attributes
    ----------
    backend : str
        Backend name and size (e.g. ``"local (2 processes)"``).
    scaling : str
        The scaling used.
    n_tasks : int
        Number of tasks run (not counting resumed ones).
    seconds : dict
        Wall seconds by phase: ``stage``, ``tasks``, ``estimate``, ``total``.
    task_seconds : float
        Sum of the workers' own task durations.
    extra : list of str
        Backend-specific summary lines (cost, retries, ...).
    cpu_seconds : dict
        CPU seconds of this (the client's) process by phase, keys as ``seconds``: what planning,
        encoding, invoking, decoding and aggregating cost here, all threads included.
    n_resumed : int
        Tasks not run because an earlier attempt of the fit had kept their results.
    resume_seconds : float
        Wall seconds spent looking for and reading kept results.
    n_discarded : int
        Kept results that were not used (damaged, of the wrong length, or another task's): their
        tasks ran again and are among ``n_tasks``.
    activity : str
        What ran: ``"Fit"``, or ``"Tuning"`` for a backend tuning.
    """

    backend: str
    scaling: str
    n_tasks: int
    seconds: dict[str, float]
    task_seconds: float
    extra: list[str] = field(default_factory=list)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    n_resumed: int = 0
    resume_seconds: float = 0.0
    activity: str = "Fit"
    n_discarded: int = 0

    def __str__(self) -> str:
        s = self.seconds
        speedup = self.task_seconds / s["tasks"] if s["tasks"] > 0 else float("nan")
        resumed = f" ({self.n_resumed} more resumed from kept results)" if self.n_resumed else ""
        lines = [
            f"{self.activity} on {self.backend}, scaling '{self.scaling}': {self.n_tasks} tasks{resumed}",
            f"  wall time {s['total']:.2f} s = staging {s['stage']:.2f} s + tasks {s['tasks']:.2f} s "
            f"+ estimation {s['estimate']:.2f} s",
        ]
        if self.n_tasks:
            lines.append(f"  task time {self.task_seconds:.2f} s in total, {speedup:.2f}x parallel")
        if self.n_resumed:
            lines.append(
                f"  kept results read in {self.resume_seconds:.2f} s; resume=False (--no-resume) computes every task"
            )
        if self.n_discarded:
            lines.append(
                f"  {self.n_discarded} kept result(s) not used (damaged, or another task's) and computed again"
            )
        if self.cpu_seconds and self.n_tasks:
            cpu = self.cpu_seconds["total"]
            lines.append(f"  client CPU {cpu:.2f} s ({1000 * cpu / self.n_tasks:.1f} ms per task)")
        return "\n".join(lines + [f"  {line}" for line in self.extra])


@dataclass
class Resumed:
    """What the rounds of a fit found of an earlier attempt's kept results.

    Attributes
    ----------
    tasks : int
        Tasks placed from kept results (not run).
    discarded : int
        Kept results not used (damaged, of the wrong length, or another task's): their tasks ran.
    seconds : float
        Wall seconds spent listing and reading.
    """

    tasks: int = 0
    discarded: int = 0
    seconds: float = 0.0

    def __add__(self, other: Resumed) -> Resumed:
        return Resumed(self.tasks + other.tasks, self.discarded + other.discarded, self.seconds + other.seconds)

    def report_fields(self) -> dict[str, Any]:
        """The :class:`FitReport` fields these counts fill."""
        return {"n_resumed": self.tasks, "n_discarded": self.discarded, "resume_seconds": self.seconds}


class Clock:
    """Wall and CPU seconds of this process at the ends of a fit's phases."""

    def __init__(self) -> None:
        self.marks: list[tuple[float, float]] = [(time.perf_counter(), time.process_time())]

    def mark(self) -> None:
        self.marks.append((time.perf_counter(), time.process_time()))

    def phases(self, which: int) -> dict[str, float]:
        """``stage``, ``tasks``, ``estimate`` and ``total`` from the wall (0) or CPU (1) marks."""
        t = [m[which] for m in self.marks]
        return {"stage": t[1] - t[0], "tasks": t[2] - t[1], "estimate": t[3] - t[2], "total": t[3] - t[0]}
