"""The DoubleML door: what a run reads from a DoubleML model and hands back to it.

The engines (the fit driver, the tunings, the planner) take this module as their ``adapter``
(:class:`~pydmlserverless.core.run.RunContext`) and ask it, never DoubleML:

* the model as the task planner sees it (:func:`fit_spec`, :func:`sub_fits` for a container's
  sub-models and LPLR's inner folds): splits, learners, ``params``, features, and the nuisance
  functions its family registers (:mod:`pydmlserverless.doubleml.families`);
* :func:`stage_data`, the fit's dataset in the store; :func:`theta_initial`, the IV-type scores'
  first-round estimate, computed as DoubleML computes it;
* :func:`estimate_all`, DoubleML's ``fit(external_predictions=...)``, and
  :func:`nuisance_targets_and_losses`, what DoubleML reports when it fits the learners itself;
* the tunings' searches, layouts and parameters as DoubleML's ``tune()`` and
  ``tune_ml_models()`` make them;
* :func:`doubleml_arguments` (DoubleML's own signatures), :func:`doubleml_errors` (its input
  errors raised as the package's), its placeholder learners, its ``external_predictions``.

DoubleML's private attributes are :mod:`._compat`'s alone. A new DoubleML model adds its
nuisances to its family's module, its entry to :mod:`.registry` and a class to :mod:`.models`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import doubleml
import numpy as np
import pandas as pd
import scipy.special
from doubleml.did import DoubleMLDIDBinary, DoubleMLDIDCSBinary
from doubleml.utils import DMLDummyClassifier, DMLDummyRegressor
from sklearn.base import is_classifier
from sklearn.utils import get_tags

from ..core.tasks import FitSpec, Nuisance, SecondRound, fold_params
from ..errors import ConfigurationError, DataError, DataTypeError, InvalidInputError, InvalidTypeError, LearnerError
from . import _compat
from .data import S3StagedData, covariates_with_missing_values, derived_values, stage_dataset, validate_data
from .families import derived_columns, features_for, nuisances_for
from .families.plm import treatment_mean_column
from .families.quantile import fold_halves
from .registry import MODELS, ModelEntry

__all__ = [
    "learners",
    "nuisances_for",
    "features_for",
    "fit_spec",
    "theta_initial",
    "second_round",
    "theta_initials",
    "estimate",
    "nuisance_targets_and_losses",
    "seeded_nuisance_params",
    "doubleml_errors",
    "is_placeholder",
    "check_external_predictions",
    "check_fit_options",
    "forget_predictions",
    "set_models",
    "refuse_unsupported_pliv",
    "SubFit",
    "sub_fits",
    "is_container",
    "estimate_all",
    "set_sub_models",
    "adjust_predictions",
    "sub_fit_spec",
    "reports_own_nuisances",
    "check_lplr_folds",
    "TuningSearch",
    "tuning_searches",
    "untuned_nuisances",
    "set_tuned_params",
]

#: DoubleML's nuisance predictions handed to ``fit(external_predictions=...)``:
#: ``{treatment: {nuisance name: array (n_obs, n_rep)}}``.
Predictions = Mapping[str, Mapping[str, np.ndarray]]


def _plpr_data(model: Any) -> doubleml.DoubleMLData:
    """PLPR's transformed panel (DoubleML's ``approach``) as the data its learners see.

    The correlated-random-effects approaches add each treatment's mean over the unit: as a
    feature of ``ml_m`` (``'cre_normal'``) and for DoubleML's adjustment of its predictions
    (``'cre_general'``, :func:`adjust_predictions`).
    """
    panel = _compat.data_of(model)
    columns = {c: panel.data[c].to_numpy() for c in dict.fromkeys([*panel.x_cols, *panel.d_cols, panel.y_col])}
    if model.d_mean is not None:  # named against the panel's columns, which are the view's
        columns.update({treatment_mean_column(panel, d): model.d_mean[:, i] for i, d in enumerate(panel.d_cols)})
    return doubleml.DoubleMLData(
        pd.DataFrame(columns),
        y_col=panel.y_col,
        d_cols=list(panel.d_cols),
        x_cols=list(panel.x_cols),
        use_other_treat_as_covariate=panel.use_other_treat_as_covariate,
        force_all_x_finite=panel.force_all_x_finite,
    )


def adjust_predictions(sub: SubFit, spec: FitSpec, predictions: dict[str, dict[str, np.ndarray]]) -> None:
    """What DoubleML does to a nuisance's predictions after it fits the learner itself, for the planned ones.

    PLPR's ``'cre_general'`` approach recentres ``ml_m``'s predictions on each unit's treatment
    mean (DoubleML's ``_nuisance_est``; it leaves external predictions as given, so given ones
    are left too).
    """
    model = sub.model
    if not (isinstance(model, doubleml.DoubleMLPLPR) and model.approach == "cre_general"):
        return
    for i_d, treatment in enumerate(sub.data.d_cols):
        if not any(nu.name == "ml_m" and nu.fitted for nu in spec.nuisances[treatment]):
            continue
        m_hat = predictions[treatment]["ml_m"]
        for rep in range(spec.n_rep):
            frame = pd.DataFrame({"id": _compat.data_of(model).id_var, "m_hat": m_hat[:, rep]})
            unit_mean = frame.groupby(["id"]).transform("mean")
            m_hat[:, rep] = m_hat[:, rep] + model.d_mean[:, i_d] - unit_mean["m_hat"].to_numpy()


def _user_params(model: Any, name: str, treatment: str) -> tuple[tuple[dict[str, Any], ...], ...]:
    """The parameters set with ``set_ml_nuisance_params``: per repetition, per fold (empty where none)."""
    n_folds = len(model.smpls[0])
    per_rep = model.params[name][treatment]
    return tuple(tuple(dict(folds[k] or {}) if folds is not None else {} for k in range(n_folds)) for folds in per_rep)


def learners(model: Any) -> dict[str, Any]:
    """A model's learners by name, a container model's (APOS, DIDMulti) too."""
    return _compat.learners_of(model)


def is_placeholder(learner: Any) -> bool:
    """Whether ``learner`` is DoubleML's placeholder for a nuisance whose predictions are given."""
    return isinstance(learner, (DMLDummyRegressor, DMLDummyClassifier))


def refuse_unsupported_pliv(variant: str) -> None:
    """Refuse DoubleML's PLIV variants whose nuisances DoubleML 0.11 fits itself.

    ``DoubleMLPLIV._partialZ`` and ``_partialXZ`` ignore ``external_predictions`` (their
    ``_nuisance_est_partial_z`` / ``_xz`` fit the learners in-process), so the fits cannot be fanned
    out; ``_partialX`` is the default model, built by the class itself.
    """
    if variant == "_partialX":
        raise InvalidTypeError(
            "DoubleMLPLIVServerless is the partialX model already: construct it as "
            "DoubleMLPLIVServerless(lambda_function_name, aws_region, data, ml_l, ml_m, ml_r, ...)."
        )
    raise InvalidTypeError(
        f"DoubleMLPLIV.{variant}() cannot run on a backend: DoubleML {doubleml.__version__} fits its nuisances "
        "itself and ignores external predictions for this variant. Use plain doubleml.DoubleMLPLIV."
        f"{variant}(...).fit() for it, or the default partialX model, DoubleMLPLIVServerless(...)."
    )


