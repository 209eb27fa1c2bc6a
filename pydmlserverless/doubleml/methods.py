"""What the model classes add to DoubleML's: ``fit``, ``tune`` and ``tune_ml_models`` on a backend.

Each operation exists once and takes the backend as an argument: ``model.fit(backend=Local(4),
seed=1)``, ``model.tune(grids, backend=AWSLambda(...))``, ``model.tune_ml_models(spaces,
backend=Dask(client))``. Without ``backend`` they are DoubleML's own, in this process. The
run's options (:class:`~pydmlserverless.core.run.RunOptions`) are declared once, DoubleML's
arguments are DoubleML's (bound to its own signatures), and the backend's options are its
settings class's (:mod:`pydmlserverless.backends`). The paper's ``fit_aws_lambda()`` and the other
``fit_*`` / ``tune_*`` / ``tune_ml_models_*`` names are short shims onto these (:func:`backend_method`).

The mixin keeps what DoubleML does not: the timing report, the per-task metrics, what the
backend reports (on Lambda: every invocation and the cost), and the nuisance targets and losses
DoubleML leaves empty when predictions are external.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..backends import backend_spec
from ..backends.aws_lambda.config import AWSLambda
from ..backends.base import BackendSpec
from ..backends.dask.config import Dask
from ..backends.local.config import Local
from ..backends.ray.config import Ray
from ..core.fitting import FitOutcome, run_fit
from ..core.report import FitReport
from ..core.run import RunContext, RunOptions, check_seed
from ..core.tasks import check_scaling
from ..errors import ConfigurationError, InvalidTypeError
from ..planner.plan import LambdaPlan, PlanOptions, PlanTarget, choose_scaling, plan_aws_lambda, plan_local
from ..tuning.grid import TuneOutcome, check_tune_args, run_tune
from ..tuning.optuna import run_tune_ml_models
from ..worker.store import LocalStore
from . import adapter
from .data import S3StagedData

if TYPE_CHECKING:
    from typing import Self

__all__ = ["ContainerMethods", "ServerlessMethods", "backend_method"]


def backend_method(operation: str, spec_class: type[BackendSpec], first: str | None = None) -> Callable[..., Any]:
    """A shim ``model.<operation>_<backend>(...)`` onto ``model.<operation>(backend=spec_class(...), ...)``.

    The options that are ``spec_class``'s fields build the backend, the rest go to the operation.
    ``first`` names the option that a first positional argument fills (``fit_local(4)`` is
    ``n_jobs=4``); without it, positional arguments are DoubleML's (``tune_local(grids)``).
    """
    name = f"{operation}_{spec_class.name}"

    def method(self: Any, *args: Any, **options: Any) -> Any:
        if first is not None and args:
            if len(args) > 1:
                raise TypeError(f"{name}() takes one positional argument ({first}); give the others by name.")
            options = {first: args[0], **options}
            args = ()
        spec, rest = spec_class.take(options)
        return getattr(self, operation)(*args, backend=spec, **rest)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = (
        f"``{operation}(backend={spec_class.__name__}(...), ...)``: the options that are "
        f":class:`~{spec_class.__module__}.{spec_class.__name__}`'s go to the backend, the others to "
        f":meth:`{operation}`" + (f"; a positional argument is ``{first}``." if first else ".")
    )
    return method


def _no_run_options(options: dict[str, Any], operation: str) -> None:
    """Without a backend an operation is DoubleML's own: the run options have no meaning there."""
    given = sorted(name for name in options if name in RunOptions.names())
    if given:
        raise ConfigurationError(
            f"{operation}() without backend= is DoubleML's own {operation}(), which takes no {', '.join(given)}: "
            f"pass backend=Local() (or AWSLambda(...), Dask(...), Ray(...)) to run it on a backend."
        )


