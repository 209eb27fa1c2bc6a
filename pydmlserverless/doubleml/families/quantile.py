"""Quantile models: PQ (a potential quantile) and CVAR, with each fold's two halves and preliminary cross-fitting.

DoubleML's ``DoubleMLPQ`` and ``DoubleMLCVAR`` estimate inside each outer fold: they halve the
fold's training rows (stratified by the treatment, ``random_state=42``), cross-fit ``ml_m`` on the
first half (``StratifiedKFold(n_folds)``) for a preliminary IPW estimate of the quantile, fit
``ml_g`` on the treated rows of the second half to a target from that estimate (PQ: ``y <=`` it;
CVAR: ``max(q, (y - tau q) / (1 - tau))``), and refit ``ml_m`` on the whole training rows.
:func:`fold_halves` draws the halves and the preliminary folds exactly so; the adapter plans each
of those fits as a task (:func:`pydmlserverless.doubleml.adapter.sub_fits`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import doubleml
import numpy as np
from sklearn.model_selection import StratifiedKFold, train_test_split

from ...core.tasks import Nuisance
from .. import _compat
from . import register

__all__ = ["FoldHalves", "fold_halves"]


@register(doubleml.DoubleMLPQ, doubleml.DoubleMLCVAR)
def pq(model: Any, data: Any, treatment: str) -> list[Nuisance]:
    """``ml_m`` (the propensity, on each fold's preliminary folds and on its training rows), then ``ml_g``.

    ``ml_g`` is fitted in a second round: its target (PQ: ``y`` at most the fold's preliminary
    quantile; CVAR: ``max(q, (y - tau q) / (1 - tau))``) needs the first round's preliminary
    propensities.
    """
    return [
        Nuisance("ml_m", "ml_m", treatment, _compat.predict_method(model, "ml_m")),
        Nuisance("ml_g", "ml_g", data.y_col, _compat.predict_method(model, "ml_g"), second_round=True),
    ]


@dataclass(frozen=True)
class FoldHalves:
    """One outer fold's rows as ``DoubleMLPQ._nuisance_est`` splits them.

    Attributes
    ----------
    first, second : numpy.ndarray
        The two halves of the fold's training rows, in ``train_test_split``'s order.
    preliminary : list of (numpy.ndarray, numpy.ndarray)
        The preliminary folds on the first half: positions in ``first``.
    second_treated : numpy.ndarray
        The rows of ``second`` at the model's treatment level, in that order (``ml_g``'s training rows).
    """

    first: np.ndarray
    second: np.ndarray
    preliminary: list[tuple[np.ndarray, np.ndarray]]
    second_treated: np.ndarray


def fold_halves(model: Any, rep: int, fold: int) -> FoldHalves:
    """The halves and preliminary folds of outer fold ``fold`` of repetition ``rep``.

    Examples
    --------
    >>> import numpy as np, doubleml as dml
    >>> from doubleml.irm.datasets import make_irm_data
    >>> from sklearn.linear_model import LogisticRegression
    >>> np.random.seed(1)
    >>> data = make_irm_data(n_obs=100, dim_x=2, return_type="DoubleMLData")
    >>> model = dml.DoubleMLPQ(data, LogisticRegression(), LogisticRegression(), n_folds=2)
    >>> halves = fold_halves(model, 0, 0)
    >>> len(halves.first) + len(halves.second) == len(model.smpls[0][0][0]), len(halves.preliminary)
    (True, 2)
    """
    data = _compat.data_of(model)
    d = np.asarray(data.d, dtype=np.float64)
    train = model.smpls[rep][fold][0]
    first, second = train_test_split(train, test_size=0.5, random_state=42, stratify=d[train])
    preliminary = list(StratifiedKFold(n_splits=model.n_folds).split(X=first, y=d[first]))
    return FoldHalves(first, second, preliminary, second[d[second] == model.treatment])