def check_external_predictions(model: Any, external_predictions: Any) -> None:
    """DoubleML's own check of ``fit(external_predictions=...)``: dict of treatment, of nuisance, of (n_obs, n_rep).

    A container model's (APOS, DIDMulti) predictions are keyed by level or cell: DoubleML's check
    of the container, then of each sub-model's, before any task runs (DoubleML itself checks a
    sub-model's only when it reaches it).
    """
    if external_predictions is not None and not is_container(model) and not _compat.takes_external_predictions(model):
        raise NotImplementedError(f"External predictions not implemented for {type(model).__name__}.")  # DoubleML's
    checks = [(model, external_predictions)]
    if is_container(model):
        if external_predictions is None:
            return
        with doubleml_errors():
            _compat.check_container_external_predictions(model, external_predictions)
        keys = _container_keys(model)
        given = _container_external(model, external_predictions)
        checks = [(model.modellist[keys.index(key)], by_treatment) for key, by_treatment in given.items()]
    with doubleml_errors():
        for sub, by_treatment in checks:
            _compat.check_external_predictions(
                external_predictions=by_treatment,
                valid_treatments=_compat.data_of(sub).d_cols,
                valid_learners=sub.params_names,
                n_obs=sub.n_obs,
                n_rep=sub.n_rep,
            )


def _allows_missing(learner: Any) -> bool:
    try:
        return bool(get_tags(learner).input_tags.allow_nan)
    except (AttributeError, TypeError, ValueError):  # an estimator that predates scikit-learn's tags
        return False


def _check_learners(model: Any, data: doubleml.DoubleMLData, nuisances: Mapping[str, tuple[Nuisance, ...]]) -> None:
    """Before any task runs: placeholders need given predictions; missing covariates a learner that takes them."""
    for treatment, nus in nuisances.items():
        for nu in nus:
            if not nu.fitted:
                continue
            columns = [c for c in (nu.features or features_for(data, treatment)) if c in data.data.columns]
            missing = covariates_with_missing_values(data, columns)
            learner = model.learner[nu.learner]
            if is_placeholder(learner):
                raise LearnerError(
                    f"{nu.learner} is DoubleML's placeholder {type(learner).__name__}, which cannot fit: give its "
                    f"predictions as external_predictions={{{treatment!r}: {{{nu.name!r}: array of shape "
                    f"(n_obs, n_rep)}}}}, or pass a learner."
                )
            if missing and not _allows_missing(learner):
                raise LearnerError(
                    f"{nu.learner}: {learner!s} does not accept missing values, and the covariates {missing} hold "
                    "some (the data's force_all_x_finite lets them through). Use a learner that handles them (e.g. "
                    "HistGradientBoostingRegressor) or impute them in a Pipeline (SimpleImputer)."
                )


def fit_spec(
    model: Any,
    data: doubleml.DoubleMLData,
    external_predictions: Predictions | None = None,
    check: bool = True,
    group: str = "",
) -> FitSpec:
    """The model as the planner sees it: splits, learners, nuisances, features and user parameters.

    Parameters
    ----------
    model : a pydmlserverless model (is-a a DoubleML model)
        Its sample splits must be drawn.
    data : doubleml.DoubleMLData
        The model's data.
    external_predictions : dict, optional
        DoubleML's ``{treatment: {nuisance: array (n_obs, n_rep)}}``: those nuisances are marked
        external and not planned (checked with :func:`check_external_predictions` first).
    check : bool, default True
        Check the learners against the data and the given predictions (placeholders, missing values).
    group : str, optional
        The label of a container model's sub-model (:class:`SubFit`), for :attr:`FitSpec.group`.

    Raises
    ------
    DataError
        If a model column is missing, non-numeric or non-finite.
    ConfigurationError
        If the model has no sample splits.
    LearnerError
        If a placeholder learner has no given predictions, or a learner that does not accept
        missing values meets covariates that hold some.
    InvalidTypeError
        For DoubleML's PLIV variants partialZ and partialXZ.
    """
    validate_data(data)
    if isinstance(model, doubleml.DoubleMLPLIV) and getattr(model, "partialZ", False):
        refuse_unsupported_pliv("_partialXZ" if getattr(model, "partialX", True) else "_partialZ")
    if model.smpls is None:
        raise ConfigurationError(
            "The model has no sample splits; call draw_sample_splitting() or set_sample_splitting() first."
        )
    given = external_predictions or {}
    nuisances = {
        d: tuple(
            dataclasses.replace(nu, external=True) if nu.name in given.get(d, {}) else nu
            for nu in nuisances_for(model, data, d)
        )
        for d in data.d_cols
    }
    if check:
        _check_learners(model, data, nuisances)
    return FitSpec(
        n_obs=planned_rows(model),
        n_rep=int(model.n_rep),
        n_folds=len(model.smpls[0]),
        smpls=model.smpls,
        learners=dict(model.learner),
        nuisances=nuisances,
        features={d: tuple(features_for(data, d)) for d in data.d_cols},
        params={
            (nu.name, d): _user_params(model, nu.name, d) for d, nus in nuisances.items() for nu in nus if nu.fitted
        },
        derived=derived_columns(model, data),
        group=group,
    )


# --- container models: DoubleMLAPOS (one DoubleMLAPO per treatment level) and DoubleMLDIDMulti
# (one DoubleMLDIDBinary or DoubleMLDIDCSBinary per group-time cell). A fit plans the tasks of
# every sub-model at once and hands them back through the container's own fit(external_predictions=...).


def _classes(chosen: Callable[[ModelEntry], bool]) -> tuple[type, ...]:
    return tuple(
        getattr(importlib.import_module(entry.doubleml_class.rpartition(".")[0]), entry.doubleml_name)
        for entry in MODELS
        if chosen(entry)
    )


#: DoubleML's models of sub-models (the registry's containers).
CONTAINER_MODELS = _classes(lambda entry: entry.container)


def planned_rows(model: Any) -> int:
    """The rows a model's learners see: DIDMulti's cell models fit on their subsample of the panel."""
    return int(getattr(model, "n_obs_subset", model.n_obs))


