"""A run's options, declared once, and the frozen context the fit and tuning drivers take.

:class:`RunOptions` are what every operation (``fit``, ``tune``, ``tune_ml_models``) takes besides
DoubleML's own arguments and the backend, whatever the backend: how tasks are cut (``scaling``),
the seed, progress, the report, the store and resume. :class:`RunContext` is one run of one model
on one opened backend, with everything the drivers need (the DoubleML door included: ``adapter``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .._checks import is_int
from ..backends.base import Backend
from ..errors import ConfigurationError
from ..worker.store import Store
from .progress import ProgressSink, progress_option

__all__ = ["RunContext", "RunOptions", "check_seed"]


def check_seed(seed: Any) -> int | None:
    """Validate a fit seed (None or a non-negative integer).

    Examples
    --------
    >>> check_seed(3), check_seed(None)
    (3, None)
    """
    if seed is None:
        return None
    if not is_int(seed) or seed < 0:
        raise ConfigurationError(f"seed must be None or a non-negative integer; {seed!r} was passed.")
    return int(seed)


@dataclass(frozen=True)
class RunOptions:
    """How a run of any operation goes, on any backend.

    Parameters
    ----------
    scaling : {'n_folds * n_rep', 'n_rep', 'auto'}, default 'n_folds * n_rep'
        One task per fold, or one task per repetition fitting all its folds (for tuning: one task
        per candidate or trial, its inner folds inside). ``'auto'`` (fits on AWS Lambda) chooses
        by the model's last plan (:meth:`plan_aws_lambda`), or a probe of 2 tasks.
    seed : int, optional
        (Fits.) Seeds every fit's learner ``random_state`` from (seed, treatment, learner, rep,
        fold): identical across scalings, backends and parallelism. None draws the fit's seed from
        NumPy's global generator (so ``np.random.seed(s)`` before the model makes the fit
        reproducible) and uses it only for ``random_state`` parameters that are None.
    progress : bool or ProgressSink, optional
        A progress bar (tqdm); by default shown when stderr is a terminal. An object with
        ``update(n)`` (or a callable ``f(n)``) gets the task completions instead.
    verbose : bool, optional
        Print the run's report; by default when the progress bar is shown (and always for AWS
        Lambda, whose report says what the run cost).
    store : Store, optional
        Where data and splits are staged and results kept: the data's S3 bucket for a
        ``DoubleMLDataS3``, else a local folder (``PYDMLSERVERLESS_CACHE_DIR`` or
        ``~/.cache/pydmlserverless``). AWS Lambda always uses the data's bucket.
    resume : bool, default True
        Keep every task's result in the store, and skip the tasks whose results an earlier,
        interrupted or failed attempt of the same run kept: a rerun never computes a finished task
        twice. False neither looks for nor keeps results.

    Examples
    --------
    >>> options, rest = RunOptions.take({"seed": 3, "store_models": True}, "fit")
    >>> options.seed, rest
    (3, {'store_models': True})
    """

    scaling: str = "n_folds * n_rep"
    seed: int | None = None
    progress: bool | ProgressSink | None = None
    verbose: bool | None = None
    store: Store | None = None
    resume: bool = True

    def __post_init__(self) -> None:
        check_seed(self.seed)
        if not isinstance(self.scaling, str):
            raise ConfigurationError(f"scaling must be a string; {self.scaling!r} was passed.")
        for name in ("resume",):
            if not isinstance(getattr(self, name), bool):
                raise ConfigurationError(f"{name} must be True or False; {getattr(self, name)!r} was passed.")
        if self.verbose is not None and not isinstance(self.verbose, bool):
            raise ConfigurationError(f"verbose must be True, False or None; {self.verbose!r} was passed.")
        if self.store is not None and not isinstance(self.store, Store):
            raise ConfigurationError(f"store must be a Store; {type(self.store).__name__} was passed.")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The option names."""
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def take(cls, options: dict[str, Any], operation: str) -> tuple[RunOptions, dict[str, Any]]:
        """The run options among ``options``, and the others (the operation's own arguments)."""
        mine = {name: value for name, value in options.items() if name in cls.names()}
        if operation != "fit" and mine.get("seed") is not None:
            raise ConfigurationError(
                f"{operation}() takes no seed: its candidates and splits come from NumPy's global generator, as "
                f"DoubleML's {operation}() draws them; call np.random.seed(...) before it."
            )
        return cls(**mine), {name: value for name, value in options.items() if name not in mine}


@dataclass(frozen=True)
class RunContext:
    """One run of one model on one opened backend: what the fit and tuning drivers take.

    Attributes
    ----------
    model : DoubleML model
        A pydmlserverless model (its sample splits drawn for a fit).
    data : doubleml.DoubleMLData
        The model's data.
    adapter : module
        The DoubleML door (:mod:`pydmlserverless.doubleml.adapter`): what a run reads from the
        model and hands back to it.
    backend : Backend
        Runs the tasks; its ``label`` names it in the report.
    store : Store
        Holds the dataset, splits and kept results.
    scaling : str
        ``'n_folds * n_rep'`` or ``'n_rep'`` (resolved).
    seed : int or None
        The fit's seed (None for tuning).
    seed_only_unset : bool
        ``seed`` was drawn for the fit: it seeds only the ``random_state`` parameters that are None.
    show : bool or ProgressSink
        The progress option as :func:`~pydmlserverless.core.progress.progress_option` resolved it.
    verbose : bool or None
        Print the report (None: when a progress bar shows).
    resume : bool
        Keep and look for kept results.
    """

    model: Any
    data: Any
    adapter: Any
    backend: Backend
    store: Store
    scaling: str
    seed: int | None
    seed_only_unset: bool
    show: Any
    verbose: bool | None
    resume: bool

    @classmethod
    def of(cls, run: RunOptions, **fields: Any) -> RunContext:
        """The context of ``run`` with the other fields given (``scaling`` resolved, ``seed`` drawn or given)."""
        return cls(show=progress_option(run.progress), resume=run.resume, **fields)

    def prints_report(self) -> bool:
        """Whether the run prints its report: ``verbose``, else whether a (tqdm) progress bar shows."""
        return self.verbose if self.verbose is not None else self.show is True