class ServerlessMethods:
    """Backend-driven operations shared by the model classes (mixed in before the DoubleML class)."""

    def _init_serverless(self, lambda_function_name: str | None, aws_region: str | None, data: Any) -> None:
        if lambda_function_name is not None and not isinstance(lambda_function_name, str):
            raise InvalidTypeError(f"lambda_function_name must be a string or None; got {lambda_function_name!r}.")
        if aws_region is not None and not isinstance(aws_region, str):
            raise InvalidTypeError(f"aws_region must be a string or None; got {aws_region!r}.")
        self.lambda_function_name = lambda_function_name
        self.aws_region = aws_region
        self._serverless_data = data
        self._outcome: FitOutcome | None = None
        # the nuisance targets and losses of the backend fit that produced DoubleML's current state
        self._backend_nuisances: FitOutcome | None = None
        self._backend_extras: dict[str, Any] = {}
        self._tune_outcome: TuneOutcome | None = None
        self._lambda_plan: LambdaPlan | None = None
        self._auto_scaling_reason: str | None = None
        # the seed drawn for a fit that has not yet succeeded: its rerun resumes it
        self._pending_seed: int | None = None

    # -- the operations ----------------------------------------------------------------------

    def fit(self, *args: Any, backend: Any = None, **kwargs: Any) -> Self:
        """DoubleML's ``fit()``; with ``backend``, every nuisance fit runs as a task there and DoubleML estimates.

        All repetitions, folds, learners and treatments (a container's sub-models too) go to the
        backend in one fan-out; their predictions come back into DoubleML through its
        ``fit(external_predictions=...)``, so everything after the fit is DoubleML's.

        Parameters
        ----------
        *args, **kwargs
            DoubleML's ``fit()`` arguments, as DoubleML takes them: ``n_jobs_cv`` (with
            :class:`Local`, the number of processes), ``store_predictions``,
            ``external_predictions`` (those nuisances are not run, the others are),
            ``store_models`` (each fold's fitted learner comes back into ``models``) and a
            container model's ``n_jobs_models``. With a backend, also the run's options
            (:class:`~pydmlserverless.core.run.RunOptions`): ``scaling``, ``seed``, ``progress``,
            ``verbose``, ``store``, ``resume``.
        backend : BackendSpec or str, optional
            Where the fits run: ``Local(n_jobs)``, ``AWSLambda(...)``, ``Dask(client)``,
            ``Ray(address)`` (:mod:`pydmlserverless.backends`), or one of their names with its
            defaults. None: DoubleML's own ``fit()``, in this process.

        Returns
        -------
        self

        Raises
        ------
        ConfigurationError
            Before any task runs: a bad option, data not in S3 for Lambda, a plan predicting a
            task longer than the function's timeout.
        TaskError, TaskTimeoutError
            A task failed after its retries (named); the model is as it was before the fit.

        Examples
        --------
        >>> import numpy as np
        >>> from doubleml.plm.datasets import make_plr_CCDDHNR2018
        >>> from sklearn.linear_model import LinearRegression
        >>> from pydmlserverless import DoubleMLPLRServerless
        >>> from pydmlserverless.backends import Local
        >>> np.random.seed(1)
        >>> data = make_plr_CCDDHNR2018(n_obs=200, dim_x=5)
        >>> model = DoubleMLPLRServerless(None, None, data, LinearRegression(), LinearRegression(), n_folds=3)
        >>> model.fit(backend=Local(n_jobs=1), seed=3, progress=False, resume=False).fit_report.n_tasks
        6
        """
        if backend is None:
            _no_run_options(kwargs, "fit")
            self._backend_nuisances = None
            super().fit(*args, **kwargs)  # type: ignore[misc]
            return self
        run, rest = RunOptions.take(kwargs, "fit")
        arguments = adapter.doubleml_arguments(self, "fit", args, rest)
        adapter.check_fit_options(
            self, arguments["n_jobs_cv"], arguments["store_predictions"], arguments["external_predictions"],
            arguments["store_models"],
        )  # fmt: skip
        spec = _with_processes(backend_spec(backend), arguments)
        seed, drawn = self._fit_seed(run.seed)
        target = self._plan_target(self._store(spec, run.store))
        verbose = run.verbose if run.verbose is not None else spec.default_verbose
        scaling, self._auto_scaling_reason = choose_scaling(target, spec, run.scaling, seed, verbose)
        ctx = self._context(spec, run, scaling, seed=seed, drawn=drawn)
        outcome = self._running(ctx, lambda: run_fit(
            ctx, external_predictions=arguments["external_predictions"],
            store_predictions=arguments["store_predictions"], store_models=arguments["store_models"],
        ))  # fmt: skip
        self._outcome = outcome
        # a container model's (APOS, DIDMulti) sub-models report their own, as DoubleML's do
        self._backend_nuisances = outcome if outcome.nuisance_loss is not None else None
        self._pending_seed = None
        return self

    def tune(self, *args: Any, backend: Any = None, **kwargs: Any) -> Any:
        """DoubleML's ``tune()``; with ``backend``, every (search, candidate, inner fold) fit runs as a task there.

        The searches, their candidates and inner splits, the choice (scikit-learn's: highest mean
        test score, ties to the first candidate) and how the parameters are set are DoubleML's
        (:mod:`pydmlserverless.tuning.grid`): ``np.random.seed(s)`` before either gives the same
        candidates, splits and choice.

        Parameters
        ----------
        *args, **kwargs
            DoubleML's ``tune()`` arguments (``param_grids``, ``tune_on_folds``, ``scoring_methods``
            as scikit-learn scorer names, ``n_folds_tune``, ``search_mode``,
            ``n_iter_randomized_search``, ``n_jobs_cv``, ``set_as_params``, ``return_tune_res``)
            and, with a backend, the run's options but ``seed`` (``scaling='n_rep'``: one task
            per candidate, its inner folds inside).
        backend : BackendSpec or str, optional
            As for :meth:`fit`; None: DoubleML's own ``tune()``.

        Returns
        -------
        self, or with ``return_tune_res`` DoubleML's result layout
            Per treatment ``{"params": {nuisance: [best params]}, "tune_res": {"<nuisance>_tune":
            [SearchResult]}}``; with ``tune_on_folds`` one such list per repetition.

        Examples
        --------
        >>> import numpy as np
        >>> from doubleml.plm.datasets import make_plr_CCDDHNR2018
        >>> from sklearn.linear_model import Lasso
        >>> from pydmlserverless import DoubleMLPLRServerless
        >>> np.random.seed(2)
        >>> data = make_plr_CCDDHNR2018(n_obs=200, dim_x=5)
        >>> model = DoubleMLPLRServerless(None, None, data, Lasso(), Lasso(), n_folds=3)
        >>> grid = {"alpha": [0.01, 0.1, 1.0]}
        >>> _ = model.tune({"ml_l": grid, "ml_m": grid}, backend="local", progress=False)
        >>> sorted(model.params["ml_l"]["d"][0][0])
        ['alpha']
        """
        if backend is None:
            _no_run_options(kwargs, "tune")
            return super().tune(*args, **kwargs)  # type: ignore[misc]
        run, rest = RunOptions.take(kwargs, "tune")
        arguments = adapter.doubleml_arguments(self, "tune", args, rest)
        scoring = check_tune_args(self, **arguments)
        ctx = self._context(_with_processes(backend_spec(backend), arguments), run, check_scaling(run.scaling))
        search = {name: arguments[name] for name in ("n_folds_tune", "search_mode", "n_iter_randomized_search")}
        outcome = self._running(ctx, lambda: run_tune(
            ctx, param_grids=arguments["param_grids"], tune_on_folds=arguments["tune_on_folds"], scoring=scoring,
            search=search, set_as_params=arguments["set_as_params"],
        ))  # fmt: skip
        self._tune_outcome = outcome
        return outcome.tuning_res if arguments["return_tune_res"] else self

    def tune_ml_models(self, *args: Any, backend: Any = None, **kwargs: Any) -> Any:
        """DoubleML's ``tune_ml_models()`` (Optuna); with ``backend``, every trial's ``cv`` folds run as tasks there.

        The studies, their samples, settings and results are DoubleML's
        (:mod:`pydmlserverless.tuning.optuna`): with a seeded sampler, the trials, the chosen
        parameters and the following fit equal DoubleML's. Studies sharing a sampler run one after
        another as in DoubleML; studies with their own samplers run at once;
        ``optuna_settings['n_jobs_optuna'] = k`` evaluates ``k`` trials of a study at once.

        Parameters
        ----------
        *args, **kwargs
            DoubleML's ``tune_ml_models()`` arguments (``ml_param_space``, ``scoring_methods`` as
            scikit-learn scorer names, ``cv``, ``set_as_params``, ``return_tune_res``,
            ``optuna_settings``) and, with a backend, the run's options but ``seed``.
        backend : BackendSpec or str, optional
            As for :meth:`fit`; None: DoubleML's own ``tune_ml_models()``.

        Returns
        -------
        self, or with ``return_tune_res`` DoubleML's result layout
            Per treatment ``{params_name: DMLOptunaResult}``.
        """
        if backend is None:
            _no_run_options(kwargs, "tune_ml_models")
            return super().tune_ml_models(*args, **kwargs)  # type: ignore[misc]
        run, rest = RunOptions.take(kwargs, "tune_ml_models")
        arguments = adapter.doubleml_arguments(self, "tune_ml_models", args, rest)
        per_unit, cv = adapter.check_tune_ml_models_args(self, **arguments)
        ctx = self._context(backend_spec(backend), run, check_scaling(run.scaling))
        outcome = self._running(ctx, lambda: run_tune_ml_models(
            ctx, per_unit=per_unit, cv=cv, optuna_settings=arguments["optuna_settings"],
            set_as_params=arguments["set_as_params"],
        ))  # fmt: skip
        self._tune_outcome = outcome
        return outcome.tuning_res if arguments["return_tune_res"] else self

    # the old names: one shim per (operation, backend)
    fit_local = backend_method("fit", Local, first="n_jobs")
    fit_aws_lambda = backend_method("fit", AWSLambda, first="scaling")
    fit_dask = backend_method("fit", Dask, first="client")
    fit_ray = backend_method("fit", Ray, first="address")
    tune_local = backend_method("tune", Local)
    tune_aws_lambda = backend_method("tune", AWSLambda)
    tune_dask = backend_method("tune", Dask)
    tune_ray = backend_method("tune", Ray)
    tune_ml_models_local = backend_method("tune_ml_models", Local)
    tune_ml_models_aws_lambda = backend_method("tune_ml_models", AWSLambda)
    tune_ml_models_dask = backend_method("tune_ml_models", Dask)
    tune_ml_models_ray = backend_method("tune_ml_models", Ray)

    # -- planning ----------------------------------------------------------------------------

    def plan_aws_lambda(self, **options: Any) -> LambdaPlan:
        """Predict the wall time and cost of a fit on AWS Lambda for each memory size and scaling.

        Runs ``probe_tasks`` of the fit's own one-fold tasks (taken in turn from every nuisance)
        on the function at each memory size (``probe='lambda'``; its memory is changed with
        UpdateFunctionConfiguration and put back; where that is not allowed, the probe runs at its
        memory and the others are scaled by the CPU model), or on the local pool
        (``probe='local'``, a local core taken as one Lambda vCPU), and predicts each
        configuration's wall time (waves over ``max_concurrency``, cold starts, Lambda's burst
        scaling), billed GB-s, USD and whether its longest task fits 80 % of the function's
        timeout (:mod:`pydmlserverless.planner.model`). A row of the same work on the local pool
        is added (``compare_local=False`` leaves it out).

        Parameters
        ----------
        **options
            :class:`~pydmlserverless.planner.plan.PlanOptions`' (``memory_mb``, ``scaling``,
            ``probe_tasks``, ``probe``, ``strategy``, ``seed``, ``configure_memory``, ``cpu``,
            ``init_billed``, ``init_s``, ``local_core_mb``, ``compare_local``, ``verbose``) and
            :class:`~pydmlserverless.backends.aws_lambda.config.AWSLambda`'s (the function,
            ``max_concurrency``, ``function_timeout_s``, ``architecture``, ``prices``, a client ...).

        Returns
        -------
        LambdaPlan
            A DataFrame, one row per configuration; ``.recommend(strategy)``, ``.plot()``,
            ``.predict(memory_mb, scaling)``, ``.probe`` and ``.notes``. ``fit(backend=AWSLambda(...),
            scaling='auto')`` chooses from it.
        """
        # the grid's memory_mb is PlanOptions'; the function's settings are AWSLambda's
        planned = {f.name for f in dataclasses.fields(PlanOptions)}
        spec, unknown = AWSLambda.take({name: value for name, value in options.items() if name not in planned})
        if unknown:
            raise TypeError(f"plan_aws_lambda() got unexpected keyword argument(s) {sorted(unknown)}")
        assert isinstance(spec, AWSLambda)
        plan_options = PlanOptions(**{name: value for name, value in options.items() if name in planned})
        store = self._store(spec, None) if plan_options.probe == "lambda" else self._store(Local(), None)
        self._lambda_plan = plan_aws_lambda(self._plan_target(store), spec, plan_options)
        return self._lambda_plan

    def plan_local(
        self,
        n_jobs: int | None = -1,
        scaling: str | tuple[str, ...] = ("n_rep", "n_folds * n_rep"),
        probe_tasks: int = 4,
        seed: int | None = None,
        verbose: bool = True,
    ) -> pd.DataFrame:
        """The predicted wall time of a fit on the local pool of ``n_jobs`` processes, from a probe (a row per scaling).

        ``probe_tasks`` runs at least two per process.
        """
        target = self._plan_target(self._store(Local(n_jobs), None))
        return plan_local(target, n_jobs, scaling, probe_tasks, check_seed(seed), verbose)

    @property
    def lambda_plan(self) -> LambdaPlan | None:
        """The last :meth:`plan_aws_lambda` (None before one)."""
        return self._lambda_plan

    # -- what the last runs left -------------------------------------------------------------

    @property
    def fit_report(self) -> FitReport | None:
        """Timing of the last backend fit (None before one)."""
        return self._outcome.report if self._outcome is not None else None

    @property
    def task_metrics(self) -> pd.DataFrame | None:
        """One row per task of the last backend fit: coordinates, durations, cache hits, worker memory.

        The worker's ``load_s``, ``fit_s``, ``predict_s`` and ``total_s``, ``dataset_cache_hit`` and
        ``splits_cache_hit``, and its process's resident memory in MiB: ``rss_start_mb`` when the
        task started (Linux only) and ``peak_rss_mb``, the process's peak so far. On Lambda,
        ``peak_rss_mb`` is the figure to size the function's memory by.
        """
        return self._outcome.metrics if self._outcome is not None else None

    @property
    def nuisance_targets(self) -> dict[str, np.ndarray] | None:
        """The nuisance models' targets (shape (n_obs, n_rep, n_coefs)), as DoubleML reports them."""
        if self._backend_nuisances is not None:
            return self._backend_nuisances.nuisance_targets
        return super().nuisance_targets  # type: ignore[misc, no-any-return]

    @property
    def nuisance_loss(self) -> dict[str, np.ndarray] | None:
        """The nuisance models' losses (RMSE or log loss, shape (n_rep, n_coefs)), as DoubleML reports them."""
        if self._backend_nuisances is not None:
            return self._backend_nuisances.nuisance_loss
        return super().nuisance_loss  # type: ignore[misc, no-any-return]

    @property
    def tune_report(self) -> FitReport | None:
        """Timing of the last backend tuning (None before one); its per-task metrics are ``tune_metrics``."""
        return self._tune_outcome.report if self._tune_outcome is not None else None

    @property
    def tune_metrics(self) -> pd.DataFrame | None:
        """One row per task of the last backend tuning, as :attr:`task_metrics` has for a fit."""
        return self._tune_outcome.metrics if self._tune_outcome is not None else None

    @property
    def aws_lambda_metrics(self) -> pd.DataFrame | None:
        """One row per Lambda invocation request of the last fit or tuning on AWS Lambda (None before one).

        Retries are rows of their own (``attempt`` counts a task's requests). ``outcome`` is
        ``'ok'``, ``'function_error'`` or ``'timeout'`` for invocations that ran (and were billed),
        ``'throttled'``, ``'connection_error'`` or ``'rejected'`` for requests that did not run.
        Columns: task coordinates, ``request_id``, ``latency_s``, ``request_bytes``,
        ``response_bytes``, ``result_via`` (``'inline'`` or ``'store'``), from the REPORT line
        ``duration_ms``, ``billed_duration_ms``, ``memory_size_mb``, ``max_memory_used_mb``,
        ``init_duration_ms`` and ``cold_start``, then ``gb_seconds``, ``cost_usd``, the worker's
        cache hits, its process's memory in MiB and timings, and ``error_type`` / ``error_message``.
        """
        return self._backend_extras.get("aws_lambda_metrics")

    @property
    def aws_lambda_cost(self) -> dict[str, Any] | None:
        """Totals of the last fit or tuning on AWS Lambda: requests, billed GB-seconds, USD, wall seconds."""
        return self._backend_extras.get("aws_lambda_cost")

    # -- one run -----------------------------------------------------------------------------

    def _fit_seed(self, seed: Any) -> tuple[int, bool]:
        """The fit's seed and whether it was drawn (then it seeds only unset ``random_state``).

        A drawn seed comes from NumPy's global generator, once per fit: ``np.random.seed(s)``
        before the model makes the fit reproducible, as it does DoubleML's own ``fit()``. Until a
        fit succeeds, its reruns keep the seed drawn for it, so that they resume it.
        """
        checked = check_seed(seed)
        if checked is not None:
            return checked, False
        if self._pending_seed is None:
            self._pending_seed = int(np.random.randint(0, 2**31 - 1))
        return self._pending_seed, True

    def _store(self, spec: BackendSpec, given: Any) -> Any:
        """Where a run on ``spec`` is staged: the data's bucket for a backend whose workers read S3, else ``given``,
        the data's bucket or the local store."""
        data = self._serverless_data
        if spec.needs_s3_data:
            if not isinstance(data, S3StagedData):
                raise ConfigurationError(
                    f"The {type(spec).__name__} backend needs the data in S3, where its workers read it: build the "
                    "model on DoubleMLDataS3(bucket, file_key, frame, y_col=..., d_cols=..., x_cols=...) "
                    "(DoubleMLDIDDataS3 for a two-period DID, DoubleMLPanelDataS3 for DIDMulti and PLPR) instead of "
                    f"{type(data).__name__}, or use the local backend."
                )
            if given is not None and given is not data.store:
                raise ConfigurationError(
                    f"The {type(spec).__name__} backend reads the data's bucket; store= is not used."
                )
            return data.store
        if given is not None:
            return given
        return data.store if isinstance(data, S3StagedData) else LocalStore()

    def _settings(self) -> dict[str, Any]:
        return {"lambda_function_name": self.lambda_function_name, "aws_region": self.aws_region}

    def _context(
        self, spec: BackendSpec, run: RunOptions, scaling: str, seed: int | None = None, drawn: bool = False
    ) -> RunContext:
        """Open ``spec`` for one run of this model, its ``scaling`` resolved (checks that need no remote call first)."""
        store = self._store(spec, run.store)
        backend = spec.open(store, self._settings())
        verbose = run.verbose if run.verbose is not None else spec.default_verbose
        return RunContext.of(
            run, model=self, data=self._serverless_data, adapter=adapter, backend=backend, store=store,
            scaling=scaling, seed=seed, seed_only_unset=drawn, verbose=verbose,
        )  # fmt: skip

    def _plan_target(self, store: Any) -> PlanTarget:
        return PlanTarget(self, adapter, self._serverless_data, store, self._settings(), self._lambda_plan,
                          self.fit_report)  # fmt: skip

    def _running(self, ctx: RunContext, operation: Callable[[], Any]) -> Any:
        """Run ``operation``; keep what the backend reports (a failure carries it, the model stays as it was)."""
        try:
            outcome = operation()
        except BaseException as exc:
            ctx.backend.attach(exc)
            raise
        self._backend_extras = ctx.backend.extras(outcome.report.seconds["total"])
        return outcome


