"""The R package's bridge to the Python core: plain types in, plain types out.

reticulate 1.28 cannot convert NumPy 2 arrays, so nothing here hands an array to R. Data arrive as
lists of floats (or a file of little-endian float64 columns for large data); results leave as
lists, dicts, strings and numbers, arrays flattened in column-major order with their ``dim`` so
that R rebuilds them with ``array(values, dim)``. Only the package's public API is used.

The R seed convention lives here: ``make_model(..., seed=k)`` calls ``np.random.seed(k)`` right
before the model is built (DoubleML draws the sample splits from NumPy's global generator), and
``fit(..., seed=k)`` passes ``k`` to ``fit_local`` / ``fit_aws_lambda``. A Python user reproduces an
R fit with ``np.random.seed(k); model = ...; model.fit_local(seed=k)``. R's tuning draws another
integer ``t``: ``tune(..., seed=t)`` calls ``np.random.seed(t)`` right before ``tune_local`` /
``tune_aws_lambda``, so ``np.random.seed(t); model.tune_local(param_grids, ...)`` reproduces it;
``tune_ml_models(..., seed=t)`` also seeds the Optuna sampler with ``t``.
R's grids name an ``lrn()`` learner's parameters as mlr3 does; :func:`tune_grids` translates
them through :mod:`pydmlserverless.r.mlr3_learners`, and :func:`tuned_params` gives the tuned
parameters back under those names.

R imports this one module (``reticulate::import("pydmlserverless.r.bridge")``): importing it
prepares the environment the local backend's worker processes inherit (:func:`child_library_path`),
and it re-exports the functions R calls (:data:`__all__`, exactly those), each from the module of
its one idea:

- :mod:`~pydmlserverless.r.objects`: data frames, data, learners and models from R's values;
- :mod:`~pydmlserverless.r.runs`: fitting on a backend, the AWS Lambda plan, stopping the local
  backend's workers;
- :mod:`~pydmlserverless.r.grids`: R's mlr3-named grids and parameters as scikit-learn's;
- :mod:`~pydmlserverless.r.tuning`: grid and Optuna tuning on a backend, and their results under R's names;
- :mod:`~pydmlserverless.r.optuna_spaces`: R's Optuna search spaces, given as data, as the functions
  DoubleML takes;
- :mod:`~pydmlserverless.r.results`: estimates, tables, bootstrap, sensitivity and metrics as R values;
- :mod:`~pydmlserverless.r.model_state`: a model's sample splits and nuisance parameters, as
  DoubleML-R reads and sets them;
- :mod:`~pydmlserverless.r.feedback`: warnings and progress shown in R;
- :mod:`~pydmlserverless.r.values`: R's values in, plain values out (the helpers the others share);
- :mod:`~pydmlserverless.r.mlr3_learners`: the table of mlr3 learners and their translations.
"""

from __future__ import annotations

import os

from .feedback import RProgress, set_r_progress, warning_recorder
from .grids import learner_task_types, tune_grids
from .model_state import draw_splits, sample_splits, set_nuisance_params, set_splits
from .objects import (
    data_file,
    frame_from_columns,
    frame_from_file,
    learner_label,
    make_data,
    make_mlr3_learner,
    make_model_r,
    make_panel_data,
    mlr3_learner,
    mlr3_learner_label,
    mlr3_learner_table,
)
from .results import (
    aggregate,
    bootstrap,
    causal_contrast,
    confint,
    evaluate_learners,
    fitted_models,
    metrics_frame,
    nuisance_loss,
    p_adjust_romano_wolf,
    results,
    score_elements,
    sensitivity_analysis,
)
from .runs import fit, plan_aws_lambda, shutdown
from .tuning import check_optuna_tuning, tune, tune_ml_models, tuned_params

#: Exactly the names R calls (``bridge()$name`` and ``.dmls$bridge$name`` in rpkg/R).
__all__ = [
    # objects
    "data_file",
    "frame_from_columns",
    "frame_from_file",
    "learner_label",
    "make_data",
    "make_mlr3_learner",
    "make_model_r",
    "make_panel_data",
    "mlr3_learner",
    "mlr3_learner_label",
    "mlr3_learner_table",
    # runs
    "fit",
    "plan_aws_lambda",
    "shutdown",
    # grids and tuning
    "check_optuna_tuning",
    "learner_task_types",
    "tune",
    "tune_ml_models",
    "tune_grids",
    "tuned_params",
    # model_state
    "draw_splits",
    "sample_splits",
    "set_nuisance_params",
    "set_splits",
    # results
    "aggregate",
    "bootstrap",
    "causal_contrast",
    "confint",
    "evaluate_learners",
    "fitted_models",
    "metrics_frame",
    "nuisance_loss",
    "p_adjust_romano_wolf",
    "results",
    "score_elements",
    "sensitivity_analysis",
    # feedback
    "RProgress",
    "set_r_progress",
    "warning_recorder",
]

_SYSTEM_LIBRARY_DIRS = ("/lib", "/usr/lib", "/lib64", "/usr/lib64")


def child_library_path(ld_library_path: str, r_home: str | None) -> str:
    """``LD_LIBRARY_PATH`` for the local backend's worker processes, without what R put there.

    R prepends its own library folder, the system folders and Java's to ``LD_LIBRARY_PATH``; a
    worker process (a fresh Python interpreter) that inherits them can load the system's
    ``libpython`` instead of its own and fail on import (seen: ``_ssl`` missing ``_PyModule_Add``).
    Dropping them is safe: the system folders are searched anyway, after the interpreter's own.

    Examples
    --------
    >>> child_library_path("/usr/lib/R/lib:/usr/lib/x86_64-linux-gnu:/opt/cuda/lib64", "/usr/lib/R")
    '/opt/cuda/lib64'
    """
    r_prefix = r_home.rstrip("/") + "/" if r_home else None
    kept = []
    for entry in ld_library_path.split(os.pathsep):
        folder = entry.rstrip("/")
        from_r = r_prefix is not None and (folder + "/").startswith(r_prefix)
        system = folder in _SYSTEM_LIBRARY_DIRS or os.path.dirname(folder) in ("/lib", "/usr/lib")
        if folder and not (from_r or system or "/jvm/" in folder):
            kept.append(entry)
    return os.pathsep.join(kept)


def _prepare_child_environment() -> None:
    if "R_HOME" in os.environ and "LD_LIBRARY_PATH" in os.environ:
        cleaned = child_library_path(os.environ["LD_LIBRARY_PATH"], os.environ["R_HOME"])
        if cleaned:
            os.environ["LD_LIBRARY_PATH"] = cleaned
        else:
            del os.environ["LD_LIBRARY_PATH"]


_prepare_child_environment()
