"""DoubleML models whose nuisance fits run on a task backend.

Each class is-a its DoubleML class: construction, sample splitting and everything after the fit
(``summary``, ``bootstrap``, ``confint``, ``p_adjust``, ``sensitivity_analysis``, ...) are
DoubleML's own. ``fit()``, ``tune()`` and ``tune_ml_models()`` with a ``backend``
(:mod:`pydmlserverless.doubleml.methods`; ``fit_local()``, ``fit_aws_lambda()`` and the other shims
call them) compute the cross-fitted predictions there and pass them to DoubleML's
``fit(external_predictions=...)``. The list of classes is the registry's
(:mod:`pydmlserverless.doubleml.registry`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import doubleml
import numpy as np
from doubleml.did import DoubleMLDIDMulti

from .._checks import is_int
from ..errors import DataError, InvalidInputError, LearnerError
from ..worker.learners import encode_learner
from . import _compat
from .adapter import check_lplr_folds, doubleml_arguments, doubleml_errors, is_placeholder, refuse_unsupported_pliv
from .data import validate_data
from .methods import ContainerMethods, ServerlessMethods
from .registry import MODELS

__all__ = [entry.class_name for entry in MODELS]


#: The share of this machine's memory a fit's sample splits may take (DoubleML draws them all at once).
_SPLITS_MEMORY_SHARE = 0.5


def _check_before_doubleml(data: Any, n_folds: Any, n_rep: Any) -> None:
    """What must be refused before DoubleML's constructor draws the splits: a plan too large for memory.

    Everything else DoubleML checks itself, first, with its own errors and messages.
    """
    valid = is_int(n_folds) and is_int(n_rep) and n_folds >= 2 and n_rep >= 1
    if valid and isinstance(data, doubleml.DoubleMLData):
        _check_plan_fits_in_memory(data, int(n_folds), int(n_rep))


def _check_after_doubleml(data: Any, learners: dict[str, Any]) -> None:
    """The package's own checks, once DoubleML has accepted the model: data and learners that travel."""
    validate_data(data)
    if not isinstance(data, doubleml.DoubleMLPanelData):  # a panel's treatment is the group (DoubleML checks it)
        _check_not_constant(data)
    for name, learner in learners.items():
        if learner is not None and not is_placeholder(learner):
            try:
                encode_learner(learner)
            except LearnerError as exc:
                raise LearnerError(f"{name}: {exc}") from None


def _check_not_constant(data: doubleml.DoubleMLData) -> None:
    """A constant outcome or treatment has no effect to estimate (DoubleML returns coef 0, se 0 or NaN)."""
    for role, col in [("outcome", data.y_col)] + [("treatment", d) for d in data.d_cols]:
        values = data.data[col].to_numpy(dtype=np.float64)
        if values.size and np.all(values == values[0]):
            raise DataError(f"The {role} column {col!r} is constant (every value is {values[0]:g}): there is no "
                            "effect to estimate. Check the column roles (y_col, d_cols).")  # fmt: skip


def _check_plan_fits_in_memory(data: doubleml.DoubleMLData, n_folds: int, n_rep: int) -> None:
    """Refuse before DoubleML draws the splits: it holds every repetition's train and test rows at once."""
    n_obs = len(data.data)
    needed = (
        8 * n_obs * n_folds * n_rep
    )  # the folds' train and test index arrays of one repetition hold n_folds * n_obs
    try:
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return
    if needed > _SPLITS_MEMORY_SHARE * memory:
        raise InvalidInputError(
            f"n_rep={n_rep} x n_folds={n_folds} x {n_obs:,} observations: the sample splits alone would take "
            f"{needed / 2**30:,.1f} GiB, more than half of this machine's {memory / 2**30:,.1f} GiB. Use fewer "
            "repetitions (n_rep) or folds."
        )


def _check_group_sizes(data: doubleml.DoubleMLData, col: str, n_folds: int, model: str) -> None:
    """Each group of a binary column must reach every fold's training rows (DoubleML fits within groups)."""
    values = data.data[col].to_numpy(dtype=np.float64)
    for level in (0.0, 1.0):
        _refuse_small_group(model, f"have {col} == {level:g}", int((values == level).sum()), n_folds)


