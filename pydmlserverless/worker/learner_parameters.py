"""The one check of a learner's parameters, whatever path they take.

A parameter reaches a learner by four paths: the learner spec (the estimator's constructor
arguments), the per-fold parameters of ``set_ml_nuisance_params``, a tuning grid's candidates
and an Optuna trial's values. All of them end in :func:`check_parameters` (the worker's edge and,
before any remote call, the client's), which accepts a name only if

* it is a parameter of the estimator it is set on (a nested ``step__name`` is resolved to the
  estimator ``step`` names): the constructor's parameters, and for LightGBM and XGBoost, whose
  estimators take their native parameters through ``**kwargs`` and keep any key ``set_params``
  is given, the documented parameters of the library (:func:`documented_parameters`); and
* it is not one that makes the estimator open a socket, read or write a file, or start another
  program (:data:`FORBIDDEN_PARAMETERS`, and every alias LightGBM knows for them).

``n_jobs`` (and LightGBM's ``num_threads``, XGBoost's ``nthread``) stay allowed: they start
threads or processes that run the estimator's own code on the data it was given, nothing a
payload chooses.

Examples
--------
>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.preprocessing import StandardScaler
>>> from sklearn.linear_model import Lasso
>>> check_parameters(make_pipeline(StandardScaler(), Lasso()), {"lasso__alpha": 0.1}, "params")
>>> check_parameters(Lasso(), {"alphas": 0.1}, "params")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
pydmlserverless.errors.LearnerError: params: Lasso has no parameter 'alphas'; it takes ...
>>> check_parameters(make_pipeline(StandardScaler(), Lasso()), {"memory": "/tmp/x"}, "params")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
pydmlserverless.errors.LearnerError: params: the parameter 'memory' of Pipeline names a folder ...
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from sklearn.base import BaseEstimator

from ..errors import LearnerError

__all__ = ["FORBIDDEN_PARAMETERS", "XGBOOST_PARAMETERS", "check_parameters", "allowed_parameters", "forbidden_reason"]

_FOLDER = "names a folder the estimator would cache to and load from"
_NETWORK = "makes the estimator connect to other machines or listen on a port"
_FILE_READ = "makes the estimator read a file"
_FILE_WRITE = "makes the estimator write a file"
_PROGRAM = "belongs to the library's command-line program (data files, tasks), not to an estimator"

#: Parameters no learner may take, whatever path they come by, by the family of the estimator
#: they are set on, with the reason the error gives: scikit-learn's ``memory`` (a Pipeline's
#: joblib cache unpickles what it finds there); LightGBM's network, file and command-line
#: parameters (each with every alias LightGBM knows, see :func:`forbidden_reason`); XGBoost's
#: command-line file parameters.
FORBIDDEN_PARAMETERS: Mapping[str, Mapping[str, str]] = {
    "sklearn": {"memory": _FOLDER},
    "lightgbm": {
        # distributed learning: sockets
        "machines": _NETWORK, "machine_list_filename": _NETWORK, "num_machines": _NETWORK,
        "local_listen_port": _NETWORK, "time_out": _NETWORK, "pre_partition": _NETWORK,
        # files read
        "input_model": _FILE_READ, "forcedsplits_filename": _FILE_READ, "forcedbins_filename": _FILE_READ,
        "parser_config_file": _FILE_READ, "config": _FILE_READ, "data": _FILE_READ, "valid": _FILE_READ,
        # files written
        "output_model": _FILE_WRITE, "output_result": _FILE_WRITE, "save_binary": _FILE_WRITE,
        "snapshot_freq": _FILE_WRITE, "convert_model": _FILE_WRITE, "convert_model_language": _FILE_WRITE,
        # the command-line program's data-file options
        "task": _PROGRAM, "header": _PROGRAM, "two_round": _PROGRAM, "label_column": _PROGRAM,
        "weight_column": _PROGRAM, "group_column": _PROGRAM, "ignore_column": _PROGRAM,
    },
    "xgboost": {
        "model_in": _FILE_READ, "model_out": _FILE_WRITE, "model_dir": _FILE_WRITE, "save_period": _FILE_WRITE,
        "fmap": _FILE_READ, "name_dump": _FILE_WRITE, "dump_format": _PROGRAM, "test:data": _FILE_READ,
    },
}  # fmt: skip

#: XGBoost's documented learning parameters (https://xgboost.readthedocs.io/en/stable/parameter.html:
#: general, tree booster, DART, linear booster, learning task and objective-specific parameters),
#: which its scikit-learn estimators take through ``**kwargs`` besides their constructor's own.
XGBOOST_PARAMETERS = frozenset({
    "booster", "device", "verbosity", "validate_parameters", "nthread", "disable_default_eval_metric",
    "eta", "learning_rate", "gamma", "min_split_loss", "max_depth", "min_child_weight", "max_delta_step",
    "subsample", "sampling_method", "colsample_bytree", "colsample_bylevel", "colsample_bynode",
    "lambda", "reg_lambda", "alpha", "reg_alpha", "tree_method", "scale_pos_weight", "updater",
    "refresh_leaf", "process_type", "grow_policy", "max_leaves", "max_bin", "num_parallel_tree",
    "monotone_constraints", "interaction_constraints", "multi_strategy", "max_cached_hist_node",
    "max_cat_to_onehot", "max_cat_threshold",
    "sample_type", "normalize_type", "rate_drop", "one_drop", "skip_drop",
    "feature_selector", "top_k",
    "objective", "base_score", "eval_metric", "seed", "seed_per_iteration", "num_class",
    "tweedie_variance_power", "huber_slope", "quantile_alpha", "expectile_alpha",
    "aft_loss_distribution", "aft_loss_distribution_scale",
    "lambdarank_pair_method", "lambdarank_num_pair_per_sample", "lambdarank_normalization",
    "lambdarank_score_normalization", "lambdarank_unbiased", "lambdarank_bias_norm", "ndcg_exp_gain",
})  # fmt: skip


@functools.cache
def _lightgbm_aliases() -> dict[str, str]:
    """LightGBM's parameter names and aliases, each mapped to its main name (from the library itself)."""
    # the list LightGBM's C library dumps (LGBM_DumpParamAliases): every documented parameter with
    # its aliases, for the installed version, read through the Python package's own accessor
    from lightgbm.basic import _ConfigAliases

    aliases: dict[str, str] = {}
    for main, names in _ConfigAliases._get_all_param_aliases().items():
        for name in (main, *names):
            aliases.setdefault(name, main)
    return aliases


