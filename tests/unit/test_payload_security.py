"""Crafted payloads against the worker: the payload is data, and the worker decides what it reads, writes and imports.

The attacker here may invoke the function with any JSON. Each test builds a legitimate task first
and then changes one thing, as such a person would.
"""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from pydmlserverless import CorruptObjectError, LearnerError, ProtocolError, StoreError
from pydmlserverless.worker import codec
from pydmlserverless.worker import execute as worker
from pydmlserverless.worker.config import WorkerConfig
from pydmlserverless.worker.handler import handle_event
from pydmlserverless.worker.learners import decode_learner, encode_learner
from pydmlserverless.worker.protocol import (
    ResultSpec,
    Target,
    TaskPayload,
    dataset_key,
    result_key,
    results_prefix,
    splits_key,
    task_digest,
)
from pydmlserverless.worker.store import LocalStore

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def staged(tmp_path):
    """A dataset and splits in a local store, a legitimate payload for them, and the worker's config."""
    store = LocalStore(tmp_path / "store")
    values = np.column_stack([np.arange(40.0), np.arange(40.0) % 2, 3.0 * np.arange(40.0)])
    body, digest = codec.encode_dataset(values, ["x", "d", "y"])
    store.put(dataset_key(digest), body)
    smpls = [(np.arange(20, 40), np.arange(20)), (np.arange(20), np.arange(20, 40))]
    splits, splits_digest = codec.encode_splits(smpls, 40)
    store.put(splits_key(splits_digest), splits)
    payload = TaskPayload(
        task_id="d/ml_l/r0/all",
        bucket=None,
        dataset=dataset_key(digest),
        splits=splits_key(splits_digest),
        splits_member=0,
        rep=0,
        folds=(0, 1),
        learner=encode_learner(LinearRegression()),
        params=({}, {}),
        target=Target("y"),
        features=("x",),
        subset=None,
        method="predict",
        result=ResultSpec(10, results_prefix(dataset_key(digest), [splits_key(splits_digest)])),
    )
    worker.clear_caches()
    return store, payload.to_dict(), WorkerConfig(store)


def test_the_legitimate_task_runs_and_writes_its_result_inside_the_store(staged):
    store, event, config = staged
    response = handle_event(event, config)
    assert response["predictions_key"] == TaskPayload.from_dict(event).result_key
    assert response["predictions_key"].startswith(event["result"]["prefix"])
    written = codec.decode_result(store.get(response["predictions_key"]), TaskPayload.from_dict(event).digest)
    np.testing.assert_allclose(written, 3.0 * np.arange(40.0), atol=1e-9)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("store", {"kind": "local", "root": "/"}),  # the old format's store descriptor
        ("root", "/etc"),
        ("cache_dir", "/tmp/x"),
    ],
)
def test_a_payload_cannot_name_a_store_or_any_other_field(staged, field, value):
    _, event, config = staged
    with pytest.raises(ProtocolError, match=rf"unknown field\(s\) \['{field}'\]"):
        handle_event(dict(event, **{field: value}), config)


def test_fitted_learners_go_only_under_the_tasks_own_models_key(staged):
    store, event, config = staged
    with pytest.raises(ProtocolError, match="'return_models' must be of type bool"):
        handle_event(dict(event, return_models="/tmp/models"), config)
    answer = handle_event(dict(event, return_models=True), config)
    payload = TaskPayload.from_dict(dict(event, return_models=True))
    assert answer["models_key"] == payload.models_key and store.exists(payload.models_key)
    assert payload.models_key.startswith(event["result"]["prefix"]) and payload.models_key.endswith(".skops")


@pytest.mark.parametrize(
    ("field", "key"),
    [
        ("dataset", "pydmlserverless/data/../../../etc/passwd"),
        ("dataset", "/etc/passwd"),
        ("dataset", "other-prefix/data/" + "0" * 64 + ".npz"),
        ("dataset", "pydmlserverless/splits/" + "0" * 64 + ".npz"),  # a splits key where data belong
        ("splits", "pydmlserverless/splits/" + "0" * 63 + "/.npz"),
        ("splits", "pydmlserverless/splits/" + "0" * 64 + ".npz/../../x"),
    ],
)
def test_keys_outside_the_layout_are_refused(staged, field, key):
    _, event, config = staged
    with pytest.raises(ProtocolError, match="is not a (data|splits) key of this store"):
        handle_event(dict(event, **{field: key}), config)