def _refuse_small_group(model: str, group: str, size: int, n_folds: int, fitted: str = "") -> None:
    """A group a learner is fitted within must have a row in every fold's training rows."""
    if size < n_folds:
        raise DataError(
            f"{model}: only {size} observation(s) {group}, fewer than n_folds={n_folds}; "
            f"{fitted or 'the learners fitted on that group'} would have no training rows in some folds. "
            "Use fewer folds or more data."
        )


def _refuse_small_level(model: str, level: str, treated: Any, n_folds: int) -> None:
    """Both groups of a treatment level (at it, and not at it) must reach every fold's training rows."""
    at = int(np.sum(treated))
    for label, size in (("at", at), ("not at", int(np.size(treated)) - at)):
        _refuse_small_group(model, f"are {label} {level}", size, n_folds)


def _binary_problem(data: Any, cols: list[str], role: str, model: str) -> str | None:
    """What is wrong with a column that should be binary (0 and 1), or None."""
    for col in cols:
        if col not in data.data:
            continue
        values = data.data[col].to_numpy(dtype=np.float64)
        levels = np.unique(values)
        if not np.all((values == 0) | (values == 1)) or levels.size != 2:
            shown = f"{levels[:6].tolist()}{' ...' if levels.size > 6 else ''}"
            return f"{model} needs a binary {role} with values 0 and 1; column {col!r} has values {shown}"
    return None


def _check_binary(data: doubleml.DoubleMLData, cols: list[str], role: str, model: str) -> None:
    problem = _binary_problem(data, cols, role, model)
    if problem:
        raise DataError(f"{problem}.")


def _explain_binary(data: Any, roles: Sequence[tuple[str, str]], model: str) -> Any:
    """For :func:`doubleml_errors`: the binary-column problem DoubleML's message is about, if any."""

    def explain() -> str | None:
        if not isinstance(data, doubleml.DoubleMLData):
            return None
        for attr, role in roles:
            problem = _binary_problem(data, list(getattr(data, attr) or []), role, model)
            if problem:
                return problem
        return None

    return explain


class _Constructor:
    """The one constructor of the model classes: ``(lambda_function_name, aws_region, *DoubleML's own arguments)``.

    DoubleML's constructor checks first, with its own errors and messages (:func:`doubleml_errors`,
    and ``_binary``: the columns that must be binary, named when DoubleML's message is about them);
    then the package checks what travels (data, learners) and the model's own ``_check_model``.
    """

    #: ``(data attribute, role)`` of the columns that must be binary (0 and 1).
    _binary: tuple[tuple[str, str], ...] = ()
    #: Learners are fitted within the treatment's groups: each must reach every fold's training rows.
    _fitted_by_treatment_group = False

    def __init__(self, lambda_function_name: str | None, aws_region: str | None, *args: Any, **kwargs: Any) -> None:
        arguments = doubleml_arguments(self, "__init__", args, kwargs)
        data = arguments["obj_dml_data"]
        _check_before_doubleml(data, arguments.get("n_folds"), arguments.get("n_rep"))
        name = type(self).__name__
        with doubleml_errors(
            ("ml_l", "ml_g", "ml_m", "ml_r", "ml_M", "ml_t", "ml_a"), _explain_binary(data, self._binary, name)
        ):
            _doubleml_class(self).__init__(self, **arguments)
        # a container model (APOS, DIDMulti) keeps its learners without DoubleML's public property
        _check_after_doubleml(data, _compat.learners_of(self))
        for attr, role in self._binary:
            _check_binary(data, list(getattr(data, attr) or []), role, name)
        if self._fitted_by_treatment_group:
            _check_group_sizes(data, data.d_cols[0], arguments["n_folds"], name)
        self._check_model(data, arguments)
        self._init_serverless(lambda_function_name, aws_region, data)  # type: ignore[attr-defined]

    def _check_model(self, data: Any, arguments: dict[str, Any]) -> None:
        """The model's own checks once DoubleML has accepted it (none by default)."""


