"""DoubleML's ``tune()`` (grid and randomized search) with every candidate's inner-fold fits as tasks.

DoubleML's ``tune()`` runs one scikit-learn search (``GridSearchCV`` or ``RandomizedSearchCV``
with ``KFold(n_folds_tune, shuffle=True)``) per treatment, nuisance and training set (the whole
data, or each outer fold's training rows with ``tune_on_folds=True``), in this process. Here:

1. the DoubleML door's ``tuning_searches`` (:mod:`pydmlserverless.doubleml.adapter`) lists those searches in DoubleML's
   order; their candidates and inner splits are drawn here with scikit-learn's own
   ``ParameterGrid`` / ``ParameterSampler`` and ``KFold``, from NumPy's global generator in
   DoubleML's order, so ``np.random.seed(s)`` before either gives the same candidates and splits;
2. every (search, candidate, inner fold) fit is a task on the backend (scaling
   ``'n_folds * n_rep'``: one task per inner fold; ``'n_rep'``: one per candidate, its inner
   folds inside), the inner splits staged once per search;
3. each candidate's scores come from its predictions (the learner's default score, R² or
   accuracy, or the named scorer), and the best is chosen by scikit-learn's rule: the highest
   mean test score, ties to the first candidate;
4. the parameters are set as DoubleML's ``tune()`` sets them.

PLR's IV-type ``ml_g`` is searched in a second round, on ``y - theta_initial d``: DoubleML
refits the tuned ``ml_l`` and ``ml_m`` on each training set, predicts it with them and takes the
partialling-out estimate; here those refits are tasks too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import is_classifier
from sklearn.metrics import accuracy_score, get_scorer, r2_score
from sklearn.model_selection import KFold, ParameterGrid, ParameterSampler

from ..core.fitting import Round, collect, finish_report, initial_predictions
from ..core.progress import progress_bar
from ..core.report import Clock, FitReport
from ..core.run import RunContext
from ..core.staging import stage_fits
from ..core.tasks import FitSpec, Nuisance, plan_tasks
from ..errors import ConfigurationError, InvalidInputError, InvalidTypeError
from ..worker.learner_parameters import check_parameters

__all__ = ["SearchResult", "TuneOutcome", "check_tune_args", "run_tune"]


@dataclass
class SearchResult:
    """One search's result, with the attributes of scikit-learn's fitted search DoubleML returns.

    Attributes
    ----------
    best_params_ : dict
        The chosen candidate.
    best_score_ : float
        Its mean test score over the inner folds.
    best_index_ : int
        Its position among the candidates.
    cv_results_ : dict
        ``params``, ``split<k>_test_score``, ``mean_test_score``, ``std_test_score`` and
        ``rank_test_score``, as scikit-learn's.
    n_splits_ : int
        The inner folds.

    There is no ``best_estimator_``: the search's learners were fitted by the workers.
    """

    best_params_: dict[str, Any]
    best_score_: float
    best_index_: int
    cv_results_: dict[str, Any]
    n_splits_: int


@dataclass
class TuneOutcome:
    """What a backend tuning leaves: DoubleML's ``tune()`` result layout, the report and the per-task metrics."""

    tuning_res: list[Any]
    report: FitReport
    metrics: Any = field(repr=False, default=None)


