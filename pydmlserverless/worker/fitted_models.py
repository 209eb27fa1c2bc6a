"""Fitted learners across the wire: skops, never pickle, loading only types this module names.

With ``store_models=True`` a worker stores the learners it fitted (one per fold of its task) with
:func:`dump_models`, and the client reads them back with :func:`load_models`, on every backend and
on resume. Whoever can write to the store could have replaced the file, so it is untrusted data:

1. Before anything is constructed, every node of the file is read from its schema and must be one
   of the node kinds a fitted estimator needs (:data:`ALLOWED_NODE_KINDS`: containers, arrays,
   random states, objects, trees and losses; never a function, method, partial, operator or
   generic reduce node) and name a type on :func:`trusted_types`: the estimator classes that may
   travel (those of :data:`~pydmlserverless.worker.learners.ALLOWED_MODULES`, the learners' own
   allow-list) and the internal types their state needs (:data:`INTERNAL_TYPES`, each named).
   A name prefix never trusts anything: scikit-learn's private modules re-export standard-library
   functions (``sklearn.utils._testing.check_output`` is ``subprocess.check_output``).
2. skops then loads the file trusting exactly that list (its own audit runs again).
3. The types whose state holds raw indices that scikit-learn follows without bounds checks
   (``sklearn.tree._tree.Tree``, the histogram-boosting ``TreePredictor``, the neighbours'
   ``KDTree``/``BallTree``; skops documents why it does not trust them by default) are checked
   (:mod:`pydmlserverless.worker.fitted_model_checks`) before the learners are handed out, and every
   loaded estimator's parameters pass the learners' one parameter check.

skops is imported on first use: a worker that is not asked for its models never loads it.
"""

from __future__ import annotations

import functools
import importlib
import io
import json
import zipfile
from collections.abc import Iterator, Sequence
from typing import Any

from sklearn.base import BaseEstimator

from ..errors import CorruptObjectError, UntrustedModelError
from .fitted_model_checks import check_fitted
from .learners import ALLOWED_MODULES

__all__ = [
    "ALLOWED_NODE_KINDS",
    "INTERNAL_TYPES",
    "dump_models",
    "load_models",
    "trusted_types",
    "untrusted_types",
]

#: The skops node kinds (``__loader__``) a fitted learner is made of. FunctionNode, MethodNode,
#: PartialNode, OperatorFuncNode, ReduceNode and the like are absent: each calls or returns a
#: callable the file names.
ALLOWED_NODE_KINDS = frozenset({
    "DictNode", "DefaultDictNode", "ListNode", "TupleNode", "SetNode", "SliceNode", "JsonNode", "BytesNode",
    "BytearrayNode", "NdArrayNode", "SparseMatrixNode", "RandomStateNode", "RandomGeneratorNode", "TypeNode",
    "ObjectNode", "TreeNode", "LossNode",
})  # fmt: skip