def _doubleml_class(model: Any) -> Any:
    return next(c for c in type(model).__mro__ if c.__module__.startswith("doubleml"))


class ServerlessModel(_Constructor, ServerlessMethods):
    """A DoubleML model on a backend (mixed in before its DoubleML class)."""


class ContainerModel(_Constructor, ContainerMethods):
    """A DoubleML model of sub-models on a backend (APOS, DIDMulti)."""


class DoubleMLPLRServerless(ServerlessModel, doubleml.DoubleMLPLR):
    """Partially linear regression (DoubleML's :class:`~doubleml.DoubleMLPLR`) on a task backend.

    Parameters
    ----------
    lambda_function_name : str or None
        Name of the deployed LambdaCVPredict function (None for local fits only).
    aws_region : str or None
        AWS region of the function (None: the SDK's default).
    obj_dml_data : DoubleMLDataS3 or doubleml.DoubleMLData
        The data.
    ml_l, ml_m, ml_g, n_folds, n_rep, score, draw_sample_splitting
        As for :class:`doubleml.DoubleMLPLR`; ``ml_g`` is fitted in a second round on
        ``y - theta_initial * d`` for the IV-type score, as DoubleML does.

    Examples
    --------
    >>> import numpy as np
    >>> from doubleml.plm.datasets import make_plr_CCDDHNR2018
    >>> from sklearn.linear_model import LassoCV
    >>> np.random.seed(1)
    >>> data = make_plr_CCDDHNR2018(n_obs=200, dim_x=5)
    >>> model = DoubleMLPLRServerless(None, None, data, LassoCV(), LassoCV(), n_folds=3)
    >>> _ = model.fit_local(n_jobs=1, seed=7, progress=False)
    >>> model.coef.shape
    (1,)
    """


class DoubleMLPLIVServerless(_compat.PLIVVariants, ServerlessModel, doubleml.DoubleMLPLIV):
    """Partially linear IV regression (DoubleML's :class:`~doubleml.DoubleMLPLIV`) on a task backend.

    One or several instruments; with several, ``ml_m`` is fitted per instrument (``ml_m_<z>``).

    Parameters
    ----------
    lambda_function_name, aws_region
        As for :class:`DoubleMLPLRServerless`.
    obj_dml_data : DoubleMLDataS3 or doubleml.DoubleMLData
        The data, with ``z_cols``.
    ml_l, ml_m, ml_r, ml_g, n_folds, n_rep, score, draw_sample_splitting
        As for :class:`doubleml.DoubleMLPLIV`.
    """

    refuse = staticmethod(refuse_unsupported_pliv)  # DoubleML's PLIV variants (_compat.PLIVVariants)


class DoubleMLIRMServerless(ServerlessModel, doubleml.DoubleMLIRM):
    """Interactive regression model (DoubleML's :class:`~doubleml.DoubleMLIRM`) on a task backend.

    ``ml_g`` is fitted separately on the treated and untreated training rows (``ml_g1``, ``ml_g0``).

    Parameters
    ----------
    lambda_function_name, aws_region
        As for :class:`DoubleMLPLRServerless`.
    obj_dml_data : DoubleMLDataS3 or doubleml.DoubleMLData
        The data; one binary (0/1) treatment.
    ml_g, ml_m, n_folds, n_rep, score, weights, normalize_ipw, trimming_rule, trimming_threshold,
    ps_processor_config, draw_sample_splitting
        As for :class:`doubleml.DoubleMLIRM` (scores ``'ATE'`` and ``'ATTE'``).
    """

    _binary = (("d_cols", "treatment"),)
    _fitted_by_treatment_group = True


