"""The only module that names DoubleML's private attributes and modules (DoubleML 0.11, ``doubleml>=0.11,<0.12``).

DoubleML's public API carries what a backend fit needs in most places: the splits
(``smpls``, ``set_sample_splitting``), the learners and their parameters, the predictions in
(``fit(external_predictions=...)``) and every result out. What it does not carry is here, each in
one small function named by what it is: the data a model was built on, its learners' prediction
methods, LPLR's inner splits, the nuisance losses and targets DoubleML fills only when it fits the
learners itself, the fitted models and predictions it keeps, its check of external predictions,
its Optuna helpers and checks, and the PLIV variants that ignore external predictions. A DoubleML
release that renames one of them breaks this module alone, and the parity tests say so.

``tests/unit/test_architecture.py`` checks that no other module names a DoubleML private attribute.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "check_container_external_predictions",
    "coef_start",
    "coef_starts_per_rep",
    "check_external_predictions",
    "data_of",
    "forget_predictions",
    "inner_splits",
    "learners_of",
    "nuisance_estimates",
    "nuisance_loss",
    "nuisance_targets",
    "OptunaHelpers",
    "optuna_helpers",
    "predict_method",
    "preliminary_quantile",
    "refresh_treatment_levels",
    "set_models",
    "takes_external_predictions",
    "validate_optuna_arguments",
]


def data_of(model: Any) -> Any:
    """The ``DoubleMLData`` a model was built on (a container's sub-model's own, a PLPR's transformed panel)."""
    return model._dml_data


def predict_method(model: Any, name: str) -> str:
    """How DoubleML reads a nuisance's predictions: ``'predict'`` or ``'predict_proba'``."""
    return str(model._predict_method[name])


def learners_of(model: Any) -> dict[str, Any]:
    """The learners a model holds (before DoubleML's ``learner`` property is set, its private dict)."""
    return dict(getattr(model, "learner", None) or model._learner)


def inner_splits(model: Any) -> Any:
    """LPLR's inner sample splits (per repetition, outer fold: the inner (train, test) pairs), or None."""
    return model._smpls_inner


def coef_start(model: Any) -> float:
    """A quantile model's start value for root finding (PQ: the last repetition's mean preliminary estimate)."""
    return float(model._coef_start_val)


def preliminary_quantile(
    model: Any, d: np.ndarray, y: np.ndarray, m_hat: np.ndarray, smpls: Sequence[Any], start: float
) -> float:
    """PQ's preliminary IPW estimate on a fold's first half, as ``DoubleMLPQ._nuisance_est`` computes it.

    ``m_hat`` are the first half's cross-fitted propensities (``smpls`` its preliminary folds); they
    are adjusted by the model's propensity processor, normalised where the model normalises, and
    the IPW score solved from DoubleML's bracket around ``start``.
    """
    from doubleml.utils._estimation import _get_bracket_guess, _solve_ipw_score
    from doubleml.utils._propensity_score import _normalize_ipw

    m_hat = model._ps_processor.adjust_ps(m_hat, d, cv=smpls)
    if model._normalize_ipw:
        m_hat = _normalize_ipw(m_hat, d)
    if model.treatment == 0:
        m_hat = 1 - m_hat

    def ipw_score(theta: float) -> Any:
        return np.mean(model._compute_ipw_score(theta, d, y, m_hat))

    _, bracket_guess = _get_bracket_guess(ipw_score, start, model._coef_bounds)
    return float(_solve_ipw_score(ipw_score=ipw_score, bracket_guess=bracket_guess))


@contextlib.contextmanager
def coef_starts_per_rep(model: Any, starts: Sequence[float]) -> Iterator[None]:
    """During DoubleML's fit on external predictions, each repetition's start value as its own fit sets it.

    DoubleML's PQ sets the start value to the mean of a repetition's preliminary estimates in
    ``_nuisance_est`` (before the repetition's estimate; the next repetition's brackets start from
    it) and leaves it when every nuisance is given; here it is set right after.
    """
    original = model._nuisance_est

    def nuisance_est(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        model._coef_start_val = starts[model._i_rep]
        return out

    model._nuisance_est = nuisance_est
    try:
        yield
    finally:
        del model._nuisance_est  # the class's method again


@contextlib.contextmanager
def nuisance_estimates(
    model: Any,
    predictions: Mapping[str, np.ndarray],
    g_targets: Sequence[np.ndarray],
    quantiles: Sequence[float],
) -> Iterator[None]:
    """During DoubleML's fit of a CVAR, each repetition's nuisance estimation on the fanned-out predictions.

    DoubleML 0.11's ``DoubleMLCVAR`` takes no external predictions: its ``_nuisance_est`` fits
    the learners in its fold loop. Here it is replaced by the rest of it, in DoubleML's order: the
    propensities adjusted by the model's processor (normalised, flipped for the untreated), the
    score elements at the repetition's mean preliminary quantile ``quantiles[rep]``, and the
    predictions and targets it reports (``predictions`` by nuisance, ``(n_obs, n_rep)``;
    ``g_targets`` per repetition).
    """
    from doubleml.utils._propensity_score import _normalize_ipw

    def nuisance_est(smpls: Any, n_jobs_cv: Any, external_predictions: Any, return_models: bool = False) -> Any:
        rep = model._i_rep
        d = np.asarray(model._dml_data.d, dtype=np.float64)
        y = np.asarray(model._dml_data.y, dtype=np.float64)
        g_hat = np.asarray(predictions["ml_g"][:, rep], dtype=np.float64).copy()
        m_hat = model._ps_processor.adjust_ps(
            np.asarray(predictions["ml_m"][:, rep], dtype=np.float64).copy(), d, cv=smpls
        )
        m_hat_adj = _normalize_ipw(m_hat, d) if model._normalize_ipw else m_hat
        if model.treatment == 0:
            m_hat_adj = 1 - m_hat_adj
        psi_a, psi_b = model._score_elements(y, d, g_hat, m_hat_adj, quantiles[rep])
        preds = {
            "predictions": {"ml_g": g_hat, "ml_m": m_hat},
            "targets": {"ml_g": g_targets[rep], "ml_m": d},
            "models": {"ml_g": None, "ml_m": None},
        }
        return {"psi_a": psi_a, "psi_b": psi_b}, preds

    model._nuisance_est = nuisance_est
    try:
        yield
    finally:
        del model._nuisance_est  # the class's method again


def nuisance_loss(model: Any) -> dict[str, np.ndarray]:
    """The arrays DoubleML reports as ``nuisance_loss``, to fill where the learners ran elsewhere."""
    return model._nuisance_loss  # type: ignore[no-any-return]


def nuisance_targets(model: Any) -> dict[str, np.ndarray] | None:
    """The arrays DoubleML reports as ``nuisance_targets`` (None where it keeps none), to fill."""
    return model._nuisance_targets  # type: ignore[no-any-return]


def set_models(model: Any, models: dict[str, dict[str, list[list[Any]]]]) -> None:
    """Put the fitted learners where DoubleML's ``fit(store_models=True)`` puts them (``models``)."""
    model._models = models


def forget_predictions(model: Any) -> None:
    """Leave ``predictions`` and ``nuisance_targets`` empty, as DoubleML's ``fit(store_predictions=False)`` does."""
    model._predictions = None
    model._nuisance_targets = None


def refresh_treatment_levels(data: Any) -> None:
    """Recompute a data object's cached treatment levels after its treatment column changed (DID data)."""
    if hasattr(data, "_g_values"):
        data._g_values = np.sort(np.unique(data.d))


def takes_external_predictions(model: Any) -> bool:
    """Whether DoubleML's ``fit()`` of the model takes ``external_predictions`` (not CVAR, QTE or SSM in 0.11)."""
    return bool(model._external_predictions_implemented)


def check_external_predictions(**arguments: Any) -> None:
    """DoubleML's own check of ``external_predictions`` (its messages), which its ``fit()`` runs."""
    from doubleml.utils._checks import _check_external_predictions

    _check_external_predictions(**arguments)


def check_container_external_predictions(model: Any, external_predictions: Any) -> None:
    """A container model's (APOS, DIDMulti) own check of ``external_predictions`` (its messages)."""
    model._check_external_predictions(external_predictions)


@dataclass(frozen=True)
class OptunaHelpers:
    """DoubleML's Optuna tuning helpers (its ``doubleml.utils._tune_optuna`` module), which the fan-out reuses.

    They make the studies, read their settings and scoring, resolve ``cv`` and build the results
    exactly as DoubleML's own ``tune_ml_models()`` does.
    """

    create_study: Callable[..., Any]
    settings_for: Callable[..., Any]
    scoring_for: Callable[..., Any]
    resolve_cv: Callable[..., Any]
    result: type


def optuna_helpers() -> OptunaHelpers:
    """:class:`OptunaHelpers` from DoubleML's tuning module (imported on first use: Optuna comes with it)."""
    from doubleml.utils import _tune_optuna as dml

    return OptunaHelpers(
        create_study=dml._create_study,
        settings_for=dml._get_optuna_settings,
        scoring_for=dml._resolve_optuna_scoring,
        resolve_cv=dml.resolve_optuna_cv,
        result=dml.DMLOptunaResult,
    )


def validate_optuna_arguments(
    model: Any, ml_param_space: Any, scoring_methods: Any, optuna_settings: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """DoubleML's checks of ``tune_ml_models()``'s parameter spaces, scoring and settings for one model.

    Returns the expanded parameter spaces and scoring methods (by params name).
    """
    spaces = model._validate_optuna_param_space(ml_param_space)
    scoring = model._resolve_scoring_methods(scoring_methods)
    model._validate_optuna_setting_keys(optuna_settings)
    return spaces, scoring


class PLIVVariants:
    """DoubleML's PLIV variants ``_partialX``, ``_partialZ`` and ``_partialXZ``, refused where they ignore
    external predictions (their ``fit()`` estimates a different, externally untouched model).

    Mixed into the PLIV model class; ``refuse`` is :func:`pydmlserverless.doubleml.adapter.refuse_unsupported_pliv`.
    """

    @staticmethod
    def refuse(variant: str) -> None:  # pragma: no cover - replaced by the class that mixes this in
        raise NotImplementedError

    @classmethod
    def _partialX(cls, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 - DoubleML's name
        """DoubleML's partialX PLIV: this class itself (the default), so not available as a variant."""
        cls.refuse("_partialX")

    @classmethod
    def _partialZ(cls, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 - DoubleML's name
        """DoubleML's partialZ PLIV: not available (it ignores external predictions)."""
        cls.refuse("_partialZ")

    @classmethod
    def _partialXZ(cls, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 - DoubleML's name
        """DoubleML's partialXZ PLIV: not available (it ignores external predictions)."""
        cls.refuse("_partialXZ")
