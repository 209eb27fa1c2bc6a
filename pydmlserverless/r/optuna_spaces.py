"""R's Optuna search spaces, given as data, as the functions DoubleML's ``tune_ml_models()`` takes.

R cannot hand Python a function to call for every trial, so R describes a learner's space as
data: per parameter a range (``{"type": "int" | "dbl", "lower", "upper", "logscale"}``, ``{"type":
"fct", "levels"}``, ``{"type": "lgl"}``) or a vector of candidates. :class:`SearchSpace` is the
function Optuna calls: ``trial.suggest_int``, ``suggest_float`` (``log=`` for a log-scale range)
or ``suggest_categorical`` for each parameter, in the order R gave them.

DoubleML sets a study's best trial's parameters on the learner under the names Optuna recorded,
so each parameter is suggested under its scikit-learn name. An ``lrn()`` learner's mlr3 name is
translated through :mod:`pydmlserverless.r.mlr3_learners`: it must set one scikit-learn
parameter. Candidates (a vector, a factor or logical range) are translated value by value
(``min.node.size`` 5 -> ``min_samples_split`` 6); a numeric range, whose values Optuna draws, must
translate to the same values (``num.trees`` -> ``n_estimators``). What cannot be searched so
(rpart's ``minsplit``, which sets two parameters) is refused, naming the parameter.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import LearnerError
from . import mlr3_learners
from .grids import _flat_params, _mlr3_params, _sklearn_grid

__all__ = ["SearchSpace", "search_spaces"]


@dataclass(frozen=True)
class _Dimension:
    """One parameter of a search space: how Optuna suggests it, under its scikit-learn name."""

    name: str
    kind: str  # "int", "float" or "categorical"
    low: Any = None
    high: Any = None
    log: bool = False
    choices: tuple = ()

    def suggest(self, trial: Any) -> Any:
        if self.kind == "int":
            return trial.suggest_int(self.name, self.low, self.high)
        if self.kind == "float":
            return trial.suggest_float(self.name, self.low, self.high, log=self.log)
        return trial.suggest_categorical(self.name, list(self.choices))

    def values(self) -> list:
        """Values to translate as samples of the dimension: its bounds and middle, or its choices."""
        if self.kind == "categorical":
            return list(self.choices)
        middle = (self.low + self.high) / 2
        return [self.low, self.high, int(middle) if self.kind == "int" else middle]


class SearchSpace:
    """The function of a trial that DoubleML's ``tune_ml_models()`` takes for one learner.

    Parameters
    ----------
    dimensions : list of _Dimension
        The parameters, in the order they are suggested.

    Examples
    --------
    >>> import optuna
    >>> from sklearn.linear_model import Lasso
    >>> alpha = {"type": "dbl", "lower": 0.01, "upper": 1.0, "logscale": True}
    >>> spaces, _ = search_spaces({"ml_l": None}, {"ml_l": {"alpha": alpha}}, {"ml_l": Lasso()})
    >>> spaces["ml_l"](optuna.trial.FixedTrial({"alpha": 0.1}))
    {'alpha': 0.1}
    """

    def __init__(self, dimensions: list[_Dimension]) -> None:
        self.dimensions = dimensions

    def __call__(self, trial: Any) -> dict[str, Any]:
        return {d.name: d.suggest(trial) for d in self.dimensions}

    def __repr__(self) -> str:
        return f"SearchSpace({[d.name for d in self.dimensions]})"


def _dimension(where: str, name: str, spec: Any) -> _Dimension:
    """R's range or candidates for one parameter, under the name R gave it."""
    if isinstance(spec, Mapping):
        kind = spec.get("type")
        if kind == "int":
            low, high = int(spec["lower"]), int(spec["upper"])
            return _Dimension(name, "int", low, high)
        if kind == "dbl":
            lower, upper = float(spec["lower"]), float(spec["upper"])
            if not (math.isfinite(lower) and math.isfinite(upper)) or lower > upper:
                raise LearnerError(f"{where}: the range must be finite with lower <= upper; got [{lower}, {upper}].")
            log = bool(spec.get("logscale", False))
            if log and lower <= 0:
                raise LearnerError(f"{where}: a log-scale range needs lower > 0; got {lower}.")
            return _Dimension(name, "float", lower, upper, log)
        if kind == "fct":
            levels = spec.get("levels")
            levels = [levels] if isinstance(levels, str) else list(levels or [])
            if not levels:
                raise LearnerError(f"{where}: a factor range needs levels.")
            return _Dimension(name, "categorical", choices=tuple(levels))
        if kind == "lgl":
            return _Dimension(name, "categorical", choices=(True, False))
        raise LearnerError(f"{where}: a range's type must be 'int', 'dbl', 'fct' or 'lgl'; got {kind!r}.")
    values = spec if isinstance(spec, list) else [spec]
    if not values:
        raise LearnerError(f"{where}: no candidate values.")
    if not all(v is None or isinstance(v, (bool, int, float, str)) for v in values):
        raise LearnerError(f"{where}: candidate values must be numbers, strings, logicals or NULL.")
    return _Dimension(name, "categorical", choices=tuple(values))


