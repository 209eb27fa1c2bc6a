"""``fit_local()`` and ``fit_aws_lambda()``: the methods the model classes add to DoubleML's.

The mixin runs a fit through a backend (:func:`pydmlserverless.core.fitting.run_fit`) and keeps what
DoubleML does not: the timing report, per-task and per-invocation metrics, the cost, and the
nuisance targets and losses DoubleML leaves empty when predictions are external.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..backends.aws_lambda.backend import LambdaBackend
from ..backends.aws_lambda.cost import LambdaPrices
from ..backends.aws_lambda.options import LambdaOptions
from ..backends.aws_lambda.retry import RetryPolicy
from ..backends.aws_lambda.speculation import NO_SPECULATION, SpeculationPolicy
from ..backends.local import LocalBackend
from ..core.fitting import FitOutcome, FitReport, ProgressSink, check_seed, run_fit
from ..errors import ConfigurationError, InvalidTypeError
from ..planner import plan as planner
from ..planner.plan import LambdaPlan, choose_before_fit
from ..tuning.grid import check_tune_args, run_tune
from ..tuning.optuna import check_tune_ml_models_args, run_tune_ml_models
from ..worker.store import LocalStore, Store
from .adapter import check_fit_options
from .data import S3StagedData

if TYPE_CHECKING:
    from typing import Self

__all__ = ["ServerlessFitMixin", "ContainerFitMixin"]


class ServerlessFitMixin:
    """Backend-driven fitting shared by the model classes (mixed in before the DoubleML class).

    DoubleML's own ``fit()`` still works and replaces the state a backend fit left; the nuisance
    targets and losses then are DoubleML's again.
    """

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
        self._aws_lambda_metrics: pd.DataFrame | None = None
        self._aws_lambda_cost: dict[str, Any] | None = None
        # the seed drawn for a fit that has not yet succeeded: its rerun resumes it
        self._pending_seed: int | None = None

    def fit(self, *args: Any, **kwargs: Any) -> Self:
        """DoubleML's own ``fit()``; :meth:`fit_local` and :meth:`fit_aws_lambda` fan the fits out instead."""
        self._backend_nuisances = None
        super().fit(*args, **kwargs)  # type: ignore[misc]
        return self

    def _record(self, outcome: FitOutcome) -> None:
        self._outcome = outcome
        # a container model's (APOS, DIDMulti) sub-models report their own, as DoubleML's do
        self._backend_nuisances = outcome if outcome.nuisance_loss is not None else None
        self._pending_seed = None

    def _doubleml_fit_args(
        self, n_jobs_cv: Any, store_predictions: Any, external_predictions: Any, store_models: Any
    ) -> dict[str, Any]:
        """DoubleML's ``fit()`` arguments, checked as DoubleML checks them, for :func:`run_fit`."""
        check_fit_options(self, n_jobs_cv, store_predictions, external_predictions, store_models)
        return {
            "external_predictions": external_predictions,
            "store_predictions": store_predictions,
            "store_models": store_models,
        }

    def _run(
        self,
        data: Any,
        backend: Any,
        store: Store,
        label: str,
        scaling: str,
        seed: Any,
        progress: bool | ProgressSink | None,
        verbose: bool | None,
        resume: bool,
        doubleml_args: dict[str, Any],
    ) -> FitOutcome:
        """One backend fit with the fit's seed (given, or drawn: see :meth:`_fit_seed`)."""
        fit_seed, drawn = self._fit_seed(seed)
        return run_fit(
            self, data, backend, store, scaling, fit_seed, progress, label, verbose, resume, drawn, **doubleml_args
        )

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

    def fit_local(
        self,
        n_jobs: int | None = -1,
        scaling: str = "n_folds * n_rep",
        seed: int | None = None,
        progress: bool | ProgressSink | None = None,
        verbose: bool | None = None,
        store: Store | None = None,
        resume: bool = True,
        n_jobs_cv: int | None = None,
        store_predictions: bool = True,
        external_predictions: dict[str, dict[str, np.ndarray]] | None = None,
        store_models: bool = False,
    ) -> Self:
        """Fit every nuisance learner on a local process pool, then estimate with DoubleML.

        All repetitions, folds, learners and treatments run on one pool at once (DoubleML's own
        ``n_jobs_cv`` parallelises only the folds of one repetition).

        Parameters
        ----------
        n_jobs : int or None, default -1
            Worker processes; -1 uses all cores, 1 (or None) runs in this process.
        scaling : {'n_folds * n_rep', 'n_rep'}
            One task per fold, or one task per repetition fitting all folds.
        seed : int, optional
            Seeds every fit's learner ``random_state`` from (seed, treatment, learner, rep, fold);
            identical across scalings, backends and ``n_jobs``. None draws the fit's seed from
            NumPy's global generator (so ``np.random.seed(s)`` before the model makes the fit
            reproducible) and uses it only for ``random_state`` parameters that are None: a
            learner's own ``random_state`` is kept. The draws differ from DoubleML's
            single-process ``fit()`` under the same ``np.random.seed`` (the learners do not share
            one generator in parallel); ``seed=k`` is the exact, documented path.
        progress : bool or ProgressSink, optional
            Progress bar (tqdm); by default shown when stderr is a terminal. An object with
            ``update(n)`` (or a callable ``f(n)``) gets the task completions instead
            (:class:`pydmlserverless.core.fitting.ProgressSink`).
        verbose : bool, optional
            Print the timing summary; by default when the progress bar is shown.
        store : Store, optional
            Where data and splits are staged: the data's S3 bucket for :class:`DoubleMLDataS3`,
            else a local directory (``PYDMLSERVERLESS_CACHE_DIR`` or ``~/.cache/pydmlserverless``).
        resume : bool, default True
            Keep every task's result in the store, and skip the tasks whose results an earlier,
            interrupted or failed attempt of the same fit kept (same data, splits, learners,
            parameters and seed): a rerun never computes a finished task twice. False neither
            looks for nor keeps results. :func:`pydmlserverless.clear_results` deletes kept ones.
        n_jobs_cv, store_predictions, external_predictions, store_models
            DoubleML's ``fit()`` arguments, so that ``fit(...)`` calls become ``fit_local(...)``
            unchanged: ``n_jobs_cv`` (if given) is the number of processes; nuisances whose
            predictions are in ``external_predictions`` (DoubleML's ``{treatment: {nuisance:
            array (n_obs, n_rep)}}``) are not run, the others are, and DoubleML gets both;
            ``store_predictions=False`` leaves ``predictions`` and ``nuisance_targets`` empty;
            ``store_models=True`` brings each fold's fitted learner back into ``models``.

        Returns
        -------
        self
        """
        data = self._serverless_data
        doubleml_args = self._doubleml_fit_args(n_jobs_cv, store_predictions, external_predictions, store_models)
        if n_jobs_cv is not None:
            n_jobs = n_jobs_cv
        store, backend, label = _local_backend(data, n_jobs, store)
        outcome = self._run(data, backend, store, label, scaling, seed, progress, verbose, resume, doubleml_args)
        self._record(outcome)
        return self

    def fit_dask(
        self,
        client: Any = None,
        scaling: str = "n_folds * n_rep",
        seed: int | None = None,
        progress: bool | ProgressSink | None = None,
        verbose: bool | None = None,
        store: Store | None = None,
        resume: bool = True,
        ship: str = "scatter",
        n_jobs_cv: int | None = None,
        store_predictions: bool = True,
        external_predictions: dict[str, dict[str, np.ndarray]] | None = None,
        store_models: bool = False,
    ) -> Self:
        """Fit every nuisance learner on a Dask cluster (``dask.distributed``), then estimate with DoubleML.

        Every task goes to the cluster through ``client`` and runs the same worker as
        :meth:`fit_local` and :meth:`fit_aws_lambda`; results are taken as they complete. The same
        seed gives the same numbers as those. Needs ``pip install pydmlserverless[dask]``; the
        workers need pydmlserverless and the same numpy, scipy and scikit-learn.

        Parameters
        ----------
        client : dask.distributed.Client, str or None
            The cluster's client (e.g. ``Client(SLURMCluster(...))`` from dask-jobqueue), a
            scheduler address (``'tcp://host:8786'``), or None for the current default client.
        scaling, seed, progress, verbose, store, resume
            As for :meth:`fit_local` (``store`` is where the fit is staged, on the client's side).
        ship : {'scatter', 'store'}, default 'scatter'
            How the staged dataset and splits reach the workers, once per worker either way:
            ``'scatter'`` sends them from the client to every worker's memory
            (``client.scatter(..., broadcast=True)``), and the client writes the kept results, so
            the workers need no shared file system or credentials; ``'store'`` has the workers
            read (and keep results in) the store themselves: a folder every worker mounts (the
            default local store on a shared home) or the data's S3 bucket with the workers' own
            AWS configuration.
        n_jobs_cv, store_predictions, external_predictions, store_models
            As for :meth:`fit_local` (``n_jobs_cv`` is checked as DoubleML checks it, and unused:
            the cluster's workers set the parallelism).

        Failure semantics (see :mod:`pydmlserverless.backends.dask.backend`): a worker lost
        mid-fit has its tasks rescheduled by Dask and each task's result is taken once, so the
        numbers equal an undisturbed fit's; a task that raises (or kills more workers than
        ``distributed.scheduler.allowed-failures``) raises a :class:`TaskError` naming it;
        KeyboardInterrupt cancels every future of the fit. ``task_metrics`` has each task's
        ``worker`` address, ``host``, ``pid``, durations, memory and ``request_bytes``.

        Returns
        -------
        self

        Examples
        --------
        >>> from dask.distributed import Client, LocalCluster  # doctest: +SKIP
        >>> client = Client(LocalCluster(n_workers=2, threads_per_worker=1))  # doctest: +SKIP
        >>> model.fit_dask(client, seed=1).summary  # doctest: +SKIP
        """
        data = self._serverless_data
        doubleml_args = self._doubleml_fit_args(n_jobs_cv, store_predictions, external_predictions, store_models)
        store, backend, label = _dask_backend(data, client, store, ship)
        outcome = self._run(data, backend, store, label, scaling, seed, progress, verbose, resume, doubleml_args)
        self._record(outcome)
        return self

    def fit_ray(
        self,
        address: str | None = None,
        scaling: str = "n_folds * n_rep",
        seed: int | None = None,
        progress: bool | ProgressSink | None = None,
        verbose: bool | None = None,
        store: Store | None = None,
        resume: bool = True,
        ship: str = "put",
        max_retries: int = 3,
        n_jobs_cv: int | None = None,
        store_predictions: bool = True,
        external_predictions: dict[str, dict[str, np.ndarray]] | None = None,
        store_models: bool = False,
    ) -> Self:
        """Fit every nuisance learner on a Ray cluster, then estimate with DoubleML.

        Every task is a Ray task (one CPU each) running the same worker as :meth:`fit_local` and
        :meth:`fit_aws_lambda`; results are taken as they complete. The same seed gives the same
        numbers as those. Needs ``pip install pydmlserverless[ray]``; the cluster's workers need
        pydmlserverless and the same numpy, scipy and scikit-learn.

        Parameters
        ----------
        address : str or None
            Used only when this process is not connected to Ray yet (``ray.init()`` not called):
            the cluster to connect to (``'auto'``, a head node's ``'host:6379'``, a Ray Client
            ``'ray://host:10001'``); None follows Ray's own rule (``RAY_ADDRESS``, else a new local
            Ray instance on this machine's cores).
        scaling, seed, progress, verbose, store, resume
            As for :meth:`fit_local` (``store`` is where the fit is staged, on the client's side).
        ship : {'put', 'store'}, default 'put'
            How the staged dataset and splits reach the workers: ``'put'`` puts them into Ray's
            object store once (each node then holds one shared copy) and the client writes the kept
            results, so the workers need no shared file system or credentials; ``'store'`` has the
            workers read (and keep results in) the store themselves, as for :meth:`fit_dask`.
        max_retries : int, default 3
            Ray's retries of a task whose worker process or node died.
        n_jobs_cv, store_predictions, external_predictions, store_models
            As for :meth:`fit_local` (``n_jobs_cv`` is checked as DoubleML checks it, and unused:
            the cluster's CPUs set the parallelism).

        Failure semantics (see :mod:`pydmlserverless.backends.ray.backend`): a worker or node lost
        mid-fit has its tasks run again by Ray and each task's result is taken once, so the
        numbers equal an undisturbed fit's; a task that raises (or whose retries run out) raises a
        :class:`TaskError` naming it; KeyboardInterrupt cancels every task of the fit.
        ``task_metrics`` has each task's Ray ``worker`` and ``node`` ids, ``host``, ``pid``,
        durations, memory and ``request_bytes``.

        Returns
        -------
        self

        Examples
        --------
        >>> import ray  # doctest: +SKIP
        >>> ray.init(num_cpus=2)  # doctest: +SKIP
        >>> model.fit_ray(seed=1).summary  # doctest: +SKIP
        """
        data = self._serverless_data
        doubleml_args = self._doubleml_fit_args(n_jobs_cv, store_predictions, external_predictions, store_models)
        store, backend, label = _ray_backend(data, address, store, ship, max_retries)
        outcome = self._run(data, backend, store, label, scaling, seed, progress, verbose, resume, doubleml_args)
        self._record(outcome)
        return self

    def fit_aws_lambda(
        self,
        scaling: str = "n_folds * n_rep",
        seed: int | None = None,
        max_concurrency: int = 100,
        lambda_client: Any = None,
        session: Any = None,
        boto_config: Any = None,
        architecture: str | None = None,
        memory_mb: int | None = None,
        function_timeout_s: float = 900,
        max_function_error_retries: int = 2,
        retry_policy: RetryPolicy | None = None,
        prices: LambdaPrices | None = None,
        progress: bool | ProgressSink | None = None,
        verbose: bool | None = True,
        check_versions: bool = True,
        resume: bool = True,
        speculation: bool | SpeculationPolicy = True,
        n_jobs_cv: int | None = None,
        store_predictions: bool = True,
        external_predictions: dict[str, dict[str, np.ndarray]] | None = None,
        store_models: bool = False,
    ) -> Self:
        """Fit every nuisance learner on AWS Lambda, then estimate with DoubleML.

        Each task (scaling ``'n_folds * n_rep'``: one fold; ``'n_rep'``: all folds of a
        repetition) is one synchronous invocation of the function named in the constructor
        (deployed with ``sam/template.yaml``), in the constructor's region. The data must be a
        :class:`DoubleMLDataS3`: the function reads the data and the sample splits from its bucket
        by key, so a request's size does not grow with the number of observations; results larger
        than 64 KiB (about 6,000 predictions) come back through the bucket too. AWS access follows the SDK's own
        configuration (credentials, profiles, ``AWS_REGION``, ``AWS_ENDPOINT_URL_LAMBDA``).

        Parameters
        ----------
        scaling : {'n_folds * n_rep', 'n_rep'}
            One invocation per fold, or one per repetition fitting all folds.
        seed : int, optional
            As for :meth:`fit_local`: the same seed gives the same numbers on either backend.
        max_concurrency : int, default 100
            Invocations in flight at most (client threads and connections). Throttled invocations
            (429) are retried after ``Retry-After`` with jittered backoff, and the client holds back
            while throttled.
        lambda_client : botocore Lambda client, optional
            A ready client; its read timeout must exceed ``function_timeout_s``
            (:func:`pydmlserverless.backends.aws_lambda.lambda_client_config` makes a suitable Config).
        session : boto3.Session, optional
            Session to make the client from (one client per fit).
        boto_config : botocore.config.Config, optional
            Extra client settings; retries stay off and the read timeout above the function's timeout.
        architecture : {'arm64', 'x86_64'}, optional
            For the cost; by default read from the function's configuration, else ``'arm64'``.
        memory_mb : int, optional
            For the cost when a REPORT line lacks it; by default read from the configuration.
        function_timeout_s : float, default 900
            The function's timeout or more (the client waits this long plus a minute for a response).
        max_function_error_retries : int, default 2
            How often a task whose function raised is invoked again before a :class:`TaskError`
            names it (ignored when ``retry_policy`` is given). Timed-out tasks are not retried:
            they raise :class:`TaskTimeoutError`.
        retry_policy : RetryPolicy, optional
            The full retry policy (throttles, connection errors, function errors, backoff).
        prices : LambdaPrices, optional
            Price table for the cost (default: us-east-1 list prices).
        progress : bool or ProgressSink, optional
            Progress bar; by default shown when stderr is a terminal. An object with
            ``update(n)`` (or a callable ``f(n)``) gets the task completions instead
            (:class:`pydmlserverless.core.fitting.ProgressSink`).
        verbose : bool, default True
            Print the summary after the fit: wall time, invocations, retries, cold starts, billed
            GB-seconds and cost.
        check_versions : bool, default True
            Raise :class:`DeploymentMismatchError` at the first response if the function runs
            another numpy, scipy, scikit-learn or pydmlserverless than this environment.
        resume : bool, default True
            As for :meth:`fit_local`: the function keeps every result in the bucket (one PUT per
            task, see docs/benchmarks.md), and a rerun of an interrupted or failed fit invokes
            only the tasks without a kept result. Kept results expire with the bucket's
            lifecycle rule (``ResultsExpirationDays``, 7 days by default).
        speculation : bool or SpeculationPolicy, default True
            Invoke a straggling task a second time and take the first answer (both compute the
            same predictions): by default a task running past 3x the median of its nuisance's
            finished tasks (and at least 10 s), for at most 2 % of the tasks, so that it costs
            at most about 2 % more billed time. False never does; a
            :class:`~pydmlserverless.SpeculationPolicy` sets the thresholds.
        n_jobs_cv, store_predictions, external_predictions, store_models
            As for :meth:`fit_local` (``n_jobs_cv`` is checked as DoubleML checks it, and unused:
            ``max_concurrency`` sets the parallelism).

        ``scaling='auto'`` chooses the scaling from the model's last :meth:`plan_aws_lambda` (or a
        probe of 2 tasks at the function's memory) by the plan's strategy, and prints what it chose
        and why. Where a plan predicts the fit's tasks, a task predicted to run longer than
        ``function_timeout_s`` is refused before any invocation; a task that ran past 80 % of it
        is reported by a :class:`~pydmlserverless.errors.TaskNearTimeoutWarning`.

        Returns
        -------
        self

        Raises
        ------
        ConfigurationError
            Before any invocation: the data is not a DoubleMLDataS3, no function name, a bad option,
            or a plan predicting a task longer than the function's timeout (the message gives the
            predicted seconds and the scalings and memory sizes that fit).
        TaskError, TaskTimeoutError
            A task failed after its retries, or ran past the function's timeout; names the task.
        DeploymentMismatchError
            The deployed libraries would change the results.

        Examples
        --------
        >>> from sklearn.base import clone  # doctest: +SKIP
        >>> from sklearn.ensemble import RandomForestRegressor  # doctest: +SKIP
        >>> data = DoubleMLDataS3("my-bucket", "bonus.csv", df, y_col="inuidur1", d_cols="tg")  # doctest: +SKIP
        >>> ml = RandomForestRegressor(n_estimators=500)  # doctest: +SKIP
        >>> model = DoubleMLPLRServerless("LambdaCVPredict", "eu-central-1", data, clone(ml), clone(ml),
        ...                               n_folds=5, n_rep=100)  # doctest: +SKIP
        >>> model.fit_aws_lambda(seed=1).summary  # doctest: +SKIP
        >>> model.aws_lambda_metrics[["task_id", "billed_duration_ms", "cold_start"]]  # doctest: +SKIP
        """
        data = self._serverless_data
        doubleml_args = self._doubleml_fit_args(n_jobs_cv, store_predictions, external_predictions, store_models)
        backend, label = self._lambda_backend(
            max_concurrency, lambda_client, session, boto_config, architecture, memory_mb, function_timeout_s,
            max_function_error_retries, retry_policy, prices, check_versions, speculation,
        )  # fmt: skip
        plan_kwargs = {"max_concurrency": max_concurrency, "lambda_client": backend.client,
                       "architecture": architecture, "prices": prices, "check_versions": check_versions,
                       "seed": seed}  # fmt: skip
        scaling = choose_before_fit(self, scaling, memory_mb, function_timeout_s, plan_kwargs, verbose)
        with _invocations_on_failure(backend):
            outcome = self._run(
                data, backend, data.store, label, scaling, seed, progress, verbose, resume, doubleml_args
            )
        self._keep_invocations(backend, outcome.report)
        self._record(outcome)
        return self

    def plan_aws_lambda(
        self,
        memory_mb: int | tuple[int, ...] = (512, 1024, 1769, 3008),
        scaling: str | tuple[str, ...] = ("n_rep", "n_folds * n_rep"),
        probe_tasks: int = 4,
        max_concurrency: int = 100,
        probe: str = "lambda",
        architecture: str | None = None,
        prices: LambdaPrices | None = None,
        function_timeout_s: float = 900,
        strategy: str = "balanced",
        **options: Any,
    ) -> LambdaPlan:
        """Predict the wall time and cost of :meth:`fit_aws_lambda` for each memory size and scaling.

        Runs ``probe_tasks`` of the fit's own one-fold tasks (taken in turn from every nuisance) on
        the function at each memory size (``probe='lambda'``; the function's memory is changed with
        UpdateFunctionConfiguration and put back; where that is not allowed, the probe runs at its
        memory and the others are scaled by the CPU model), or on the local pool
        (``probe='local'``, a local core taken as one Lambda vCPU), and predicts each
        configuration's wall time (waves over ``max_concurrency``, cold starts, Lambda's burst
        scaling), billed GB-s, USD on ``architecture`` and whether its longest task fits 80 % of
        ``function_timeout_s`` (the model: :mod:`pydmlserverless.planner.model`). A row of the
        same work on the local pool is added (``compare_local=False`` leaves it out).

        Parameters
        ----------
        memory_mb, scaling : int or tuple
            The grid.
        probe_tasks : int, default 4
            Tasks run per memory size (two waves: cold, then warm).
        max_concurrency : int, default 100
            The fit's concurrency (as :meth:`fit_aws_lambda`'s).
        probe : {'lambda', 'local'}
            Where the probe runs.
        architecture, prices, function_timeout_s
            As for :meth:`fit_aws_lambda`.
        strategy : {'cost', 'speed', 'balanced'}
            AWS Lambda Power Tuning's strategy for the recommendation (and ``scaling='auto'``).
        **options
            ``seed``, ``lambda_client``, ``session``, ``boto_config``, ``configure_memory``
            (a callable ``f(memory_mb)``, or False never to change it), ``cpu`` (a
            :class:`~pydmlserverless.planner.model.CpuModel`), ``init_billed``, ``init_s``,
            ``local_core_mb``, ``compare_local`` (False, True or the local ``n_jobs``),
            ``check_versions``, ``verbose`` (print the plan, default True).

        Returns
        -------
        LambdaPlan
            A DataFrame, one row per configuration; ``.recommend(strategy)``, ``.plot()``,
            ``.predict(memory_mb, scaling)``, ``.probe`` (the probe's tasks, invocations, seconds,
            GB-s and USD) and ``.notes``.
        """
        return planner.plan_aws_lambda(
            self, memory_mb, scaling, probe_tasks, max_concurrency, probe, architecture, prices,
            function_timeout_s, strategy, **options,
        )  # fmt: skip

    def plan_local(
        self, n_jobs: int | None = -1, scaling: str | tuple[str, ...] = ("n_rep", "n_folds * n_rep"), **options: Any
    ) -> pd.DataFrame:
        """The predicted wall time of :meth:`fit_local` on ``n_jobs`` processes, from a local probe (a row per scaling).

        ``options``: ``probe_tasks`` (at least two per process), ``seed``, ``verbose``.
        """
        return planner.plan_local(self, n_jobs, scaling, **options)

    @property
    def lambda_plan(self) -> LambdaPlan | None:
        """The last :meth:`plan_aws_lambda` (None before one)."""
        return getattr(self, "_lambda_plan", None)

    def _keep_invocations(self, backend: LambdaBackend, report: FitReport) -> None:
        """``aws_lambda_metrics`` and ``aws_lambda_cost`` of a finished Lambda fit or tuning."""
        cost = backend.cost()
        cost["wall_s"] = report.seconds["total"]
        self._aws_lambda_metrics, self._aws_lambda_cost = backend.invocations_frame(), cost

    def _lambda_backend(
        self,
        max_concurrency: int,
        lambda_client: Any,
        session: Any,
        boto_config: Any,
        architecture: str | None,
        memory_mb: int | None,
        function_timeout_s: float,
        max_function_error_retries: int,
        retry_policy: RetryPolicy | None,
        prices: LambdaPrices | None,
        check_versions: bool,
        speculation: bool | SpeculationPolicy,
    ) -> tuple[LambdaBackend, str]:
        """The Lambda backend of :meth:`fit_aws_lambda` and :meth:`tune_aws_lambda`, after their checks."""
        data = self._serverless_data
        if not isinstance(data, S3StagedData):
            raise ConfigurationError(
                "fit_aws_lambda() needs the data in S3, where the Lambda function reads it: build the model on "
                "DoubleMLDataS3(bucket, file_key, frame, y_col=..., d_cols=..., x_cols=...) (DoubleMLDIDDataS3 for "
                "a two-period DID, DoubleMLPanelDataS3 for DIDMulti and PLPR) instead of "
                f"{type(data).__name__}, or use fit_local()."
            )
        if not self.lambda_function_name:
            raise ConfigurationError(
                "No Lambda function name: pass it as the model's first argument, e.g. "
                f"{type(self).__name__}('LambdaCVPredict', 'eu-central-1', data, ...)."
            )
        options = LambdaOptions(
            max_concurrency=max_concurrency,
            function_timeout_s=function_timeout_s,
            retry_policy=retry_policy or RetryPolicy(max_function_error_retries=max_function_error_retries),
            architecture=architecture,
            memory_mb=memory_mb,
            prices=prices or LambdaPrices(),
            check_versions=check_versions,
            speculation=_speculation_policy(speculation),
        )
        backend = LambdaBackend(
            self.lambda_function_name,
            data.store,
            options,
            client=lambda_client,
            region=self.aws_region,
            session=session,
            boto_config=boto_config,
        )
        label = f"AWS Lambda {self.lambda_function_name!r} (up to {max_concurrency} concurrent invocations)"
        return backend, label

    def tune_local(
        self,
        param_grids: dict[str, Any],
        tune_on_folds: bool = False,
        scoring_methods: dict[str, Any] | None = None,
        n_folds_tune: int = 5,
        search_mode: str = "grid_search",
        n_iter_randomized_search: int = 100,
        n_jobs_cv: int | None = None,
        set_as_params: bool = True,
        return_tune_res: bool = False,
        n_jobs: int | None = -1,
        scaling: str = "n_folds * n_rep",
        progress: bool | None = None,
        verbose: bool | None = None,
        store: Store | None = None,
        resume: bool = True,
    ) -> Any:
        """DoubleML's ``tune()`` with every (search, candidate, inner fold) fit on the local process pool.

        The searches, their candidates and inner splits, the choice (scikit-learn's: highest mean
        test score, ties to the first candidate) and how the parameters are set are DoubleML's
        ``tune()``'s (:mod:`pydmlserverless.tuning.grid`): with learners that draw nothing from NumPy's
        global generator (a fixed ``random_state``, or deterministic ones), ``np.random.seed(s)``
        before either gives the same candidates, splits and choice. PLR and PLIV (both scores; the
        IV-type ``ml_g`` on DoubleML's first-round estimate), IRM, IIVM, APO, DID and DIDCS.

        Parameters
        ----------
        param_grids, tune_on_folds, scoring_methods, n_folds_tune, search_mode, n_iter_randomized_search,
        n_jobs_cv, set_as_params, return_tune_res
            As for DoubleML's ``tune()`` (``n_jobs_cv``, if given, is the number of processes;
            ``scoring_methods`` are scikit-learn scorer names, scored from the predictions).
        n_jobs, scaling, progress, verbose, store, resume
            As for :meth:`fit_local` (``scaling='n_rep'``: one task per candidate, its inner folds inside).

        Returns
        -------
        self, or with ``return_tune_res`` DoubleML's result layout
            Per treatment ``{"params": {nuisance: [best params]}, "tune_res": {"<nuisance>_tune":
            [SearchResult]}}``; with ``tune_on_folds`` one such list per repetition. A
            :class:`~pydmlserverless.tuning.grid.SearchResult` has a fitted search's ``best_params_``,
            ``best_score_``, ``best_index_``, ``cv_results_`` and ``n_splits_`` (no ``best_estimator_``).

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
        >>> _ = model.tune_local({"ml_l": grid, "ml_m": grid}, n_jobs=1, progress=False)
        >>> sorted(model.params["ml_l"]["d"][0][0])
        ['alpha']
        """
        scoring = self._tune_args(
            param_grids, tune_on_folds, scoring_methods, n_folds_tune, search_mode, n_iter_randomized_search,
            n_jobs_cv, set_as_params, return_tune_res,
        )  # fmt: skip
        store, backend, label = _local_backend(self._serverless_data, n_jobs_cv or n_jobs, store)
        search = {"n_folds_tune": n_folds_tune, "search_mode": search_mode,
                  "n_iter_randomized_search": n_iter_randomized_search}  # fmt: skip
        outcome = run_tune(
            self, self._serverless_data, backend, store, label, param_grids, tune_on_folds, scoring, search,
            scaling, progress, verbose, resume, set_as_params,
        )  # fmt: skip
        self._tune_outcome = outcome
        return outcome.tuning_res if return_tune_res else self

    def tune_dask(
        self,
        param_grids: dict[str, Any],
        tune_on_folds: bool = False,
        scoring_methods: dict[str, Any] | None = None,
        n_folds_tune: int = 5,
        search_mode: str = "grid_search",
        n_iter_randomized_search: int = 100,
        n_jobs_cv: int | None = None,
        set_as_params: bool = True,
        return_tune_res: bool = False,
        client: Any = None,
        scaling: str = "n_folds * n_rep",
        progress: bool | None = None,
        verbose: bool | None = None,
        store: Store | None = None,
        resume: bool = True,
        ship: str = "scatter",
    ) -> Any:
        """DoubleML's ``tune()`` with every (search, candidate, inner fold) fit on a Dask cluster.

        As :meth:`tune_local`, on the client and with the options of :meth:`fit_dask`
        (``n_jobs_cv`` is checked as DoubleML checks it, and unused).
        """
        scoring = self._tune_args(
            param_grids, tune_on_folds, scoring_methods, n_folds_tune, search_mode, n_iter_randomized_search,
            n_jobs_cv, set_as_params, return_tune_res,
        )  # fmt: skip
        store, backend, label = _dask_backend(self._serverless_data, client, store, ship)
        search = {"n_folds_tune": n_folds_tune, "search_mode": search_mode,
                  "n_iter_randomized_search": n_iter_randomized_search}  # fmt: skip
        outcome = run_tune(
            self, self._serverless_data, backend, store, label, param_grids, tune_on_folds, scoring, search,
            scaling, progress, verbose, resume, set_as_params,
        )  # fmt: skip
        self._tune_outcome = outcome
        return outcome.tuning_res if return_tune_res else self

    def tune_ray(
        self,
        param_grids: dict[str, Any],
        tune_on_folds: bool = False,
        scoring_methods: dict[str, Any] | None = None,
        n_folds_tune: int = 5,
        search_mode: str = "grid_search",
        n_iter_randomized_search: int = 100,
        n_jobs_cv: int | None = None,
        set_as_params: bool = True,
        return_tune_res: bool = False,
        address: str | None = None,
        scaling: str = "n_folds * n_rep",
        progress: bool | None = None,
        verbose: bool | None = None,
        store: Store | None = None,
        resume: bool = True,
        ship: str = "put",
        max_retries: int = 3,
    ) -> Any:
        """DoubleML's ``tune()`` with every (search, candidate, inner fold) fit on a Ray cluster.

        As :meth:`tune_local`, on Ray and with the options of :meth:`fit_ray`
        (``n_jobs_cv`` is checked as DoubleML checks it, and unused).
        """
        scoring = self._tune_args(
            param_grids, tune_on_folds, scoring_methods, n_folds_tune, search_mode, n_iter_randomized_search,
            n_jobs_cv, set_as_params, return_tune_res,
        )  # fmt: skip
        store, backend, label = _ray_backend(self._serverless_data, address, store, ship, max_retries)
        search = {"n_folds_tune": n_folds_tune, "search_mode": search_mode,
                  "n_iter_randomized_search": n_iter_randomized_search}  # fmt: skip
        outcome = run_tune(
            self, self._serverless_data, backend, store, label, param_grids, tune_on_folds, scoring, search,
            scaling, progress, verbose, resume, set_as_params,
        )  # fmt: skip
        self._tune_outcome = outcome
        return outcome.tuning_res if return_tune_res else self

    def tune_aws_lambda(
        self,
        param_grids: dict[str, Any],
        tune_on_folds: bool = False,
        scoring_methods: dict[str, Any] | None = None,
        n_folds_tune: int = 5,
        search_mode: str = "grid_search",
        n_iter_randomized_search: int = 100,
        n_jobs_cv: int | None = None,
        set_as_params: bool = True,
        return_tune_res: bool = False,
        scaling: str = "n_folds * n_rep",
        max_concurrency: int = 100,
        lambda_client: Any = None,
        session: Any = None,
        boto_config: Any = None,
        architecture: str | None = None,
        memory_mb: int | None = None,
        function_timeout_s: float = 900,
        max_function_error_retries: int = 2,
        retry_policy: RetryPolicy | None = None,
        prices: LambdaPrices | None = None,
        progress: bool | None = None,
        verbose: bool | None = True,
        check_versions: bool = True,
        resume: bool = True,
        speculation: bool | SpeculationPolicy = True,
    ) -> Any:
        """DoubleML's ``tune()`` with every (search, candidate, inner fold) fit on AWS Lambda.

        As :meth:`tune_local`, on the function and with the options of :meth:`fit_aws_lambda`
        (``n_jobs_cv`` is checked as DoubleML checks it, and unused). The invocations and their
        cost are in ``aws_lambda_metrics`` and ``aws_lambda_cost`` afterwards.
        """
        scoring = self._tune_args(
            param_grids, tune_on_folds, scoring_methods, n_folds_tune, search_mode, n_iter_randomized_search,
            n_jobs_cv, set_as_params, return_tune_res,
        )  # fmt: skip
        backend, label = self._lambda_backend(
            max_concurrency, lambda_client, session, boto_config, architecture, memory_mb, function_timeout_s,
            max_function_error_retries, retry_policy, prices, check_versions, speculation,
        )  # fmt: skip
        data = self._serverless_data
        search = {"n_folds_tune": n_folds_tune, "search_mode": search_mode,
                  "n_iter_randomized_search": n_iter_randomized_search}  # fmt: skip
        with _invocations_on_failure(backend):
            outcome = run_tune(
                self, data, backend, data.store, label, param_grids, tune_on_folds, scoring, search,
                scaling, progress, verbose, resume, set_as_params,
            )  # fmt: skip
        self._keep_invocations(backend, outcome.report)
        self._tune_outcome = outcome
        return outcome.tuning_res if return_tune_res else self

    def tune_ml_models_local(
        self,
        ml_param_space: dict[str, Any],
        scoring_methods: dict[str, Any] | None = None,
        cv: Any = 5,
        set_as_params: bool = True,
        return_tune_res: bool = False,
        optuna_settings: dict[str, Any] | None = None,
        n_jobs: int | None = -1,
        scaling: str = "n_folds * n_rep",
        progress: bool | None = None,
        verbose: bool | None = None,
        store: Store | None = None,
        resume: bool = True,
    ) -> Any:
        """DoubleML's ``tune_ml_models()`` (Optuna) with every trial's ``cv`` folds fitted on the local process pool.

        The studies, their samples, settings and results are DoubleML's
        (:mod:`pydmlserverless.tuning.optuna`): with a seeded sampler, the trials, the chosen
        parameters and the following fit equal DoubleML's ``tune_ml_models()`` + ``fit()``.
        Studies sharing a sampler run one after another as in DoubleML; studies with their own
        samplers run at once; ``optuna_settings['n_jobs_optuna'] = k`` evaluates ``k`` trials of a
        study at once (reproducible with a seeded sampler, but the batch's trials see fewer
        completed trials than DoubleML's sequential study). PLR (both scores), PLIV (partialling
        out), IRM, IIVM, APO, APOS, DID, DIDCS and PLPR.

        Parameters
        ----------
        ml_param_space, scoring_methods, cv, set_as_params, return_tune_res, optuna_settings
            As for DoubleML's ``tune_ml_models()`` (``scoring_methods`` are scikit-learn scorer
            names, scored from the predictions the workers return).
        n_jobs, scaling, progress, verbose, store, resume
            As for :meth:`fit_local` (``scaling='n_rep'``: one task per trial, its folds inside).

        Returns
        -------
        self, or with ``return_tune_res`` DoubleML's result layout
            Per treatment ``{params_name: DMLOptunaResult}`` (DoubleML's class; its
            ``best_estimator`` is unfitted).

        Examples
        --------
        >>> import numpy as np, optuna
        >>> from doubleml.plm.datasets import make_plr_CCDDHNR2018
        >>> from sklearn.linear_model import Lasso
        >>> from pydmlserverless import DoubleMLPLRServerless
        >>> np.random.seed(2)
        >>> data = make_plr_CCDDHNR2018(n_obs=200, dim_x=5)
        >>> model = DoubleMLPLRServerless(None, None, data, Lasso(), Lasso(), n_folds=3)
        >>> space = lambda trial: {"alpha": trial.suggest_float("alpha", 1e-3, 1.0, log=True)}
        >>> settings = {"n_trials": 4, "sampler": optuna.samplers.TPESampler(seed=1),
        ...             "verbosity": optuna.logging.WARNING}
        >>> res = model.tune_ml_models_local({"ml_l": space, "ml_m": space}, optuna_settings=settings,
        ...                                  return_tune_res=True, n_jobs=1, progress=False)
        >>> sorted(res[0]), res[0]["ml_l"].tuned
        (['ml_l', 'ml_m'], True)
        """
        per_unit, cv_splitter = check_tune_ml_models_args(
            self, ml_param_space, scoring_methods, cv, set_as_params, return_tune_res, optuna_settings
        )
        store, backend, label = _local_backend(self._serverless_data, n_jobs, store)
        outcome = run_tune_ml_models(
            self, self._serverless_data, backend, store, label, per_unit, cv_splitter, optuna_settings,
            scaling, progress, verbose, resume, set_as_params,
        )  # fmt: skip
        self._tune_outcome = outcome
        return outcome.tuning_res if return_tune_res else self

    def tune_ml_models_dask(
        self,
        ml_param_space: dict[str, Any],
        scoring_methods: dict[str, Any] | None = None,
        cv: Any = 5,
        set_as_params: bool = True,
        return_tune_res: bool = False,
        optuna_settings: dict[str, Any] | None = None,
        client: Any = None,
        scaling: str = "n_folds * n_rep",
        progress: bool | None = None,
        verbose: bool | None = None,
        store: Store | None = None,
        resume: bool = True,
        ship: str = "scatter",
    ) -> Any:
        """DoubleML's ``tune_ml_models()`` (Optuna) with every trial's ``cv`` folds fitted on a Dask cluster.

        As :meth:`tune_ml_models_local`, on the client and with the options of :meth:`fit_dask`.
        """
        per_unit, cv_splitter = check_tune_ml_models_args(
            self, ml_param_space, scoring_methods, cv, set_as_params, return_tune_res, optuna_settings
        )
        store, backend, label = _dask_backend(self._serverless_data, client, store, ship)
        outcome = run_tune_ml_models(
            self, self._serverless_data, backend, store, label, per_unit, cv_splitter, optuna_settings,
            scaling, progress, verbose, resume, set_as_params,
        )  # fmt: skip
        self._tune_outcome = outcome
        return outcome.tuning_res if return_tune_res else self

    def tune_ml_models_ray(
        self,
        ml_param_space: dict[str, Any],
        scoring_methods: dict[str, Any] | None = None,
        cv: Any = 5,
        set_as_params: bool = True,
        return_tune_res: bool = False,
        optuna_settings: dict[str, Any] | None = None,
        address: str | None = None,
        scaling: str = "n_folds * n_rep",
        progress: bool | None = None,
        verbose: bool | None = None,
        store: Store | None = None,
        resume: bool = True,
        ship: str = "put",
        max_retries: int = 3,
    ) -> Any:
        """DoubleML's ``tune_ml_models()`` (Optuna) with every trial's ``cv`` folds fitted on a Ray cluster.

        As :meth:`tune_ml_models_local`, on Ray and with the options of :meth:`fit_ray`.
        """
        per_unit, cv_splitter = check_tune_ml_models_args(
            self, ml_param_space, scoring_methods, cv, set_as_params, return_tune_res, optuna_settings
        )
        store, backend, label = _ray_backend(self._serverless_data, address, store, ship, max_retries)
        outcome = run_tune_ml_models(
            self, self._serverless_data, backend, store, label, per_unit, cv_splitter, optuna_settings,
            scaling, progress, verbose, resume, set_as_params,
        )  # fmt: skip
        self._tune_outcome = outcome
        return outcome.tuning_res if return_tune_res else self

    def tune_ml_models_aws_lambda(
        self,
        ml_param_space: dict[str, Any],
        scoring_methods: dict[str, Any] | None = None,
        cv: Any = 5,
        set_as_params: bool = True,
        return_tune_res: bool = False,
        optuna_settings: dict[str, Any] | None = None,
        scaling: str = "n_folds * n_rep",
        max_concurrency: int = 100,
        lambda_client: Any = None,
        session: Any = None,
        boto_config: Any = None,
        architecture: str | None = None,
        memory_mb: int | None = None,
        function_timeout_s: float = 900,
        max_function_error_retries: int = 2,
        retry_policy: RetryPolicy | None = None,
        prices: LambdaPrices | None = None,
        progress: bool | None = None,
        verbose: bool | None = True,
        check_versions: bool = True,
        resume: bool = True,
        speculation: bool | SpeculationPolicy = True,
    ) -> Any:
        """DoubleML's ``tune_ml_models()`` (Optuna) with every trial's ``cv`` folds fitted on AWS Lambda.

        As :meth:`tune_ml_models_local`, on the function and with the options of
        :meth:`fit_aws_lambda`. A trial's folds are invoked at once; with a shared seeded sampler
        the studies run one after another, so ``n_jobs_optuna`` (trials per batch) is what widens
        the fan-out. The invocations and their cost are in ``aws_lambda_metrics`` and
        ``aws_lambda_cost`` afterwards.
        """
        per_unit, cv_splitter = check_tune_ml_models_args(
            self, ml_param_space, scoring_methods, cv, set_as_params, return_tune_res, optuna_settings
        )
        backend, label = self._lambda_backend(
            max_concurrency, lambda_client, session, boto_config, architecture, memory_mb, function_timeout_s,
            max_function_error_retries, retry_policy, prices, check_versions, speculation,
        )  # fmt: skip
        data = self._serverless_data
        with _invocations_on_failure(backend):
            outcome = run_tune_ml_models(
                self, data, backend, data.store, label, per_unit, cv_splitter, optuna_settings,
                scaling, progress, verbose, resume, set_as_params,
            )  # fmt: skip
        self._keep_invocations(backend, outcome.report)
        self._tune_outcome = outcome
        return outcome.tuning_res if return_tune_res else self

    def _tune_args(self, *args: Any) -> dict[str, Any]:
        """DoubleML's checks of ``tune()``'s arguments before anything runs; the completed scoring methods."""
        return check_tune_args(self, *args)

    @property
    def tune_report(self) -> FitReport | None:
        """Timing of the last backend tuning (None before one); its per-task metrics are ``tune_metrics``."""
        outcome = getattr(self, "_tune_outcome", None)
        return outcome.report if outcome is not None else None

    @property
    def tune_metrics(self) -> pd.DataFrame | None:
        """One row per task of the last backend tuning, as :attr:`task_metrics` has for a fit."""
        outcome = getattr(self, "_tune_outcome", None)
        return outcome.metrics if outcome is not None else None

    @property
    def aws_lambda_metrics(self) -> pd.DataFrame | None:
        """One row per Lambda invocation request of the last :meth:`fit_aws_lambda` (None before one).

        Retries are rows of their own (``attempt`` counts a task's requests). ``outcome`` is
        ``'ok'``, ``'function_error'`` or ``'timeout'`` for invocations that ran (and were billed),
        ``'throttled'``, ``'connection_error'`` or ``'rejected'`` for requests that did not run.
        Columns: task coordinates, ``request_id``, ``latency_s``, ``request_bytes``,
        ``response_bytes``, ``result_via`` (``'inline'`` or ``'store'``), from the REPORT line
        ``duration_ms``, ``billed_duration_ms``, ``memory_size_mb``, ``max_memory_used_mb``,
        ``init_duration_ms`` and ``cold_start``, then ``gb_seconds``, ``cost_usd``, the worker's
        cache hits, its process's memory in MiB (``rss_start_mb`` when the task started,
        ``peak_rss_mb`` the peak so far; unlike the REPORT line's ``max_memory_used_mb``, measured
        under emulators too) and timings, and ``error_type`` / ``error_message``.
        """
        return self._aws_lambda_metrics

    @property
    def aws_lambda_cost(self) -> dict[str, Any] | None:
        """Totals of the last :meth:`fit_aws_lambda`: requests, billed GB-seconds, USD, wall seconds."""
        return self._aws_lambda_cost


