"""Everything that knows DoubleML, in one place, through DoubleML's public API only.

* which nuisance functions each model fits (:func:`nuisances_for`): for every DoubleML parameter
  name (``ml_l``, ``ml_g0``, ``ml_m_z2``, ...) which learner is fitted, on which target, on which
  training rows (DoubleML's conditional samples), with which prediction method, and whether the
  target needs a first-round estimate (the IV-type scores' ``y - theta_initial * d``);
* the model as the planner sees it (:func:`fit_spec`: splits, learners, ``params``, features);
* :func:`theta_initial`, the first-round estimate, computed as DoubleML computes it;
* :func:`estimate`, DoubleML's ``fit(external_predictions=...)``, and
  :func:`nuisance_targets_and_losses`, what DoubleML reports when it fits the learners itself;
* :func:`seeded_nuisance_params`, a seeded fit's parameters in ``set_ml_nuisance_params`` form;
* :func:`doubleml_errors`, DoubleML's input errors raised as the package's.

A new DoubleML model adds knowledge here (and a class in :mod:`pydmlserverless.models`), nowhere else.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import doubleml
import numpy as np
from sklearn.base import is_classifier

from .data import validate_data
from .errors import ConfigurationError, InvalidInputError, InvalidTypeError, LearnerError
from .planning import FitSpec, Nuisance, fold_params

__all__ = [
    "nuisances_for",
    "features_for",
    "fit_spec",
    "theta_initial",
    "theta_initials",
    "estimate",
    "nuisance_targets_and_losses",
    "seeded_nuisance_params",
    "doubleml_errors",
]

#: DoubleML's nuisance predictions handed to ``fit(external_predictions=...)``:
#: ``{treatment: {nuisance name: array (n_obs, n_rep)}}``.
Predictions = Mapping[str, Mapping[str, np.ndarray]]


def _method(learner: Any) -> str:
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
    raise InvalidTypeError(f"No nuisance plan for {type(model).__name__}.")  # pragma: no cover


def features_for(data: doubleml.DoubleMLData, treatment: str) -> list[str]:
    """The covariate columns of a treatment's nuisance fits, as DoubleML's ``set_x_d`` orders them."""
    if data.use_other_treat_as_covariate and data.n_treat > 1:
        return [c for c in list(data.x_cols) + list(data.d_cols) if c != treatment]
    return list(data.x_cols)


def _user_params(model: Any, name: str, treatment: str) -> tuple[tuple[dict[str, Any], ...], ...]:
    """The parameters set with ``set_ml_nuisance_params``: per repetition, per fold (empty where none)."""
    n_folds = len(model.smpls[0])
    per_rep = model.params[name][treatment]
    return tuple(tuple(dict(folds[k] or {}) if folds is not None else {} for k in range(n_folds)) for folds in per_rep)


def fit_spec(model: Any, data: doubleml.DoubleMLData) -> FitSpec:
    """The model as the planner sees it: splits, learners, nuisances, features and user parameters.

    Parameters
    ----------
    model : a pydmlserverless model (is-a a DoubleML model)
        Its sample splits must be drawn.
    data : doubleml.DoubleMLData
        The model's data.

    Raises
    ------
    DataError
        If a model column is missing, non-numeric or non-finite.
    ConfigurationError
        If the model has no sample splits.
    """
    validate_data(data)
    if model.smpls is None:
        raise ConfigurationError(
            "The model has no sample splits; call draw_sample_splitting() or set_sample_splitting() first."
        )
    nuisances = {d: tuple(nuisances_for(model, data, d)) for d in data.d_cols}
    return FitSpec(
        n_obs=int(model.n_obs),
        n_rep=int(model.n_rep),
        n_folds=len(model.smpls[0]),
        smpls=model.smpls,
        learners=dict(model.learner),
        nuisances=nuisances,
        features={d: tuple(features_for(data, d)) for d in data.d_cols},
        params={
            (nu.name, d): _user_params(model, nu.name, d) for d, nus in nuisances.items() for nu in nus if nu.fitted
        },
    )


def theta_initial(
    model: doubleml.DoubleML, data: doubleml.DoubleMLData, treatment: str, preds: Mapping[str, np.ndarray]
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


def theta_initials(model: Any, data: doubleml.DoubleMLData, predictions: Predictions) -> dict[tuple[str, int], float]:
    """:func:`theta_initial` of every treatment and repetition, from the first round's predictions."""
    return {
        (d, rep): theta_initial(model, data, d, {name: arr[:, rep] for name, arr in predictions[d].items()})
        for d in data.d_cols
        for rep in range(model.n_rep)
    }


def estimate(model: Any, predictions: Predictions) -> None:
    """Hand the cross-fitted predictions to DoubleML, which estimates everything from them."""
    model.fit(external_predictions=predictions, store_predictions=True)