class ContainerMethods(ServerlessMethods):
    """The operations of DoubleML's container models (APOS, DIDMulti): no grid-search ``tune()``, as in DoubleML."""

    def tune(self, *args: Any, backend: Any = None, **kwargs: Any) -> Any:
        """Not available: DoubleML's container models have no grid-search ``tune()``.

        Raises
        ------
        AttributeError
            Always, naming :meth:`tune_ml_models`, which tunes every sub-model as DoubleML's does.
        """
        plain = next(c.__name__ for c in type(self).__mro__ if c.__module__.startswith("doubleml"))
        raise AttributeError(
            f"{type(self).__name__} has no grid-search tuning: DoubleML's {plain} has no tune(). Its sub-models are "
            "tuned with Optuna by tune_ml_models(backend=...) (tune_ml_models_local(), tune_ml_models_aws_lambda()), "
            "as DoubleML's tune_ml_models()."
        )


def _with_processes(spec: BackendSpec, arguments: dict[str, Any]) -> BackendSpec:
    """DoubleML's ``n_jobs_cv`` (or a container's ``n_jobs_models``), when given, as the backend's parallelism."""
    n_jobs_models = arguments.get("n_jobs_models")
    if n_jobs_models is not None and (not isinstance(n_jobs_models, int) or isinstance(n_jobs_models, bool)):
        raise InvalidTypeError(
            "The number of CPUs used to fit the models must be of int type. "
            f"{n_jobs_models!s} of type {type(n_jobs_models)!s} was passed."
        )
    processes = arguments.get("n_jobs_cv")
    if processes is None:
        processes = n_jobs_models
    return spec.with_processes(processes) if processes is not None else spec