class ContainerFitMixin(ServerlessFitMixin):
    """The fit methods of DoubleML's container models (APOS, DIDMulti), whose ``fit()`` also takes ``n_jobs_models``.

    Every sub-model's tasks go to the backend in one fan-out; ``n_jobs_models`` is accepted so that
    ``fit(n_jobs_models=...)`` calls run unchanged as ``fit_local(n_jobs_models=...)``.
    """

    def fit_local(self, *args: Any, n_jobs_models: int | None = None, **kwargs: Any) -> Self:
        """:meth:`ServerlessFitMixin.fit_local`, plus DoubleML's ``n_jobs_models``.

        ``n_jobs_models`` (DoubleML: processes over the sub-models), if given, sets the number of
        processes when neither ``n_jobs`` nor ``n_jobs_cv`` does: the pool runs the sub-models'
        and folds' fits together. The other arguments are :meth:`ServerlessFitMixin.fit_local`'s.
        """
        _check_n_jobs_models(n_jobs_models)
        if n_jobs_models is not None and not args and "n_jobs" not in kwargs and kwargs.get("n_jobs_cv") is None:
            kwargs["n_jobs"] = n_jobs_models
        return super().fit_local(*args, **kwargs)

    def fit_aws_lambda(self, *args: Any, n_jobs_models: int | None = None, **kwargs: Any) -> Self:
        """:meth:`ServerlessFitMixin.fit_aws_lambda`, plus DoubleML's ``n_jobs_models`` (checked, unused).

        ``max_concurrency`` sets the parallelism over all sub-models' tasks.
        """
        _check_n_jobs_models(n_jobs_models)
        return super().fit_aws_lambda(*args, **kwargs)

    def fit_dask(self, *args: Any, n_jobs_models: int | None = None, **kwargs: Any) -> Self:
        """:meth:`ServerlessFitMixin.fit_dask`, plus DoubleML's ``n_jobs_models`` (checked, unused).

        The cluster's workers run all sub-models' tasks.
        """
        _check_n_jobs_models(n_jobs_models)
        return super().fit_dask(*args, **kwargs)

    def fit_ray(self, *args: Any, n_jobs_models: int | None = None, **kwargs: Any) -> Self:
        """:meth:`ServerlessFitMixin.fit_ray`, plus DoubleML's ``n_jobs_models`` (checked, unused).

        The cluster's CPUs run all sub-models' tasks.
        """
        _check_n_jobs_models(n_jobs_models)
        return super().fit_ray(*args, **kwargs)

    def tune_local(self, *args: Any, **kwargs: Any) -> Any:
        """Not available: DoubleML's container models have no grid-search ``tune()``.

        Raises
        ------
        AttributeError
            Always, naming :meth:`tune_ml_models_local` / :meth:`tune_ml_models_aws_lambda`,
            which tune every sub-model as DoubleML's ``tune_ml_models()`` does.
        """
        raise AttributeError(_no_grid_tune(self))

    def tune_aws_lambda(self, *args: Any, **kwargs: Any) -> Any:
        """Not available, as :meth:`tune_local`."""
        raise AttributeError(_no_grid_tune(self))

    def tune_dask(self, *args: Any, **kwargs: Any) -> Any:
        """Not available, as :meth:`tune_local`."""
        raise AttributeError(_no_grid_tune(self))

    def tune_ray(self, *args: Any, **kwargs: Any) -> Any:
        """Not available, as :meth:`tune_local`."""
        raise AttributeError(_no_grid_tune(self))


