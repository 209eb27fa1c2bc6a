"""Resume by construction: a rerun of an interrupted or failed fit runs only the missing tasks."""

from __future__ import annotations

import numpy as np
import pytest
from doubleml.plm.datasets import make_plr_CCDDHNR2018
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression

from pydmlserverless import DoubleMLPLRServerless, TaskError, clear_results
from pydmlserverless.backends.local import backend as local_backend
from pydmlserverless.backends.local import entry_point
from pydmlserverless.worker import codec
from pydmlserverless.worker.protocol import KEY_PREFIX
from pydmlserverless.worker.store import LocalStore

N_FOLDS, N_REP = 2, 5
N_TASKS = 2 * N_FOLDS * N_REP  # ml_l and ml_m


class Executions(list):
    """Task ids in the order the worker (in this process: n_jobs=1) ran them; ``failing`` ones raise."""

    def __init__(self) -> None:
        super().__init__()
        self.failing: set[str] = set()


@pytest.fixture
def executions(monkeypatch):
    ran = Executions()
    original = entry_point.execute_task

    def counting(task, config):
        ran.append(task.task_id)
        if task.task_id in ran.failing:
            raise RuntimeError("lost the worker's network")
        return original(task, config)

    monkeypatch.setattr(entry_point, "execute_task", counting)
    return ran


def _digest_of(key: str) -> str:
    """The task digest a kept result's key names (``<folder>/<digest>.f8``)."""
    return key.rsplit("/", 1)[1].split(".", 1)[0]


def _model(score="partialling out", ml_g=None, learner=None, seed_data=3):
    np.random.seed(seed_data)
    data = make_plr_CCDDHNR2018(n_obs=120, dim_x=3)
    learner = learner if learner is not None else LinearRegression()
    kwargs = {"ml_g": ml_g} if ml_g is not None else {}
    return DoubleMLPLRServerless(
        None, None, data, learner, learner, n_folds=N_FOLDS, n_rep=N_REP, score=score, **kwargs
    )


def _interrupt_after(monkeypatch, n_results: int, error: BaseException):
    """Make the local backend stop with ``error`` after handing ``n_results`` results to the client.

    Returns a function that ends the interruption.
    """
    run = local_backend.LocalBackend.run

    def stopping(self, tasks):
        for i, result in enumerate(run(self, tasks)):
            if i == n_results:
                raise error
            yield result

    monkeypatch.setattr(local_backend.LocalBackend, "run", stopping)
    return lambda: monkeypatch.setattr(local_backend.LocalBackend, "run", run)


def _reference(model_factory, **fit):
    return model_factory().fit_local(n_jobs=1, progress=False, resume=False, **fit)


