"""Partially linear models: PLR, PLIV, PLPR (panel) and LPLR (logistic)."""

from __future__ import annotations

from typing import Any

import doubleml

from ...core.tasks import Nuisance
from .. import _compat
from . import column_name, features_for, learner_method, register

__all__ = ["treatment_mean_column"]


def treatment_mean_column(data: Any, treatment: str) -> str:
    """The name of PLPR's per-unit treatment mean (correlated random effects) in its stored data."""
    return column_name(
        f"[mean of {treatment} by unit]", lambda name: name in data.x_cols or name == data.y_col or name in data.d_cols
    )


def _plpr_derived(model: Any, data: Any) -> dict[str, tuple[tuple[str, float], ...] | None]:
    if model.approach == "cre_normal":  # the means come with PLPR's transformed data
        return {treatment_mean_column(data, d): None for d in data.d_cols}
    return {}


@register(doubleml.DoubleMLLPLR)
def lplr(model: Any, data: Any, treatment: str) -> list[Nuisance]:
    """The double cross-fitted ``ml_M`` and ``ml_a`` (per outer fold, every inner fold), then ``ml_m`` and ``ml_t``.

    ``ml_t`` is fitted to a target per fold from ``ml_M``'s inner predictions, the instrument
    score's ``ml_m`` weighted by ``ml_M``'s predictions: both in a second round. The nuisance-space
    score's ``ml_m`` fits on the training rows with ``y == 0``.
    """
    instrument = model.score == "instrument"
    return [
        Nuisance("ml_M", "ml_M", data.y_col, "predict_proba", features=(treatment, *features_for(data, treatment))),
        Nuisance("ml_a", "ml_a", treatment, _compat.predict_method(model, "ml_a")),
        Nuisance(
            "ml_m",
            "ml_m",
            treatment,
            _compat.predict_method(model, "ml_m"),
            subset=None if instrument else (data.y_col, 0.0),
            second_round=instrument,
        ),
        Nuisance("ml_t", "ml_t", treatment, _compat.predict_method(model, "ml_t"), second_round=True),
    ]


@register(doubleml.DoubleMLPLPR, derived=_plpr_derived)
def plpr(model: Any, data: Any, treatment: str) -> list[Nuisance]:
    """PLR's nuisances on the transformed panel; for ``'cre_normal'`` ``ml_m`` also sees the treatment's unit mean."""
    m_features = None
    if model.approach == "cre_normal":  # DoubleML adds the treatment's mean over the unit to ml_m's features
        m_features = (*features_for(data, treatment), treatment_mean_column(data, treatment))
    out = [
        Nuisance("ml_l", "ml_l", data.y_col, "predict"),
        Nuisance("ml_m", "ml_m", treatment, _compat.predict_method(model, "ml_m"), features=m_features),
    ]
    if "ml_g" in model.learner:
        out.append(Nuisance("ml_g", "ml_g", data.y_col, "predict", second_round=True))
    return out


@register(doubleml.DoubleMLPLR)
def plr(model: Any, data: Any, treatment: str) -> list[Nuisance]:
    """``ml_l`` and ``ml_m``; the IV-type score's ``ml_g`` in a second round on ``y - theta_initial d``."""
    learners = model.learner
    out = [
        Nuisance("ml_l", "ml_l", data.y_col, learner_method(learners["ml_l"])),
        Nuisance("ml_m", "ml_m", treatment, learner_method(learners["ml_m"])),
    ]
    if "ml_g" in learners:
        out.append(Nuisance("ml_g", "ml_g", data.y_col, "predict", second_round=True))
    return out


@register(doubleml.DoubleMLPLIV)
def pliv(model: Any, data: Any, treatment: str) -> list[Nuisance]:
    """``ml_l``, ``ml_m`` (one per instrument with several), ``ml_r``; the IV-type score's ``ml_g`` second."""
    out = [Nuisance("ml_l", "ml_l", data.y_col, "predict")]
    if len(data.z_cols) == 1:
        out.append(Nuisance("ml_m", "ml_m", data.z_cols[0], "predict"))
    else:
        out += [Nuisance(f"ml_m_{z}", "ml_m", z, "predict") for z in data.z_cols]
    out.append(Nuisance("ml_r", "ml_r", treatment, "predict"))
    if "ml_g" in model.learner and len(data.z_cols) == 1:
        out.append(Nuisance("ml_g", "ml_g", data.y_col, "predict", second_round=True))
    return out
