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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "check_container_external_predictions",
    "check_external_predictions",
    "data_of",
    "forget_predictions",
    "inner_splits",
    "learners_of",
    "nuisance_loss",
    "nuisance_targets",
    "OptunaHelpers",
    "optuna_helpers",
    "predict_method",
    "refresh_treatment_levels",
    "set_models",
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