def test_a_rerun_after_ctrl_c_at_half_recomputes_no_finished_task(executions, monkeypatch):
    model = _model()
    resume = _interrupt_after(monkeypatch, N_TASKS // 2, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        model.fit_local(n_jobs=1, seed=4, progress=False)
    assert np.isnan(model.coef).all() and model.fit_report is None  # nothing half-fitted
    finished = list(executions)
    assert len(finished) >= N_TASKS // 2
    resume()
    model.fit_local(n_jobs=1, seed=4, progress=False)
    rerun = executions[len(finished) :]
    assert not set(rerun) & set(finished), "a finished task ran again"
    assert sorted(finished + rerun) == sorted(set(finished + rerun)) and len(finished + rerun) == N_TASKS
    report = model.fit_report
    assert (report.n_tasks, report.n_resumed) == (len(rerun), len(finished))
    assert f"({len(finished)} more resumed from kept results)" in str(report)
    reference = _reference(_model, seed=4)
    np.testing.assert_array_equal(model.coef, reference.coef)
    np.testing.assert_array_equal(model.se, reference.se)


def test_a_rerun_after_a_task_error_runs_only_the_failed_and_unstarted_tasks(executions):
    failing = "d/ml_m/r3/f1"
    executions.failing.add(failing)
    model = _model()
    with pytest.raises(TaskError, match="ml_m"):
        model.fit_local(n_jobs=1, seed=4, progress=False)
    kept = len(LocalStore().list_keys(f"{KEY_PREFIX}results/"))
    assert 0 < kept < N_TASKS and kept == len(executions) - 1
    executions.failing.clear()
    executions.clear()
    model.fit_local(n_jobs=1, seed=4, progress=False)
    assert len(executions) == N_TASKS - kept and failing in executions
    assert model.fit_report.n_resumed == kept
    np.testing.assert_array_equal(model.coef, _reference(_model, seed=4).coef)


def test_the_second_round_of_an_iv_type_fit_resumes_too(executions):
    model = _model(score="IV-type", ml_g=LinearRegression())
    model.fit_local(n_jobs=1, seed=2, progress=False)
    first = len(executions)
    assert first == 3 * N_FOLDS * N_REP  # ml_l, ml_m, then ml_g on y - theta_initial * d
    again = _model(score="IV-type", ml_g=LinearRegression()).fit_local(n_jobs=1, seed=2, progress=False)
    assert len(executions) == first and again.fit_report.n_resumed == first
    np.testing.assert_array_equal(again.coef, model.coef)


def test_lplr_s_second_round_on_staged_targets_and_weights_resumes_too(executions):
    """ml_t's per-fold targets and ml_m's weights are staged by content: a rerun finds every kept result."""
    from doubleml.plm.datasets import make_lplr_LZZ2020

    from pydmlserverless import DoubleMLLPLRServerless

    def lplr():
        np.random.seed(5)
        data = make_lplr_LZZ2020(n_obs=150, dim_x=20)
        learners = (LogisticRegression(), LinearRegression(), LinearRegression())
        return DoubleMLLPLRServerless(None, None, data, *learners, n_folds=2, n_folds_inner=2, score="instrument")

    model = lplr()
    model.fit_local(n_jobs=1, seed=2, progress=False)
    first = len(executions)
    assert first == 2 * 2 * 2 + 2 * 2  # ml_M and ml_a on 2 x 2 inner folds; ml_m (weighted) and ml_t on 2 folds
    assert sum("/ml_t/" in task_id or "/ml_m/" in task_id for task_id in executions) == 4
    again = lplr().fit_local(n_jobs=1, seed=2, progress=False)
    assert len(executions) == first and again.fit_report.n_resumed == first
    np.testing.assert_array_equal(again.coef, model.coef)


def test_resume_false_neither_looks_for_nor_keeps_results(executions):
    _model().fit_local(n_jobs=1, seed=4, progress=False, resume=False)
    assert LocalStore().list_keys(f"{KEY_PREFIX}results/") == []
    _model().fit_local(n_jobs=1, seed=4, progress=False)
    _model().fit_local(n_jobs=1, seed=4, progress=False, resume=False)
    assert len(executions) == 3 * N_TASKS


def test_another_seed_or_learner_or_split_is_another_fit(executions):
    _model().fit_local(n_jobs=1, seed=4, progress=False)
    _model().fit_local(n_jobs=1, seed=5, progress=False)  # LinearRegression has no random_state: same tasks
    assert len(executions) == N_TASKS
    forest = RandomForestRegressor(n_estimators=3, max_depth=2)
    _model(learner=forest).fit_local(n_jobs=1, seed=4, progress=False)
    _model(learner=forest).fit_local(n_jobs=1, seed=5, progress=False)
    _model(seed_data=4).fit_local(n_jobs=1, seed=4, progress=False)
    assert len(executions) == 4 * N_TASKS


def test_a_damaged_kept_result_is_recomputed_not_used(executions):
    reference = _model().fit_local(n_jobs=1, seed=4, progress=False)
    store = LocalStore()
    keys = store.list_keys(f"{KEY_PREFIX}results/")
    assert len(keys) == N_TASKS
    good = store.get(keys[0])
    damaged = bytearray(good)
    damaged[-1] ^= 0xFF
    store.put(keys[0], bytes(damaged))
    store.put(keys[1], good[:-8])  # a short one
    n_values = len(codec.decode_result(good, _digest_of(keys[0])))
    store.put(keys[2], codec.encode_result(np.full(n_values, np.nan), _digest_of(keys[2])))  # not finite
    again = _model().fit_local(n_jobs=1, seed=4, progress=False)
    assert len(executions) == N_TASKS + 3 and again.fit_report.n_resumed == N_TASKS - 3
    np.testing.assert_array_equal(again.coef, reference.coef)
    assert store.get(keys[0]) == good  # the rerun kept the whole result again


def test_a_result_copied_from_another_task_is_recomputed_and_counted(executions):
    """A genuine result of another task of the same length, copied to this task's key, is not resumed."""
    reference = _model().fit_local(n_jobs=1, seed=4, progress=False)
    store = LocalStore()
    keys = store.list_keys(f"{KEY_PREFIX}results/")
    lengths = {key: len(codec.decode_result(store.get(key), _digest_of(key))) for key in keys}
    victim, source = next((a, b) for a in keys for b in keys if a != b and lengths[a] == lengths[b])
    copied = store.get(source)
    store.put(victim, copied)
    again = _model().fit_local(n_jobs=1, seed=4, progress=False)
    assert len(executions) == N_TASKS + 1
    report = again.fit_report
    assert (report.n_tasks, report.n_resumed, report.n_discarded) == (1, N_TASKS - 1, 1)
    assert "1 kept result(s) not used (damaged, or another task's) and computed again" in str(report)
    np.testing.assert_array_equal(again.coef, reference.coef)
    assert store.get(victim) != copied  # the task kept its own result again


def test_clear_results_deletes_every_kept_result(executions):
    _model().fit_local(n_jobs=1, seed=4, progress=False)
    assert clear_results() == N_TASKS and clear_results() == 0
    _model().fit_local(n_jobs=1, seed=4, progress=False)
    assert len(executions) == 2 * N_TASKS


def test_the_data_and_splits_stay_when_results_are_cleared():
    _model().fit_local(n_jobs=1, seed=4, progress=False)
    store = LocalStore()
    clear_results(store)
    assert store.list_keys(f"{KEY_PREFIX}data/") and store.list_keys(f"{KEY_PREFIX}splits/")


def test_np_random_seed_makes_a_fit_without_seed_reproducible_on_any_n_jobs():
    forest = RandomForestRegressor(n_estimators=5, max_depth=3)  # random_state=None, as DoubleML's users write it
    coefs = []
    for n_jobs in (1, 2, 2):
        np.random.seed(3141)
        data = make_plr_CCDDHNR2018(n_obs=120, dim_x=3)
        model = DoubleMLPLRServerless(None, None, data, forest, forest, n_folds=N_FOLDS, n_rep=N_REP)
        coefs.append(model.fit_local(n_jobs=n_jobs, progress=False).coef[0])
    assert coefs[0] == coefs[1] == coefs[2]
    np.random.seed(2718)
    data = make_plr_CCDDHNR2018(n_obs=120, dim_x=3)
    other = DoubleMLPLRServerless(None, None, data, forest, forest, n_folds=N_FOLDS, n_rep=N_REP)
    assert other.fit_local(n_jobs=2, progress=False).coef[0] != coefs[0]


def test_without_seed_a_refit_draws_anew_but_a_rerun_after_failure_resumes(executions, monkeypatch):
    forest = RandomForestRegressor(n_estimators=5, max_depth=3)
    model = _model(learner=forest)
    first = model.fit_local(n_jobs=1, progress=False).coef.copy()
    second = model.fit_local(n_jobs=1, progress=False).coef.copy()
    assert first != second and model.fit_report.n_resumed == 0  # as DoubleML's own refit: new forests
    resume = _interrupt_after(monkeypatch, N_TASKS // 2, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        model.fit_local(n_jobs=1, progress=False)
    resume()
    model.fit_local(n_jobs=1, progress=False)  # the seed drawn for the interrupted fit
    assert model.fit_report.n_resumed >= N_TASKS // 2


def test_a_learners_own_random_state_is_kept_when_no_seed_is_given():
    fixed = RandomForestRegressor(n_estimators=5, max_depth=3, random_state=7)
    models = [_model(learner=fixed), _model(learner=fixed)]
    np.random.seed(1)  # the fits draw different seeds, which only random_state=None parameters would take
    a = models[0].fit_local(n_jobs=1, progress=False, resume=False).coef
    np.random.seed(2)
    b = models[1].fit_local(n_jobs=1, progress=False, resume=False).coef
    np.testing.assert_array_equal(a, b)
    assert "random_state" not in models[0].task_metrics.columns  # (the metrics carry no parameters)