def nuisance_targets_and_losses(
    model: Any, data: doubleml.DoubleMLData, spec: FitSpec, thetas: Mapping[tuple[str, int], float]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Nuisance targets and losses as DoubleML computes them when it fits the learners itself.

    With external predictions DoubleML leaves both empty; they are recomputed here from the data
    (targets outside a learner's subset are NaN, like DoubleML's conditional targets; the losses
    are its RMSE and log loss on the predictions after its propensity clipping).

    Returns
    -------
    targets : dict of str to array (n_obs, n_rep, n_coefs)
    losses : dict of str to array (n_rep, n_coefs)
    """
    frame = data.data
    n_obs, n_rep, n_coefs = spec.n_obs, spec.n_rep, len(data.d_cols)
    targets = {name: np.full((n_obs, n_rep, n_coefs), np.nan) for name in model.params_names}
    losses = {name: np.full((n_rep, n_coefs), np.nan) for name in model.params_names}
    for i_d, treatment in enumerate(data.d_cols):
        for nu in spec.nuisances[treatment]:
            base = frame[nu.target].to_numpy(dtype=np.float64) if nu.fitted else np.full(n_obs, nu.constant)
            mask = np.ones(n_obs, dtype=bool)
            if nu.subset is not None:
                mask = frame[nu.subset[0]].to_numpy(dtype=np.float64) == nu.subset[1]
            for rep in range(n_rep):
                target = base
                if nu.second_round:
                    target = base - thetas[(treatment, rep)] * frame[treatment].to_numpy(dtype=np.float64)
                target = np.where(mask, target, np.nan)
                targets[nu.name][:, rep, i_d] = target
                pred = model.predictions[nu.name][:, rep, i_d]
                if nu.method == "predict_proba":
                    clipped = np.clip(pred, 1e-15, 1 - 1e-15)
                    loss = -np.nanmean(target * np.log(clipped) + (1 - target) * np.log(1 - clipped))
                else:
                    loss = np.sqrt(np.nanmean(np.power(target - pred, 2)))
                losses[nu.name][rep, i_d] = loss
    return targets, losses


def seeded_nuisance_params(
    model: Any, data: doubleml.DoubleMLData, seed: int
) -> dict[str, dict[str, list[list[dict]]]]:
    """The per-fold parameters a seeded fit uses, in ``set_ml_nuisance_params``'s nested form.

    Passing them to a plain DoubleML model with the same splits reproduces a pydmlserverless fit
    with plain DoubleML (``model.set_ml_nuisance_params(name, treatment, params)``).

    Parameters
    ----------
    model : pydmlserverless model
        The model (learners, params, splits).
    data : doubleml.DoubleMLData
        Its data.
    seed : int
        The fit seed.

    Returns
    -------
    dict
        ``{nuisance name: {treatment: [[params of each fold] for each rep]}}``.

    Examples
    --------
    >>> import numpy as np
    >>> from doubleml.plm.datasets import make_plr_CCDDHNR2018
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> from pydmlserverless import DoubleMLPLRServerless
    >>> np.random.seed(0)
    >>> data = make_plr_CCDDHNR2018(n_obs=50, dim_x=3)
    >>> ml = RandomForestRegressor(n_estimators=5)
    >>> model = DoubleMLPLRServerless(None, None, data, ml, ml, n_folds=2)
    >>> params = seeded_nuisance_params(model, data, seed=1)
    >>> sorted(params), len(params["ml_l"]["d"][0]), sorted(params["ml_l"]["d"][0][0])
    (['ml_l', 'ml_m'], 2, ['random_state'])
    """
    spec = fit_spec(model, data)
    out: dict[str, dict[str, list[list[dict]]]] = {}
    for treatment, nuisance in spec.fitted(False) + spec.fitted(True):
        out.setdefault(nuisance.name, {})[treatment] = [
            fold_params(spec, nuisance, treatment, rep, seed) for rep in range(spec.n_rep)
        ]
    return out


@contextlib.contextmanager
def doubleml_errors(learner_names: tuple[str, ...] = ()) -> Iterator[None]:
    """Re-raise DoubleML's own input errors as the package's (same builtin base, same message).

    A ``TypeError`` of DoubleML's learner checks names the learner argument (``ml_m``, ...) it
    is about and becomes a :class:`LearnerError`; any other ``TypeError`` an
    :class:`InvalidTypeError`, a ``ValueError`` an :class:`InvalidInputError`.
    """
    try:
        yield
    except TypeError as exc:
        message = str(exc)
        about_learner = any(name in message for name in learner_names)
        raise (LearnerError if about_learner else InvalidTypeError)(message) from exc
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from exc
