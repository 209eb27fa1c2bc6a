"""What R shows while Python works: the warnings of each call, and R's progress bar.

R's ``py_call`` records the warnings of every call into Python (:func:`warning_recorder`) and
signals them as R warnings; a fit or tuning called from R drives R's own progress bar
(:class:`RProgress`, made by the factory R registers with :func:`set_r_progress`).
"""

from __future__ import annotations

import threading
from typing import Any

from ..worker.warning_capture import recording, summarize

__all__ = ["warning_recorder", "RProgress", "set_r_progress"]


class _WarningRecorder:
    """The warnings of one R call into Python (:func:`warning_recorder`)."""

    def __init__(self) -> None:
        self._context: Any = recording()
        self._caught = self._context.__enter__()

    def stop(self) -> list[dict[str, Any]]:
        """Stop recording; the warnings, collapsed (:func:`pydmlserverless.worker.warning_capture.summarize`)."""
        if self._context is None:
            return []
        self._context.__exit__(None, None, None)
        self._context = None
        return summarize(self._caught)


def warning_recorder() -> _WarningRecorder:
    """Start recording warnings (R's ``py_call`` does, around every call): ``.stop()`` returns them.

    Every warning the filters would show is recorded, each occurrence: the local pool's workers'
    too (the local backend raises them again here). Recorders nest; stop them in reverse order.
    """
    return _WarningRecorder()


class RProgress:
    """A :class:`pydmlserverless.core.fitting.ProgressSink` that drives R's progress bar.

    ``start(total)``, ``update(n)`` and ``done()`` are R functions. reticulate runs R code only
    on the main thread: an update from another thread is added to the next one made there (or to
    ``done()``'s).
    """

    def __init__(self, start: Any, update: Any, done: Any) -> None:
        self._start, self._update, self._done = start, update, done
        self._pending = 0
        self._lock = threading.Lock()

    def reset(self, total: int | None = None) -> None:
        self._start(None if total is None else int(total))

    def update(self, n: int = 1) -> None:
        with self._lock:
            self._pending += int(n)
            if threading.current_thread() is not threading.main_thread():
                return
            n, self._pending = self._pending, 0
        if n:
            self._update(n)

    def close(self) -> None:
        with self._lock:
            n, self._pending = self._pending, 0
        if n:
            self._update(n)
        self._done()


_R_PROGRESS: dict[str, Any] = {}


def set_r_progress(factory: Any) -> None:
    """R's progress-bar factory: ``factory(what, progress)`` gives ``NULL`` (no bar) or an :class:`RProgress`.

    ``progress`` is R's ``progress =`` argument (``NULL``: R's default, a bar in interactive
    sessions outside knitr).
    """
    _R_PROGRESS["factory"] = factory


def _r_sink(what: str, progress: Any) -> Any:
    """The ``progress`` a fit or tuning called from R gets: R's bar (or False)."""
    factory = _R_PROGRESS.get("factory")
    if factory is None:
        return bool(progress)
    sink = factory(what, progress)
    return sink if sink is not None else False
