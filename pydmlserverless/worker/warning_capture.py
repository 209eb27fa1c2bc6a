"""Warnings recorded where they are raised and raised again where the user is.

The local backend's pool processes are other Python processes: a warning raised there (a
scikit-learn ``ConvergenceWarning`` in a learner's fit) would be printed to the pool process's
stderr, out of reach of the client's warning filters, of Jupyter, and of R. :func:`recording`
records them instead (the worker's entry point hands them back as :func:`plain` records) and
:func:`reemit` raises them again in the client, where the usual filters decide what is shown.
The Lambda function does the same: its response carries the task's warnings as
:func:`compact` records (repeats counted, the list and each text bounded so a chatty learner
cannot fill the 6 MB response), which the client raises again as the pool's.
The R bridge records the warnings of each call the same way and hands them to R
(:func:`summarize`), where they become R warnings.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from .protocol import MAX_RESPONSE_MESSAGE, MAX_RESPONSE_WARNINGS

__all__ = ["recording", "plain", "compact", "reemit", "summarize"]

#: Actions that drop repeats: recorded as ``always`` (every occurrence; :func:`summarize` counts them).
_REPEAT_DROPPING = {"default", "module", "once"}
_PACKAGES_PATH = re.compile(r"[^\s'\"]*/(?:site|dist)-packages/")


@contextmanager
def recording() -> Iterator[list[warnings.WarningMessage]]:
    """Record the warnings raised inside, every occurrence of those the filters would show.

    The filters in force decide as usual (``ignore`` and ``error`` keep their effect); the
    actions that show a warning once (``default``, ``module``, ``once``, and Python's default
    action for warnings no filter names) record each occurrence, so that repeats can be counted.

    Examples
    --------
    >>> with recording() as caught:
    ...     warnings.warn("twice"); warnings.warn("twice")
    >>> len(caught)
    2
    """
    with warnings.catch_warnings(record=True) as caught:
        filters = cast(list, warnings.filters)  # catch_warnings made it this context's copy
        filters[:] = [("always" if f[0] in _REPEAT_DROPPING else f[0], *f[1:]) for f in filters]
        warnings.simplefilter("always", append=True)  # the default action, for warnings no filter names
        yield caught


_MODULES: dict[str, str | None] = {}


def _module_name(filename: str) -> str | None:
    """The dotted name of the module whose file ``filename`` is (for filters naming a module)."""
    if filename not in _MODULES:
        _MODULES[filename] = next(
            (name for name, mod in list(sys.modules.items()) if getattr(mod, "__file__", None) == filename), None
        )
    return _MODULES[filename]


def plain(caught: Iterable[warnings.WarningMessage]) -> list[dict[str, Any]]:
    """Recorded warnings as plain dicts (picklable, JSON-able): category path, message, place."""
    out = []
    for w in caught:
        category = w.category
        out.append(
            {
                "category": f"{category.__module__}.{category.__qualname__}",
                "classes": [c.__name__ for c in category.__mro__ if c is not object],
                "message": str(w.message),
                "filename": str(w.filename),
                "lineno": int(w.lineno or 0),
                "module": _module_name(str(w.filename)),
            }
        )
    return out


def compact(
    records: Iterable[dict[str, Any]],
    max_records: int = MAX_RESPONSE_WARNINGS,
    max_message: int = MAX_RESPONSE_MESSAGE,
) -> list[dict[str, Any]]:
    """:func:`plain` records with repeats merged into a ``count``, bounded for a response.

    Records of the same category, text and place become one, with ``count`` occurrences (in
    order of first occurrence). Past ``max_records`` distinct ones, a last UserWarning says how
    many warnings were left out; texts longer than ``max_message`` characters are cut.

    Examples
    --------
    >>> with recording() as caught:
    ...     for _ in range(3): warnings.warn("slow")
    >>> [(r["message"], r["count"]) for r in compact(plain(caught))]
    [('slow', 3)]
    """
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    left_out = 0
    for r in records:
        message = str(r["message"])[:max_message]
        key = (r["category"], message, r["filename"], r["lineno"])
        if key in merged:
            merged[key]["count"] += int(r.get("count", 1))
        elif len(merged) < max_records:
            merged[key] = {**r, "message": message, "count": int(r.get("count", 1))}
        else:
            left_out += int(r.get("count", 1))
    out = list(merged.values())
    if left_out:
        out.append(
            {
                "category": "builtins.UserWarning",
                "classes": [c.__name__ for c in UserWarning.__mro__ if c is not object],
                "message": f"{left_out} further warning(s) of this task were not returned "
                f"(more than {max_records} distinct ones).",
                "filename": "pydmlserverless/warning_capture.py",
                "lineno": 0,
                "module": None,
                "count": 1,
            }
        )
    return out


def _category(path: str) -> type[Warning]:
    """The warning class a record names, looked up among the modules this process has loaded.

    Nothing is imported for it: a worker's record (a Dask worker's too) decides no import in
    the client. A category whose module is not loaded here is a UserWarning of the same text.
    """
    module, _, name = path.rpartition(".")
    found: Any = sys.modules.get(module)
    try:
        for part in name.split("."):
            found = getattr(found, part)
    except AttributeError:
        return UserWarning
    return found if isinstance(found, type) and issubclass(found, Warning) else UserWarning


def reemit(records: Iterable[dict[str, Any]], registry: dict[Any, Any] | None = None) -> None:
    """Raise :func:`plain` records again here, at their original place.

    ``registry`` is where the ``default`` action remembers what it has shown (one per place and
    text): pass one dict per fit to show each warning once per fit; None shows every occurrence.
    A :func:`compact` record is raised ``count`` times.
    """
    for r in records:
        category = _category(r["category"])
        # warn_explicit drops a warning whose module is None: without one, it names it from the file
        module = {"module": r["module"]} if isinstance(r.get("module"), str) else {}
        for _ in range(int(r.get("count", 1))):
            warnings.warn_explicit(
                r["message"],
                category,
                r["filename"],
                r["lineno"],
                registry=registry if registry is not None else {},
                **module,
            )


def _one_line(text: str) -> str:
    return _PACKAGES_PATH.sub("", " ".join(text.split()))


def summarize(caught: Iterable[warnings.WarningMessage]) -> list[dict[str, Any]]:
    """Recorded warnings for R: one entry per (category, text), in order of first occurrence.

    Each entry: ``category`` (the class name), ``classes`` (the class and its bases), ``message``
    (one line: whitespace collapsed, no ``site-packages`` paths), ``count`` and ``text`` (the
    message as raised).

    Examples
    --------
    >>> with recording() as caught:
    ...     for _ in range(3): warnings.warn("not\\n  converged")
    >>> [(s["category"], s["count"], s["message"]) for s in summarize(caught)]
    [('UserWarning', 3, 'not converged')]
    """
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    for w in caught:
        text = str(w.message)
        key = (f"{w.category.__module__}.{w.category.__qualname__}", _one_line(text))
        if key in entries:
            entries[key]["count"] += 1
            continue
        entries[key] = {
            "category": w.category.__name__,
            "classes": [c.__name__ for c in w.category.__mro__ if c is not object],
            "message": key[1],
            "count": 1,
            "text": text,
        }
    return list(entries.values())
