"""Plan a fit's tasks: one per treatment x nuisance x repetition (x fold).

The two scalings are the paper's: ``'n_folds * n_rep'`` gives one task per fold, ``'n_rep'`` one
task per repetition that fits all folds. Either way a learner gets the same per-fold parameters
and seed, so both give bit-identical predictions.

Planning sees a model only as a :class:`FitSpec` (made from a DoubleML model by
:func:`pydmlserverless.doubleml.adapter.fit_spec`) and writes :class:`~pydmlserverless.worker.protocol.Task`
objects; it imports neither DoubleML nor the worker.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ConfigurationError
from ..worker import protocol
from ..worker.learners import encode_learner, encode_params, set_random_states
from ..worker.protocol import ResultSpec, Subset, Target, Task, TaskPayload

__all__ = [
    "SCALINGS",
    "Nuisance",
    "FitSpec",
    "StagedFit",
    "SecondRound",
    "StagedInputs",
    "check_scaling",
    "fold_groups",
    "task_seed",
    "fold_params",
    "count_tasks",
    "plan_tasks",
]

#: The supported scalings: one task per fold, or one per repetition.
SCALINGS = ("n_folds * n_rep", "n_rep")


def check_scaling(scaling: Any) -> str:
    """Return the canonical scaling name or raise :class:`ConfigurationError`.

    Examples
    --------
    >>> check_scaling("n_folds*n_rep")
    'n_folds * n_rep'
    """
    if isinstance(scaling, str):
        compact = scaling.replace(" ", "")
        for name in SCALINGS:
            if compact == name.replace(" ", ""):
                return name
    raise ConfigurationError(f"Unknown scaling {scaling!r}. Valid scalings are {' and '.join(map(repr, SCALINGS))}.")


def fold_groups(scaling: str, n_folds: int) -> list[tuple[int, ...]]:
    """The folds of each task of one repetition: what a scaling means.

    Examples
    --------
    >>> fold_groups("n_folds * n_rep", 3), fold_groups("n_rep", 3)
    ([(0,), (1,), (2,)], [(0, 1, 2)])
    """
    if scaling == "n_folds * n_rep":
        return [(fold,) for fold in range(n_folds)]
    if scaling == "n_rep":
        return [tuple(range(n_folds))]
    raise ConfigurationError(f"Unknown scaling {scaling!r}; check it with check_scaling() first.")


def task_seed(seed: int, treatment: str, nuisance: str, rep: int, fold: int) -> int:
    """The learner ``random_state`` of one fold's fit, derived from the fit's seed.

    Identical for every scaling, backend and front end.

    Examples
    --------
    >>> task_seed(42, "d", "ml_l", 0, 0) == task_seed(42, "d", "ml_l", 0, 0)
    True
    """
    text = f"{int(seed)}|{treatment}|{nuisance}|{int(rep)}|{int(fold)}".encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:4], "little") & 0x7FFFFFFF


@dataclass(frozen=True)
class Nuisance:
    """One nuisance function of one treatment.

    Attributes
    ----------
    name : str
        DoubleML's parameter name (a key of ``external_predictions[treatment]``).
    learner : str
        Key of the model's ``learner`` dict whose estimator is fitted.
    target : str
        Column the learner is fitted to.
    method : str
        ``"predict"`` or ``"predict_proba"``.
    subset : tuple of (str, float) or None
        Fit only on training rows where this column equals this value.
    second_round : bool
        Fitted in a second round, on what the first round's predictions give: the target
        ``target - theta_initial * treatment`` (IV-type scores), or a target per fold and sample
        weights the client computes and stages (LPLR's ``ml_t`` and ``ml_m``, PQ's and CVAR's ``ml_g``).
    constant : float or None
        Not fitted but set (predictions and targets) to this constant, e.g. IIVM's ``ml_r0``
        without always-takers; it is reported, never planned as a task.
    external : bool
        Its predictions were given (DoubleML's ``external_predictions``): never planned as a task.
    features : tuple of str, optional
        Its own feature columns, where they are not the treatment's (e.g. APO's ``ml_g_d_lvl0``
        fits on the treatment and the covariates).
    """

    name: str
    learner: str
    target: str
    method: str
    subset: tuple[str, float] | None = None
    second_round: bool = False
    constant: float | None = None
    external: bool = False
    features: tuple[str, ...] | None = None

    @property
    def fitted(self) -> bool:
        """Whether the nuisance is fitted by a task."""
        return self.constant is None and not self.external


#: Sample splits: per repetition, per fold, (train rows, test rows).
Splits = Sequence[Sequence[tuple[np.ndarray, np.ndarray]]]


@dataclass(frozen=True)
class FitSpec:
    """What planning needs to know of a model.

    Attributes
    ----------
    n_obs, n_rep, n_folds : int
        Observations, repetitions, folds.
    smpls : sequence
        The sample splits: ``smpls[rep][fold] == (train, test)``.
    learners : mapping of str to estimator
        The model's learners by key.
    nuisances : mapping of str to tuple of Nuisance
        Per treatment, the nuisance functions, in DoubleML's order.
    features : mapping of str to tuple of str
        Per treatment, the feature columns.
    params : mapping of (str, str) to tuple
        Per (nuisance, treatment), per repetition, per fold: the user's learner parameters.
    derived : mapping of str to tuple of (str, float) or None
        Columns the stored dataset carries besides the model's: name to the (column, level)
        pairs whose conjunction it indicates, as 0/1 (APO's treated indicator, DIDCS's cells),
        or to None for a data column the model's roles do not name (PLPR's unit means).
    group : str
        For one sub-model of a container model (a treatment level of APOS, a group-time cell of
        DIDMulti): its label, which prefixes its task ids and enters its learners' seeds. Empty
        for a model of its own.
    seed_group : str, optional
        What enters the seeds instead of ``group`` (LPLR's outer folds share their inner folds'
        seeds, as DoubleML gives each inner fold the same parameters in every outer fold).
    folds_overlap : bool
        The folds' test rows overlap (each of LPLR's inner folds also predicts the outer fold's
        test rows): predictions are kept per fold, shape ``(n_obs, n_rep, n_folds)``.
    seed_folds : tuple of int, optional
        Per fold, the fold whose seed it takes (PQ's preliminary folds inside outer fold ``k``
        fit a copy of fold ``k``'s ``ml_m``); None: its own.
    """

    n_obs: int
    n_rep: int
    n_folds: int
    smpls: Splits
    learners: Mapping[str, Any]
    nuisances: Mapping[str, tuple[Nuisance, ...]]
    features: Mapping[str, tuple[str, ...]]
    params: Mapping[tuple[str, str], tuple[tuple[dict[str, Any], ...], ...]]
    derived: Mapping[str, tuple[tuple[str, float], ...] | None] = field(default_factory=dict)
    group: str = ""
    seed_group: str | None = None
    folds_overlap: bool = False
    seed_folds: tuple[int, ...] | None = None

    def seed_key(self, treatment: str) -> str:
        """The treatment as :func:`task_seed` sees it: a sub-model's treatment is prefixed by its group."""
        group = self.group if self.seed_group is None else self.seed_group
        return f"{group}/{treatment}" if group else treatment

    def features_of(self, treatment: str, nuisance: Nuisance) -> tuple[str, ...]:
        """The feature columns of one nuisance's fits."""
        return nuisance.features if nuisance.features is not None else tuple(self.features[treatment])

    def fitted(self, second_round: bool) -> list[tuple[str, Nuisance]]:
        """(treatment, nuisance) of the fitted nuisances of one round, in order."""
        return [
            (treatment, nu)
            for treatment, nuisances in self.nuisances.items()
            for nu in nuisances
            if nu.fitted and nu.second_round == second_round
        ]

    @property
    def has_second_round(self) -> bool:
        """Whether a nuisance's target needs first-round estimates (IV-type scores)."""
        return bool(self.fitted(second_round=True))


@dataclass(frozen=True)
class StagedFit:
    """Where a fit's inputs are stored.

    Attributes
    ----------
    store : dict
        The store's descriptor.
    dataset_key : str
        The dataset's key.
    splits_keys : list of str
        Per repetition, the key of the splits bundle holding it.
    results_prefix : str
        Where results are kept (:func:`~pydmlserverless.worker.protocol.results_prefix`).
    splits_members : list of int
        Per repetition, its position in that bundle.
    """

    store: dict[str, Any]
    dataset_key: str
    splits_keys: list[str]
    results_prefix: str
    splits_members: list[int]


@dataclass(frozen=True)
class SecondRound:
    """What a model's second round needs from the first round's predictions (the DoubleML door computes it).

    Attributes
    ----------
    thetas : mapping
        ``theta_initial`` by (treatment, rep): the IV-type scores' targets ``y - theta_initial d``.
    targets : mapping
        By (treatment, nuisance, rep), an array (n_obs, n_folds): each fold's target on its
        training rows (NaN elsewhere), as DoubleML's fold-specific targets.
    weights : mapping
        By (treatment, nuisance, rep), the sample weights of every row (n_obs,).
    """

    thetas: Mapping[tuple[str, int], float] = field(default_factory=dict)
    targets: Mapping[tuple[str, str, int], np.ndarray] = field(default_factory=dict)
    weights: Mapping[tuple[str, str, int], np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class StagedInputs:
    """Store keys of what a second round's tasks read besides the data, by (treatment, nuisance, rep).

    Attributes
    ----------
    targets : mapping
        A staged dataset whose column ``str(fold)`` is the fold's target (:class:`Target`'s ``per_fold``).
    weights : mapping
        A staged dataset whose column ``"weight"`` holds the sample weights.
    """

    targets: Mapping[tuple[str, str, int], str] = field(default_factory=dict)
    weights: Mapping[tuple[str, str, int], str] = field(default_factory=dict)


def fold_params(
    spec: FitSpec, nuisance: Nuisance, treatment: str, rep: int, seed: int | None, only_unset: bool = False
) -> list[dict[str, Any]]:
    """Each fold's learner parameters: the user's ``params`` plus the derived ``random_state``.

    Parameters set with ``set_ml_nuisance_params`` win over the derived seed; with ``only_unset``
    so do the learner's own ``random_state`` values that are not None.
    """
    learner = spec.learners[nuisance.learner]
    out = []
    for fold, user in enumerate(spec.params[(nuisance.name, treatment)][rep]):
        params = dict(user)
        if seed is not None:
            seed_fold = spec.seed_folds[fold] if spec.seed_folds is not None else fold
            derived = task_seed(seed, spec.seed_key(treatment), nuisance.name, rep, seed_fold)
            params = set_random_states(params, learner, derived, only_unset)
        out.append(params)
    return out


def count_tasks(spec: FitSpec, scaling: str, second_round: bool) -> int:
    """The number of tasks :func:`plan_tasks` makes for one round."""
    return len(spec.fitted(second_round)) * spec.n_rep * len(fold_groups(scaling, spec.n_folds))


def plan_tasks(
    spec: FitSpec,
    staged: StagedFit,
    scaling: str,
    seed: int | None,
    second_round: bool = False,
    thetas: Mapping[tuple[str, int], float] | None = None,
    seed_only_unset: bool = False,
    keep_results: bool = True,
    return_models: bool = False,
    staged_inputs: StagedInputs | None = None,
) -> list[Task]:
    """Build the tasks of one round of a fit.

    Parameters
    ----------
    spec : FitSpec
        The model.
    staged : StagedFit
        Store keys of the dataset and splits.
    scaling : str
        ``'n_folds * n_rep'`` or ``'n_rep'`` (canonical: see :func:`check_scaling`).
    seed : int or None
        Fit seed; None keeps the learners' own ``random_state``.
    second_round : bool
        Plan the nuisances whose target needs ``theta_initial`` (then ``thetas`` is required).
    thetas : mapping, optional
        ``theta_initial`` by (treatment, rep), for the second-round nuisances whose target it enters.
    staged_inputs : StagedInputs, optional
        The second round's staged per-fold targets and sample weights, by (treatment, nuisance, rep).
    seed_only_unset : bool, default False
        Seed only the learners' ``random_state`` parameters that are None (a seed drawn for the
        fit rather than given by the user).
    keep_results : bool, default True
        Ask the workers to keep every result in the store, so that a rerun finds it.
    return_models : bool, default False
        Ask the workers to store the learners they fit (``store_models=True``).

    Returns
    -------
    list of Task
    """
    groups = fold_groups(scaling, spec.n_folds)
    fitted = spec.fitted(second_round)
    # only the learners that run: a nuisance with given predictions may hold DoubleML's placeholder
    specs = {nu.learner: encode_learner(spec.learners[nu.learner]) for _, nu in fitted}
    # read at call time, so that a benchmark can move the threshold
    result_limit = protocol.INLINE_MAX_BYTES
    inputs = staged_inputs or StagedInputs()
    tasks = []
    for treatment, nuisance in fitted:
        subset = Subset(*nuisance.subset) if nuisance.subset else None
        for rep in range(spec.n_rep):
            target = Target(nuisance.target)
            per_fold = inputs.targets.get((treatment, nuisance.name, rep))
            if per_fold is not None:
                target = Target(nuisance.target, per_fold=per_fold)
            elif second_round and (treatment, nuisance.name, rep) not in inputs.weights:
                assert thetas is not None
                target = Target(nuisance.target, thetas[(treatment, rep)], treatment)
            learner = spec.learners[nuisance.learner]
            params = [
                encode_params(p, learner) for p in fold_params(spec, nuisance, treatment, rep, seed, seed_only_unset)
            ]
            for folds in groups:
                task_id = f"{spec.group + '/' if spec.group else ''}{treatment}/{nuisance.name}/r{rep}/" + (
                    f"f{folds[0]}" if len(folds) == 1 else "all"
                )
                payload = TaskPayload(
                    task_id=task_id,
                    bucket=staged.store.get("bucket") if staged.store.get("kind") == "s3" else None,
                    dataset=staged.dataset_key,
                    splits=staged.splits_keys[rep],
                    splits_member=staged.splits_members[rep],
                    rep=rep,
                    folds=folds,
                    learner=specs[nuisance.learner],
                    params=tuple(params[f] for f in folds),
                    target=target,
                    features=spec.features_of(treatment, nuisance),
                    subset=subset,
                    method=nuisance.method,
                    result=ResultSpec(result_limit, staged.results_prefix, keep_results),
                    return_models=return_models,
                    sample_weight=inputs.weights.get((treatment, nuisance.name, rep)),
                )
                n_test = sum(len(spec.smpls[rep][fold][1]) for fold in folds)
                tasks.append(Task(task_id, treatment, nuisance.name, rep, folds, payload, n_test, spec.group))
    return tasks