_NUMPY_SCALARS = ("bool", "bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
_NUMPY_FLOATS = ("float16", "float32", "float64", "longdouble", "complex64", "complex128")

#: The types besides the estimator classes that a fitted learner's state is made of, each named.
#: Trees, TreePredictor, KDTree and BallTree are checked after loading (see the module's text).
INTERNAL_TYPES = frozenset(
    {f"builtins.{name}" for name in ("dict", "list", "tuple", "set", "slice", "str", "int", "float", "bool",
                                     "bytes", "bytearray", "NoneType")}
    | {"collections.OrderedDict", "collections.defaultdict"}
    | {"numpy.ndarray", "numpy.random.mtrand.RandomState", "numpy.random._generator.Generator"}
    | {f"numpy.random.{name}" for name in ("MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64")}
    | {f"numpy.{name}" for name in _NUMPY_SCALARS + _NUMPY_FLOATS}
    | {f"scipy.sparse._{kind}.{kind}_{form}" for kind in ("csr", "csc", "coo") for form in ("matrix", "array")}
    | {
        # decision trees (forests, extra trees, gradient boosting, bagging, AdaBoost): checked
        "sklearn.tree._tree.Tree",
        # histogram gradient boosting: its predictors are checked
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        # losses and links of gradient boosting, histogram boosting and the GLMs
        *(f"sklearn._loss.loss.{name}" for name in (
            "AbsoluteError", "ExponentialLoss", "HalfBinomialLoss", "HalfGammaLoss", "HalfMultinomialLoss",
            "HalfPoissonLoss", "HalfSquaredError", "HalfTweedieLoss", "HalfTweedieLossIdentity", "HuberLoss",
            "PinballLoss")),
        *(f"sklearn._loss._loss.Cy{name}" for name in (
            "AbsoluteError", "ExponentialLoss", "HalfBinomialLoss", "HalfGammaLoss", "HalfMultinomialLoss",
            "HalfPoissonLoss", "HalfSquaredError", "HalfTweedieLoss", "HalfTweedieLossIdentity", "HuberLoss",
            "PinballLoss")),
        *(f"sklearn._loss.link.{name}" for name in (
            "IdentityLink", "LogLink", "LogitLink", "HalfLogitLink", "MultinomialLogit", "Interval")),
        # SGD's and the passive-aggressive models' losses
        *(f"sklearn.linear_model._sgd_fast.{name}" for name in (
            "Hinge", "SquaredHinge", "ModifiedHuber", "Huber", "EpsilonInsensitive", "SquaredEpsilonInsensitive",
            "SquaredLoss", "Log")),
        # calibration, Gaussian processes, neural networks
        "sklearn.calibration._CalibratedClassifier", "sklearn.calibration._SigmoidCalibration",
        "sklearn.gaussian_process._gpc._BinaryGaussianProcessClassifierLaplace",
        *(f"sklearn.gaussian_process.kernels.{name}" for name in (
            "ConstantKernel", "RBF", "Product", "Sum", "WhiteKernel", "Matern", "RationalQuadratic",
            "ExpSineSquared", "DotProduct", "Exponentiation")),
        "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
        "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
        # nearest neighbours: the index trees are checked; Euclidean distance only (no metric parameters)
        "sklearn.neighbors._kd_tree.KDTree", "sklearn.neighbors._ball_tree.BallTree",
        "sklearn.metrics._dist_metrics.EuclideanDistance64",
        # stacking and voting keep their fitted estimators in a Bunch
        "sklearn.utils._bunch.Bunch",
        # LightGBM and XGBoost keep the trained model in the library's own text or binary form
        "lightgbm.basic.Booster", "xgboost.core.Booster",
    }
)  # fmt: skip


@functools.cache
def _estimator_types() -> frozenset[str]:
    """``module.Class`` of every estimator class the learners' allow-list exports (as skops names them)."""
    names = set()
    for module_name in sorted(ALLOWED_MODULES):
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # xgboost or lightgbm not installed: their models cannot occur
            continue
        for attr in dir(module):
            obj = getattr(module, attr)
            if not attr.startswith("_") and isinstance(obj, type) and issubclass(obj, BaseEstimator):
                names.add(f"{obj.__module__}.{obj.__name__}")
    return frozenset(names)


def trusted_types() -> frozenset[str]:
    """Every type a stored set of fitted learners may name: the estimator classes and :data:`INTERNAL_TYPES`.

    Examples
    --------
    >>> "sklearn.ensemble._forest.RandomForestRegressor" in trusted_types()
    True
    >>> "sklearn.utils._testing.check_output" in trusted_types()
    False
    """
    return _estimator_types() | INTERNAL_TYPES


def dump_models(estimators: Sequence[Any]) -> bytes:
    """The skops bytes of a task's fitted learners (a list, in fold order)."""
    import skops.io

    return bytes(skops.io.dumps(list(estimators)))


def _schema(body: bytes) -> Any:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return json.loads(archive.read("schema.json"))
    except (zipfile.BadZipFile, KeyError, ValueError, RuntimeError) as exc:
        raise CorruptObjectError(f"A stored set of fitted learners is not a skops file: {exc}") from None


def _nodes(value: Any) -> Iterator[dict[str, Any]]:
    """Every node of a skops schema: any object with a ``__loader__`` (a superset of what skops reads as nodes)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "__loader__" in item:
                yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _bit_generator(node: dict[str, Any]) -> str:
    """The bit generator a Generator node makes numpy call by name (see skops' RandomGeneratorNode)."""
    try:
        name = json.loads(node["content"]["bit_generator"]["content"]["bit_generator"]["content"])
    except (KeyError, TypeError, ValueError):
        return "<a malformed numpy Generator>"
    return f"numpy.random.{name}"


def untrusted_types(body: bytes) -> list[str]:
    """The node kinds and types in ``body`` that :func:`load_models` refuses (empty: none).

    Nothing in the file is imported or constructed to find them: only its schema is read.
    """
    trusted = trusted_types()
    found = set()
    for node in _nodes(_schema(body)):
        kind = node.get("__loader__")
        if kind not in ALLOWED_NODE_KINDS:
            found.add(f"{kind} {node.get('__module__')}.{node.get('__class__')}")
            continue
        names = [f"{node.get('__module__')}.{node.get('__class__')}"]
        if kind == "RandomGeneratorNode":
            names.append(_bit_generator(node))
        found.update(name for name in names if name not in trusted)
    return sorted(found)


def load_models(body: bytes, n_expected: int) -> list[Any]:
    """Load a task's fitted learners from :func:`dump_models`'s bytes, trusting only the named types.

    Raises
    ------
    UntrustedModelError
        If the file names a node kind or type outside the trusted ones (nothing is imported or
        constructed then), or a loaded tree's indices point outside it.
    CorruptObjectError
        If the bytes are not a skops file of ``n_expected`` learners.
    """
    import skops.io

    refused = untrusted_types(body)
    if refused:
        raise UntrustedModelError(
            f"A stored set of fitted learners names types that are not trusted: {refused[:5]}; nothing in it was "
            "loaded. Fitted learners load only the types pydmlserverless.worker.fitted_models.trusted_types() names."
        )
    try:
        models = skops.io.loads(body, trusted=sorted(trusted_types()))
    except Exception as exc:  # skops raises many kinds on a damaged archive
        raise CorruptObjectError(f"A stored set of fitted learners cannot be loaded: {exc}") from None
    if not isinstance(models, list) or len(models) != n_expected:
        raise CorruptObjectError(f"A stored set of fitted learners does not hold {n_expected} learner(s).")
    for position, model in enumerate(models):
        if not isinstance(model, BaseEstimator):
            raise CorruptObjectError(f"Stored fitted learner {position} is a {type(model).__name__}, not an estimator.")
        check_fitted(model, f"stored fitted learner {position}")
    return models