def check_tune_args(
    model: Any,
    param_grids: Any,
    tune_on_folds: Any,
    scoring_methods: Any,
    n_folds_tune: Any,
    search_mode: Any,
    n_iter_randomized_search: Any,
    n_jobs_cv: Any,
    set_as_params: Any,
    return_tune_res: Any,
) -> dict[str, Any]:
    """DoubleML's checks of ``tune()``'s arguments, with its messages; returns the scoring methods, completed."""
    # Long: DoubleML's checks of tune()'s arguments, one after another in its order and with its messages.
    names = list(model.learner_names)
    if not isinstance(param_grids, dict) or not all(k in param_grids for k in names):
        raise InvalidInputError(
            f"Invalid param_grids {param_grids!s}. param_grids must be a dictionary with keys "
            + " and ".join(names)
            + "."
        )
    if scoring_methods is not None:
        if not isinstance(scoring_methods, dict) or not all(k in names for k in scoring_methods):
            raise InvalidInputError(
                f"Invalid scoring_methods {scoring_methods!s}. scoring_methods must be a dictionary. Valid keys are "
                + " and ".join(names)
                + "."
            )
    scoring = {name: (scoring_methods or {}).get(name) for name in names}
    if not isinstance(tune_on_folds, bool):
        raise InvalidTypeError(f"tune_on_folds must be True or False. Got {tune_on_folds!s}.")
    if not isinstance(n_folds_tune, int) or isinstance(n_folds_tune, bool):
        raise InvalidTypeError(
            "The number of folds used for tuning must be of int type. "
            f"{n_folds_tune!s} of type {type(n_folds_tune)!s} was passed."
        )
    if n_folds_tune < 2:
        raise InvalidInputError(
            f"The number of folds used for tuning must be at least two. {n_folds_tune!s} was passed."
        )
    if not isinstance(search_mode, str) or search_mode not in ("grid_search", "randomized_search"):
        raise InvalidInputError(f'search_mode must be "grid_search" or "randomized_search". Got {search_mode!s}.')
    if not isinstance(n_iter_randomized_search, int) or isinstance(n_iter_randomized_search, bool):
        raise InvalidTypeError(
            "The number of parameter settings sampled for the randomized search must be of int type. "
            f"{n_iter_randomized_search!s} of type {type(n_iter_randomized_search)!s} was passed."
        )
    if n_iter_randomized_search < 2:
        raise InvalidInputError(
            "The number of parameter settings sampled for the randomized search must be at least two. "
            f"{n_iter_randomized_search!s} was passed."
        )
    if n_jobs_cv is not None and (not isinstance(n_jobs_cv, int) or isinstance(n_jobs_cv, bool)):
        raise InvalidTypeError(
            "The number of CPUs used to fit the learners must be of int type. "
            f"{n_jobs_cv!s} of type {type(n_jobs_cv)!s} was passed."
        )
    if not isinstance(set_as_params, bool):
        raise InvalidTypeError(f"set_as_params must be True or False. Got {set_as_params!s}.")
    if not isinstance(return_tune_res, bool):
        raise InvalidTypeError(f"return_tune_res must be True or False. Got {return_tune_res!s}.")
    for name, method in scoring.items():
        _score_method(method, model.learner[name], name)  # refuses what cannot be scored from predictions
    for name in names:
        grid = param_grids[name]
        for one in grid if isinstance(grid, (list, tuple)) else [grid]:
            if isinstance(one, Mapping):  # else scikit-learn's ParameterGrid names the mistake
                check_parameters(model.learner[name], one, f"param_grids[{name!r}]")
    return scoring


def _score_method(scoring: Any, learner: Any, name: str) -> tuple[str, Any]:
    """The prediction method a candidate's fits need and the function that scores their predictions."""
    if scoring is None:  # the learner's own score(): accuracy for classifiers, R² for regressors
        return "predict", accuracy_score if is_classifier(learner) else r2_score
    if not isinstance(scoring, str):
        raise ConfigurationError(
            f"scoring_methods[{name!r}]: {scoring!r} is not a scorer name. A backend tuning scores the predictions "
            "the workers return, so it takes scikit-learn's scorer names (e.g. 'neg_mean_squared_error', "
            "'neg_log_loss', 'roc_auc'); use DoubleML's own tune() for a callable."
        )
    try:
        scorer = get_scorer(scoring)
    except ValueError as exc:
        raise InvalidInputError(f"scoring_methods[{name!r}]: {exc}") from exc
    response = getattr(scorer, "_response_method", "predict")
    responses = (response,) if isinstance(response, str) else tuple(response)
    if "predict" in responses:
        method = "predict"
    elif "predict_proba" in responses:
        method = "predict_proba"
    else:
        raise ConfigurationError(
            f"scoring_methods[{name!r}]: {scoring!r} scores {' or '.join(responses)}, which a worker does not return "
            "(it returns predict or the positive class's predict_proba)."
        )
    sign, kwargs, func = scorer._sign, dict(scorer._kwargs), scorer._score_func
    return method, lambda y_true, y_pred: sign * func(y_true, y_pred, **kwargs)


@dataclass
class _Search:
    """One scikit-learn search of DoubleML's ``tune()``: its candidates and inner splits, drawn as DoubleML's are."""

    treatment: str
    nuisance: Nuisance
    rep: int
    fold: int
    train: np.ndarray
    candidates: list[dict[str, Any]]
    splits: list[tuple[np.ndarray, np.ndarray]]
    label: str