class DoubleMLIIVMServerless(ServerlessModel, doubleml.DoubleMLIIVM):
    """Interactive IV model (DoubleML's :class:`~doubleml.DoubleMLIIVM`) on a task backend.

    Parameters
    ----------
    lambda_function_name, aws_region
        As for :class:`DoubleMLPLRServerless`.
    obj_dml_data : DoubleMLDataS3 or doubleml.DoubleMLData
        The data; one binary treatment and one binary instrument.
    ml_g, ml_m, ml_r, n_folds, n_rep, score, subgroups, normalize_ipw, trimming_rule,
    trimming_threshold, ps_processor_config, draw_sample_splitting
        As for :class:`doubleml.DoubleMLIIVM` (score ``'LATE'``).
    """

    _binary = (("d_cols", "treatment"), ("z_cols", "instrument"))

    def _check_model(self, data: Any, arguments: dict[str, Any]) -> None:
        for col in (data.d_cols[0], *(data.z_cols or [])):
            _check_group_sizes(data, col, arguments["n_folds"], type(self).__name__)


class DoubleMLAPOServerless(ServerlessModel, doubleml.DoubleMLAPO):
    """Average potential outcome of one treatment level (DoubleML's :class:`~doubleml.DoubleMLAPO`) on a task backend.

    ``ml_g`` is fitted on the rows at the treatment level (``ml_g_d_lvl1``, on the covariates) and on
    the others (``ml_g_d_lvl0``, on the treatment and the covariates, as DoubleML does); ``ml_m``
    is the propensity of the level. The treated indicator travels as a column of the stored data.

    Parameters
    ----------
    lambda_function_name, aws_region
        As for :class:`DoubleMLPLRServerless`.
    obj_dml_data : DoubleMLDataS3 or doubleml.DoubleMLData
        The data; one (possibly multi-valued) treatment.
    ml_g, ml_m, treatment_level, n_folds, n_rep, score, weights, normalize_ipw, trimming_rule,
    trimming_threshold, ps_processor_config, draw_sample_splitting
        As for :class:`doubleml.DoubleMLAPO`.

    Examples
    --------
    >>> import numpy as np
    >>> from doubleml.irm.datasets import make_irm_data_discrete_treatments
    >>> from doubleml import DoubleMLData
    >>> from sklearn.linear_model import LinearRegression, LogisticRegression
    >>> np.random.seed(3)
    >>> raw = make_irm_data_discrete_treatments(n_obs=300)
    >>> data = DoubleMLData.from_arrays(raw["x"], raw["y"], raw["d"])
    >>> model = DoubleMLAPOServerless(None, None, data, LinearRegression(), LogisticRegression(), treatment_level=1)
    >>> model.fit_local(n_jobs=1, seed=1, progress=False).coef.shape
    (1,)
    """

    def _check_model(self, data: Any, arguments: dict[str, Any]) -> None:
        level = arguments["treatment_level"]
        _refuse_small_level(type(self).__name__, f"treatment_level={level!r}", self.treated, arguments["n_folds"])


class _QuantileModel:
    """What PQ and CVAR share: one binary treatment, both groups in every fold's training rows."""

    _binary: tuple[tuple[str, str], ...] = (("d_cols", "treatment"),)
    _fitted_by_treatment_group = True


