"""Module attributes imported on first use (PEP 562), so that a light import stays light."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_getattr"]


def lazy_getattr(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``names[attr]`` (a module relative to ``package``) on first use.

    Examples
    --------
    >>> getattr_ = lazy_getattr("pydmlserverless", {"task_seed": ".core.tasks"})
    >>> getattr_("task_seed").__name__
    'task_seed'
    """

    def __getattr__(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(names[name], package), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
