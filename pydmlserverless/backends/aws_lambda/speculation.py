"""Speculative copies of straggling tasks: when to invoke a slow task a second time.

Pure logic, no I/O. A Lambda invocation occasionally runs far slower than its peers (a slow
host, a congested network path to S3); as in Cirrus and MapReduce's backup tasks, the backend
then invokes the same payload once more and takes whichever answer comes first. The copy computes
the same predictions (the payload fixes data, splits, learner and seeds), so the result never
depends on which one wins, and it is placed once: the loser's answer is dropped (its invocation
is billed and listed in ``aws_lambda_metrics`` with ``speculative=True``).

A task is copied when it has run longer than ``slowdown`` times the median duration of the
finished tasks of its nuisance (tasks of one nuisance fit the same learner on the same number of
rows, so they take about as long), once ``min_finished`` of that nuisance's tasks have finished,
after at least ``min_seconds``, and at most ``max_copies`` of a round's tasks get a copy. With the
defaults a copy costs about one median task, for at most 2 % of the tasks: at most about 2 % more
billed time, usually none (no task is that slow).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..._checks import check_number
from ...errors import ConfigurationError

__all__ = ["SpeculationPolicy", "NO_SPECULATION"]


@dataclass(frozen=True)
class SpeculationPolicy:
    """When a straggling task is invoked a second time (first answer wins).

    Parameters
    ----------
    enabled : bool, default True
        False never copies a task.
    slowdown : float, default 3.0
        Copy a task that has run this many times its nuisance's median finished duration.
    min_finished : float, default 0.5
        Fraction of the nuisance's tasks (of the round) that must have finished first (at least 3).
    min_seconds : float, default 10.0
        Never copy a task that has run less than this.
    max_copies : float, default 0.02
        At most this fraction of a round's tasks is copied (at least one task).

    Examples
    --------
    >>> policy = SpeculationPolicy()
    >>> policy.is_straggler(40.0, [4.0, 5.0, 6.0], n_of_kind=6)
    True
    >>> policy.is_straggler(12.0, [4.0, 5.0, 6.0], n_of_kind=6)
    False
    >>> policy.copy_budget(1000)
    20
    """

    enabled: bool = True
    slowdown: float = 3.0
    min_finished: float = 0.5
    min_seconds: float = 10.0
    max_copies: float = 0.02

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise ConfigurationError(f"enabled must be True or False; {self.enabled!r} was passed.")
        check_number(self.slowdown, "slowdown", minimum=1, above_minimum=True)
        check_number(self.min_finished, "min_finished", minimum=0, maximum=1)
        check_number(self.min_seconds, "min_seconds", minimum=0)
        check_number(self.max_copies, "max_copies", minimum=0, maximum=1)

    def copy_budget(self, n_tasks: int) -> int:
        """How many of a round's ``n_tasks`` tasks may get a copy."""
        if not self.enabled or self.max_copies == 0:
            return 0
        return max(1, int(self.max_copies * n_tasks))

    def is_straggler(self, running_s: float, finished_s: Sequence[float], n_of_kind: int) -> bool:
        """Whether a task running for ``running_s`` is slow next to its nuisance's ``finished_s``."""
        if not self.enabled or running_s < self.min_seconds:
            return False
        if len(finished_s) < max(3, self.min_finished * n_of_kind):
            return False
        return running_s > self.slowdown * statistics.median(finished_s)

    def stragglers(
        self,
        running: Mapping[str, tuple[str, float]],
        finished: Mapping[str, Sequence[float]],
        n_by_kind: Mapping[str, int],
        exclude: set[str],
    ) -> list[str]:
        """Task ids to copy now, slowest first.

        ``running`` maps a task id to (its nuisance, seconds it has run); ``finished`` a nuisance to
        its finished tasks' durations; ``n_by_kind`` a nuisance to its number of tasks in the round.
        """
        slow = [
            (seconds, task_id)
            for task_id, (kind, seconds) in running.items()
            if task_id not in exclude and self.is_straggler(seconds, finished.get(kind, ()), n_by_kind.get(kind, 0))
        ]
        return [task_id for _, task_id in sorted(slow, reverse=True)]


#: A policy that never copies a task.
NO_SPECULATION = SpeculationPolicy(enabled=False)