@pytest.mark.parametrize(
    "prefix",
    [
        "pydmlserverless/results/../data/",
        "pydmlserverless/results/" + "a" * 32 + "/../../../../tmp/",
        "/tmp/",
        "pydmlserverless/results/" + "a" * 32,
        "pydmlserverless/results/" + "a" * 32 + "/" + "0" * 64 + ".f8",
    ],
)
def test_a_results_folder_outside_the_layout_is_refused_before_anything_runs(staged, prefix, monkeypatch):
    _, event, config = staged
    monkeypatch.setattr(worker, "execute_task", lambda *a: pytest.fail("the task ran"))
    event = dict(event, result={"inline_max_bytes": 10, "prefix": prefix, "keep": True})
    with pytest.raises(ProtocolError, match="is not a result_folder key of this store"):
        handle_event(event, config)


def test_a_payload_cannot_name_the_key_its_result_is_written_to(staged, monkeypatch):
    """The worker names a kept result by the payload's own digest: a 'key' field is refused."""
    store, event, config = staged
    with pytest.raises(ProtocolError, match="unknown field"):
        forged = dict(event["result"], key=result_key(event["result"]["prefix"], "0" * 64))
        handle_event(dict(event, result=forged), config)
    answer = handle_event(event, config)
    kept = store.list_keys(event["result"]["prefix"])
    assert kept == [result_key(event["result"]["prefix"], task_digest(TaskPayload.from_dict(event)))]
    assert answer["predictions_key"] == kept[0]  # inline_max_bytes=10: the result travels through the store
    # another payload (other folds) is another digest: it cannot overwrite this task's result
    other = dict(event, folds=[0], params=[{}])
    handle_event(other, config)
    assert len(store.list_keys(event["result"]["prefix"])) == 2


def test_the_local_store_refuses_keys_that_leave_its_folder(tmp_path):
    store = LocalStore(tmp_path / "store")
    for key in ("../outside", "a/../../outside", "/etc/passwd", "a//b", "a\\b"):
        with pytest.raises(StoreError, match="does not name a file inside the local store"):
            store.put(key, b"x")
    assert not (tmp_path / "outside").exists()


def test_a_task_staged_in_another_bucket_is_refused_with_both_names(staged):
    _, event, config = staged
    with pytest.raises(ProtocolError, match="This function reads a local directory; the task's data is in 'b'"):
        handle_event(dict(event, bucket="b"), config)


def test_a_payload_that_repeats_a_fold_is_refused(staged):
    _, event, config = staged
    with pytest.raises(ProtocolError, match="names a fold more than once"):
        handle_event(dict(event, folds=[0] * 50, params=[{}] * 50), config)
    with pytest.raises(ProtocolError, match="non-empty list"):
        handle_event(dict(event, folds=[], params=[]), config)


def _stage_values(store, values, columns):
    body, digest = codec.encode_dataset(values, columns)
    store.put(dataset_key(digest), body)
    return dataset_key(digest)


def test_a_per_fold_target_and_sample_weights_fit_as_scikit_learn_with_them(staged):
    """The second-round form: fold k's target is column str(k) of a staged dataset, weights column 'weight'."""
    store, event, config = staged
    rng = np.random.default_rng(3)
    targets, weight = rng.normal(size=(40, 2)), rng.uniform(0.1, 1.0, size=40)
    target_key = _stage_values(store, targets, ["0", "1"])
    weight_key = _stage_values(store, weight.reshape(-1, 1), ["weight"])
    event = dict(event, target={"column": "y", "per_fold": target_key}, sample_weight=weight_key)
    payload = TaskPayload.from_dict(event)
    assert payload.inputs == (payload.dataset, payload.splits, target_key, weight_key)
    got = worker.execute_task(payload, config).predictions
    x = np.arange(40.0).reshape(-1, 1)
    smpls = [(np.arange(20, 40), np.arange(20)), (np.arange(20), np.arange(20, 40))]
    expected = [
        LinearRegression().fit(x[train], targets[train, k], sample_weight=weight[train]).predict(x[test])
        for k, (train, test) in enumerate(smpls)
    ]
    np.testing.assert_array_equal(got, np.concatenate(expected))
    # another target or other weights are another task
    assert TaskPayload.from_dict(dict(event, sample_weight=target_key)).digest != payload.digest


def test_payloads_without_staged_values_keep_their_form_and_digest(staged):
    _, event, _ = staged
    payload = TaskPayload.from_dict(event)
    assert "sample_weight" not in payload.to_dict() and "per_fold" not in payload.to_dict()["target"]
    assert payload.inputs == (payload.dataset, payload.splits)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"target": {"column": "y", "per_fold": "/etc/passwd"}}, "is not a data key of this store"),
        ({"sample_weight": "pydmlserverless/results/../data/x.npz"}, "is not a data key of this store"),
        (
            {"target": {"column": "y", "per_fold": dataset_key("0" * 64), "minus_coef": 1.0, "minus_column": "d"}},
            "cannot be combined with 'minus_column'",
        ),
    ],
)
def test_staged_value_keys_are_checked_at_the_edge(staged, change, message):
    _, event, config = staged
    with pytest.raises(ProtocolError, match=message):
        handle_event(dict(event, **change), config)


