"""Checks of scalar arguments, with messages that say what was expected and what was passed."""

from __future__ import annotations

import math
from typing import Any

from .errors import ConfigurationError, InvalidInputError

__all__ = ["is_int", "check_int", "check_number"]


def is_int(value: Any) -> bool:
    """Whether ``value`` is an integer (Python's or NumPy's), not a bool.

    Examples
    --------
    >>> is_int(3), is_int(True), is_int(3.0)
    (True, False, False)
    """
    import numpy as np

    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_int(
    value: Any,
    name: str,
    minimum: int | None = None,
    error: type[InvalidInputError] = ConfigurationError,
) -> int:
    """Return ``value`` as an ``int`` if it is an integer (not a bool) of at least ``minimum``.

    Parameters
    ----------
    value : object
        What was passed.
    name : str
        The argument's name, for the message.
    minimum : int, optional
        The smallest value allowed.
    error : type, default ConfigurationError
        The error raised.

    Examples
    --------
    >>> check_int(3, "n_rep", minimum=1)
    3
    >>> check_int(True, "n_rep")
    Traceback (most recent call last):
    ...
    pydmlserverless.errors.ConfigurationError: n_rep must be an integer; True of type bool was passed.
    """
    if not is_int(value):
        raise error(f"{name} must be an integer; {value!r} of type {type(value).__name__} was passed.")
    if minimum is not None and value < minimum:
        kind = "a non-negative integer" if minimum == 0 else f"at least {minimum}"
        raise error(f"{name} must be {kind}; {value!r} was passed.")
    return int(value)


def check_number(
    value: Any,
    name: str,
    minimum: float | None = None,
    maximum: float | None = None,
    above_minimum: bool = False,
    error: type[InvalidInputError] = ConfigurationError,
) -> float:
    """Return ``value`` as a ``float`` if it is a finite real number (not a bool) within the bounds.

    ``value``, ``name`` and ``error`` as for :func:`check_int`; ``minimum`` and ``maximum`` are
    inclusive bounds, ``minimum`` exclusive when ``above_minimum``.

    Examples
    --------
    >>> check_number(0.5, "base_delay_s", minimum=0)
    0.5
    >>> check_number(-1, "base_delay_s", minimum=0)
    Traceback (most recent call last):
    ...
    pydmlserverless.errors.ConfigurationError: base_delay_s must be a non-negative number; -1 was passed.
    """
    import numpy as np

    real = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if not real or not math.isfinite(value):
        raise error(f"{name} must be a finite number; {value!r} of type {type(value).__name__} was passed.")
    if minimum is not None and (value <= minimum if above_minimum else value < minimum):
        if maximum is not None:
            bound = f"a number in {'(' if above_minimum else '['}{minimum:g}, {maximum:g}]"
        elif minimum == 0:
            bound = "a positive number" if above_minimum else "a non-negative number"
        else:
            bound = f"a number {'above' if above_minimum else 'of at least'} {minimum:g}"
        raise error(f"{name} must be {bound}; {value!r} was passed.")
    if maximum is not None and value > maximum:
        low = "(-inf" if minimum is None else f"{'(' if above_minimum else '['}{minimum:g}"
        raise error(f"{name} must be a number in {low}, {maximum:g}]; {value!r} was passed.")
    return float(value)