def _draw_searches(searches: Sequence[Any], param_grids: Mapping[str, Any], search: Mapping[str, Any]) -> list[_Search]:
    """Candidates and inner splits in DoubleML's order of draws from NumPy's global generator."""
    out = []
    for s in searches:
        grid = param_grids[s.nuisance.learner]
        if search["search_mode"] == "grid_search":
            candidates = list(ParameterGrid(grid))
        else:  # RandomizedSearchCV samples its candidates before it splits
            candidates = list(ParameterSampler(grid, search["n_iter_randomized_search"]))
        kfold = KFold(n_splits=search["n_folds_tune"], shuffle=True)
        inner = [(s.train[tr], s.train[te]) for tr, te in kfold.split(np.zeros(len(s.train)))]
        label = f"tune/{s.treatment}/{s.nuisance.name}/r{s.rep}/f{s.fold}"
        out.append(_Search(s.treatment, s.nuisance, s.rep, s.fold, s.train, candidates, inner, label))
    return out


def one_fit(
    adapter: Any, model: Any, data: Any, treatment: str, nu: Nuisance, splits: list, params: dict[str, Any], group: str
) -> FitSpec:
    """One learner of ``model`` with fixed ``params`` on the given (train, test) folds, as a one-repetition fit."""
    return FitSpec(
        n_obs=len(data.data),
        n_rep=1,
        n_folds=len(splits),
        smpls=[splits],
        learners=dict(model.learner),
        nuisances={treatment: (nu,)},
        features={treatment: tuple(adapter.features_for(data, treatment))},
        params={(nu.name, treatment): (tuple(dict(params) for _ in splits),)},
        derived=adapter.derived_columns(model, data),
        group=group,
    )


def _spec(ctx: RunContext, data: Any, s: _Search, k: int, method: str) -> FitSpec:
    """Candidate ``k`` of a search as a one-repetition fit whose folds are the search's inner folds."""
    nu = Nuisance(s.nuisance.name, s.nuisance.learner, s.nuisance.target, method,
                  second_round=s.nuisance.second_round, features=s.nuisance.features)  # fmt: skip
    return one_fit(ctx.adapter, ctx.model, data, s.treatment, nu, s.splits, s.candidates[k], f"{s.label}/c{k}")


def _results(s: _Search, scores: np.ndarray) -> SearchResult:
    """scikit-learn's ``cv_results_`` and its choice: the highest mean test score, ties to the first candidate."""
    means = scores.mean(axis=1)
    if np.isnan(means).all():
        ranks = np.ones(len(means), dtype=np.int32)
    else:
        filled = np.where(np.isnan(means), np.nanmin(means) - 1, means)
        order = np.argsort(-filled, kind="stable")
        ranks = np.empty(len(means), dtype=np.int32)
        ranks[order] = np.arange(1, len(means) + 1)
        for value in np.unique(filled):  # scipy's rankdata(method='min'): equal scores share the best rank
            same = filled == value
            ranks[same] = ranks[same].min()
    best = int(np.flatnonzero(ranks == 1)[0])
    cv_results: dict[str, Any] = {"params": [dict(c) for c in s.candidates]}
    for j in range(scores.shape[1]):
        cv_results[f"split{j}_test_score"] = scores[:, j]
    cv_results.update({"mean_test_score": means, "std_test_score": scores.std(axis=1), "rank_test_score": ranks})
    return SearchResult(dict(s.candidates[best]), float(means[best]), best, cv_results, scores.shape[1])