@dataclasses.dataclass(frozen=True)
class SubFit:
    """One DoubleML model whose nuisances a fit plans: the model itself, or a sub-model of a container.

    Attributes
    ----------
    key : object
        The sub-model's key in the container's ``external_predictions`` (APOS's treatment level,
        DIDMulti's ``'ATT(g,t_pre,t_eval)'`` label); None for a model of its own.
    label : str
        ``str(key)``, the group of its tasks (:attr:`FitSpec.group`); empty for a model of its own.
    index : int
        Its position in the container's ``modellist``.
    model : DoubleML model
        The model whose nuisances are planned.
    data : doubleml.DoubleMLData
        The rows and columns its learners see: the model's data, or for a DIDMulti cell its
        subsample (outcome difference or outcome, cell indicators, covariates) as DoubleML forms it.
    external : dict or None
        The given predictions, ``{treatment: {nuisance: array (planned rows, n_rep)}}``.
    positions : numpy.ndarray or None
        The rows of DoubleML's prediction arrays (``n_rows`` long) that the planned rows are; None
        when they are the same rows.
    n_rows : int
        The rows of the prediction arrays the container's ``fit(external_predictions=...)`` takes.
    """

    key: Any
    label: str
    index: int
    model: Any
    data: Any
    external: Predictions | None
    positions: np.ndarray | None
    n_rows: int
    spec_options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    nuisances: tuple[str, ...] | None = None


def sub_fit_spec(sub: SubFit, check: bool = True) -> FitSpec:
    """:func:`fit_spec` of one sub-fit, with its own splits where it has them (LPLR's inner folds).

    A sub-fit that plans some of the model's nuisances only (``SubFit.nuisances``: LPLR's inner
    ``ml_M`` and ``ml_a``, its outer ``ml_m`` and ``ml_t``) gets a spec of those.
    """
    spec = fit_spec(sub.model, sub.data, sub.external, check=check, group=sub.label)
    if sub.nuisances is not None:
        kept = {d: tuple(nu for nu in nus if nu.name in sub.nuisances) for d, nus in spec.nuisances.items()}
        params = {key: value for key, value in spec.params.items() if key[0] in sub.nuisances}
        spec = dataclasses.replace(spec, nuisances=kept, params=params)
    return dataclasses.replace(spec, **sub.spec_options) if sub.spec_options else spec


def reports_own_nuisances(model: Any) -> bool:
    """Whether DoubleML itself reports the fit's nuisance targets and losses (else :func:`nuisance_targets_and_losses`).

    A container's sub-models are DoubleML's own; LPLR's inner predictions' and PQ's ``ml_g``'s are
    set by :func:`estimate_all`, the others DoubleML's.
    """
    return is_container(model) or isinstance(model, (doubleml.DoubleMLLPLR, *HALVED_MODELS))


def is_container(model: Any) -> bool:
    """Whether the model estimates through sub-models (DoubleML's APOS and DIDMulti)."""
    return isinstance(model, CONTAINER_MODELS)


def _container_keys(model: Any) -> list[Any]:
    if isinstance(model, doubleml.DoubleMLAPOS):
        return list(model.treatment_levels)
    return list(model.gt_labels)


def _cell_data(cell: Any) -> doubleml.DoubleMLData:
    """A DIDMulti cell's subsample as the data its learners see, in the panel's column names.

    DoubleML's ``data_subset`` holds the cell's treated indicator (``G_indicator``) and, for
    panels, the outcome difference (``y_diff``), for repeated cross-sections the period indicator
    (``t_indicator``); they take the panel's treatment, outcome and period names here.
    """
    panel = _compat.data_of(cell)
    frame, d, y = cell.data_subset, panel.d_cols[0], panel.y_col
    x_cols = list(panel.x_cols)
    columns = {x: frame[x].to_numpy() for x in x_cols}
    columns[d] = frame["G_indicator"].to_numpy(dtype=np.float64)
    options = {"x_cols": x_cols, "force_all_x_finite": panel.force_all_x_finite}
    if isinstance(cell, DoubleMLDIDCSBinary):
        columns[y] = frame[y].to_numpy(dtype=np.float64)
        columns[panel.t_col] = frame["t_indicator"].to_numpy(dtype=np.float64)
        with warnings.catch_warnings():  # DoubleML deprecates the class for users; its DIDCS model reads it
            warnings.simplefilter("ignore", FutureWarning)
            return doubleml.DoubleMLDIDData(pd.DataFrame(columns), y_col=y, d_cols=d, t_col=panel.t_col, **options)
    columns[y] = frame["y_diff"].to_numpy(dtype=np.float64)
    return doubleml.DoubleMLData(pd.DataFrame(columns), y_col=y, d_cols=d, **options)


def _container_external(model: Any, external_predictions: Any) -> dict[Any, Predictions]:
    """The container's ``{key: {nuisance: array}}`` as each sub-model's ``{treatment: {nuisance: array}}``."""
    d = _compat.data_of(model).d_cols[0]
    return {key: {d: dict(by_nuisance)} for key, by_nuisance in (external_predictions or {}).items()}


def sub_fits(model: Any, data: Any, external_predictions: Any = None) -> list[SubFit]:
    """The models a fit plans: ``model`` itself, or each sub-model of a container in ``modellist`` order.

    Parameters
    ----------
    model : pydmlserverless model
        The model.
    data : doubleml.DoubleMLData
        Its data.
    external_predictions : dict, optional
        DoubleML's ``external_predictions`` of the model (for a container: keyed by level or cell).

    Returns
    -------
    list of SubFit
    """
    if not is_container(model):
        n_rows = int(model.n_obs)
        if isinstance(model, doubleml.DoubleMLPLPR):
            data = _plpr_data(model)
        if isinstance(model, doubleml.DoubleMLLPLR):
            return _lplr_sub_fits(model, data, external_predictions)
        if isinstance(model, HALVED_MODELS):
            return _halved_sub_fits(model, data, external_predictions)
        return [SubFit(None, "", 0, model, data, external_predictions, None, n_rows)]
    if getattr(model, "_modellist", None) is None:  # APOS makes its sub-models when its splits are drawn
        raise ConfigurationError(
            "The model has no sample splits; call draw_sample_splitting() or set_sample_splitting() first."
        )
    given = _container_external(model, external_predictions)
    out = []
    for index, key in enumerate(_container_keys(model)):
        sub = model.modellist[index]
        if isinstance(sub, (DoubleMLDIDBinary, DoubleMLDIDCSBinary)):
            positions = np.asarray(sub.id_positions)
            sub_data = _cell_data(sub)
            external = {
                d: {name: np.asarray(arr)[positions] for name, arr in by_name.items()}
                for d, by_name in given.get(key, {}).items()
            }
            out.append(SubFit(key, str(key), index, sub, sub_data, external or None, positions, int(sub.n_obs)))
        else:
            out.append(SubFit(key, str(key), index, sub, data, given.get(key), None, int(sub.n_obs)))
    return out


def check_lplr_folds(model: Any) -> None:
    """Refuse an LPLR whose inner and outer folds differ in number: DoubleML cannot take its predictions."""
    if model.n_folds_inner != model.n_folds:
        raise InvalidInputError(
            f"DoubleMLLPLR with n_folds_inner={model.n_folds_inner} and n_folds={model.n_folds}: DoubleML "
            f"{doubleml.__version__} takes external predictions for LPLR only with as many inner as outer folds "
            "(it names the inner predictions by outer fold, reads them by inner fold, and gives inner fold j the "
            "j-th fold's parameters). Use n_folds_inner == n_folds, or plain doubleml.DoubleMLLPLR."
        )