def _no_grid_tune(model: Any) -> str:
    plain = next(c.__name__ for c in type(model).__mro__ if c.__module__.startswith("doubleml"))
    return (
        f"{type(model).__name__} has no grid-search tuning: DoubleML's {plain} has no tune(). Its sub-models are "
        "tuned with Optuna by tune_ml_models_local() or tune_ml_models_aws_lambda(), as DoubleML's tune_ml_models()."
    )


@contextlib.contextmanager
def _invocations_on_failure(backend: LambdaBackend) -> Iterator[None]:
    """A failed Lambda fit or tuning leaves the model as it was; its invocations (billed ones too) go with the error."""
    try:
        yield
    except BaseException as exc:
        with contextlib.suppress(AttributeError, TypeError):
            exc.aws_lambda_metrics = backend.invocations_frame()  # type: ignore[attr-defined]
            exc.aws_lambda_cost = backend.cost()  # type: ignore[attr-defined]
        raise


def _local_backend(data: Any, n_jobs: int | None, store: Store | None) -> tuple[Store, LocalBackend, str]:
    """The store (the data's bucket, or a local directory), the local pool, and its label for the report."""
    if store is None:
        store = data.store if isinstance(data, S3StagedData) else LocalStore()
    backend = LocalBackend(n_jobs, store.descriptor())
    return store, backend, f"local ({backend.n_jobs} process{'es' if backend.n_jobs > 1 else ''})"


