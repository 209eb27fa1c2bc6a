"""Difference-in-differences: DID (panel), DIDCS (repeated cross-sections), and DIDMulti's cells."""

from __future__ import annotations

from typing import Any

import doubleml
from doubleml.did import DoubleMLDIDBinary, DoubleMLDIDCSBinary

from ...core.tasks import Nuisance
from .. import _compat
from . import column_name, register

__all__ = ["cell_column"]


def cell_column(data: Any, d_level: int, t_level: int) -> str:
    """The name of DIDCS's indicator of one (treatment, period) cell in the stored dataset."""
    return column_name(f"[{data.d_cols[0]} == {d_level} & {data.t_col} == {t_level}]", lambda n: n in data.data.columns)


def _cells(model: Any, data: Any) -> dict[str, tuple[tuple[str, float], ...] | None]:
    return {
        cell_column(data, a, b): ((data.d_cols[0], float(a)), (data.t_col, float(b))) for a in (0, 1) for b in (0, 1)
    }


@register(doubleml.DoubleMLDIDCS, DoubleMLDIDCSBinary, derived=_cells)
def didcs(model: Any, data: Any, treatment: str) -> list[Nuisance]:
    """``ml_g`` in each (treatment, period) cell; ``ml_m``, the propensity, for the observational score."""
    g_method = _compat.predict_method(model, "ml_g")
    out = [
        Nuisance(f"ml_g_d{a}_t{b}", "ml_g", data.y_col, g_method, subset=(cell_column(data, a, b), 1.0))
        for a in (0, 1)
        for b in (0, 1)
    ]
    if "ml_m" in model.params_names:
        out.append(Nuisance("ml_m", "ml_m", treatment, "predict_proba"))
    return out


@register(doubleml.DoubleMLDID, DoubleMLDIDBinary)
def did(model: Any, data: Any, treatment: str) -> list[Nuisance]:
    """``ml_g`` on the untreated and the treated; ``ml_m``, the propensity, for the observational score."""
    g_method = _compat.predict_method(model, "ml_g")
    out = [
        Nuisance("ml_g0", "ml_g", data.y_col, g_method, subset=(treatment, 0.0)),
        Nuisance("ml_g1", "ml_g", data.y_col, g_method, subset=(treatment, 1.0)),
    ]
    if "ml_m" in model.params_names:  # the observational score's propensity; the experimental has none
        out.append(Nuisance("ml_m", "ml_m", treatment, "predict_proba"))
    return out