def _lplr_sub_fits(model: Any, data: Any, external_predictions: Any) -> list[SubFit]:
    """LPLR's double cross-fitting as one sub-fit per outer fold, with that fold's inner folds as its folds.

    Inner fold ``j`` of outer fold ``i`` trains on its inner training rows and predicts its inner
    test rows and the outer fold's test rows, as DoubleML's ``_double_dml_cv_predict`` does; the
    folds' test rows overlap, so predictions are kept per fold (:attr:`FitSpec.folds_overlap`).
    The inner folds share their seeds over the outer folds (DoubleML gives inner fold ``j`` the
    ``j``-th parameters in each). A last sub-fit, the model on its outer folds (label ``""``),
    plans ``ml_m`` and ``ml_t``: ``ml_t`` and the instrument score's ``ml_m`` in a second round
    (:func:`second_round`).
    """
    check_lplr_folds(model)
    if model.smpls is None or _compat.inner_splits(model) is None:
        raise ConfigurationError("The model has no sample splits; call draw_sample_splitting() first.")
    out = []
    for i in range(model.n_folds):
        smpls = [
            [
                (train, np.concatenate([test, model.smpls[rep][i][1]]))
                for train, test in _compat.inner_splits(model)[rep][i]
            ]
            for rep in range(model.n_rep)
        ]
        options = {"smpls": smpls, "seed_group": "", "folds_overlap": True}
        n_obs = int(model.n_obs)
        out.append(SubFit(i, f"outer fold {i}", i, model, data, external_predictions, None, n_obs, options, LPLR_INNER))
    out.append(SubFit(None, "", 0, model, data, external_predictions, None, int(model.n_obs), {}, LPLR_OUTER))
    return out


#: LPLR's double cross-fitted nuisances (one sub-fit per outer fold) and those on its outer folds.
LPLR_INNER = ("ml_M", "ml_a")
LPLR_OUTER = ("ml_m", "ml_t")

#: The labels of PQ's and CVAR's sub-fits: fold ``k``'s preliminary folds on its first half; ``ml_g`` on the
#: second halves.
FIRST_HALF = "first half {}"
SECOND_HALF = "second half"

#: The models that estimate a preliminary quantile inside each fold (:mod:`.families.quantile`).
HALVED_MODELS = (doubleml.DoubleMLPQ, doubleml.DoubleMLCVAR)


def _halved_sub_fits(model: Any, data: Any, external_predictions: Any) -> list[SubFit]:
    """PQ's (and CVAR's) fits as sub-fits: per outer fold its preliminary ``ml_m`` folds, then ``ml_m`` and ``ml_g``.

    Outer fold ``k``'s first half (:func:`~.families.quantile.fold_halves`) is cross-fitted with a
    copy of fold ``k``'s ``ml_m`` (its parameters and seed in every preliminary fold); ``ml_m`` is
    refitted on the outer folds (label ``""``); ``ml_g`` fits each fold's treated second half, in a
    second round (:func:`second_round`).
    """
    if model.smpls is None:
        raise ConfigurationError("The model has no sample splits; call draw_sample_splitting() first.")
    n_rep, n_folds, n_obs = int(model.n_rep), int(model.n_folds), int(model.n_obs)
    halves = [[fold_halves(model, rep, k) for k in range(n_folds)] for rep in range(n_rep)]
    treatment = data.d_cols[0]
    user = _user_params(model, "ml_m", treatment)
    out = []
    for k in range(n_folds):
        smpls = [
            [(halves[rep][k].first[train], halves[rep][k].first[test]) for train, test in halves[rep][k].preliminary]
            for rep in range(n_rep)
        ]
        options = {
            "smpls": smpls,
            "seed_group": "",
            "seed_folds": (k,) * n_folds,
            "params": {("ml_m", treatment): tuple((user[rep][k],) * n_folds for rep in range(n_rep))},
        }
        label = FIRST_HALF.format(k)
        out.append(SubFit(k, label, k, model, data, external_predictions, None, n_obs, options, ("ml_m",)))
    out.append(SubFit(None, "", 0, model, data, external_predictions, None, n_obs, {}, ("ml_m",)))
    second = [[(halves[rep][k].second_treated, model.smpls[rep][k][1]) for k in range(n_folds)] for rep in range(n_rep)]
    options = {"smpls": second, "seed_group": ""}
    out.append(SubFit(None, SECOND_HALF, 0, model, data, external_predictions, None, n_obs, options, ("ml_g",)))
    return out


def _given(subs: list[SubFit], treatment: str, name: str) -> np.ndarray | None:
    return (subs[0].external or {}).get(treatment, {}).get(name)


def _preliminary_quantiles(
    model: Any, subs: list[SubFit], predictions: Mapping[str, Predictions]
) -> list[list[float]] | None:
    """The preliminary quantile per repetition and outer fold, as DoubleML computes them; None when none is.

    From the first halves' cross-fitted ``ml_m`` (or the given ``ml_m``, indexed as DoubleML
    indexes it), repetition after repetition: PQ's brackets start from the previous repetition's
    mean estimate, CVAR's from its fixed start value.
    """
    data = _compat.data_of(model)
    treatment = data.d_cols[0]
    given_m = _given(subs, treatment, "ml_m")
    if given_m is not None and _given(subs, treatment, "ml_g") is not None:
        return None  # DoubleML estimates nothing in the folds
    d, y = np.asarray(data.d, dtype=np.float64), np.asarray(data.y, dtype=np.float64)
    start = _compat.coef_start(model)
    out = []
    for rep in range(int(model.n_rep)):
        row = []
        for k in range(int(model.n_folds)):
            halves = fold_halves(model, rep, k)
            if given_m is None:
                m_hat = predictions[FIRST_HALF.format(k)][treatment]["ml_m"][:, rep][halves.first]
            else:  # DoubleML reads the given ml_m at the preliminary folds' positions in the first half
                m_hat = np.asarray(given_m[:, rep], dtype=float)[np.concatenate([t for _, t in halves.preliminary])]
            first = halves.first
            row.append(_compat.preliminary_quantile(model, d[first], y[first], m_hat, halves.preliminary, start))
        if isinstance(model, doubleml.DoubleMLPQ):
            start = float(np.mean(row))
        out.append(row)
    return out