def _dask_backend(data: Any, client: Any, store: Store | None, ship: str) -> tuple[Store, Any, str]:
    """The store (as for the local pool), the Dask backend on the resolved client, and its label for the report."""
    from ..backends.dask import DaskBackend, resolve_client

    resolved = resolve_client(client)
    if store is None:
        store = data.store if isinstance(data, S3StagedData) else LocalStore()
    backend = DaskBackend(resolved, store, ship)
    n_workers = len(resolved.scheduler_info().get("workers", {}))
    label = f"Dask {resolved.scheduler.address} ({n_workers} worker{'s' if n_workers != 1 else ''}, ship={ship!r})"
    return store, backend, label


def _ray_backend(
    data: Any, address: str | None, store: Store | None, ship: str, max_retries: int
) -> tuple[Store, Any, str]:
    """The store (as for the local pool), the Ray backend on the connected cluster, and its label for the report."""
    from ..backends.ray import SHIP_MODES, RayBackend, connect

    if ship not in SHIP_MODES:  # before connecting, which may start a local Ray instance
        raise ConfigurationError(f"ship must be one of {SHIP_MODES}; {ship!r} was passed.")
    ray = connect(address)
    if store is None:
        store = data.store if isinstance(data, S3StagedData) else LocalStore()
    backend = RayBackend(ray, store, ship, max_retries)
    nodes = sum(1 for node in ray.nodes() if node.get("Alive"))
    cpus = int(ray.cluster_resources().get("CPU", 0))
    where = ray.get_runtime_context().gcs_address
    label = f"Ray {where} ({nodes} node{'s' if nodes != 1 else ''}, {cpus} CPUs, ship={ship!r})"
    return store, backend, label


def _check_n_jobs_models(n_jobs_models: Any) -> None:
    if n_jobs_models is not None and (not isinstance(n_jobs_models, int) or isinstance(n_jobs_models, bool)):
        raise InvalidTypeError(
            "The number of CPUs used to fit the models must be of int type. "
            f"{n_jobs_models!s} of type {type(n_jobs_models)!s} was passed."
        )


def _speculation_policy(speculation: Any) -> SpeculationPolicy:
    if isinstance(speculation, SpeculationPolicy):
        return speculation
    if isinstance(speculation, bool):
        return SpeculationPolicy() if speculation else NO_SPECULATION
    raise ConfigurationError(f"speculation must be True, False or a SpeculationPolicy; {speculation!r} was passed.")