def run_tune(
    ctx: RunContext,
    *,
    param_grids: Mapping[str, Any],
    tune_on_folds: bool,
    scoring: Mapping[str, Any],
    search: Mapping[str, Any],
    set_as_params: bool,
) -> TuneOutcome:
    """Tune ``ctx.model``'s learners through ``ctx.backend`` as DoubleML's ``tune()`` would, and set what it chooses.

    Returns
    -------
    TuneOutcome
        ``tuning_res`` in DoubleML's layout: per treatment (per repetition, then treatment, with
        ``tune_on_folds``) ``{"params": {nuisance: [best params per training set]}, "tune_res":
        {"<nuisance>_tune": [SearchResult per training set]}}``.
    """
    clock, model, adapter = Clock(), ctx.model, ctx.adapter
    data = adapter.tuning_data(model, ctx.data)  # PLPR's learners see the transformed panel
    searches = _draw_searches(adapter.tuning_searches(model, data, tune_on_folds), param_grids, search)
    methods = {name: _score_method(scoring[name], model.learner[name], name) for name in scoring}
    first = [s for s in searches if not s.nuisance.second_round]
    second = [s for s in searches if s.nuisance.second_round]
    rounds = _Rounds(ctx, data)
    n_refits = len({(s.treatment, s.rep, s.fold) for s in second}) * 2
    total = sum(rounds.n_tasks(len(s.candidates), len(s.splits)) for s in searches) + n_refits
    with progress_bar(total, ctx.show, ctx.backend.name) as bar:
        clock.mark()
        results = rounds.searches(first, methods, bar)
        if second:  # PLR's IV-type ml_g: tuned on y - theta d, theta from the tuned ml_l and ml_m in-sample
            thetas = rounds.theta_initials(first, second, results, bar)
            results.update(rounds.searches(second, methods, bar, thetas))
    clock.mark()
    tuning_res = _layout(ctx, data, searches, results, tune_on_folds)
    if set_as_params:
        adapter.set_tuned_params(model, tuning_res, tune_on_folds)
    clock.mark()
    candidates = f"{len(searches)} searches, {sum(len(s.candidates) for s in searches)} candidates"
    report, frame = finish_report(ctx, clock, rounds.done, activity="Tuning", extra=(candidates,))
    return TuneOutcome(tuning_res, report, frame)


class _Rounds:
    """Runs searches (and the IV-type in-sample refits) as rounds of tasks; keeps the specs, metrics, resume counts."""

    def __init__(self, ctx: RunContext, data: Any) -> None:
        self.ctx, self.model, self.data = ctx, ctx.model, data
        self.done: list[Round] = []
        self.derived = ctx.adapter.derived_columns(ctx.model, data)

    def n_tasks(self, n_candidates: int, n_splits: int) -> int:
        return n_candidates * (n_splits if self.ctx.scaling == "n_folds * n_rep" else 1)

    def _run(self, specs: dict[str, FitSpec], bar: Any, thetas: Mapping[str, float] | None = None) -> dict:
        """One round: stage, plan and collect ``specs``' tasks; their predictions by group."""
        ctx = self.ctx
        staged = dict(zip(specs, stage_fits(ctx.adapter, [(spec, self.data) for spec in specs.values()], ctx.store)))
        predictions = {group: initial_predictions(spec, None) for group, spec in specs.items()}
        tasks = []
        for group, spec in specs.items():
            theta = (thetas or {}).get(group)
            round_thetas = {(t, 0): theta for t in spec.nuisances} if theta is not None else None
            tasks += plan_tasks(
                spec, staged[group], ctx.scaling, None, second_round=theta is not None, thetas=round_thetas,
                keep_results=ctx.resume,
            )  # fmt: skip
        done = collect(ctx.backend, tasks, specs, bar, ctx.store if ctx.resume else None)
        done.place(tasks, specs, predictions)
        self.done.append(done)
        return predictions

    def searches(
        self, searches: list[_Search], methods: Mapping[str, Any], bar: Any, thetas: Mapping[str, float] | None = None
    ) -> dict[str, SearchResult]:
        """Every candidate's inner-fold fits of ``searches``, scored; the results by search label."""
        specs, theta_of = {}, {}
        for s in searches:
            for k in range(len(s.candidates)):
                spec = _spec(self.ctx, self.data, s, k, methods[s.nuisance.learner][0])
                specs[spec.group] = spec
                if thetas is not None:
                    theta_of[spec.group] = thetas[s.label]
        predictions = self._run(specs, bar, theta_of if thetas is not None else None)
        results = {}
        for s in searches:
            score = methods[s.nuisance.learner][1]
            y = self.ctx.adapter.derived_values(self.data, self.derived, s.nuisance.target)
            if thetas is not None:
                y = y - thetas[s.label] * self.ctx.adapter.derived_values(self.data, self.derived, s.treatment)
            scores = np.empty((len(s.candidates), len(s.splits)))
            for k in range(len(s.candidates)):
                values = predictions[f"{s.label}/c{k}"][s.treatment][s.nuisance.name][:, 0]
                for j, (_, test) in enumerate(s.splits):
                    scores[k, j] = score(y[test], values[test])
            results[s.label] = _results(s, scores)
        return results

    def theta_initials(
        self, first_round: list[_Search], second: list[_Search], results: Mapping[str, SearchResult], bar: Any
    ) -> dict[str, float]:
        """DoubleML's first-round estimate for an IV-type ``ml_g`` search, per (treatment, repetition).

        Each training set's tuned first-round learners (PLR's ``ml_l``, ``ml_m``; PLIV's and its
        ``ml_r``) refitted on it (the search's refit) predict it; a later training set's
        predictions replace an earlier one's, as in DoubleML's loop.
        """
        first = {(s.treatment, s.rep, s.fold, s.nuisance.name): s for s in first_round}
        specs: dict[str, FitSpec] = {}
        for s in second:
            tuned_here = [f for (d, rep, fold, _), f in first.items() if (d, rep, fold) == (s.treatment, s.rep, s.fold)]
            for f in tuned_here:  # the search's refit: the best candidate on the whole training set
                nu = Nuisance(f.nuisance.name, f.nuisance.learner, f.nuisance.target, "predict",
                              features=f.nuisance.features)  # fmt: skip
                best = results[f.label].best_params_
                label = f"{f.label}/refit"
                specs[label] = one_fit(
                    self.ctx.adapter, self.model, self.data, s.treatment, nu, [(s.train, s.train)], best, label
                )
        predictions = self._run(specs, bar)
        thetas: dict[str, float] = {}
        for (treatment, rep), training_sets in _by_set(second).items():
            names = [name for (d, r, _, name) in first if (d, r) == (treatment, rep)]
            in_sample = {name: np.full(len(self.data.data), np.nan) for name in dict.fromkeys(names)}
            for s in training_sets:  # in fold order: later training sets overwrite earlier ones, as in DoubleML
                for name in in_sample:
                    values = predictions[f"tune/{treatment}/{name}/r{rep}/f{s.fold}/refit"][treatment][name][:, 0]
                    in_sample[name][s.train] = values[s.train]
            theta = self.ctx.adapter.theta_initial(self.model, self.data, treatment, in_sample)
            for s in training_sets:
                thetas[s.label] = theta
        return thetas