def _halved_second_round(
    model: Any, spec: FitSpec, subs: list[SubFit], predictions: Mapping[str, Predictions]
) -> SecondRound:
    """``ml_g``'s target per fold (:func:`_g_target`) on its treated second half."""
    quantiles = _preliminary_quantiles(model, subs, predictions)
    assert quantiles is not None, "ml_g is planned, so ml_g is not given"
    y = np.asarray(_compat.data_of(model).y, dtype=np.float64)
    targets = {}
    for treatment, nuisance in spec.fitted(second_round=True):
        for rep in range(spec.n_rep):
            values = np.full((spec.n_obs, spec.n_folds), np.nan)
            for k, (train, _) in enumerate(spec.smpls[rep]):
                values[train, k] = _g_target(model, y, quantiles[rep][k])[train]
            targets[(treatment, nuisance.name, rep)] = values
    return SecondRound(targets=targets)


def _g_target(model: Any, y: np.ndarray, quantile: float) -> np.ndarray:
    """``ml_g``'s target at a fold's preliminary quantile ``q``: PQ ``y <= q``, CVAR ``max(q, (y - tau q)/(1 - tau))``.

    In DoubleML's operations and order, so that the values are bit-identical.
    """
    if isinstance(model, doubleml.DoubleMLPQ):
        return (y <= quantile).astype(np.float64)
    g_target_1 = np.ones_like(y) * quantile
    g_target_2 = (y - model.quantile * quantile) / (1 - model.quantile)
    return np.asarray(np.max(np.column_stack((g_target_1, g_target_2)), 1))


def _test_targets(model: Any, quantiles: list[list[float]]) -> list[np.ndarray]:
    """Per repetition, ``ml_g``'s target on each fold's test rows, NaN off the treatment level (DoubleML's)."""
    data = _compat.data_of(model)
    d, y = np.asarray(data.d, dtype=np.float64), np.asarray(data.y, dtype=np.float64)
    out = []
    for rep in range(int(model.n_rep)):
        target = np.full(int(model.n_obs), np.nan)
        for k, (_, test) in enumerate(model.smpls[rep]):
            target[test] = _g_target(model, y, quantiles[rep][k])[test]
        target[d != model.treatment] = np.nan
        out.append(target)
    return out


def _cvar_estimate(
    model: Any, subs: list[SubFit], predictions: Mapping[str, Predictions], store_predictions: bool
) -> None:
    """DoubleML's CVAR fit on the fanned-out ``ml_m`` and ``ml_g`` (DoubleML 0.11 takes no external ones for it).

    Each repetition's nuisance estimation is DoubleML's own on these predictions
    (:func:`._compat.nuisance_estimates`): the propensity processing, the score elements at the
    mean preliminary quantile, the targets.
    """
    treatment = _compat.data_of(model).d_cols[0]
    quantiles = _preliminary_quantiles(model, subs, predictions)
    assert quantiles is not None, "DoubleML takes no given predictions for CVAR"
    given = {"ml_g": predictions[SECOND_HALF][treatment]["ml_g"], "ml_m": predictions[""][treatment]["ml_m"]}
    targets = _test_targets(model, quantiles)
    with _compat.nuisance_estimates(model, given, targets, [float(np.mean(row)) for row in quantiles]):
        model.fit(store_predictions=store_predictions)


def _pq_estimate(
    model: Any, subs: list[SubFit], predictions: Mapping[str, Predictions], store_predictions: bool
) -> None:
    """DoubleML's PQ fit on the fanned-out ``ml_m`` and ``ml_g``, each repetition starting from its mean estimate.

    DoubleML leaves a given ``ml_g``'s targets and loss empty; they are set as its own fit sets them:
    ``y <= `` the fold's preliminary quantile on the fold's test rows, at the treatment level only.
    """
    treatment = _compat.data_of(model).d_cols[0]
    given = {d: dict(by_name) for d, by_name in (subs[0].external or {}).items()}
    given.setdefault(treatment, {}).setdefault("ml_m", predictions[""][treatment]["ml_m"])
    given[treatment].setdefault("ml_g", predictions[SECOND_HALF][treatment]["ml_g"])
    quantiles = _preliminary_quantiles(model, subs, predictions)
    if quantiles is None:
        model.fit(external_predictions=given, store_predictions=store_predictions)
        return
    g_given = _given(subs, treatment, "ml_g") is not None
    with _compat.coef_starts_per_rep(model, [float(np.mean(row)) for row in quantiles]), warnings.catch_warnings():
        if not g_given:  # DoubleML's loss of the ml_g it takes as given, all of whose targets it leaves NaN; set below
            warnings.filterwarnings("ignore", "Mean of empty slice", RuntimeWarning)
        model.fit(external_predictions=given, store_predictions=store_predictions)
    if g_given:
        return
    kept = _compat.nuisance_targets(model)
    for rep, target in enumerate(_test_targets(model, quantiles)):
        preds = np.asarray(given[treatment]["ml_g"][:, rep], dtype=np.float64)
        _compat.nuisance_loss(model)["ml_g"][rep, 0] = _loss(target, preds, classifier=True)
        if kept is not None:
            kept["ml_g"][:, rep, 0] = target


def _loss(target: np.ndarray, preds: np.ndarray, classifier: bool) -> Any:
    """DoubleML's nuisance loss (``_calc_nuisance_loss``): log loss for a classifier, else RMSE, on non-NaN rows."""
    if classifier:
        clipped = np.clip(preds, 1e-15, 1 - 1e-15)
        return -np.nanmean(target * np.log(clipped) + (1 - target) * np.log(1 - clipped), axis=0)
    return np.sqrt(np.nanmean(np.power(target - preds, 2), axis=0))


def _lplr_external(model: Any, subs: list[SubFit], predictions: Mapping[str, Predictions]) -> dict:
    """The double cross-fitted predictions in DoubleML's LPLR layout: ``ml_M``, ``ml_M_inner_<i>``, ``ml_a``, ...

    Inner fold ``j``'s predictions of outer fold ``i``'s training rows make ``ml_M_inner_<i>``; the
    outer fold's test rows get the sum of its inner models' predictions over the outer folds'
    number, summed in inner-fold order, as DoubleML computes them.
    """
    given = {d: dict(by_name) for d, by_name in (subs[0].external or {}).items()}
    n_obs, n_rep = int(model.n_obs), int(model.n_rep)
    subs = [sub for sub in subs if sub.nuisances == LPLR_INNER]
    for d in _compat.data_of(model).d_cols:
        out = given.setdefault(d, {})
        for name in LPLR_INNER:
            if name in out:  # given, with its inner predictions (DoubleML checks them)
                continue
            outer = np.zeros((n_obs, n_rep))
            for sub in subs:
                per_fold = predictions[sub.label][d][name]  # (n_obs, n_rep, n_inner)
                inner = np.full((n_obs, n_rep), np.nan)
                for rep in range(n_rep):
                    test = model.smpls[rep][sub.index][1]
                    for j, (_, inner_test) in enumerate(_compat.inner_splits(model)[rep][sub.index]):
                        inner[inner_test, rep] = per_fold[inner_test, rep, j]
                        outer[test, rep] += per_fold[test, rep, j]
                out[f"{name}_inner_{sub.index}"] = inner
            out[name] = outer / len(subs)
    return given


