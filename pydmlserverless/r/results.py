"""A fitted model's results as R values: estimates, tables, bootstrap, sensitivity and metrics.

DoubleML-R's result methods (``$summary()``, ``$confint()``, ``$bootstrap()``, ``$p_adjust()``,
``$sensitivity_analysis()``, ``$evaluate_learners()``, the metrics tables, APOS's contrasts and
DIDMulti's aggregates) read DoubleML's results here, as plain lists, arrays and tables
(:mod:`pydmlserverless.r.values`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ConfigurationError
from .values import _array, _arrays, _as_list, _frame, _levels, _plain, _table

__all__ = [
    "results",
    "causal_contrast",
    "aggregate",
    "bootstrap",
    "confint",
    "p_adjust_romano_wolf",
    "score_elements",
    "fitted_models",
    "sensitivity_analysis",
    "evaluate_learners",
    "nuisance_loss",
    "metrics_frame",
]


def results(model: Any) -> dict:
    """Estimates, scores and cross-fitted predictions of a fitted model."""
    # a container model (APOS, DIDMulti) has no predictions or scores of its own: its sub-models do
    predictions = {name: _array(values) for name, values in (getattr(model, "predictions", None) or {}).items()}
    psi = getattr(model, "psi", None)
    return {
        "names": [str(name) for name in model.summary.index],
        "coef": np.asarray(model.coef, dtype=np.float64).tolist(),
        "se": np.asarray(model.se, dtype=np.float64).tolist(),
        "t_stat": np.asarray(model.t_stat, dtype=np.float64).tolist(),
        "pval": np.asarray(model.pval, dtype=np.float64).tolist(),
        "all_coef": _array(model.all_coef),
        "all_se": _array(model.all_se),
        "psi": _array(psi) if psi is not None else None,
        "predictions": predictions,
    }


def causal_contrast(model: Any, reference_levels: Any) -> dict:
    """APOS's ``causal_contrast(reference_levels)``: the summary table and DoubleML's printed text."""
    contrast = model.causal_contrast(_levels(reference_levels))
    return {"summary": _table(contrast.summary), "text": str(contrast)}


def aggregate(model: Any, aggregation: str) -> dict:
    """DIDMulti's ``aggregate(aggregation)``: overall and per-aggregate tables and DoubleML's printed text."""
    agg = model.aggregate(aggregation)
    return {
        "overall": _table(agg.overall_summary),
        "effects": _table(agg.aggregated_summary),
        "text": str(agg),
    }


def bootstrap(model: Any, method: str, n_rep_boot: int, seed: int) -> dict:
    """Seed NumPy with ``seed`` and run DoubleML's multiplier bootstrap; returns ``boot_t_stat``."""
    np.random.seed(int(seed))
    model.bootstrap(method=method, n_rep_boot=int(n_rep_boot))
    return {"boot_t_stat": _array(model.boot_t_stat)}


def confint(model: Any, joint: bool, level: float) -> dict:
    """DoubleML's confidence intervals as ``{"columns", "rows", "values" (column-major)}``."""
    return _table(model.confint(joint=bool(joint), level=float(level)))


def p_adjust_romano_wolf(model: Any) -> list:
    """Romano-Wolf adjusted p-values (DoubleML's, from the last bootstrap)."""
    frame = model.p_adjust(method="romano-wolf")
    return frame["pval"].to_numpy(dtype=np.float64).tolist()


def score_elements(model: Any) -> dict | None:
    """DoubleML's ``psi_elements`` (``psi_a``, ``psi_b``: ``(n_obs, n_rep, n_coefs)``) as R arrays, or None."""
    elements = getattr(model, "psi_elements", None)
    if not elements:
        return None
    return {str(name): _array(values) for name, values in elements.items() if values is not None}


def fitted_models(model: Any) -> dict | None:
    """DoubleML's ``models`` after ``store_models=True``: ``{nuisance: {treatment: [[estimator per fold]]}}``."""
    models = getattr(model, "models", None)
    if not models:
        return None
    return {
        str(name): {str(d): [list(rep) for rep in reps] for d, reps in by_d.items()} for name, by_d in models.items()
    }


def sensitivity_analysis(
    model: Any, cf_y: float, cf_d: float, rho: float, level: float, null_hypothesis: Any
) -> dict[str, Any]:
    """DoubleML's ``sensitivity_analysis``: ``{"params": sensitivity_params (lists), "summary": text}``."""
    hypothesis = np.atleast_1d(np.asarray(null_hypothesis, dtype=np.float64))
    model.sensitivity_analysis(
        cf_y=float(cf_y),
        cf_d=float(cf_d),
        rho=float(rho),
        level=float(level),
        null_hypothesis=float(hypothesis[0]) if hypothesis.size == 1 else hypothesis,
    )
    params = _plain(model.sensitivity_params)
    for key in ("cf_y", "cf_d", "rho", "level"):  # R's scalars, not one-element lists
        params["input"][key] = float(params["input"][key])
    return {"params": params, "summary": str(model.sensitivity_summary)}


def evaluate_learners(model: Any, learners: Any = None) -> dict[str, dict] | None:
    """DoubleML's ``evaluate_learners(learners)`` (RMSE or log loss): ``{nuisance: array (n_rep, n_coefs)}``."""
    return _arrays(model.evaluate_learners(learners=None if learners is None else _as_list(learners)))


def nuisance_loss(model: Any) -> dict[str, dict] | None:
    """The nuisance models' losses: ``{nuisance: array (n_rep, n_coefs)}``, or None before a fit."""
    return _arrays(getattr(model, "nuisance_loss", None))


_FRAMES = ("task_metrics", "aws_lambda_metrics", "tune_metrics")


def metrics_frame(model: Any, name: str) -> dict[str, Any] | None:
    """One of the model's metrics tables (``task_metrics``, ``aws_lambda_metrics``, ``tune_metrics``) for R."""
    if name not in _FRAMES:
        raise ConfigurationError(f"Unknown metrics table {name!r}; one of {', '.join(_FRAMES)}.")
    return _frame(getattr(model, name, None))
