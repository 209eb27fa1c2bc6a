"""R's tuning grids and nuisance parameters, named as mlr3 names them, as scikit-learn's.

R names an ``lrn()`` learner's parameters as mlr3 does: each candidate value is translated as
``lrn()`` translates it, through :mod:`pydmlserverless.r.mlr3_learners`, and the scikit-learn
parameters it changes are the ones searched (:func:`tune_grids`) or set
(:func:`_mlr3_params`). A scikit-learn estimator's grid is checked against its parameters. What
the translation cannot express is refused with a :class:`~pydmlserverless.errors.LearnerError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigurationError, LearnerError
from . import mlr3_learners

__all__ = ["learner_task_types", "tune_grids"]


def learner_task_types(model: Any) -> dict[str, str]:
    """``{learner: "classif" or "regr"}``: R's default tuning measure (``classif.ce`` or ``regr.mse``) per learner."""
    from sklearn.base import is_classifier

    if not hasattr(model, "learner_names"):  # APOS, DIDMulti: sub-models, no learners of their own
        raise ConfigurationError(
            f"{type(model).__name__} has no grid-search tuning: DoubleML's container models (APOS, DIDMulti) "
            "have no tune()."
        )
    return {name: "classif" if is_classifier(model.learner[name]) else "regr" for name in model.learner_names}