def _lplr_inner_targets_and_losses(model: Any, given: Mapping[str, Mapping[str, np.ndarray]]) -> None:
    """The inner predictions' targets and losses, which DoubleML leaves empty when they are given.

    As DoubleML's ``_calc_nuisance_loss`` computes them when it fits the inner models itself: the
    target on the rows the inner models predicted, log loss for a classifier, else RMSE.
    """
    data = _compat.data_of(model)
    for i_d, d in enumerate(data.d_cols):
        for name, target in (("ml_M", data.y), ("ml_a", data.data[d].to_numpy(dtype=np.float64))):
            classifier = is_classifier(model.learner[name])
            for i in range(model.n_folds):
                key = f"{name}_inner_{i}"
                preds = np.asarray(given[d][key], dtype=np.float64)
                targets = np.where(np.isnan(preds), np.nan, np.asarray(target, dtype=np.float64)[:, None])
                _compat.nuisance_loss(model)[key][:, i_d] = _loss(targets, preds, classifier)
                kept = _compat.nuisance_targets(model)
                if kept is not None:
                    kept[key][:, :, i_d] = targets


def _full_rows(sub: SubFit, values: np.ndarray) -> np.ndarray:
    """Planned-row predictions in the rows DoubleML's arrays have (NaN where the sub-model has no row)."""
    if sub.positions is None:
        return values
    full = np.full((sub.n_rows, *values.shape[1:]), np.nan)
    full[sub.positions] = values
    return full


def estimate_all(
    model: Any,
    subs: list[SubFit],
    predictions: Mapping[str, Predictions],
    store_predictions: bool = True,
    seed: int | None = None,
    seed_only_unset: bool = False,
) -> None:
    """Hand every sub-fit's predictions to DoubleML: the model's own ``fit(external_predictions=...)``.

    ``predictions`` is keyed by :attr:`SubFit.label`. A container model gets them keyed by
    level or cell, as its ``fit()`` takes them, and estimates each sub-model with DoubleML's code.
    LPLR gets its double cross-fitted predictions in DoubleML's layout and ``ml_m`` and ``ml_t``
    from the last sub-fit.
    """
    if isinstance(model, doubleml.DoubleMLLPLR):
        given = _lplr_external(model, subs, predictions)
        for d, by_name in predictions[""].items():
            for name, values in by_name.items():
                given[d].setdefault(name, values)
        model.fit(external_predictions=given, store_predictions=store_predictions)
        _lplr_inner_targets_and_losses(model, given)
        return
    if isinstance(model, doubleml.DoubleMLPQ):
        _pq_estimate(model, subs, predictions, store_predictions)
        return
    if isinstance(model, doubleml.DoubleMLCVAR):
        _cvar_estimate(model, subs, predictions, store_predictions)
        return
    if not is_container(model):
        estimate(model, predictions[""])
        return
    given = {}
    for sub in subs:
        (by_nuisance,) = predictions[sub.label].values()  # the sub-models have one treatment
        given[sub.key] = {name: _full_rows(sub, arr) for name, arr in by_nuisance.items()}
    model.fit(external_predictions=given, store_predictions=store_predictions)


def set_sub_models(model: Any, subs: list[SubFit], models: Mapping[str, Mapping[str, Any]]) -> None:
    """:func:`set_models` on each sub-model (for a container, the fitted one in ``modellist``).

    LPLR's sub-fits are one model: ``ml_m`` and ``ml_t`` hold a learner per outer fold, ``ml_M``
    and ``ml_a`` per outer fold the list of its inner folds' learners (DoubleML's own
    ``fit(store_models=True)`` fails on LPLR).
    """
    if isinstance(model, doubleml.DoubleMLLPLR):
        merged = {name: dict(by_treatment) for name, by_treatment in models[""].items()}
        inner = [sub for sub in subs if sub.nuisances == LPLR_INNER]
        for name in LPLR_INNER:
            merged[name] = {
                d: [[models[sub.label][name][d][rep] for sub in inner] for rep in range(int(model.n_rep))]
                for d in _compat.data_of(model).d_cols
                if all(name in models[sub.label] for sub in inner)
            }
        set_models(model, merged)
        return
    if isinstance(model, HALVED_MODELS):  # the refitted ml_m and ml_g, as DoubleML keeps them
        set_models(model, {**models[""], **models[SECOND_HALF]})
        return
    for sub in subs:
        target = model.modellist[sub.index] if is_container(model) else model
        set_models(target, models[sub.label])


@dataclasses.dataclass(frozen=True)
class TuningSearch:
    """One scikit-learn search of DoubleML's ``tune()``: a nuisance of a treatment on one training set.

    Attributes
    ----------
    treatment : str
        The treatment.
    nuisance : Nuisance
        The nuisance (``learner`` is the ``param_grids`` key; its ``subset`` is applied in ``train``).
    rep, fold : int
        The repetition and outer fold of the training set (0, 0 without ``tune_on_folds``).
    train : numpy.ndarray
        The training rows the search splits into its inner folds.
    """

    treatment: str
    nuisance: Nuisance
    rep: int
    fold: int
    train: np.ndarray


#: The models whose ``tune()`` :func:`tuning_searches` knows (the registry's, and DIDMulti's cells,
#: which ``tune_ml_models()`` tunes one by one): their ``_nuisance_tuning`` tunes each fitted nuisance
#: on its training rows (its conditional sample), in the order of :func:`nuisances_for`. PLR's and
#: PLIV's ``ml_g`` (IV-type score) is second-round: tuned on ``y - theta_initial d``, the estimate
#: from the tuned first-round learners' in-sample predictions (:mod:`pydmlserverless.tuning.grid`).
TUNABLE_MODELS = (*_classes(lambda entry: entry.grid_tuning), DoubleMLDIDBinary, DoubleMLDIDCSBinary)


def tuning_searches(model: Any, data: doubleml.DoubleMLData, tune_on_folds: bool) -> list[TuningSearch]:
    """The searches of DoubleML's ``tune()``, in the order it runs them (and draws their splits).

    Per treatment; per repetition with ``tune_on_folds``; per nuisance in DoubleML's order; per
    outer fold's training rows (or the whole data), restricted to the nuisance's conditional
    sample (IRM's ``ml_g0`` on the untreated, ...).

    Raises
    ------
    ConfigurationError
        For a model or score whose tuning is not planned here yet.
    """
    if not isinstance(model, TUNABLE_MODELS):
        raise ConfigurationError(
            f"A backend tuning of {type(model).__name__} is not available yet (PLR, PLIV, IRM, IIVM, APO, DID, "
            "DIDCS and PLPR are); its own tuning runs DoubleML's searches in this process."
        )
    if model.smpls is None:
        raise ConfigurationError(
            "The model has no sample splits; call draw_sample_splitting() or set_sample_splitting() first."
        )
    all_rows = np.arange(planned_rows(model))
    derived = derived_columns(model, data)
    out = []
    for treatment in data.d_cols:
        reps = range(model.n_rep) if tune_on_folds else [0]
        for rep in reps:
            trains = [train for train, _ in model.smpls[rep]] if tune_on_folds else [all_rows]
            for nu in nuisances_for(model, data, treatment):
                if not nu.fitted:  # e.g. IIVM's ml_r0 without always-takers: DoubleML tunes nothing
                    continue
                for fold, train in enumerate(trains):
                    rows = np.asarray(train)
                    if nu.subset is not None:
                        rows = rows[derived_values(data, derived, nu.subset[0])[rows] == nu.subset[1]]
                    out.append(TuningSearch(treatment, nu, rep, fold, rows))
    return out


