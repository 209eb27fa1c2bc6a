"""DoubleML's model families, each registering what its models need of a fit.

A family module (:mod:`.plm`, :mod:`.irm`, :mod:`.did`, :mod:`.quantile`) registers, for each of its DoubleML
classes, the nuisance functions a model fits for a treatment (which learner, on which target, on
which training rows, read how) and the columns its nuisances read besides the model's (derived
indicators that travel in the stored dataset). The adapter asks through :func:`nuisances_for`
and :func:`derived_columns`, which find the most specific registered class of a model by its
method resolution order: a new model adds to its family's module only.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sklearn.base import is_classifier

from ...core.tasks import Nuisance
from ...errors import InvalidTypeError

__all__ = ["Family", "derived_columns", "features_for", "learner_method", "nuisances_for", "register"]

#: The family modules, imported on first use (each registers its models).
FAMILY_MODULES = (".plm", ".irm", ".did", ".quantile")

Derived = dict[str, tuple[tuple[str, float], ...] | None]


@dataclass(frozen=True)
class Family:
    """What a model class registers.

    Attributes
    ----------
    nuisances : callable
        ``f(model, data, treatment) -> list[Nuisance]``, in DoubleML's order.
    derived : callable, optional
        ``f(model, data) -> {column: ((source column, value), ...) or None}``: indicators the
        stored dataset carries for the nuisances (None: the values come with the data).
    """

    nuisances: Callable[[Any, Any, str], list[Nuisance]]
    derived: Callable[[Any, Any], Derived] | None = None


_REGISTRY: dict[type, Family] = {}


def register(*classes: type, derived: Callable[[Any, Any], Derived] | None = None) -> Callable[..., Any]:
    """Register a nuisances function (the decorated one) and a derived-columns function for DoubleML classes."""

    def decorate(nuisances: Callable[[Any, Any, str], list[Nuisance]]) -> Callable[[Any, Any, str], list[Nuisance]]:
        for cls in classes:
            _REGISTRY[cls] = Family(nuisances, derived)
        return nuisances

    return decorate


def _family(model: Any) -> Family:
    for module in FAMILY_MODULES:
        importlib.import_module(module, __name__)
    for cls in type(model).__mro__:
        if cls in _REGISTRY:
            return _REGISTRY[cls]
    raise InvalidTypeError(f"No nuisance plan for {type(model).__name__}.")


def nuisances_for(model: Any, data: Any, treatment: str) -> list[Nuisance]:
    """The nuisance functions ``model`` fits for ``treatment``, in DoubleML's order (its family's registration)."""
    return _family(model).nuisances(model, data, treatment)


def derived_columns(model: Any, data: Any) -> Derived:
    """The columns a model's nuisances read besides the model's (``FitSpec.derived``)."""
    derived = _family(model).derived
    return derived(model, data) if derived is not None else {}


def features_for(data: Any, treatment: str) -> list[str]:
    """The covariate columns of a treatment's nuisance fits, as DoubleML's ``set_x_d`` orders them."""
    if data.use_other_treat_as_covariate and data.n_treat > 1:
        return [c for c in list(data.x_cols) + list(data.d_cols) if c != treatment]
    return list(data.x_cols)


def learner_method(learner: Any) -> str:
    """How DoubleML reads a learner's predictions: the probability exactly when its learner check finds a classifier."""
    return "predict_proba" if is_classifier(learner) else "predict"


def column_name(wanted: str, taken: Callable[[str], bool]) -> str:
    """``wanted``, primed until no column of the data has that name."""
    while taken(wanted):
        wanted += "'"
    return wanted
