"""Stored fitted learners are untrusted data: crafted skops files through every loading path.

Each crafted file is first shown to be live (skops runs it when told to trust its type), then
refused by :func:`pydmlserverless.worker.fitted_models.load_models` with nothing run: a marker file that
the payload would create stays absent, a file it would delete stays.
"""

from __future__ import annotations

import io
import json
import zipfile

import lightgbm
import numpy as np
import pytest
import skops.io
import xgboost
from doubleml.plm.datasets import make_plr_CCDDHNR2018
from sklearn.ensemble import (
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestRegressor,
    StackingRegressor,
)
from sklearn.linear_model import LassoCV, LinearRegression, LogisticRegressionCV, Ridge
from sklearn.neighbors import KNeighborsRegressor
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from pydmlserverless import DoubleMLPLRServerless, TaskError, UntrustedModelError
from pydmlserverless.worker.fitted_models import dump_models, load_models, trusted_types, untrusted_types
from pydmlserverless.worker.protocol import KEY_PREFIX
from pydmlserverless.worker.store import LocalStore


def _json(value):
    return {"__class__": type(value).__name__, "__module__": "builtins", "__loader__": "JsonNode",
            "content": json.dumps(value), "is_json": True}  # fmt: skip


def _str_key():
    return {"__class__": "str", "__module__": "builtins", "__loader__": "TypeNode"}


def _calling(module: str, name: str, args: list, loader: str = "LossNode") -> dict:
    """A node that makes skops call ``module.name(args)`` (a ReduceNode kind takes its constructor from the node)."""
    return {
        "__class__": name, "__module__": module, "__loader__": loader,
        "__reduce__": {"args": {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode",
                                "content": [{"__class__": "list", "__module__": "builtins", "__loader__": "ListNode",
                                             "content": [_json(a) for a in args]}]}},
        "content": {"__class__": "dict", "__module__": "builtins", "__loader__": "DictNode", "content": {},
                    "key_types": {"__class__": "list", "__module__": "builtins", "__loader__": "ListNode",
                                  "content": []}},
    }  # fmt: skip


def _with_attribute(body: bytes, name: str, node: dict) -> bytes:
    """``body`` (a dump of one estimator) with ``node`` added as the estimator's attribute ``name``."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        files = {member: archive.read(member) for member in archive.namelist()}
    schema = json.loads(files["schema.json"])
    attributes = schema["content"][0]["content"]
    attributes["content"][name] = node
    attributes["key_types"]["content"].append(_str_key())
    files["schema.json"] = json.dumps(schema).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for member, data in files.items():
            archive.writestr(member, data)
    return out.getvalue()


def _linear_dump() -> bytes:
    return dump_models([LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])])


def _shell(marker) -> bytes:
    """A file whose load runs ``touch marker`` through scikit-learn's re-export of ``subprocess.check_output``."""
    return _with_attribute(
        _linear_dump(), "evil_", _calling("sklearn.utils._testing", "check_output", ["sh", "-c", f"touch {marker}"])
    )


def test_a_reexported_standard_library_call_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "marker"
    body = _shell(marker)
    with pytest.raises(UntrustedModelError, match=r"sklearn\.utils\._testing\.check_output"):
        load_models(body, 1)
    assert not marker.exists()
    assert "sklearn.utils._testing.check_output" in untrusted_types(body)
    # the file is live: trusted by name, skops runs the command (what a prefix rule allowed)
    skops.io.loads(body, trusted=["sklearn.utils._testing.check_output"])
    assert marker.exists()


def test_a_function_node_that_would_delete_a_file_is_refused(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    node = {"__class__": "function", "__module__": "builtins", "__loader__": "FunctionNode",
            "content": {"module_path": "sklearn.datasets._rcv1", "function": "remove"}}  # fmt: skip
    with pytest.raises(UntrustedModelError, match="FunctionNode"):
        load_models(_with_attribute(_linear_dump(), "evil_", node), 1)
    for loader in ("ObjectNode", "TypeNode", "TreeNode"):  # the same target through other node kinds
        with pytest.raises(UntrustedModelError, match=r"sklearn\.datasets\._rcv1\.remove"):
            load_models(_with_attribute(_linear_dump(), "evil_", _calling("sklearn.datasets._rcv1", "remove",
                                                                            [str(victim)], loader)), 1)  # fmt: skip
    assert victim.read_text() == "keep me"


def test_trust_is_by_name_never_by_prefix():
    names = trusted_types()
    assert "sklearn.tree._tree.Tree" in names and "lightgbm.basic.Booster" in names
    for name in ("sklearn.utils._testing.check_output", "sklearn.datasets._rcv1.remove", "lightgbm.basic._LIB",
                 "xgboost.core._LIB", "sklearn.utils._bunch.os"):  # fmt: skip
        assert name not in names


def _forest() -> RandomForestRegressor:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    return RandomForestRegressor(n_estimators=3, max_depth=3, random_state=0).fit(x, x[:, 0])


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (lambda nodes: nodes["left_child"].__setitem__(0, 10**6), "child indices leave"),
        (lambda nodes: nodes["left_child"].__setitem__(1, 0), "do not follow their parents"),  # a cycle
        (lambda nodes: nodes["feature"].__setitem__(0, 99), "feature outside"),
    ],
)
def test_a_tree_whose_indices_leave_it_is_refused_before_anyone_predicts(corrupt, message):
    forest = _forest()
    state = forest.estimators_[0].tree_.__getstate__()
    corrupt(state["nodes"])
    forest.estimators_[0].tree_.__setstate__(state)
    with pytest.raises(UntrustedModelError, match=message):
        load_models(dump_models([forest]), 1)