def untuned_nuisances(model: Any, data: doubleml.DoubleMLData, treatment: str) -> list[str]:
    """The nuisances DoubleML's ``tune()`` reports without a search (``None`` parameters): IIVM's constant ``ml_r``."""
    return [nu.name for nu in nuisances_for(model, data, treatment) if nu.constant is not None]


def set_tuned_params(model: Any, tuning_res: list, tune_on_folds: bool) -> None:
    """Set the chosen parameters as DoubleML's ``tune(set_as_params=True)`` sets them."""
    for i_d, treatment in enumerate(_compat.data_of(model).d_cols):
        if tune_on_folds:
            per_rep = [tuning_res[rep][i_d]["params"] for rep in range(model.n_rep)]
            for name in per_rep[0]:
                model.set_ml_nuisance_params(name, treatment, [params[name] for params in per_rep])
        else:
            for name, params in tuning_res[i_d]["params"].items():
                model.set_ml_nuisance_params(name, treatment, params[0])


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


def second_round(sub: SubFit, spec: FitSpec, subs: list[SubFit], predictions: Mapping[str, Predictions]) -> SecondRound:
    """What a sub-fit's second-round tasks need from the first round's predictions (``predictions`` by label).

    The IV-type scores' ``theta_initial`` (:func:`theta_initials`); for LPLR's outer folds, DoubleML's
    fold-specific target of ``ml_t``, ``logit(clip(M_inner_i, 1e-8, 1 - 1e-8))`` on fold ``i``'s
    training rows, and the instrument score's ``ml_m`` sample weights ``M (1 - M)``, ``M`` being
    ``ml_M``'s cross-fitted predictions (``DoubleMLLPLR._nuisance_est``'s operations, in its order).
    """
    model = sub.model
    if isinstance(model, HALVED_MODELS):
        return _halved_second_round(model, spec, subs, predictions)
    if not isinstance(model, doubleml.DoubleMLLPLR):
        return SecondRound(thetas=theta_initials(model, sub.data, predictions[sub.label]))
    given = _lplr_external(model, subs, predictions)
    targets: dict[tuple[str, str, int], np.ndarray] = {}
    weights: dict[tuple[str, str, int], np.ndarray] = {}
    for d, nuisance in spec.fitted(second_round=True):
        for rep in range(spec.n_rep):
            if nuisance.name == "ml_t":
                values = np.full((spec.n_obs, spec.n_folds), np.nan)
                for i, (train, _) in enumerate(model.smpls[rep]):
                    inner = np.clip(given[d][f"ml_M_inner_{i}"][:, rep].astype(float)[train], 1e-8, 1 - 1e-8)
                    values[train, i] = scipy.special.logit(inner)
                targets[(d, nuisance.name, rep)] = values
            else:  # the instrument score's ml_m
                outer = given[d]["ml_M"][:, rep].astype(float)
                weights[(d, nuisance.name, rep)] = outer * (1 - outer)
    return SecondRound(targets=targets, weights=weights)


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


def check_fit_options(
    model: Any, n_jobs_cv: Any, store_predictions: Any, external_predictions: Any, store_models: Any
) -> None:
    """DoubleML's checks of ``fit()``'s arguments, with its error types and messages."""
    if n_jobs_cv is not None and (not isinstance(n_jobs_cv, int) or isinstance(n_jobs_cv, bool)):
        raise InvalidTypeError(
            "The number of CPUs used to fit the learners must be of int type. "
            f"{n_jobs_cv!s} of type {type(n_jobs_cv)!s} was passed."
        )
    if not isinstance(store_predictions, bool):
        raise InvalidTypeError(f"store_predictions must be True or False. Got {store_predictions!s}.")
    if not isinstance(store_models, bool):
        raise InvalidTypeError(f"store_models must be True or False. Got {store_models!s}.")
    check_external_predictions(model, external_predictions)


def set_models(model: Any, models: Mapping[str, Mapping[str, list[list[Any]]]]) -> None:
    """Put the fitted learners where DoubleML's ``fit(store_models=True)`` puts them (``model.models``)."""
    _compat.set_models(model, {name: {d: list(reps) for d, reps in by_d.items()} for name, by_d in models.items()})


def forget_predictions(model: Any) -> None:
    """Leave the model as DoubleML's ``fit(store_predictions=False)`` does: no predictions, no targets."""
    _compat.forget_predictions(model)


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
            if nu.constant is None:
                base = derived_values(data, spec.derived, nu.target)
            else:
                base = np.full(n_obs, nu.constant)
            mask = np.ones(n_obs, dtype=bool)
            if nu.subset is not None:
                mask = derived_values(data, spec.derived, nu.subset[0]) == nu.subset[1]
            for rep in range(n_rep):
                target = base
                if nu.second_round:
                    target = base - thetas[(treatment, rep)] * frame[treatment].to_numpy(dtype=np.float64)
                target = np.where(mask, target, np.nan)
                targets[nu.name][:, rep, i_d] = target
                pred = model.predictions[nu.name][:, rep, i_d]
                losses[nu.name][rep, i_d] = _loss(target, pred, classifier=nu.method == "predict_proba")
    return targets, losses


def seeded_nuisance_params(model: Any, data: doubleml.DoubleMLData, seed: int) -> dict[Any, Any]:
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
        ``{nuisance name: {treatment: [[params of each fold] for each rep]}}``; for a container
        model (APOS, DIDMulti) that of each sub-model in ``modellist``, keyed as its
        ``external_predictions`` are (treatment level, ``'ATT(g,t_pre,t_eval)'``), for the
        sub-models' ``set_ml_nuisance_params``.

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
    subs = sub_fits(model, data)  # the data the learners see (PLPR's transformed panel, DIDMulti's cells)
    if is_container(model):
        return {sub.key: _seeded_params(sub_fit_spec(sub, check=False), seed) for sub in subs}
    out: dict[Any, Any] = {}
    for sub in subs:  # LPLR's inner folds share seeds over the outer folds; PQ's first halves take ml_m's
        spec = sub_fit_spec(sub, check=False)
        if spec.seed_folds is None:
            out.update(_seeded_params(spec, seed))
    return out