def test_staged_values_of_another_length_or_without_the_fold_are_refused(staged):
    store, event, config = staged
    short = _stage_values(store, np.zeros((10, 2)), ["0", "1"])
    with pytest.raises(ProtocolError, match="have 10 rows; the dataset has 40"):
        worker.execute_task(TaskPayload.from_dict(dict(event, target={"column": "y", "per_fold": short})), config)
    one_fold = _stage_values(store, np.zeros((40, 1)), ["0"])
    with pytest.raises(ProtocolError, match="Column '1' is not in the stored dataset"):
        worker.execute_task(TaskPayload.from_dict(dict(event, target={"column": "y", "per_fold": one_fold})), config)


def test_the_pipeline_memory_cache_cannot_travel(staged, tmp_path):
    """The remote-code chain: Pipeline(memory=<path>) makes joblib unpickle files at a path the payload chose."""
    _, event, config = staged
    with pytest.raises(LearnerError, match="'memory' of Pipeline names a folder"):
        encode_learner(make_pipeline(StandardScaler(), LinearRegression(), memory=str(tmp_path)))
    spec = encode_learner(make_pipeline(StandardScaler(), LinearRegression()))
    spec["params"]["memory"] = str(tmp_path / "cache")
    with pytest.raises(LearnerError, match="'memory' of Pipeline names a folder"):
        handle_event(dict(event, learner=spec), config)
    # nor through the fold parameters (set_params)
    with pytest.raises(LearnerError, match="'memory' of Pipeline names a folder"):
        handle_event(
            dict(event, learner=encode_learner(make_pipeline(LinearRegression())), params=[{"memory": "/tmp"}] * 2),
            config,
        )
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize(
    "path",
    ["os.system", "sklearn.utils._testing.SkipTest", "sklearn.datasets.load_iris", "xgboost.testing.Foo",
     "sklearn.feature_extraction.text.TfidfVectorizer", "builtins.eval", "sklearn.linear_model._base.LinearRegression"],
)  # fmt: skip
def test_a_class_path_outside_the_allow_list_is_refused_without_importing_it(path):
    module = path.rpartition(".")[0]
    before = module in sys.modules
    with pytest.raises(LearnerError, match="is not allowed"):
        decode_learner({"__estimator__": path, "params": {}})
    assert (module in sys.modules) == before, f"{module} was imported"


def test_only_the_classes_own_parameters_are_accepted():
    with pytest.raises(LearnerError, match="LinearRegression has no parameter 'output_model'"):
        decode_learner({"__estimator__": "sklearn.linear_model.LinearRegression", "params": {"output_model": "/x"}})


@pytest.mark.parametrize(
    "value",
    [
        {"__ndarray__": [], "dtype": "(1000000,)f8", "shape": [1]},  # a sub-array dtype: 8 MB from 40 bytes
        {"__ndarray__": [1.0], "dtype": "|O", "shape": [1]},
        {"__ndarray__": [1.0], "dtype": "<f8", "shape": [10**12]},
        {"__ndarray__": [1.0, 2.0], "dtype": "<f8", "shape": [1]},
        {"__dtype__": "(1000,1000)f8"},
        {"__float__": "__import__('os')"},
        {"__slice__": [0, "x", None]},
    ],
)
def test_decoding_is_bounded_and_typed(value):
    spec = {"__estimator__": "sklearn.linear_model.LassoCV", "params": {"alphas": value}}
    with pytest.raises(LearnerError, match="Malformed learner spec"):
        decode_learner(spec)


def test_deep_nesting_is_refused():
    value: object = 1.0
    for _ in range(100):
        value = [value]
    with pytest.raises(LearnerError, match="nested deeper than"):
        decode_learner({"__estimator__": "sklearn.linear_model.LassoCV", "params": {"alphas": value}})