def test_a_histogram_predictor_and_a_neighbours_index_with_bad_indices_are_refused():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(80, 3))
    hgb = HistGradientBoostingRegressor(max_iter=3).fit(x, x[:, 0])
    hgb._predictors[0][0].nodes["feature_idx"][0] = 50
    with pytest.raises(UntrustedModelError, match="histogram-boosting predictor splits on a feature outside"):
        load_models(dump_models([hgb]), 1)
    knn = KNeighborsRegressor(algorithm="kd_tree").fit(x, x[:, 0])
    data, idx, *rest = knn._tree.__getstate__()
    idx = np.asarray(idx).copy()
    idx[0] = 10**6
    knn._tree.__setstate__((data, idx, *rest))
    with pytest.raises(UntrustedModelError, match="not a permutation"):
        load_models(dump_models([knn]), 1)


def test_a_loaded_lightgbm_model_set_to_open_a_socket_is_refused():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(60, 2))
    model = lightgbm.LGBMRegressor(n_estimators=3, verbose=-1).fit(x, x[:, 0])
    model.set_params(machines="127.0.0.1:12400", num_machines=2)  # LightGBM keeps any key
    with pytest.raises(UntrustedModelError, match="'machines' of LGBMRegressor makes the estimator connect"):
        load_models(dump_models([model]), 1)


def _common_learners():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(120, 4))
    y = x[:, 0] + rng.normal(size=120)
    label = (y > 0).astype(int)
    regressors = [
        RandomForestRegressor(n_estimators=5, random_state=0), GradientBoostingRegressor(n_estimators=5),
        HistGradientBoostingRegressor(max_iter=5), LassoCV(), make_pipeline(StandardScaler(), Ridge()),
        KNeighborsRegressor(algorithm="ball_tree"), MLPRegressor(max_iter=50, random_state=0),
        StackingRegressor([("rf", RandomForestRegressor(n_estimators=3)), ("ridge", Ridge())]),
        lightgbm.LGBMRegressor(n_estimators=5, verbose=-1), xgboost.XGBRegressor(n_estimators=5),
    ]  # fmt: skip
    classifiers = [
        HistGradientBoostingClassifier(max_iter=5),
        LogisticRegressionCV(),
        lightgbm.LGBMClassifier(n_estimators=5, verbose=-1),
        xgboost.XGBClassifier(n_estimators=5),
    ]
    return [(m.fit(x, y), x) for m in regressors] + [(m.fit(x, label), x) for m in classifiers]


def test_the_learners_users_fit_load_and_predict_as_they_were():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLP's and LassoCV's convergence on tiny data
        fitted = _common_learners()
    loaded = load_models(dump_models([model for model, _ in fitted]), len(fitted))
    for (model, x), again in zip(fitted, loaded):
        assert type(again) is type(model)
        np.testing.assert_array_equal(again.predict(x), model.predict(x))


@pytest.fixture
def own_store(tmp_path, monkeypatch):
    monkeypatch.setenv("PYDMLSERVERLESS_CACHE_DIR", str(tmp_path / "store"))
    return LocalStore()


def _plr():
    np.random.seed(5)
    data = make_plr_CCDDHNR2018(n_obs=80, dim_x=3)
    return DoubleMLPLRServerless(None, None, data, LinearRegression(), LinearRegression(), n_folds=2)


def test_a_planted_models_file_beside_a_kept_result_runs_nothing_on_a_rerun(own_store, tmp_path):
    _plr().fit_local(n_jobs=1, seed=3, progress=False, store_models=True)
    planted = [key for key in own_store.list_keys(f"{KEY_PREFIX}results/") if key.endswith(".skops")]
    assert len(planted) == 4
    marker = tmp_path / "marker"
    own_store.put(planted[0], _shell(marker))
    with pytest.raises(TaskError, match=r"cannot be read: .*check_output") as info:
        _plr().fit_local(n_jobs=1, seed=3, progress=False, store_models=True)
    assert isinstance(info.value.__cause__, UntrustedModelError)
    assert not marker.exists()