def _seeded_params(spec: FitSpec, seed: int) -> dict[str, dict[str, list[list[dict]]]]:
    out: dict[str, dict[str, list[list[dict]]]] = {}
    for treatment, nuisance in spec.fitted(False) + spec.fitted(True):
        if is_placeholder(spec.learners[nuisance.learner]):  # never fitted: its predictions are given
            continue
        out.setdefault(nuisance.name, {})[treatment] = [
            fold_params(spec, nuisance, treatment, rep, seed) for rep in range(spec.n_rep)
        ]
    return out


@contextlib.contextmanager
def doubleml_errors(
    learner_names: tuple[str, ...] = (), explain: Callable[[], str | None] | None = None
) -> Iterator[None]:
    """Re-raise DoubleML's own input errors as the package's (same builtin base, DoubleML's message).

    A ``TypeError`` of DoubleML's learner checks names the learner argument (``ml_m``, ...) it
    is about and becomes a :class:`LearnerError`; any other ``TypeError`` an
    :class:`InvalidTypeError`, a ``ValueError`` an :class:`InvalidInputError`. ``explain``, called
    then, may name a problem of the data that the package's own check finds (e.g. the column and
    its values): it follows DoubleML's message, and the error is a :class:`DataError`.
    """
    try:
        yield
    except (TypeError, ValueError) as exc:
        message = str(exc)
        detail = explain() if explain is not None else None
        if detail:  # a problem of the data, which the package's check names
            message = message if detail in message else f"{message} ({detail})"
            raise (DataTypeError if isinstance(exc, TypeError) else DataError)(message) from exc
        if isinstance(exc, TypeError):
            about_learner = any(name in str(exc) for name in learner_names)
            raise (LearnerError if about_learner else InvalidTypeError)(message) from exc
        raise InvalidInputError(message) from exc


# --------------------------------------------------------------------------- the operations' arguments


def doubleml_arguments(model: Any, operation: str, args: tuple, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments of DoubleML's own ``operation`` (``fit``, ``tune``, ``tune_ml_models``), bound as DoubleML does.

    Positional arguments and defaults are DoubleML's (a container model's ``fit`` takes
    ``n_jobs_models`` first, as DoubleML's); an argument DoubleML's method lacks raises Python's
    own ``TypeError``.
    """
    import inspect

    base = next(c for c in type(model).__mro__ if c.__module__.startswith("doubleml"))
    signature = inspect.signature(getattr(base, operation))
    try:
        bound = signature.bind(model, *args, **kwargs)
    except TypeError as exc:
        raise TypeError(f"{operation}() {exc}") from None
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    del arguments[next(iter(signature.parameters))]  # self
    return arguments


def stage_data(data: Any, store: Any, derived: Any, force: bool = False) -> str:
    """Store a fit's dataset (its model columns and derived indicators) once; its store key.

    A :class:`~pydmlserverless.doubleml.data.DoubleMLDataS3` staged into its own bucket is uploaded by
    the data object itself (which remembers that it did); other data are encoded here. ``force``
    writes it again (after a worker found it corrupt).
    """
    if isinstance(data, S3StagedData) and store is data.store and not derived:
        return data.store_and_upload_to_s3(force=force)
    # with derived indicators the stored dataset is the model's, not the data object's
    return stage_dataset(data, store, force=force, derived=derived)[0]


def treatments(model: Any) -> list[str]:
    """The model's treatment columns, in DoubleML's order."""
    return list(_compat.data_of(model).d_cols)


def tuning_data(model: Any, data: Any) -> Any:
    """The data a model's learners are tuned on: PLPR's transformed panel, else ``data``."""
    return sub_fits(model, data)[0].data if isinstance(model, doubleml.DoubleMLPLPR) else data


def is_iv_type_pliv(model: Any) -> bool:
    """A PLIV model with the IV-type score's ``ml_g``, which DoubleML's own Optuna tuning cannot tune."""
    return isinstance(model, doubleml.DoubleMLPLIV) and "ml_g" in model.learner


def optuna_helpers() -> _compat.OptunaHelpers:
    """DoubleML's Optuna tuning helpers, which the fan-out reuses (:class:`._compat.OptunaHelpers`)."""
    return _compat.optuna_helpers()


def check_tune_ml_models_args(
    model: Any,
    ml_param_space: Any,
    scoring_methods: Any,
    cv: Any,
    set_as_params: Any,
    return_tune_res: Any,
    optuna_settings: Any,
) -> tuple[list[dict[str, Any]], Any]:
    """DoubleML's checks of ``tune_ml_models()``'s arguments, with its messages, before anything runs.

    Returns each unit's expanded parameter spaces and scoring methods (by params name), and the
    resolved ``cv``.
    """
    dml = optuna_helpers()
    resolved = []
    models = list(model.modellist) if is_container(model) else [model]
    for sub in models:
        spaces, scoring = _compat.validate_optuna_arguments(sub, ml_param_space, scoring_methods, optuna_settings)
        resolved.append({"spaces": spaces, "scoring": scoring})
    cv_splitter = dml.resolve_cv(cv)
    if not isinstance(set_as_params, bool):
        raise TypeError(f"set_as_params must be True or False. Got {set_as_params!s}.")
    if not isinstance(return_tune_res, bool):
        raise TypeError(f"return_tune_res must be True or False. Got {return_tune_res!s}.")
    return resolved, cv_splitter


def optuna_tuning_res(model: Any, results: list[tuple[Any, str, str, Any]]) -> list[Any]:
    """DoubleML's ``tune_ml_models()`` return: per treatment ``{params_name: result}``; a container's per sub-model.

    ``results`` holds each study's (model or sub-model, treatment, params name, result).
    """

    def one(unit_model: Any, treatment: str) -> dict[str, Any]:
        mine = {name: result for (owner, d, name, result) in results if owner is unit_model and d == treatment}
        return {name: mine.get(name) for name in unit_model.params_names if name in mine or _reported(unit_model, name)}

    if is_container(model):
        return [one(sub, _compat.data_of(sub).d_cols[0]) for sub in model.modellist]
    return [one(model, d) for d in _compat.data_of(model).d_cols]


def _reported(model: Any, name: str) -> bool:
    """IIVM's ``ml_r0`` / ``ml_r1`` without the subgroup: DoubleML reports them as ``None``."""
    return isinstance(model, doubleml.DoubleMLIIVM) and name in ("ml_r0", "ml_r1")


def set_optuna_params(model: Any, tuning_res: list[Any]) -> None:
    """As DoubleML's ``tune_ml_models(set_as_params=True)``: each study's best parameters (None where untuned)."""
    if is_container(model):
        pairs = [(sub, _compat.data_of(sub).d_cols[0], res) for sub, res in zip(model.modellist, tuning_res)]
    else:
        pairs = [(model, d, res) for d, res in zip(_compat.data_of(model).d_cols, tuning_res)]
    for target, treatment, res in pairs:
        for name, result in res.items():
            target.set_ml_nuisance_params(name, treatment, None if result is None else result.best_params)
