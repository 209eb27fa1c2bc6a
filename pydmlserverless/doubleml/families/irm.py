"""Interactive models: IRM, IIVM and APO (APOS is APO's container: its sub-models are APOs)."""

from __future__ import annotations

from typing import Any

import doubleml

from ...core.tasks import Nuisance
from .. import _compat
from . import column_name, learner_method, register

__all__ = ["treated_column"]


def treated_column(model: Any, data: Any) -> str:
    """The name of APO's treated indicator (``d == treatment_level``) in the stored dataset."""
    return column_name(f"[{data.d_cols[0]} == {model.treatment_level!r}]", lambda name: name in data.data.columns)


def _apo_derived(model: Any, data: Any) -> dict[str, tuple[tuple[str, float], ...] | None]:
    return {treated_column(model, data): ((data.d_cols[0], float(model.treatment_level)),)}


@register(doubleml.DoubleMLAPO, derived=_apo_derived)
def apo(model: Any, data: Any, treatment: str) -> list[Nuisance]:
    """``ml_g`` at the level and off it (on the treatment and covariates, as DoubleML), ``ml_m`` of the level."""
    treated = treated_column(model, data)
    g_method = _compat.predict_method(model, "ml_g")
    y = data.y_col
    return [
        # DoubleML fits ml_g_d_lvl0 on (d, x): an estimate over the other treatment levels
        Nuisance("ml_g_d_lvl0", "ml_g", y, g_method, (treated, 0.0), features=(treatment, *data.x_cols)),
        Nuisance("ml_g_d_lvl1", "ml_g", y, g_method, (treated, 1.0)),
        Nuisance("ml_m", "ml_m", treated, "predict_proba"),
    ]


@register(doubleml.DoubleMLIRM)
def irm(model: Any, data: Any, treatment: str) -> list[Nuisance]:
    """``ml_g`` on the untreated and the treated training rows, ``ml_m`` the propensity."""
    g_method = learner_method(model.learner["ml_g"])
    return [
        Nuisance("ml_g0", "ml_g", data.y_col, g_method, subset=(treatment, 0.0)),
        Nuisance("ml_g1", "ml_g", data.y_col, g_method, subset=(treatment, 1.0)),
        Nuisance("ml_m", "ml_m", treatment, "predict_proba"),
    ]


@register(doubleml.DoubleMLIIVM)
def iivm(model: Any, data: Any, treatment: str) -> list[Nuisance]:
    """``ml_g`` and ``ml_r`` by instrument value, ``ml_m`` the instrument's propensity; a subgroup that
    cannot exist (no always- or never-takers) has constant predictions, as DoubleML sets them."""
    z = data.z_cols[0]
    g_method = learner_method(model.learner["ml_g"])
    out = [
        Nuisance("ml_g0", "ml_g", data.y_col, g_method, subset=(z, 0.0)),
        Nuisance("ml_g1", "ml_g", data.y_col, g_method, subset=(z, 1.0)),
        Nuisance("ml_m", "ml_m", z, "predict_proba"),
    ]
    always, never = model.subgroups["always_takers"], model.subgroups["never_takers"]
    out.append(Nuisance("ml_r0", "ml_r", treatment, "predict_proba", (z, 0.0), constant=None if always else 0.0))
    out.append(Nuisance("ml_r1", "ml_r", treatment, "predict_proba", (z, 1.0), constant=None if never else 1.0))
    return out
