"""How a run shows its progress: a tqdm bar, or a sink the caller gives (R's progress bar)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol, runtime_checkable

from tqdm.auto import tqdm

__all__ = ["ProgressSink", "progress_bar", "progress_option"]


@runtime_checkable
class ProgressSink(Protocol):
    """What a fit's ``progress`` argument may be besides a flag: anything with ``update(n)``.

    ``update(n)`` is called in the thread that runs the fit, once per finished task (``n = 1``,
    resumed tasks included). Optional methods: ``reset(total=...)`` is called once before the
    first task with the number of tasks the fit plans (None where unknown), ``close()`` once after
    the last one, also when the fit fails. A :class:`tqdm.tqdm` bar fits; so does a plain callable
    ``f(n)`` (called as ``update``).
    """

    def update(self, n: int = 1) -> Any: ...


def progress_option(progress: Any) -> Any:
    """A ``progress`` argument as ``_progress`` takes it: a sink (an object with ``update(n)``, or a
    callable) as it is; None as whether stderr is a terminal; anything else as a flag."""
    if isinstance(progress, ProgressSink) or (callable(progress) and not isinstance(progress, bool)):
        return progress
    return sys.stderr.isatty() if progress is None else bool(progress)


class _SinkBar:
    """A progress sink seen as the bar ``collect`` updates."""

    def __init__(self, sink: Any) -> None:
        self._update = sink.update if isinstance(sink, ProgressSink) else sink

    def update(self, n: int = 1) -> None:
        self._update(n)


@contextmanager
def progress_bar(total: int | None, show: Any, backend_name: str) -> Iterator[Any]:
    """The bar a run's tasks update: tqdm when ``show`` is a flag, else the sink ``show`` is
    (see :class:`ProgressSink`; ``show`` as :func:`progress_option` returns it)."""
    if not isinstance(show, bool) and (isinstance(show, ProgressSink) or callable(show)):
        if callable(getattr(show, "reset", None)):
            show.reset(total=total)
        try:
            yield _SinkBar(show)
        finally:
            if callable(getattr(show, "close", None)):
                show.close()
        return
    with tqdm(total=total, disable=not show, desc=f"pydmlserverless [{backend_name}]", unit="task") as bar:
        yield bar
