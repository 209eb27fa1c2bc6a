"""A model's sample splits and nuisance parameters, read and set as DoubleML-R does.

DoubleML-R's splits are 1-based (``smpls``: per repetition, train and test rows per fold); its
``$set_sample_splitting()`` and ``$split_samples()`` keep the nuisance parameters that DoubleML
resets, and its ``$set_ml_nuisance_params()`` replaces parameters where DoubleML merges them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .grids import _learner_of, _mlr3_params, _sklearn_params
from .values import _plain

__all__ = ["splits", "sample_splits", "set_splits", "draw_splits", "set_nuisance_params"]


def splits(model: Any) -> list:
    """The sample splits as DoubleML-R's ``smpls``: per repetition, 1-based train and test rows per fold."""
    return [
        {
            "train_ids": [(np.asarray(train) + 1).tolist() for train, _ in rep],
            "test_ids": [(np.asarray(test) + 1).tolist() for _, test in rep],
        }
        for rep in model.smpls
    ]


def sample_splits(model: Any) -> dict:
    """The splits as DoubleML-R's ``smpls`` and ``smpls_cluster`` (1-based rows; cluster values), or None."""
    try:
        _ = model.smpls
    except ValueError:  # draw_sample_splitting=False and nothing set yet
        return {"smpls": None, "smpls_cluster": None, "n_folds": int(model.n_folds), "n_rep": int(model.n_rep)}
    cluster = getattr(model, "smpls_cluster", None)
    if cluster is not None:
        cluster = [
            {
                "train_ids": [[_plain(np.asarray(v)) for v in train] for train, _ in rep],
                "test_ids": [[_plain(np.asarray(v)) for v in test] for _, test in rep],
            }
            for rep in cluster
        ]
    return {"smpls": splits(model), "smpls_cluster": cluster, "n_folds": int(model.n_folds), "n_rep": int(model.n_rep)}


def _uniform_params(model: Any) -> dict[tuple[str, str], Any]:
    """The parameters that are the same for every repetition and fold, per (nuisance, treatment)."""
    kept: dict[tuple[str, str], Any] = {}
    for nuisance, by_d in (getattr(model, "params", None) or {}).items():
        for d, reps in by_d.items():
            folds = [fold for rep in (reps or []) if rep is not None for fold in rep]
            if folds and all(fold is not None and fold == folds[0] for fold in folds):
                kept[(nuisance, d)] = dict(folds[0])
    return kept


def _restore_params(model: Any, kept: Mapping[tuple[str, str], Any]) -> None:
    for (nuisance, d), params in kept.items():
        model.set_ml_nuisance_params(nuisance, d, params)


def set_splits(model: Any, smpls: list) -> dict:
    """R's ``$set_sample_splitting()``: DoubleML-R's 1-based ``smpls`` (per repetition ``{train_ids, test_ids}``)
    through DoubleML's ``set_sample_splitting``.

    DoubleML resets the nuisance parameters there; DoubleML-R keeps them: parameters that are the
    same for every fold are set again (fold-specific ones do not fit the new folds).
    """
    kept = _uniform_params(model)
    all_smpls = [
        [
            (np.atleast_1d(np.asarray(train, dtype=np.int64)) - 1, np.atleast_1d(np.asarray(test, dtype=np.int64)) - 1)
            for train, test in zip(rep["train_ids"], rep["test_ids"])
        ]
        for rep in smpls
    ]
    model.set_sample_splitting(all_smpls)
    _restore_params(model, kept)
    return sample_splits(model)


def draw_splits(model: Any, seed: int) -> dict:
    """R's ``$split_samples()``: ``np.random.seed(seed)``, then DoubleML's ``draw_sample_splitting()``; parameters as in
    :func:`set_splits`."""
    kept = _uniform_params(model)
    np.random.seed(int(seed))
    model.draw_sample_splitting()
    _restore_params(model, kept)
    return sample_splits(model)


def set_nuisance_params(
    model: Any, nuisance: str, treat_var: str, spec: Mapping[str, Any] | None, params: Any, fold_specific: bool
) -> None:
    """R's ``$set_ml_nuisance_params()``: an ``lrn()`` learner's mlr3-named parameters translated through the learner
    table (:func:`~pydmlserverless.r.grids._mlr3_params`), a scikit-learn estimator's as they are, then DoubleML's
    ``set_ml_nuisance_params``.

    ``params`` is one named list (every fold) or, with ``fold_specific``, a list per repetition of a
    list per fold; ``spec`` is ``{"id", "params"}`` for an ``lrn()`` learner, else None.

    DoubleML-R replaces a nuisance model's parameters, DoubleML (Python) merges new ones into those
    set before: a parameter set before and not now is set back to the learner's own value, so
    that the fit is DoubleML-R's.
    """
    learner = _learner_of(model, nuisance)
    where = f"set_ml_nuisance_params(learner = '{nuisance}')"

    def one(given: Any) -> dict[str, Any] | None:
        if given is None:
            return None
        given = dict(given) if isinstance(given, Mapping) else {}  # R's list() arrives as []
        if spec is not None and spec.get("id"):
            return _mlr3_params(where, spec["id"], spec.get("params") or {}, given)
        return _sklearn_params(where, model.learner[learner], given)

    if fold_specific:
        translated: Any = [[one(fold) for fold in rep] for rep in params]
    else:
        translated = one(params)
    existing = (getattr(model, "params", None) or {}).get(nuisance, {}).get(treat_var)
    if translated is not None and existing is not None and any(rep is not None for rep in existing):
        own = model.learner[learner].get_params(deep=True)
        new = translated if fold_specific else [[translated] * model.n_folds for _ in range(model.n_rep)]
        translated = [
            [
                {**{k: own[k] for k in (old or {}) if k not in fold and k in own}, **fold}
                for old, fold in zip(old_rep or [None] * len(new_rep), new_rep)
            ]
            for old_rep, new_rep in zip(existing, new)
        ]
    model.set_ml_nuisance_params(nuisance, treat_var, translated)
