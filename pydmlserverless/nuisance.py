"""Which nuisance functions each DoubleML model fits, read off DoubleML's public attributes.

This module is the package's one place of model-specific knowledge about the nuisance fits:
for every DoubleML parameter name (``ml_l``, ``ml_g0``, ``ml_m_z2``, ...) it says which learner
is fitted, on which target, on which training rows, with which prediction method, and whether
the target needs a first-round estimate (the IV-type scores' ``y - theta_initial * d``).
"""

from __future__ import annotations

from dataclasses import dataclass

import doubleml
import numpy as np
from sklearn.base import is_classifier

__all__ = ["Nuisance", "nuisances_for", "features_for", "theta_initial"]


@dataclass(frozen=True)
class Nuisance:
    """One nuisance function of one treatment.

    Attributes
    ----------
    name : str
        DoubleML's parameter name (a key of ``external_predictions[treatment]``).
    learner : str
        Key of the model's ``learner`` dict whose estimator is fitted.
    target : str
        Column the learner is fitted to.
    method : str
        ``"predict"`` or ``"predict_proba"``.
    subset : tuple of (str, float) or None
        Fit only on training rows where this column equals this value.
    second_round : bool
        The target is ``target - theta_initial * treatment``, ``theta_initial`` from first-round predictions.
    constant : float or None
        DoubleML does not fit this nuisance but sets it (predictions and targets) to this constant,
        e.g. IIVM's ``ml_r0`` without always-takers; it is reported, never planned as a task.
    """

    name: str
    learner: str
    target: str
    method: str
    subset: tuple[str, float] | None = None
    second_round: bool = False
    constant: float | None = None

    @property
    def fitted(self) -> bool:
        """Whether the nuisance is fitted by a task."""
        return self.constant is None


def _method(learner) -> str:
    # DoubleML predicts probabilities exactly when its learner check finds a classifier
    return "predict_proba" if is_classifier(learner) else "predict"


def nuisances_for(model: doubleml.DoubleML, data: doubleml.DoubleMLData, treatment: str) -> list[Nuisance]:
    """List the nuisance functions the model fits for a treatment, in DoubleML's order.

    Parameters
    ----------
    model : doubleml.DoubleMLPLR, DoubleMLPLIV, DoubleMLIRM or DoubleMLIIVM
        The model (its public ``learner`` and ``subgroups`` are read).
    data : doubleml.DoubleMLData
        The model's data (column roles are read).
    treatment : str
        One of the data's ``d_cols``.

    Returns
    -------
    list of Nuisance
    """
    y, learners = data.y_col, model.learner
    if isinstance(model, doubleml.DoubleMLPLR):
        out = [
            Nuisance("ml_l", "ml_l", y, _method(learners["ml_l"])),
            Nuisance("ml_m", "ml_m", treatment, _method(learners["ml_m"])),
        ]
        if "ml_g" in learners:
            out.append(Nuisance("ml_g", "ml_g", y, "predict", second_round=True))
        return out
    if isinstance(model, doubleml.DoubleMLPLIV):
        out = [Nuisance("ml_l", "ml_l", y, "predict")]
        if len(data.z_cols) == 1:
            out.append(Nuisance("ml_m", "ml_m", data.z_cols[0], "predict"))
        else:
            out += [Nuisance(f"ml_m_{z}", "ml_m", z, "predict") for z in data.z_cols]
        out.append(Nuisance("ml_r", "ml_r", treatment, "predict"))
        if "ml_g" in learners and len(data.z_cols) == 1:
            out.append(Nuisance("ml_g", "ml_g", y, "predict", second_round=True))
        return out
    if isinstance(model, doubleml.DoubleMLIRM):
        g_method = _method(learners["ml_g"])
        return [
            Nuisance("ml_g0", "ml_g", y, g_method, subset=(treatment, 0.0)),
            Nuisance("ml_g1", "ml_g", y, g_method, subset=(treatment, 1.0)),
            Nuisance("ml_m", "ml_m", treatment, "predict_proba"),
        ]
    if isinstance(model, doubleml.DoubleMLIIVM):
        z = data.z_cols[0]
        g_method = _method(learners["ml_g"])
        out = [
            Nuisance("ml_g0", "ml_g", y, g_method, subset=(z, 0.0)),
            Nuisance("ml_g1", "ml_g", y, g_method, subset=(z, 1.0)),
            Nuisance("ml_m", "ml_m", z, "predict_proba"),
        ]
        always, never = model.subgroups["always_takers"], model.subgroups["never_takers"]
        out.append(Nuisance("ml_r0", "ml_r", treatment, "predict_proba", (z, 0.0), constant=None if always else 0.0))
        out.append(Nuisance("ml_r1", "ml_r", treatment, "predict_proba", (z, 1.0), constant=None if never else 1.0))
        return out
    raise TypeError(f"No nuisance plan for {type(model).__name__}.")  # pragma: no cover


def features_for(data: doubleml.DoubleMLData, treatment: str) -> list[str]:
    """The covariate columns of a treatment's nuisance fits, as DoubleML's ``set_x_d`` orders them."""
    if data.use_other_treat_as_covariate and data.n_treat > 1:
        return [c for c in list(data.x_cols) + list(data.d_cols) if c != treatment]
    return list(data.x_cols)


def theta_initial(
    model: doubleml.DoubleML, data: doubleml.DoubleMLData, treatment: str, preds: dict[str, np.ndarray]
) -> float:
    """The partialling-out estimate that seeds an IV-type score's second-round target.

    Computed exactly as DoubleML's ``_nuisance_est`` does, from one repetition's predictions.

    Parameters
    ----------
    model : doubleml.DoubleMLPLR or doubleml.DoubleMLPLIV
        The model.
    data : doubleml.DoubleMLData
        The model's data.
    treatment : str
        The treatment column.
    preds : dict of str to numpy.ndarray
        First-round predictions of one repetition, by nuisance name.

    Returns
    -------
    float
    """
    frame = data.data
    y = frame[data.y_col].to_numpy(dtype=np.float64)
    d = frame[treatment].to_numpy(dtype=np.float64)
    if isinstance(model, doubleml.DoubleMLPLIV):
        z = frame[data.z_cols[0]].to_numpy(dtype=np.float64)
        psi_a = -np.multiply(d - preds["ml_r"], z - preds["ml_m"])
        psi_b = np.multiply(z - preds["ml_m"], y - preds["ml_l"])
    else:
        psi_a = -np.multiply(d - preds["ml_m"], d - preds["ml_m"])
        psi_b = np.multiply(d - preds["ml_m"], y - preds["ml_l"])
    return float(-np.nanmean(psi_b) / np.nanmean(psi_a))