def _family(cls: type) -> str:
    """``'lightgbm'``, ``'xgboost'`` or ``'sklearn'`` (anything else is refused before it gets here)."""
    return cls.__module__.split(".", 1)[0]


def forbidden_reason(cls: type, name: str) -> str | None:
    """Why ``name`` may not be set on an estimator of class ``cls`` (None: it is not forbidden).

    Examples
    --------
    >>> from lightgbm import LGBMRegressor
    >>> forbidden_reason(LGBMRegressor, "mlist")  # an alias of machine_list_filename
    'makes the estimator connect to other machines or listen on a port'
    >>> forbidden_reason(LGBMRegressor, "verbose") is None
    True
    """
    family = _family(cls)
    if family == "lightgbm":
        name = _lightgbm_aliases().get(name, name)
    # a Pipeline's memory is as much a folder inside a LightGBM or XGBoost pipeline step
    return FORBIDDEN_PARAMETERS.get(family, {}).get(name) or FORBIDDEN_PARAMETERS["sklearn"].get(name)


def _constructor_parameters(cls: type) -> set[str]:
    """The constructor parameters of ``cls`` and of the estimator classes it builds on."""
    names: set[str] = set()
    for base in cls.__mro__:
        if isinstance(base, type) and issubclass(base, BaseEstimator) and "__init__" in vars(base):
            names.update(base._get_param_names())  # type: ignore[attr-defined]  # BaseEstimator's classmethod
    return names


@functools.cache
def allowed_parameters(cls: type) -> frozenset[str]:
    """Every parameter name an estimator of class ``cls`` may be given (forbidden ones excluded).

    Examples
    --------
    >>> from lightgbm import LGBMRegressor
    >>> {"verbose", "n_estimators", "min_data_in_leaf"} <= allowed_parameters(LGBMRegressor)
    True
    >>> "machines" in allowed_parameters(LGBMRegressor)
    False
    """
    names = _constructor_parameters(cls)
    family = _family(cls)
    if family == "lightgbm":
        names |= set(_lightgbm_aliases())
    elif family == "xgboost":
        names |= XGBOOST_PARAMETERS
    return frozenset(name for name in names if forbidden_reason(cls, name) is None)


def _refuse(cls: type, name: str, leaf: str, where: str) -> LearnerError:
    reason = forbidden_reason(cls, leaf)
    if reason is not None:
        return LearnerError(
            f"{where}: the parameter {name!r} of {cls.__name__} {reason}; it cannot travel (a remote worker "
            "decides what it reads, writes and connects to). Leave it unset."
        )
    return LearnerError(
        f"{where}: {cls.__name__} has no parameter {name!r}; it takes {sorted(allowed_parameters(cls))}."
    )


def check_parameters(estimator: Any, params: Mapping[str, Any], where: str) -> None:
    """Refuse any of ``params`` that ``estimator`` does not have or that is forbidden.

    A forbidden parameter is accepted only at None where it is a constructor parameter (a
    Pipeline's ``memory=None`` is its default, which ``get_params`` always reports).

    Parameters
    ----------
    estimator : sklearn.base.BaseEstimator or type
        The estimator the parameters will be set on (``set_params``), or the class constructed
        with them (constructor parameters are never nested).
    params : mapping
        Parameter names (``name`` or nested ``step__name``) to values.
    where : str
        What the parameters are, for the message.

    Raises
    ------
    LearnerError
        Naming the parameter, the estimator, and why.
    """
    nested: dict[str, Any] | None = None
    for name, value in params.items():
        if not isinstance(name, str):
            raise LearnerError(f"{where}: parameter names are strings; got {name!r}.")
        owner, _, leaf = name.rpartition("__")
        target = estimator
        if owner:
            if isinstance(estimator, type):
                raise LearnerError(f"{where}: {estimator.__name__} has no parameter {name!r}.")
            if nested is None:
                nested = estimator.get_params(deep=True)
            target = nested.get(owner)
            if not isinstance(target, BaseEstimator):
                raise LearnerError(
                    f"{where}: {type(estimator).__name__} has no nested estimator {owner!r} (parameter {name!r})."
                )
        cls = target if isinstance(target, type) else type(target)
        if forbidden_reason(cls, leaf) is not None:
            if value is None and leaf in _constructor_parameters(cls):
                continue
            raise _refuse(cls, name, leaf, where)
        if leaf not in allowed_parameters(cls):
            raise _refuse(cls, name, leaf, where)