class DoubleMLPQServerless(_QuantileModel, ServerlessModel, doubleml.DoubleMLPQ):
    """Potential quantile of a treatment level (DoubleML's :class:`~doubleml.DoubleMLPQ`) on a task backend.

    DoubleML estimates inside every outer fold: it halves the fold's training rows, cross-fits
    ``ml_m`` on the first half for a preliminary IPW estimate of the quantile, fits ``ml_g`` on the
    treated rows of the second half to ``y <= `` that estimate and refits ``ml_m`` on the fold's
    training rows. Each of those fits is a task: the preliminary folds of every outer fold and the
    refit in a first round (the preliminary folds with fold ``k``'s ``ml_m`` parameters and seed,
    as DoubleML fits a copy of it), ``ml_g`` in a second round on the target staged per fold. The
    preliminary estimates are computed in this process with DoubleML's own propensity processing
    and root finding, repetition after repetition as DoubleML chains their start values.

    Parameters
    ----------
    lambda_function_name, aws_region
        As for :class:`DoubleMLPLRServerless`.
    obj_dml_data : DoubleMLDataS3 or doubleml.DoubleMLData
        The data; one binary treatment.
    ml_g, ml_m, treatment, quantile, n_folds, n_rep, score, normalize_ipw, kde,
    trimming_rule, trimming_threshold, ps_processor_config, draw_sample_splitting
        As for :class:`doubleml.DoubleMLPQ` (both classifiers).

    Examples
    --------
    The median of both potential outcomes, each fold's fits on two local processes:

    >>> import numpy as np
    >>> from doubleml.irm.datasets import make_irm_data
    >>> from sklearn.linear_model import LogisticRegression as Logit
    >>> from pydmlserverless import Local
    >>> np.random.seed(3)
    >>> data = make_irm_data(n_obs=300, dim_x=3, return_type="DoubleMLData")
    >>> medians = {d: DoubleMLPQServerless(None, None, data, Logit(), Logit(), treatment=d) for d in (0, 1)}
    >>> for pq in medians.values():
    ...     _ = pq.fit(backend=Local(n_jobs=2), seed=1, progress=False)
    >>> sorted(medians), medians[1].quantile
    ([0, 1], 0.5)
    """


class DoubleMLCVARServerless(_QuantileModel, ServerlessModel, doubleml.DoubleMLCVAR):
    """Conditional value at risk of a treatment level (DoubleML's :class:`~doubleml.DoubleMLCVAR`) on a task backend.

    Fitted as :class:`DoubleMLPQServerless` (each fold's halves, preliminary ``ml_m`` folds and
    refit in a first round), with ``ml_g`` a regression of ``max(q, (y - tau q) / (1 - tau))`` at
    the fold's preliminary quantile ``q`` in the second round. DoubleML 0.11 takes no external
    predictions for CVAR: its nuisance estimation runs on the fanned-out predictions through the
    compatibility module (propensity processing, score elements at the mean preliminary quantile).

    Parameters
    ----------
    lambda_function_name, aws_region, obj_dml_data, ml_m, treatment, quantile, n_folds, n_rep,
    normalize_ipw, trimming_rule, trimming_threshold, ps_processor_config, draw_sample_splitting
        As for :class:`DoubleMLPQServerless`.
    ml_g : scikit-learn regressor
        For ``E[max(q, (Y - tau q) / (1 - tau)) | X, D = treatment]``.
    score : {'CVaR'}
        DoubleML's only score for it.

    Examples
    --------
    The upper quartile's CVaR of the treated outcome, with its timing report:

    >>> import numpy as np
    >>> from doubleml.irm.datasets import make_irm_data
    >>> from sklearn.linear_model import LinearRegression, LogisticRegression
    >>> np.random.seed(4)
    >>> data = make_irm_data(n_obs=300, dim_x=3, return_type="DoubleMLData")
    >>> cvar = DoubleMLCVARServerless(None, None, data, LinearRegression(), LogisticRegression(), quantile=0.75)
    >>> print(cvar.fit_local(n_jobs=1, seed=2, progress=False).fit_report)  # doctest: +ELLIPSIS
    Fit on local (1 process), scaling 'n_folds * n_rep': ... tasks...
    """


class _TwoPeriodDID:
    """What DoubleML's two-period DiD models share (``DoubleMLDID``, ``DoubleMLDIDCS``): a binary treatment."""

    _binary: tuple[tuple[str, str], ...] = (("d_cols", "treatment"),)
    _fitted_by_treatment_group = True


