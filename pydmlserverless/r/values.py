"""R's values in, plain values out: the conversions the bridge's modules share.

R's vectors arrive as scalars or lists of doubles (:func:`_as_list`, :func:`_levels` make them what
Python wants); NumPy values and pandas tables leave as lists, dicts, strings and numbers
(:func:`_plain`, :func:`_array`, :func:`_table`, :func:`_frame`), arrays flattened in column-major
order with their ``dim`` so that R rebuilds them with ``array(values, dim)`` (reticulate 1.28 cannot
convert NumPy 2 arrays).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

#: Nothing here is R's: the helpers of :mod:`pydmlserverless.r`'s other modules.
__all__: list[str] = []


def _as_list(cols: Any) -> list:
    if cols is None:
        return []
    return [cols] if isinstance(cols, str) else list(cols)


def _levels(values: Any) -> Any:
    """Treatment levels from R (doubles): whole numbers as ``int``, so that DoubleML names them 0, 1, 2."""
    scalar = np.ndim(values) == 0
    listed = np.atleast_1d(np.asarray(values, dtype=np.float64)).tolist()
    levels = [int(v) if v.is_integer() else v for v in listed]
    return levels[0] if scalar else levels


def _plain(value: Any) -> Any:
    """NumPy scalars and arrays as Python's numbers and lists; containers recursively."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _array(values: Any) -> dict:
    """An array as ``{"values": column-major list, "dim": shape}`` (R's ``array(values, dim)``)."""
    arr = np.asarray(values, dtype=np.float64)
    return {"values": arr.ravel(order="F").tolist(), "dim": list(arr.shape)}


def _table(frame: pd.DataFrame) -> dict:
    """A DataFrame as ``{"columns", "rows", "values" (column-major)}`` for R's ``matrix()``."""
    return {
        "columns": [str(c) for c in frame.columns],
        "rows": [str(r) for r in frame.index],
        "values": frame.to_numpy(dtype=np.float64).ravel(order="F").tolist(),
    }


def _arrays(values: Mapping[str, Any] | None) -> dict[str, dict] | None:
    return None if values is None else {str(name): _array(value) for name, value in values.items()}


def _column(values: pd.Series) -> dict[str, Any]:
    """A column for R: its type (``logical``, ``integer``, ``double``, ``character``) and values, None for missing."""
    missing = values.isna().to_numpy()
    kind = values.dtype.kind
    plain: list[Any]
    if kind == "b":
        r_type, plain = "logical", [bool(v) for v in values.to_numpy()]
    elif kind in "iu":
        r_type, plain = "integer" if values.abs().max() < 2**31 else "double", values.to_numpy().tolist()
    elif kind == "f":
        r_type, plain = "double", values.to_numpy(dtype=np.float64).tolist()
    elif kind == "M":
        r_type, plain = "character", values.astype(str).tolist()
    else:
        plain = [_plain(v) for v in values.tolist()]
        present = [v for v, m in zip(plain, missing) if not m]
        if present and all(isinstance(v, bool) for v in present):
            r_type = "logical"
        elif present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
            r_type = "double"
        else:
            r_type, plain = "character", [str(v) for v in plain]
    return {"type": r_type, "values": [None if m else v for v, m in zip(plain, missing)]}


def _frame(frame: pd.DataFrame | None) -> dict[str, Any] | None:
    """A DataFrame as ``{"names", "columns": [{"type", "values"}]}`` for R's ``data.frame``."""
    if frame is None:
        return None
    return {"names": [str(c) for c in frame.columns], "columns": [_column(frame[c]) for c in frame.columns]}