def _npz(**arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _with_header_shape(body: bytes, member: str, shape: tuple[int, ...]) -> bytes:
    """Rewrite one member's .npy header to declare another shape (the data stay as they are)."""
    source = zipfile.ZipFile(io.BytesIO(body))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == member:
                header = np.lib.format.header_data_from_array_1_0(np.zeros(1))
                header["shape"] = shape
                head = io.BytesIO()
                np.lib.format.write_array_header_1_0(head, header)
                data = head.getvalue() + data[len(head.getvalue()) :]
            target.writestr(info.filename, data)
    return out.getvalue()


def test_a_stored_object_declaring_a_huge_array_is_refused_before_allocating(staged):
    store, event, config = staged
    body = store.get(event["dataset"])
    bomb = _with_header_shape(body, "values.npy", (10**6, 10**5))  # 800 GB declared
    store.put(event["dataset"], bomb)
    with pytest.raises(CorruptObjectError, match="decode to 762,939 MiB, more than this worker.s limit of 1,024 MiB"):
        handle_event(event, dataclasses.replace(config, max_object_bytes=2**30))


def test_a_stored_object_of_other_content_is_refused_naming_the_mismatch(staged):
    store, event, config = staged
    other, _ = codec.encode_dataset(np.column_stack([np.ones(40), np.arange(40.0) % 2, np.ones(40)]), ["x", "d", "y"])
    store.put(event["dataset"], other)  # a valid dataset, under the key of another
    with pytest.raises(CorruptObjectError, match="does not hold the content its key names"):
        handle_event(event, config)
    store.put(event["dataset"], b"not an npz")
    with pytest.raises(CorruptObjectError, match="not an .npz archive"):
        handle_event(event, config)


def test_pickled_objects_in_a_stored_npz_are_never_loaded(staged):
    store, event, config = staged
    body = _npz(values=np.array([object()], dtype=object), columns=np.array(["x"]))
    store.put(event["dataset"], body)
    with pytest.raises(CorruptObjectError, match="dtype object"):
        handle_event(event, config)


def test_splits_with_indices_outside_the_data_are_refused(staged):
    store, event, config = staged
    bad = [(np.array([-1, 5]), np.array([0, 1])), (np.array([0, 1]), np.array([2, 399]))]
    body, digest = codec.encode_splits(bad, 40)
    store.put(splits_key(digest), body)
    with pytest.raises(CorruptObjectError, match="row indices outside 0..39"):
        handle_event(dict(event, splits=splits_key(digest)), config)


def test_caches_are_keyed_by_store(staged, tmp_path):
    """A warm worker never serves one store's cached data for a task of another."""
    store, event, config = staged
    handle_event(event, config)
    other = WorkerConfig(LocalStore(tmp_path / "empty"))
    with pytest.raises(StoreError, match="Cannot read"):
        handle_event(event, other)


AUDIT_SCRIPT = r"""
import json, os, sys
events = []
def hook(name, args):
    if name == "open" and isinstance(args[0], (str, bytes)):
        events.append(("open", os.fsdecode(args[0])))
    elif name == "import":
        events.append(("import", args[0]))
from pydmlserverless.worker.handler import handle_event
from pydmlserverless.worker.store import LocalStore
from pydmlserverless.worker.config import WorkerConfig
import sklearn.linear_model  # what a legitimate task loads, before the hook
config = WorkerConfig(LocalStore(sys.argv[1]))
payloads = json.loads(sys.stdin.read())
sys.addaudithook(hook)
outcomes = []
for payload in payloads:
    try:
        handle_event(payload, config)
        outcomes.append("ok")
    except Exception as exc:
        outcomes.append(type(exc).__name__)
sys.stdout.write(json.dumps({"events": events, "outcomes": outcomes, "prefixes": [sys.prefix, sys.base_prefix]}))
"""


def test_the_worker_opens_only_its_store_and_imports_nothing_a_payload_names(staged, tmp_path):
    """An audit hook watches the worker through a legitimate task and a battery of crafted ones."""
    store, event, _ = staged
    crafted = [
        event,
        dict(event, dataset="pydmlserverless/data/../../../../etc/passwd"),
        dict(event, learner={"__estimator__": "os.system", "params": {}}),
        dict(event, learner={"__estimator__": "sklearn.utils._testing.SkipTest", "params": {}}),
        dict(event, learner={"__estimator__": "sklearn.tree.DecisionTreeRegressor", "params": {"memory": "/tmp"}}),
        dict(event, store={"kind": "local", "root": "/"}),
        dict(
            event, result={"inline_max_bytes": 10, "prefix": "pydmlserverless/results/../../../../tmp/", "keep": True}
        ),
    ]
    done = subprocess.run(
        [sys.executable, "-c", AUDIT_SCRIPT, str(store.root)],
        input=json.dumps(crafted), capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (
        report["outcomes"]
        == ["ok", "ProtocolError", "LearnerError", "LearnerError", "LearnerError"] + ["ProtocolError"] * 2
    )
    opened = {
        path if path.startswith("/proc/self/") else str((REPO / path).resolve())
        for kind, path in report["events"]
        if kind == "open"
    }
    # the store, the interpreter's own files, the package's sources and the process's memory counters
    allowed = (str(store.root.resolve()), *map(str, report["prefixes"]), str(REPO), "/proc/self/")
    assert {p for p in opened if not p.startswith(allowed)} == set()
    assert not {p for p in opened if "passwd" in p or "evil" in p or p == "/"}
    imported = {name for kind, name in report["events"] if kind == "import"}
    assert not {name for name in imported if name.split(".")[0] in ("os", "subprocess", "pickle", "builtins")}
    assert not {name for name in imported if name.startswith("sklearn.utils._testing")}