def _same(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except (TypeError, ValueError):
        return a is b


def _flat_params(estimator: Any) -> dict[str, Any]:
    """An estimator's (deep) parameters that are values, not estimators or pipeline steps."""
    return {
        name: value
        for name, value in estimator.get_params(deep=True).items()
        if name != "steps" and not hasattr(value, "get_params")
    }


def _structure(estimator: Any) -> tuple:
    """An estimator's class, and a pipeline's steps' names and classes."""
    steps = getattr(estimator, "steps", None)
    inner = tuple((name, type(step).__qualname__) for name, step in steps) if steps else ()
    return (type(estimator).__module__ + "." + type(estimator).__qualname__, inner)


def _candidates(where: str, name: str, values: Any) -> list:
    values = values if isinstance(values, list) else [values]
    if not values:
        raise LearnerError(f"{where}: {name} has no candidate values.")
    return values


def _mlr3_grid(
    where: str, learner_id: str, params: Mapping[str, Any], grid: Mapping[str, Any]
) -> tuple[dict | list, dict]:
    """An mlr3-named grid of an ``lrn()`` learner as scikit-learn's grid, through the learner table.

    Each candidate value is translated as ``lrn()`` translates it (the learner's own parameters
    plus that one): the scikit-learn parameters it changes are the grid's. A parameter whose
    translation changes one scikit-learn parameter is a list of that parameter's values; one that
    changes several together (rpart's ``minsplit`` sets ``min_samples_split`` and, through
    rpart's ``minbucket = round(minsplit / 3)``, ``min_samples_leaf``) makes the grid a list of
    single candidates (scikit-learn's list-of-dicts form), in the order a grid of dicts has:
    parameters sorted by their (first) scikit-learn name, the last varying fastest; values that
    translate to the same estimator are one candidate, reported under the first. Refused: a
    parameter that changes none (with several candidates) or the estimator's class, two that set
    the same scikit-learn parameter, and pairs whose translations depend on each other.
    """
    # Long: each refusal in the docstring is checked where the translated candidates are built.
    params = dict(params)

    def build(extra: Mapping[str, Any]) -> Any:
        try:
            return mlr3_learners.make_learner(learner_id, {**params, **extra})
        except LearnerError as exc:
            raise LearnerError(f"{where}: {exc}") from None

    base_estimator = build({})
    base, base_structure = _flat_params(base_estimator), _structure(base_estimator)
    tuned: list[tuple[str, tuple[str, ...], list[dict[str, Any]], list[Any]]] = []  # name, keys, sk dicts, R values
    owner: dict[str, str] = {}
    for name, raw in grid.items():
        values = _candidates(where, name, raw)
        per_value = []
        for value in values:
            estimator = build({name: value})
            if _structure(estimator) != base_structure:
                raise LearnerError(
                    f"{where}: {name} = {mlr3_learners._r_format(value)} makes lrn('{learner_id}') another estimator "
                    f"({_structure(estimator)[0]} instead of {base_structure[0]}); a grid can only change parameters "
                    "of one estimator: give that value in lrn() instead."
                )
            flat = _flat_params(estimator)
            per_value.append({k: v for k, v in flat.items() if k not in base or not _same(base[k], v)})
        keys = tuple(sorted({k for diff in per_value for k in diff}))
        if not keys:
            if len({repr(v) for v in values}) > 1:
                raise LearnerError(
                    f"{where}: {name} does not change the scikit-learn estimator of lrn('{learner_id}') "
                    "(see ?lrn, Translations): tuning it has no effect."
                )
            continue  # one candidate, the learner's own value: nothing to search
        for key in keys:
            if key in owner:
                raise LearnerError(
                    f"{where}: {name} and {owner[key]} both set the scikit-learn parameter {key} of "
                    f"lrn('{learner_id}'); tune one of them."
                )
            owner[key] = name
        sk_dicts = [{key: diff.get(key, base.get(key)) for key in keys} for diff in per_value]
        r_values = [mlr3_learners.check_params(learner_id, {name: value})[name] for value in values]
        tuned.append((name, keys, sk_dicts, r_values))
    for i, (name_a, _, dicts_a, values_a) in enumerate(tuned):  # translations that depend on another's
        for name_b, _, dicts_b, values_b in tuned[i + 1 :]:
            for sk_a, value_a in zip(dicts_a, values_a):
                for sk_b, value_b in zip(dicts_b, values_b):
                    flat = _flat_params(build({name_a: value_a, name_b: value_b}))
                    if not all(_same(flat.get(k), v) for k, v in {**sk_a, **sk_b}.items()):
                        raise LearnerError(
                            f"{where}: the translations of {name_a} and {name_b} of lrn('{learner_id}') depend on "
                            "each other (see ?lrn, Translations); tune one of them."
                        )
    names: dict[str, tuple[str, list[tuple[Any, Any]]]] = {}
    for name, keys, sk_dicts, r_values in tuned:
        for key in keys:
            names[key] = (name, [(d[key], r) for d, r in zip(sk_dicts, r_values)])
    if all(len(keys) == 1 for _, keys, _, _ in tuned):
        return {keys[0]: [d[keys[0]] for d in sk_dicts] for _, keys, sk_dicts, _ in tuned}, names
    return _candidate_list(tuned), names


def _candidate_list(tuned: list[tuple[str, tuple[str, ...], list[dict[str, Any]], list[Any]]]) -> list[dict]:
    """Every combination of the tuned parameters' translated values as one-candidate grids, deduplicated."""
    import itertools

    ordered = sorted(tuned, key=lambda t: t[1][0])
    out: list[dict] = []
    seen: list[dict] = []
    for combination in itertools.product(*(t[2] for t in ordered)):
        merged: dict[str, Any] = {}
        for part in combination:
            merged.update(part)
        if any(all(_same(other.get(k), v) for k, v in merged.items()) for other in seen):
            continue
        seen.append(merged)
        out.append({k: [merged[k]] for k in sorted(merged)})
    return out


def _sklearn_grid(where: str, learner: Any, grid: Mapping[str, Any]) -> tuple[dict, dict]:
    """A scikit-learn-named grid, checked against the estimator's parameters.

    A whole number that R sends as a double becomes an ``int`` where the estimator's current
    value is an ``int`` (R's ``c(50, 100)`` for ``n_estimators``); elsewhere values go as they are.
    """
    valid = learner.get_params(deep=True)
    unknown = [name for name in grid if name not in valid]
    if unknown:
        raise LearnerError(
            f"{where}: unknown parameter(s) {', '.join(repr(n) for n in unknown)} of {_structure(learner)[0]}. "
            f"Valid: {', '.join(sorted(valid))}."
        )
    sk_grid = {}
    for name, raw in grid.items():
        values = _candidates(where, name, raw)
        current = valid[name]
        if isinstance(current, int) and not isinstance(current, bool):
            values = [int(v) if isinstance(v, float) and v.is_integer() else v for v in values]
        sk_grid[name] = values
    return sk_grid, {}


def tune_grids(model: Any, learners: Mapping[str, Any], grids: Mapping[str, Any]) -> dict[str, dict | list]:
    """R's ``param_set`` (candidate values per learner and parameter) as scikit-learn's ``param_grids``.

    ``learners`` gives, per learner, ``{"id": mlr3 id, "params": lrn()'s parameters}`` for an
    ``lrn()`` learner (mlr3 names, translated through :mod:`pydmlserverless.r.mlr3_learners`) or
    ``None`` for a scikit-learn estimator (scikit-learn's names). Raises :class:`LearnerError`,
    naming ``param_set$<learner>``, for unknown names and grids the translation cannot express.
    The translation is kept for :func:`~pydmlserverless.r.tuning.tuned_params` once
    :func:`~pydmlserverless.r.tuning.tune` has used it.
    """
    return _translations(model, learners, grids)[0]


def _translations(model: Any, learners: Mapping[str, Any], grids: Mapping[str, Any]) -> tuple[dict, dict]:
    sk_grids: dict[str, dict | list] = {}
    names: dict[str, dict] = {}
    for name in model.learner_names:
        grid = dict(grids.get(name) or {})
        where = f"param_set${name}"
        spec = learners.get(name)
        if spec is not None and spec.get("id"):
            sk_grids[name], names[name] = _mlr3_grid(where, spec["id"], spec.get("params") or {}, grid)
        else:
            sk_grids[name], names[name] = _sklearn_grid(where, model.learner[name], grid)
    return sk_grids, names


def _learner_of(model: Any, nuisance: str) -> str:
    """The learner a nuisance model is fitted with (IRM's ``ml_g0`` and ``ml_g1``: ``ml_g``)."""
    names = [name for name in model.learner_names if nuisance == name or nuisance.startswith(name)]
    return max(names, key=len) if names else nuisance


def _mlr3_params(where: str, learner_id: str, base: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """mlr3-named parameters of an ``lrn()`` learner as the scikit-learn parameters they change.

    The learner is built as ``lrn()`` builds it with its own parameters, and with them plus
    ``given`` (DoubleML-R merges ``given`` into the learner's values); the scikit-learn
    parameters that differ are DoubleML's ``params``. A value that changes the estimator itself
    (its class or pipeline steps) is refused.
    """

    def build(extra: Mapping[str, Any]) -> Any:
        try:
            return mlr3_learners.make_learner(learner_id, {**dict(base), **dict(extra)})
        except LearnerError as exc:
            raise LearnerError(f"{where}: {exc}") from None

    before, after = build({}), build(given)
    if _structure(after) != _structure(before):
        raise LearnerError(
            f"{where}: these parameters make lrn('{learner_id}') another estimator ({_structure(after)[0]} instead "
            f"of {_structure(before)[0]}); give them in lrn() instead."
        )
    old, new = _flat_params(before), _flat_params(after)
    return {k: v for k, v in new.items() if k not in old or not _same(old[k], v)}


def _sklearn_params(where: str, learner: Any, given: Mapping[str, Any]) -> dict[str, Any]:
    grid, _ = _sklearn_grid(where, learner, {name: [value] for name, value in given.items()})
    return {name: values[0] for name, values in grid.items()}