class DoubleMLDIDServerless(_TwoPeriodDID, ServerlessModel, doubleml.DoubleMLDID):
    """Difference-in-differences, two-period panel (DoubleML's :class:`~doubleml.DoubleMLDID`), on a task backend.

    ``ml_g`` is fitted on the untreated and the treated training rows (``ml_g0``, ``ml_g1``) to the
    outcome difference; ``ml_m``, the propensity, for the ``'observational'`` score only.

    Parameters
    ----------
    lambda_function_name, aws_region
        As for :class:`DoubleMLPLRServerless`.
    obj_dml_data : doubleml.DoubleMLDIDData or DoubleMLDIDDataS3
        The data (outcome differences); one binary treatment.
    ml_g, ml_m, n_folds, n_rep, score, in_sample_normalization, clipping_threshold, draw_sample_splitting
        As for :class:`doubleml.DoubleMLDID` (scores ``'observational'`` and ``'experimental'``).

    Examples
    --------
    >>> import numpy as np
    >>> from doubleml.did.datasets import make_did_SZ2020
    >>> from sklearn.linear_model import LinearRegression, LogisticRegression
    >>> np.random.seed(1)
    >>> data = make_did_SZ2020(n_obs=300, return_type="DoubleMLDIDData")
    >>> model = DoubleMLDIDServerless(None, None, data, LinearRegression(), LogisticRegression(), n_folds=3)
    >>> model.fit_local(n_jobs=1, seed=1, progress=False).coef.shape
    (1,)
    """


class DoubleMLDIDCSServerless(_TwoPeriodDID, ServerlessModel, doubleml.DoubleMLDIDCS):
    """Difference-in-differences, repeated cross-sections (DoubleML's :class:`~doubleml.DoubleMLDIDCS`), on a backend.

    ``ml_g`` is fitted in each (treatment, period) cell (``ml_g_d0_t0`` ... ``ml_g_d1_t1``); ``ml_m``,
    the propensity, for the ``'observational'`` score only. The cells' indicators travel as
    columns of the stored data.

    Parameters
    ----------
    lambda_function_name, aws_region
        As for :class:`DoubleMLPLRServerless`.
    obj_dml_data : doubleml.DoubleMLDIDData or DoubleMLDIDDataS3
        The data, with ``t_col``; one binary treatment.
    ml_g, ml_m, n_folds, n_rep, score, in_sample_normalization, clipping_threshold, draw_sample_splitting
        As for :class:`doubleml.DoubleMLDIDCS`.

    Examples
    --------
    >>> import numpy as np
    >>> from doubleml.did.datasets import make_did_SZ2020
    >>> from sklearn.linear_model import LinearRegression, LogisticRegression
    >>> np.random.seed(1)
    >>> data = make_did_SZ2020(n_obs=300, cross_sectional_data=True, return_type="DoubleMLDIDData")
    >>> model = DoubleMLDIDCSServerless(None, None, data, LinearRegression(), LogisticRegression(), n_folds=3)
    >>> model.fit_local(n_jobs=1, seed=1, progress=False).coef.shape
    (1,)
    """

    def _check_model(self, data: Any, arguments: dict[str, Any]) -> None:
        n_folds = arguments["n_folds"]
        d = data.data[data.d_cols[0]].to_numpy(dtype=np.float64)
        t = data.data[data.t_col].to_numpy(dtype=np.float64)
        for a in (0, 1):
            for b in (0, 1):
                group = f"have {data.d_cols[0]} == {a} and {data.t_col} == {b}"
                size = int(((d == a) & (t == b)).sum())
                _refuse_small_group("DoubleMLDIDCSServerless", group, size, n_folds, f"ml_g_d{a}_t{b}")


