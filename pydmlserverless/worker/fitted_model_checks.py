"""Checks of a loaded fitted learner's index structures, before anyone calls ``predict`` on it.

scikit-learn follows the node indices of a decision tree (``Tree``), of a histogram-boosting
predictor (``TreePredictor``) and of a neighbours index (``KDTree``, ``BallTree``) without bounds
checks, so a crafted file whose indices point outside their arrays loads fine and crashes the
process, or reads memory it should not, at the first prediction (skops, which does not trust
these types by default, says so). :func:`check_fitted` walks a loaded learner and refuses any
such structure whose indices leave their arrays or form a cycle, and any estimator whose
parameters the learners' one parameter check refuses (a loaded LightGBM model set to open a
socket when fitted again).

Examples
--------
>>> from sklearn.tree import DecisionTreeRegressor
>>> tree = DecisionTreeRegressor(max_depth=2).fit([[0.0], [1.0], [2.0]], [0.0, 1.0, 2.0])
>>> check_fitted(tree, "a tree")
>>> tree.tree_.node_count = 10**6
>>> check_fitted(tree, "a tree")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
pydmlserverless.errors.UntrustedModelError: a tree: a decision tree claims 1000000 nodes in room for ...
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from ..errors import PyDMLServerlessError, UntrustedModelError
from .learner_parameters import check_parameters

__all__ = ["check_fitted"]

_MAX_OBJECTS = 1_000_000


def _refuse(where: str, what: str) -> UntrustedModelError:
    return UntrustedModelError(f"{where}: {what}; the stored learners were not loaded.")


def _check_tree(tree: Any, n_features: int | None, where: str) -> None:
    """A ``sklearn.tree._tree.Tree``: children after their parent and inside the tree, features inside the data."""
    count, capacity = int(tree.node_count), int(tree.capacity)
    if not 0 < count <= capacity:
        raise _refuse(where, f"a decision tree claims {count} nodes in room for {capacity}")
    if n_features is not None and tree.n_features != n_features:
        raise _refuse(where, f"a decision tree of {tree.n_features} features sits in an estimator of {n_features}")
    left, right, feature = (
        np.asarray(a, dtype=np.int64) for a in (tree.children_left, tree.children_right, tree.feature)
    )
    leaf = left == -1
    ids = np.arange(count)
    inner = ~leaf
    if np.any(right[leaf] != -1) or np.any(left[inner] <= ids[inner]) or np.any(right[inner] <= ids[inner]):
        raise _refuse(where, "a decision tree's child indices do not follow their parents")
    if np.any(left[inner] >= count) or np.any(right[inner] >= count):
        raise _refuse(where, f"a decision tree's child indices leave its {count} nodes")
    if np.any(feature[inner] < 0) or np.any(feature[inner] >= tree.n_features):
        raise _refuse(where, f"a decision tree splits on a feature outside its {tree.n_features}")
    if not 0 <= tree.max_depth <= count:
        raise _refuse(where, f"a decision tree of {count} nodes claims depth {tree.max_depth}")


def _check_predictor(predictor: Any, n_features: int | None, where: str) -> None:
    """A histogram-boosting ``TreePredictor``: children after their parent and inside, features and bitsets too."""
    nodes = np.asarray(predictor.nodes)
    names = set(nodes.dtype.names or ())
    if nodes.ndim != 1 or not nodes.size or not {"left", "right", "feature_idx", "is_leaf"} <= names:
        raise _refuse(where, "a histogram-boosting predictor's nodes are not a node table")
    if n_features is None:
        raise _refuse(where, "a histogram-boosting predictor outside its estimator")
    count = nodes.size
    inner = nodes["is_leaf"] == 0
    ids = np.arange(count)
    left, right = nodes["left"].astype(np.int64), nodes["right"].astype(np.int64)
    if np.any(left[inner] <= ids[inner]) or np.any(right[inner] <= ids[inner]):
        raise _refuse(where, "a histogram-boosting predictor's child indices do not follow their parents")
    if np.any(left[inner] >= count) or np.any(right[inner] >= count):
        raise _refuse(where, f"a histogram-boosting predictor's child indices leave its {count} nodes")
    feature = nodes["feature_idx"].astype(np.int64)
    if np.any(feature[inner] < 0) or np.any(feature[inner] >= n_features):
        raise _refuse(where, f"a histogram-boosting predictor splits on a feature outside its {n_features}")
    categorical = inner & (nodes["is_categorical"] != 0) if "is_categorical" in names else np.zeros(count, bool)
    if categorical.any():
        sizes = [len(np.asarray(getattr(predictor, n))) for n in ("binned_left_cat_bitsets", "raw_left_cat_bitsets")]
        if np.any(nodes["bitset_idx"][categorical].astype(np.int64) >= min(sizes)):
            raise _refuse(where, "a histogram-boosting predictor's categorical split points outside its bitsets")


def _check_neighbors_index(index: Any, where: str) -> None:
    """A ``KDTree`` or ``BallTree``: its sample permutation, node ranges and heap layout inside its data."""
    try:
        data, idx, node_data, bounds, leaf_size, n_levels, n_nodes, *_, weights = index.__getstate__()
        data, idx, node_data, bounds = (np.asarray(a) for a in (data, idx, node_data, bounds))
    except (TypeError, ValueError) as exc:
        raise _refuse(where, f"a neighbours index has no readable state ({exc})") from None
    n = data.shape[0] if data.ndim == 2 else -1
    if n <= 0 or idx.shape != (n,) or np.any(idx < 0) or np.any(idx >= n) or np.unique(idx).size != n:
        raise _refuse(where, "a neighbours index's sample order is not a permutation of its data's rows")
    if node_data.ndim != 1 or node_data.size != n_nodes or n_nodes != 2 ** int(n_levels) - 1 or leaf_size < 1:
        raise _refuse(where, f"a neighbours index claims {n_nodes} nodes in {n_levels} levels and has {node_data.size}")
    if bounds.ndim != 3 or bounds.shape[1:] != (n_nodes, data.shape[1]):
        raise _refuse(where, "a neighbours index's node bounds do not match its nodes and features")
    start, end = node_data["idx_start"].astype(np.int64), node_data["idx_end"].astype(np.int64)
    if np.any(start < 0) or np.any(end < start) or np.any(end > n):
        raise _refuse(where, f"a neighbours index's node ranges leave its {n} rows")
    inner = np.flatnonzero(node_data["is_leaf"] == 0)
    if inner.size and 2 * inner.max() + 2 >= n_nodes:
        raise _refuse(where, "a neighbours index's inner node has children outside it")
    if weights is not None and np.asarray(weights).shape != (n,):
        raise _refuse(where, "a neighbours index's sample weights do not match its rows")


def _children(obj: Any) -> list[Any]:
    if isinstance(obj, dict):
        return list(obj.values())
    if isinstance(obj, (list, tuple, set)):
        return list(obj)
    if isinstance(obj, np.ndarray):
        return list(obj.ravel()) if obj.dtype == object else []
    state = getattr(obj, "__dict__", None)
    return list(state.values()) if isinstance(state, dict) else []


def check_fitted(model: Any, where: str) -> None:
    """Refuse a loaded learner whose index structures or parameters are unsafe (see the module's text).

    Raises
    ------
    UntrustedModelError
        Naming ``where`` and what was found.
    """
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
    from sklearn.neighbors import BallTree, KDTree
    from sklearn.tree._tree import Tree

    seen: set[int] = set()
    stack: list[tuple[Any, int | None]] = [(model, None)]
    while stack:
        obj, n_features = stack.pop()
        if id(obj) in seen or obj is None or isinstance(obj, (str, bytes, int, float, bool)):
            continue
        seen.add(id(obj))
        if len(seen) > _MAX_OBJECTS:
            raise _refuse(where, f"it holds more than {_MAX_OBJECTS:,} objects")
        if isinstance(obj, BaseEstimator):
            try:
                check_parameters(obj, obj.get_params(deep=False), where)
            except PyDMLServerlessError as exc:
                raise _refuse(where, str(exc)) from None
            except Exception as exc:  # a crafted object's get_params may fail any way
                raise _refuse(where, f"a {type(obj).__name__} whose parameters cannot be read ({exc!r})") from None
            declared = getattr(obj, "n_features_in_", None)
            # an estimator fitted inside another (a forest's trees) may not record it: the outer one's holds
            n_features = int(declared) if isinstance(declared, (int, np.integer)) else n_features
        if isinstance(obj, Tree):
            _check_tree(obj, n_features, where)
        elif isinstance(obj, TreePredictor):
            _check_predictor(obj, n_features, where)
        elif isinstance(obj, (KDTree, BallTree)):
            _check_neighbors_index(obj, where)
        stack.extend((child, n_features) for child in _children(obj))
