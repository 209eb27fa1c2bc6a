"""Stored forms, seeds and task planning (pure logic)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from doubleml.plm.datasets import make_plr_CCDDHNR2018
from sklearn.linear_model import LinearRegression

from pydmlserverless import DoubleMLPLRServerless, ProtocolError
from pydmlserverless.core.tasks import SCALINGS, check_scaling, task_seed
from pydmlserverless.worker import codec
from pydmlserverless.worker.execute import TaskResult
from pydmlserverless.worker.protocol import results_prefix


def test_dataset_digest_is_content_addressed():
    values = np.arange(12.0).reshape(4, 3)
    body1, digest1 = codec.encode_dataset(values, ["a", "b", "c"])
    body2, digest2 = codec.encode_dataset(np.ascontiguousarray(values), ["a", "b", "c"])
    assert digest1 == digest2
    assert codec.encode_dataset(values, ["a", "b", "x"])[1] != digest1
    assert codec.encode_dataset(values + 1e-12, ["a", "b", "c"])[1] != digest1
    columns, decoded = codec.decode_dataset(body1)
    assert columns == ["a", "b", "c"] and decoded.flags.f_contiguous
    np.testing.assert_array_equal(decoded, values)


def test_partition_splits_are_stored_as_fold_numbers():
    n = 10
    folds = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    smpls = [(np.flatnonzero(folds != k), np.flatnonzero(folds == k)) for k in range(3)]
    body, _ = codec.encode_splits(smpls, n)
    assert "r0_fold_of" in np.load(__import__("io").BytesIO(body)).files
    for (train, test), (train2, test2) in zip(smpls, codec.decode_splits(body)):
        np.testing.assert_array_equal(train, train2)
        np.testing.assert_array_equal(test, test2)


def test_non_partition_splits_are_stored_explicitly():
    smpls = [(np.array([3, 1]), np.array([0])), (np.array([0, 2]), np.array([0, 3]))]
    body, _ = codec.encode_splits(smpls, 4)
    for (train, test), (train2, test2) in zip(smpls, codec.decode_splits(body)):
        np.testing.assert_array_equal(train, train2)
        np.testing.assert_array_equal(test, test2)


def test_splits_bundles_hold_several_repetitions():
    n = 12
    rng = np.random.default_rng(0)
    partition = []
    for _ in range(2):
        folds = rng.permutation(np.arange(n) % 3)
        partition.append([(np.flatnonzero(folds != k), np.flatnonzero(folds == k)) for k in range(3)])
    explicit = [(np.array([3, 1]), np.array([0])), (np.array([0, 2]), np.array([0, 3]))]
    reps = [partition[0], explicit, partition[1]]
    body, digest = codec.encode_splits_bundle([codec.splits_arrays(r, n) for r in reps], n)
    assert codec.encode_splits_bundle([codec.splits_arrays(r, n) for r in reps], n)[1] == digest
    bundle = codec.SplitsBundle(body)
    assert bundle.n_reps == 3 and [bundle.n_folds(m) for m in range(3)] == [3, 2, 3]
    for member, smpls in enumerate(reps):
        for (train, test), (train2, test2) in zip(smpls, bundle.folds(member)):
            np.testing.assert_array_equal(train, train2)
            np.testing.assert_array_equal(test, test2)
    # a task's folds only, in the task's order
    ((train, test),) = bundle.folds(2, [1])
    np.testing.assert_array_equal(test, partition[1][1][1])
    assert len(bundle.folds(0, [2, 0])) == 2 and np.array_equal(bundle.folds(0, [2, 0])[1][1], partition[0][0][1])
    with pytest.raises(ProtocolError, match="holds 3 repetition"):
        bundle.folds(3)
    # fold numbers, not index arrays: one byte per observation and repetition
    assert codec.splits_arrays(partition[0], n)["fold_of"].nbytes == n


def test_repetitions_are_bundled_by_size(tmp_path):
    from pydmlserverless.core.staging import bundles, stage_splits
    from pydmlserverless.doubleml.adapter import fit_spec
    from pydmlserverless.worker.store import LocalStore

    np.random.seed(0)
    data = make_plr_CCDDHNR2018(n_obs=100, dim_x=3)
    model = DoubleMLPLRServerless(None, None, data, LinearRegression(), LinearRegression(), n_folds=2, n_rep=5)
    keys, members = stage_splits(fit_spec(model, data), LocalStore(tmp_path))
    assert len(set(keys)) == 1 and members == [0, 1, 2, 3, 4]
    reps = [codec.splits_arrays(model.smpls[r], 100) for r in range(5)]
    assert bundles(reps, limit=2 * 100 + 50) == [[0, 1], [2, 3], [4]]
    bundle = codec.SplitsBundle(LocalStore(tmp_path).get(keys[0]))
    for rep in range(5):
        for (train, test), (train2, test2) in zip(model.smpls[rep], bundle.folds(members[rep])):
            np.testing.assert_array_equal(train, train2)
            np.testing.assert_array_equal(test, test2)


def test_predictions_round_trip_bit_exact():
    values = np.random.default_rng(1).normal(size=1000)
    np.testing.assert_array_equal(codec.b64_to_array(codec.array_to_b64(values)), values)


def test_scaling_names():
    assert check_scaling("n_rep") == "n_rep"
    assert check_scaling(" n_folds*n_rep ") == "n_folds * n_rep"
    assert SCALINGS == ("n_folds * n_rep", "n_rep")


def test_task_seed_is_stable_and_distinct():
    assert task_seed(1, "d", "ml_l", 0, 0) == 311504028  # the documented derivation must never change
    coordinates = [(d, nu, rep, fold) for d in "ab" for nu in ("ml_l", "ml_m") for rep in range(5) for fold in range(5)]
    seeds = {task_seed(1, *c) for c in coordinates}
    assert len(seeds) == 100 and all(0 <= s < 2**31 for s in seeds)


@pytest.fixture
def model():
    np.random.seed(0)
    data = make_plr_CCDDHNR2018(n_obs=100, dim_x=3)
    return DoubleMLPLRServerless(None, None, data, LinearRegression(), LinearRegression(), n_folds=4, n_rep=3)


@pytest.mark.parametrize("scaling, per_rep", [("n_folds * n_rep", 4), ("n_rep", 1)])
def test_plan_counts_and_payload_is_json(model, scaling, per_rep, tmp_path):
    from pydmlserverless.core.staging import stage_splits
    from pydmlserverless.core.tasks import StagedFit, count_tasks, plan_tasks
    from pydmlserverless.doubleml.adapter import fit_spec
    from pydmlserverless.worker.store import LocalStore

    store = LocalStore(tmp_path)
    spec = fit_spec(model, model._serverless_data)
    splits_keys, splits_members = stage_splits(spec, store)
    staged = StagedFit(store.descriptor(), "k", splits_keys, results_prefix("k", ["s"]), splits_members)
    tasks = plan_tasks(spec, staged, scaling, seed=3)
    assert len(tasks) == 2 * 3 * per_rep == count_tasks(spec, scaling, second_round=False)
    assert count_tasks(spec, scaling, second_round=True) == 0
    assert len({t.task_id for t in tasks}) == len(tasks)
    payload = json.loads(json.dumps(tasks[0].payload.to_dict(), allow_nan=False))
    assert payload["params"][0] == {} or "random_state" not in payload["params"][0]  # OLS has no random_state
    # the three repetitions' splits are one bundle (one object to store and to load)
    assert len(staged.splits_keys) == 3 and len(set(staged.splits_keys)) == 1 and staged.splits_members == [0, 1, 2]
    assert {(t.rep, t.payload.splits_member) for t in tasks} == {(0, 0), (1, 1), (2, 2)}


def test_request_size_does_not_grow_with_n_obs(tmp_path):
    from pydmlserverless.core.staging import stage_splits
    from pydmlserverless.core.tasks import StagedFit, plan_tasks
    from pydmlserverless.doubleml.adapter import fit_spec
    from pydmlserverless.worker.store import LocalStore

    sizes = []
    for n_obs in (100, 20_000):
        np.random.seed(0)
        data = make_plr_CCDDHNR2018(n_obs=n_obs, dim_x=3)
        model = DoubleMLPLRServerless(None, None, data, LinearRegression(), LinearRegression(), n_folds=5)
        store = LocalStore(tmp_path)
        spec = fit_spec(model, data)
        keys, members = stage_splits(spec, store)
        staged = StagedFit(store.descriptor(), "k" * 64, keys, results_prefix("k", ["s"]), members)
        tasks = plan_tasks(spec, staged, "n_rep", 1)
        sizes.append(len(tasks[0].payload.to_json()))
    assert sizes[0] == sizes[1]


def test_task_result_defaults():
    result = TaskResult("t", np.zeros(2))
    assert result.timings == {} and result.info == {}