class DoubleMLAPOSServerless(ContainerModel, doubleml.DoubleMLAPOS):
    """Average potential outcomes of several treatment levels (DoubleML's :class:`~doubleml.DoubleMLAPOS`) on a backend.

    DoubleML estimates one :class:`~doubleml.DoubleMLAPO` per level on the same splits
    (``modellist``); here every level's nuisance fits go to the backend in one fan-out, the data
    and splits staged once, and DoubleML's own ``fit(external_predictions=...)`` estimates each
    level. ``causal_contrast()``, ``sensitivity_analysis()``, ``bootstrap()`` and the rest are
    DoubleML's.

    Parameters
    ----------
    lambda_function_name, aws_region
        As for :class:`DoubleMLPLRServerless`.
    obj_dml_data : DoubleMLDataS3 or doubleml.DoubleMLData
        The data; one (possibly multi-valued) treatment.
    ml_g, ml_m, treatment_levels, n_folds, n_rep, score, weights, normalize_ipw, trimming_rule,
    trimming_threshold, ps_processor_config, draw_sample_splitting
        As for :class:`doubleml.DoubleMLAPOS`.

    Examples
    --------
    >>> import numpy as np
    >>> from doubleml.irm.datasets import make_irm_data_discrete_treatments
    >>> from doubleml import DoubleMLData
    >>> from sklearn.linear_model import LinearRegression, LogisticRegression
    >>> np.random.seed(3)
    >>> raw = make_irm_data_discrete_treatments(n_obs=300)
    >>> data = DoubleMLData.from_arrays(raw["x"], raw["y"], raw["d"])
    >>> model = DoubleMLAPOSServerless(None, None, data, LinearRegression(), LogisticRegression(),
    ...                                treatment_levels=[0, 1, 2], n_folds=3)
    >>> model.fit_local(n_jobs=1, seed=1, progress=False).coef.shape
    (3,)
    >>> model.causal_contrast(reference_levels=0).thetas.shape
    (2,)
    """

    def _check_model(self, data: Any, arguments: dict[str, Any]) -> None:
        d = data.data[data.d_cols[0]].to_numpy(dtype=np.float64)
        for level in self.treatment_levels:
            _refuse_small_level(type(self).__name__, f"treatment level {level!r}", d == level, arguments["n_folds"])


class DoubleMLDIDMultiServerless(ContainerModel, DoubleMLDIDMulti):
    """Staggered-adoption difference-in-differences (DoubleML's :class:`~doubleml.did.DoubleMLDIDMulti`) on a backend.

    DoubleML estimates one two-period model per group-time cell, each on its own subsample with
    its own splits (``modellist``); here every cell's nuisance fits go to the backend in one
    fan-out (each cell's subsample and splits staged once), and DoubleML's own
    ``fit(external_predictions=...)`` estimates each cell. ``aggregate()`` (``'group'``,
    ``'time'``, ``'eventstudy'``), ``plot_effects()``, ``sensitivity_analysis()`` and the rest
    are DoubleML's.

    Parameters
    ----------
    lambda_function_name, aws_region
        As for :class:`DoubleMLPLRServerless`.
    obj_dml_data : doubleml.DoubleMLPanelData or DoubleMLPanelDataS3
        The panel (``panel=True``) or repeated cross-sections (``panel=False``).
    ml_g, ml_m, gt_combinations, control_group, anticipation_periods, n_folds, n_rep, score, panel,
    in_sample_normalization, trimming_rule, trimming_threshold, ps_processor_config,
    draw_sample_splitting, print_periods
        As for :class:`doubleml.did.DoubleMLDIDMulti`.

    Examples
    --------
    >>> import numpy as np
    >>> from doubleml import DoubleMLPanelData
    >>> from doubleml.did.datasets import make_did_CS2021
    >>> from sklearn.linear_model import LinearRegression, LogisticRegression
    >>> np.random.seed(2)
    >>> frame = make_did_CS2021(n_obs=200)
    >>> data = DoubleMLPanelData(frame, y_col="y", d_cols="d", t_col="t", id_col="id",
    ...                          x_cols=["Z1", "Z2", "Z3", "Z4"])
    >>> model = DoubleMLDIDMultiServerless(None, None, data, LinearRegression(), LogisticRegression(),
    ...                                    gt_combinations="standard", n_folds=3)
    >>> model.fit_local(n_jobs=1, seed=1, progress=False).coef.shape
    (12,)
    >>> model.aggregate("eventstudy").aggregated_frameworks.thetas.shape
    (6,)
    """


