"""Plan a fit's tasks: one per treatment x nuisance x repetition (x fold).

The two scalings are the paper's: ``'n_folds * n_rep'`` gives one task per fold, ``'n_rep'`` one
task per repetition that fits all folds. Either way a learner gets the same per-fold parameters
and seed, so both give bit-identical predictions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from .errors import ConfigurationError
from .learners import encode_learner, encode_params, set_random_states
from .nuisance import Nuisance, nuisances_for
from .worker import TASK_FORMAT_VERSION

__all__ = [
    "SCALINGS",
    "Task",
    "StagedFit",
    "check_scaling",
    "task_seed",
    "fold_params",
    "seeded_nuisance_params",
    "plan_tasks",
]

#: The supported scalings: one task per fold, or one per repetition.
SCALINGS = ("n_folds * n_rep", "n_rep")

#: Predictions larger than this (base64 bytes, about 6,100 rows) go through the store instead of the
#: response: inline they are base64 in JSON (10.7 bytes per row), in the store raw float64 (8 bytes
#: per row); from this size on a task's fit outweighs the extra S3 request (see docs/benchmarks.md).
INLINE_MAX_BYTES = 64 * 1024


def check_scaling(scaling: str) -> str:
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


@dataclass
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
        Where large results go.
    splits_members : list of int
        Per repetition, its position in that bundle.
    """

    store: dict
    dataset_key: str
    splits_keys: list[str]
    results_prefix: str
    splits_members: list[int]


@dataclass
class Task:
    """One unit of work for a backend.

    Attributes
    ----------
    task_id : str
        ``treatment/nuisance/r<rep>/f<fold>`` (``/all`` for all folds).
    treatment, nuisance : str
        Treatment column and DoubleML nuisance name.
    rep : int
        Repetition index.
    folds : tuple of int
        Fold indices the task fits.
    payload : dict
        The JSON-safe message the worker receives.
    """

    task_id: str
    treatment: str
    nuisance: str
    rep: int
    folds: tuple[int, ...]
    payload: dict = field(repr=False)

    def describe(self) -> str:
        """Human-readable coordinates, for messages."""
        folds = "all folds" if len(self.folds) > 1 else f"fold {self.folds[0]}"
        return f"treatment {self.treatment!r}, learner {self.nuisance!r}, rep {self.rep}, {folds}"

    def coordinates(self) -> dict:
        """The task's coordinates as a dict."""
        return {"treatment": self.treatment, "learner": self.nuisance, "rep": self.rep, "folds": list(self.folds)}


def fold_params(model, nuisance: Nuisance, treatment: str, rep: int, seed: int | None) -> list[dict]:
    """Each fold's learner parameters: the model's nuisance ``params`` plus the derived ``random_state``.

    Parameters set with ``set_ml_nuisance_params`` win over the derived seed.
    """
    user = model.params[nuisance.name][treatment][rep]
    learner = model.learner[nuisance.learner]
    out = []
    for fold in range(len(model.smpls[rep])):
        params = dict(user[fold]) if user is not None and user[fold] is not None else {}
        if seed is not None:
            params = set_random_states(params, learner, task_seed(seed, treatment, nuisance.name, rep, fold))
        out.append(params)
    return out


def seeded_nuisance_params(model, data, seed: int) -> dict[str, dict[str, list[list[dict]]]]:
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
        ``{nuisance name: {treatment: [[params of each fold] for each rep]}}``.
    """
    out: dict[str, dict[str, list[list[dict]]]] = {}
    for treatment in data.d_cols:
        for nuisance in (nu for nu in nuisances_for(model, data, treatment) if nu.fitted):
            out.setdefault(nuisance.name, {})[treatment] = [
                fold_params(model, nuisance, treatment, rep, seed) for rep in range(model.n_rep)
            ]
    return out


def plan_tasks(
    model,
    plan: dict[str, list[Nuisance]],
    features: dict[str, list[str]],
    staged: StagedFit,
    scaling: str,
    seed: int | None,
    second_round: bool = False,
    thetas: dict[tuple[str, int], float] | None = None,
) -> list[Task]:
    """Build the tasks of one round of a fit.

    Parameters
    ----------
    model : doubleml.DoubleML
        The model (learners, ``params``, ``n_rep``, ``n_folds``).
    plan : dict of str to list of Nuisance
        Nuisances per treatment (:func:`pydmlserverless.nuisance.nuisances_for`).
    features : dict of str to list of str
        Feature columns per treatment.
    staged : StagedFit
        Store keys of the dataset and splits.
    scaling : str
        ``'n_folds * n_rep'`` or ``'n_rep'``.
    seed : int or None
        Fit seed; None keeps the learners' own ``random_state``.
    second_round : bool
        Plan the nuisances whose target needs ``theta_initial`` (then ``thetas`` is required).
    thetas : dict, optional
        ``theta_initial`` by (treatment, rep).

    Returns
    -------
    list of Task
    """
    scaling = check_scaling(scaling)
    n_folds = len(model.smpls[0])
    groups = [(f,) for f in range(n_folds)] if scaling == "n_folds * n_rep" else [tuple(range(n_folds))]
    specs = {name: encode_learner(learner) for name, learner in model.learner.items()}
    tasks = []
    for treatment, nuisances in plan.items():
        for nuisance in (nu for nu in nuisances if nu.fitted and nu.second_round == second_round):
            subset = {"column": nuisance.subset[0], "value": nuisance.subset[1]} if nuisance.subset else None
            for rep in range(model.n_rep):
                target: dict = {"column": nuisance.target}
                if second_round:
                    assert thetas is not None
                    target.update(minus_coef=thetas[(treatment, rep)], minus_column=treatment)
                params = [encode_params(p) for p in fold_params(model, nuisance, treatment, rep, seed)]
                for folds in groups:
                    task_id = f"{treatment}/{nuisance.name}/r{rep}/" + (f"f{folds[0]}" if len(folds) == 1 else "all")
                    payload = {
                        "v": TASK_FORMAT_VERSION,
                        "task_id": task_id,
                        "store": staged.store,
                        "dataset": staged.dataset_key,
                        "splits": staged.splits_keys[rep],
                        "splits_member": staged.splits_members[rep],
                        "rep": rep,
                        "folds": list(folds),
                        "learner": specs[nuisance.learner],
                        "params": [params[f] for f in folds],
                        "target": target,
                        "features": features[treatment],
                        "subset": subset,
                        "method": nuisance.method,
                        "result": {
                            "inline_max_bytes": INLINE_MAX_BYTES,
                            "key": f"{staged.results_prefix}{task_id.replace('/', '_')}.f8",
                        },
                    }
                    tasks.append(Task(task_id, treatment, nuisance.name, rep, folds, payload))
    return tasks