def _shown(value: Any) -> str:
    """A value as R prints it: a whole double without its ``.0`` (R's ``6``, Python's ``6.0``)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


def _translated(
    where: str, learner_id: str, base: Mapping[str, Any], dim: _Dimension
) -> tuple[_Dimension, list[tuple[Any, Any]]]:
    """An mlr3-named dimension of an ``lrn()`` learner under the one scikit-learn name it sets.

    Returns the dimension and its ``(scikit-learn value, R value)`` pairs (a categorical one's
    choices are translated; a range's values must translate to themselves, Optuna drawing them).
    """
    names: set[str] = set()
    for value in dim.values():
        changed = _mlr3_params(where, learner_id, base, {dim.name: value})
        if len(changed) > 1:
            raise LearnerError(
                f"{where}: lrn('{learner_id}') translates {dim.name} = {_shown(value)} to several scikit-learn "
                f"parameters ({', '.join(sorted(changed))}), which one Optuna parameter cannot search; search it "
                "with $tune()'s grid instead."
            )
        names.update(changed)
    if len(names) != 1:
        which = "no scikit-learn parameter" if not names else "several: " + ", ".join(sorted(names))
        raise LearnerError(f"{where}: lrn('{learner_id}') translates {dim.name} to {which}; Optuna cannot search it.")
    (sk_name,) = names
    pairs = []
    for value in dim.values():
        # the learner's whole translation: a value equal to the learner's own changes nothing above
        built = _flat_params(mlr3_learners.make_learner(learner_id, {**dict(base), dim.name: value}))
        pairs.append((built[sk_name], value))
    if dim.kind == "categorical":
        return _Dimension(sk_name, "categorical", choices=tuple(sk for sk, _ in pairs)), pairs
    if any(isinstance(sk, bool) or not isinstance(sk, (int, float)) or sk != value for sk, value in pairs):
        shown = ", ".join(f"{_shown(v)} -> {_shown(sk)}" for sk, v in pairs)
        raise LearnerError(
            f"{where}: lrn('{learner_id}') translates {dim.name} to {sk_name} with other values ({shown}), so "
            "Optuna cannot draw it from a range; give candidate values (a vector) or search it with $tune()'s grid."
        )
    return _Dimension(sk_name, dim.kind, dim.low, dim.high, dim.log), []


def _checked(where: str, estimator: Any, dim: _Dimension) -> _Dimension:
    """A scikit-learn-named dimension checked against the estimator's parameters.

    Candidates take the estimator's types as a grid's do (R's ``c(50, 100)`` for ``n_estimators``: ints).
    """
    checked = _sklearn_grid(where, estimator, {dim.name: dim.values()})[0][dim.name]
    if dim.kind == "categorical":
        return _Dimension(dim.name, "categorical", choices=tuple(checked))
    return dim


def search_spaces(
    learners: Mapping[str, Any], spaces: Mapping[str, Any], estimators: Mapping[str, Any]
) -> tuple[dict[str, SearchSpace], dict[str, dict[str, tuple[str, list]]]]:
    """R's spaces as DoubleML's ``ml_param_space``, and the R name of each scikit-learn parameter.

    Parameters
    ----------
    learners : dict
        Per learner ``{"id": mlr3 id, "params": lrn()'s parameters}`` for an ``lrn()`` learner, or
        None for a scikit-learn estimator (scikit-learn's names).
    spaces : dict
        Per learner, R's ranges or candidates by parameter name; a learner left out (or with no
        parameters) is not tuned.
    estimators : dict
        The model's learners, by name (for a scikit-learn estimator's parameter check).

    Returns
    -------
    tuple
        ``({learner: SearchSpace}, {learner: {scikit-learn name: (R name, [(scikit-learn value, R
        value)])}})``: the names and values to give results back to R in.

    Raises
    ------
    LearnerError
        A range or candidates R cannot have meant, or an mlr3 name Optuna cannot search (named).
    """
    out: dict[str, SearchSpace] = {}
    names: dict[str, dict[str, tuple[str, list]]] = {}
    for learner, params in spaces.items():
        if not params:
            continue
        spec = learners.get(learner)
        dims = []
        named: dict[str, tuple[str, list[tuple[Any, Any]]]] = {}
        for r_name, range_spec in params.items():
            where = f"ml_param_space${learner}${r_name}"
            dim = _dimension(where, str(r_name), range_spec)
            pairs: list[tuple[Any, Any]] = []
            if spec is not None and spec.get("id"):
                dim, pairs = _translated(where, spec["id"], spec.get("params") or {}, dim)
            else:
                dim = _checked(where, estimators[learner], dim)
            dims.append(dim)
            named[dim.name] = (str(r_name), pairs)
        if len(named) != len(dims):
            raise LearnerError(f"ml_param_space${learner}: two parameters set the same scikit-learn parameter.")
        out[learner] = SearchSpace(dims)
        names[learner] = named
    return out, names