class DoubleMLPLPRServerless(ServerlessModel, doubleml.DoubleMLPLPR):
    """Partially linear panel regression (DoubleML's :class:`~doubleml.DoubleMLPLPR`) on a task backend.

    DoubleML transforms the panel by ``approach`` (first differences, within-group means or
    correlated random effects) when the model is made; the learners are fitted to the
    transformed data, which is what travels to the workers. For ``'cre_normal'`` ``ml_m`` also
    sees each treatment's mean over the unit, and for ``'cre_general'`` its predictions are
    recentred on it, as DoubleML does.

    Parameters
    ----------
    lambda_function_name, aws_region
        As for :class:`DoubleMLPLRServerless`.
    obj_dml_data : doubleml.DoubleMLPanelData or DoubleMLPanelDataS3
        The panel, with ``static_panel=True``.
    ml_l, ml_m, ml_g, n_folds, n_rep, score, approach, draw_sample_splitting
        As for :class:`doubleml.DoubleMLPLPR`.

    Examples
    --------
    >>> import numpy as np
    >>> from doubleml import DoubleMLPanelData
    >>> from doubleml.plm.datasets import make_plpr_CP2025
    >>> from sklearn.linear_model import LinearRegression
    >>> np.random.seed(3)
    >>> frame = make_plpr_CP2025(num_id=60, num_t=4, dim_x=5)
    >>> data = DoubleMLPanelData(frame, "y", "d", "time", "id", static_panel=True)
    >>> model = DoubleMLPLPRServerless(None, None, data, LinearRegression(), LinearRegression(), n_folds=3)
    >>> model.fit_local(n_jobs=1, seed=1, progress=False).coef.shape
    (1,)
    """


class DoubleMLLPLRServerless(ServerlessModel, doubleml.DoubleMLLPLR):
    """Logistic partially linear model (DoubleML's :class:`~doubleml.DoubleMLLPLR`) on a backend, double cross-fitted.

    DoubleML's LPLR cross-fits ``ml_M`` (the outcome on the treatment and covariates) and
    ``ml_a`` (the treatment on the covariates) twice: within each outer fold's training rows on
    inner folds, and each inner model also predicts the outer fold's test rows. Those
    ``2 x n_folds x n_folds_inner`` fits per repetition are tasks on the backend (one per outer
    fold, inner fold, learner and repetition with ``scaling='n_folds * n_rep'``; one per outer
    fold, learner and repetition with ``'n_rep'``). ``ml_m`` and ``ml_t`` (``2 x n_folds`` fits per
    repetition) are tasks too: ``ml_t`` in a second round, on the target per fold DoubleML computes
    from the inner predictions (the logit of ``ml_M``'s), staged by the client; ``ml_m`` on the
    training rows with ``y == 0`` (``'nuisance_space'``) or, in the second round, weighted by
    ``M (1 - M)`` (``'instrument'``). ``store_models=True`` keeps every learner: ``ml_m`` and
    ``ml_t`` per outer fold, ``ml_M`` and ``ml_a`` per outer fold a list of the inner folds'.

    Parameters
    ----------
    lambda_function_name, aws_region
        As for :class:`DoubleMLPLRServerless`.
    obj_dml_data : DoubleMLDataS3 or doubleml.DoubleMLData
        The data; a binary (0/1) outcome.
    ml_M, ml_t, ml_m, ml_a, n_folds, n_folds_inner, n_rep, score, draw_sample_splitting, error_on_convergence_failure
        As for :class:`doubleml.DoubleMLLPLR`; ``n_folds_inner`` must equal ``n_folds`` (DoubleML
        0.11 takes LPLR's external predictions only then).

    Examples
    --------
    >>> import numpy as np
    >>> from doubleml.plm.datasets import make_lplr_LZZ2020
    >>> from sklearn.linear_model import LinearRegression, LogisticRegression
    >>> np.random.seed(3)
    >>> data = make_lplr_LZZ2020(n_obs=300, dim_x=20)
    >>> model = DoubleMLLPLRServerless(None, None, data, LogisticRegression(), LinearRegression(), LinearRegression(),
    ...                                n_folds=3, n_folds_inner=3)
    >>> model.fit_local(n_jobs=1, seed=1, progress=False).coef.shape
    (1,)
    """

    def _check_model(self, data: Any, arguments: dict[str, Any]) -> None:
        check_lplr_folds(self)