def _by_set(searches: list[_Search]) -> dict[tuple[str, int], list[_Search]]:
    out: dict[tuple[str, int], list[_Search]] = {}
    for s in sorted(searches, key=lambda s: s.fold):
        out.setdefault((s.treatment, s.rep), []).append(s)
    return out


def _layout(
    ctx: RunContext, data: Any, searches: list[_Search], results: Mapping[str, SearchResult], tune_on_folds: bool
) -> list:
    """DoubleML's ``tune()`` return: per treatment, or per repetition and treatment with ``tune_on_folds``."""
    model, adapter = ctx.model, ctx.adapter
    n_sets = int(model.n_folds) if tune_on_folds else 1

    def one(treatment: str, rep: int) -> dict[str, Any]:
        mine = [s for s in searches if s.treatment == treatment and s.rep == rep]
        params: dict[str, list[Any]] = {}
        tune_res: dict[str, Any] = {}
        for s in mine:
            params.setdefault(s.nuisance.name, []).append(results[s.label].best_params_)
            if s.nuisance.name != s.nuisance.learner and s.nuisance.learner == "ml_m":  # PLIV: ml_m per instrument
                per_instrument = tune_res.setdefault("m_tune", {})
                per_instrument.setdefault(s.nuisance.target, []).append(results[s.label])
            else:
                tune_res.setdefault(f"{s.nuisance.name.removeprefix('ml_')}_tune", []).append(results[s.label])
        for name in adapter.untuned_nuisances(model, data, treatment):  # as DoubleML reports them
            params[name] = [None] * n_sets
            tune_res[f"{name.removeprefix('ml_')}_tune"] = None
        return {"params": params, "tune_res": tune_res}

    d_cols = adapter.treatments(model)
    if tune_on_folds:
        return [[one(d, rep) for d in d_cols] for rep in range(model.n_rep)]
    return [one(d, 0) for d in d_cols]
