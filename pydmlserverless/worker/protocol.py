"""The wire contract between the client and the worker, in one place.

A leaf module: the planner, the backends and the worker import it; it imports neither (nor
DoubleML, nor numpy). It holds

* :data:`TASK_FORMAT_VERSION`, the version of the task payload;
* the store key layout (:data:`KEY_PREFIX`, :func:`dataset_key`, :func:`splits_key`,
  :func:`results_prefix`, :func:`result_key`) and :func:`check_key`, which a worker applies to every
  key it is asked to read or write — the SAM role grants access to these prefixes only;
* :func:`task_digest`, the hash of everything that determines a task's result: its result is
  kept under a key named by it, so that a rerun of the same fit finds it (resume by construction);
* :data:`INLINE_MAX_BYTES`, the largest result a response carries inline;
* :class:`TaskPayload`, what a worker is asked to compute (with its :class:`Target`,
  :class:`Subset` and :class:`ResultSpec`), and :class:`TaskResponse`, what it answers;
* :class:`Task`, a payload with the coordinates the client names it by.

A payload is JSON: ``TaskPayload.to_dict()`` is the Lambda event, ``TaskPayload.from_dict()`` the
worker's edge, which refuses a payload of another version, of the wrong shape, with unknown fields
or with keys outside the layout with a :class:`~pydmlserverless.errors.ProtocolError`. A payload
never says where the worker reads or writes: the worker's own configuration names its store
(:mod:`pydmlserverless.worker.config`); the payload's ``bucket`` is only a claim the worker checks.

Examples
--------
>>> data, splits = dataset_key("a" * 64), splits_key("b" * 64)
>>> payload = TaskPayload(
...     task_id="d/ml_l/r0/f1", bucket=None, dataset=data, splits=splits,
...     splits_member=0, rep=0, folds=(1,), learner={}, params=({},), target=Target("y"),
...     features=("x1", "x2"), subset=None, method="predict",
...     result=ResultSpec(INLINE_MAX_BYTES, results_prefix(data, [splits])))
>>> TaskPayload.from_json(payload.to_json()) == payload
True
>>> payload.result_key == result_key(payload.result.prefix, task_digest(payload))
True
>>> check_key("pydmlserverless/data/../../etc/passwd", "data")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
pydmlserverless.errors.ProtocolError: The key 'pydmlserverless/data/../../etc/passwd' is not a data key ...
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..errors import ProtocolError

__all__ = [
    "TASK_FORMAT_VERSION",
    "KEY_PREFIX",
    "INLINE_MAX_BYTES",
    "PREDICT_METHODS",
    "dataset_key",
    "splits_key",
    "results_prefix",
    "result_key",
    "models_key",
    "task_digest",
    "check_key",
    "Target",
    "Subset",
    "ResultSpec",
    "TaskPayload",
    "TaskResponse",
    "Task",
]

#: Version of the task contract (the payload, and the kept result it names: 5 binds the result to its task,
#: 6 adds fold-specific targets and sample weights staged by the client); a worker refuses any other.
TASK_FORMAT_VERSION = 6

#: Every object the package writes lives under this prefix (the SAM role grants access to it only).
KEY_PREFIX = "pydmlserverless/"

#: Predictions larger than this (base64 bytes, about 6,100 rows) go through the store instead of the
#: response: inline they are base64 in JSON (10.7 bytes per row), in the store raw float64 (8 bytes
#: per row); from this size on a task's fit outweighs the extra S3 request (see docs/benchmarks.md).
INLINE_MAX_BYTES = 64 * 1024

#: How a learner's predictions are read: ``predict``, or the probability of class 1.
PREDICT_METHODS = ("predict", "predict_proba")


def dataset_key(digest: str) -> str:
    """The store key of a dataset with this content digest."""
    return f"{KEY_PREFIX}data/{digest}.npz"


def splits_key(digest: str) -> str:
    """The store key of a splits bundle with this content digest."""
    return f"{KEY_PREFIX}splits/{digest}.npz"


def results_prefix(dataset: str, splits: Sequence[str]) -> str:
    """The folder of the results of fits on one dataset and set of splits bundles.

    Derived from their keys, so that a rerun of a fit looks in the same folder (one listing finds
    every result it kept); the result's own name (:func:`result_key`) says which task it answers.
    The bucket's lifecycle rule expires the folder.
    """
    text = "|".join([dataset, *splits]).encode()
    return f"{KEY_PREFIX}results/{hashlib.sha256(text).hexdigest()[:32]}/"


def result_key(prefix: str, digest: str) -> str:
    """The store key of the result of the task with :func:`task_digest` ``digest`` under ``prefix``."""
    return f"{prefix}{digest}.f8"


def models_key(prefix: str, digest: str) -> str:
    """The store key of the fitted learners of the task with :func:`task_digest` ``digest`` (a skops file)."""
    return f"{prefix}{digest}.skops"


def task_digest(payload: TaskPayload) -> str:
    """SHA-256 of everything in a payload that determines its result.

    That is every field but ``task_id`` (a label), ``bucket`` (checked, not read) and ``result``
    (where it goes), in a canonical JSON form: the dataset and splits keys (content digests), the
    repetition and folds, the learner spec, each fold's parameters (the seeds included), the
    target (with ``theta_initial``), the features, the subset, the method and the format version.
    A worker names the result it keeps by this digest itself, so a payload cannot place a result
    under another task's name.
    """
    fields = payload.to_dict()
    for name in ("task_id", "bucket", "result"):
        del fields[name]
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


_KEY_FORMS = {
    "data": ("data/[0-9a-f]{64}\\.npz", "data/<sha256>.npz"),
    "splits": ("splits/[0-9a-f]{64}\\.npz", "splits/<sha256>.npz"),
    "results": ("results/[0-9a-f]{32}/[0-9a-f]{64}\\.f8", "results/<folder>/<sha256>.f8"),
    "models": ("results/[0-9a-f]{32}/[0-9a-f]{64}\\.skops", "results/<folder>/<sha256>.skops"),
    "result_folder": ("results/[0-9a-f]{32}/", "results/<folder>/"),
}


def check_key(key: Any, kind: str, prefix: str = KEY_PREFIX) -> str:
    """Return ``key`` if it is a ``kind`` key under ``prefix``.

    ``kind`` is ``'data'``, ``'splits'``, ``'results'`` or ``'result_folder'`` (a results folder).

    The forms are exact (hex digests, no ``..``, no absolute paths), so that a key can only name
    an object the package itself wrote there.

    Raises
    ------
    ProtocolError
        Naming the key and the form it should have.
    """
    pattern, form = _KEY_FORMS[kind]
    if not isinstance(key, str) or not re.fullmatch(re.escape(prefix) + pattern, key):
        raise ProtocolError(f"The key {key!r} is not a {kind} key of this store ({prefix}{form}).")
    return key


def _field(data: Mapping[str, Any], name: str, kind: type | tuple[type, ...], where: str) -> Any:
    if name not in data:
        raise ProtocolError(f"{where}: the field {name!r} is missing.")
    value = data[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ProtocolError(f"{where}: the field {name!r} must be of type {expected}; got {type(value).__name__}.")
    return value


@dataclass(frozen=True)
class Target:
    """What a learner is fitted to: ``column``, ``column - minus_coef * minus_column``, or staged values per fold.

    The second form is the IV-type scores' second-round target ``y - theta_initial * d``; the worker
    computes it in this operation order, as DoubleML does, so that the targets are bit-identical.
    The third is a target the client computed from earlier rounds' predictions, different in each
    fold (LPLR's ``ml_t`` on the logit of its inner predictions, PQ's ``ml_g`` on ``y`` below a
    preliminary quantile): ``per_fold`` is the key of a staged dataset (:func:`dataset_key`) whose
    column ``str(fold)`` is fold ``fold``'s target, fitted as it is (a classifier's labels too);
    ``column`` names it in messages.
    """

    column: str
    minus_coef: float | None = None
    minus_column: str | None = None
    per_fold: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        out: dict[str, Any] = {"column": self.column}
        if self.minus_column is not None:
            out.update(minus_coef=self.minus_coef, minus_column=self.minus_column)
        if self.per_fold is not None:  # absent otherwise: the digests of other targets stay as they were
            out["per_fold"] = self.per_fold
        return out

    @classmethod
    def from_dict(cls, data: Any) -> Target:
        """Read the JSON form."""
        if not isinstance(data, Mapping):
            raise ProtocolError(f"task target: expected an object; got {type(data).__name__}.")
        column = _field(data, "column", str, "task target")
        per_fold = check_key(data["per_fold"], "data") if data.get("per_fold") is not None else None
        if data.get("minus_column") is None:
            return cls(column, per_fold=per_fold)
        if per_fold is not None:
            raise ProtocolError("task target: 'per_fold' values cannot be combined with 'minus_column'.")
        coef = _field(data, "minus_coef", (int, float), "task target")
        return cls(column, float(coef), _field(data, "minus_column", str, "task target"))


@dataclass(frozen=True)
class Subset:
    """Fit on the training rows where ``column == value`` only (their sorted intersection)."""

    column: str
    value: float

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"column": self.column, "value": self.value}

    @classmethod
    def from_dict(cls, data: Any) -> Subset | None:
        """Read the JSON form (None: all training rows)."""
        if not data:
            return None
        if not isinstance(data, Mapping):
            raise ProtocolError(f"task subset: expected an object or null; got {type(data).__name__}.")
        return cls(
            _field(data, "column", str, "task subset"), float(_field(data, "value", (int, float), "task subset"))
        )


@dataclass(frozen=True)
class ResultSpec:
    """Where a result goes.

    Inline in the response up to ``inline_max_bytes`` of base64, else in the store under
    ``prefix`` (a :func:`results_prefix`), named by the task's digest
    (:attr:`TaskPayload.result_key`). With ``keep`` the worker stores every result there, inline
    ones too, so that a rerun of the fit finds it.
    """

    inline_max_bytes: int
    prefix: str
    keep: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"inline_max_bytes": self.inline_max_bytes, "prefix": self.prefix, "keep": self.keep}

    @classmethod
    def from_dict(cls, data: Any) -> ResultSpec:
        """Read the JSON form."""
        if not isinstance(data, Mapping):
            raise ProtocolError(f"task result: expected an object; got {type(data).__name__}.")
        unknown = sorted(set(data) - {"inline_max_bytes", "prefix", "keep"})
        if unknown:
            raise ProtocolError(f"task result: unknown field(s) {unknown}.")
        limit = _field(data, "inline_max_bytes", int, "task result")
        prefix = check_key(_field(data, "prefix", str, "task result"), "result_folder")
        return cls(limit, prefix, _field(data, "keep", bool, "task result"))


@dataclass(frozen=True)
class TaskPayload:
    """What a worker computes: one learner fitted on some folds of one repetition, predicting their test rows.

    Attributes
    ----------
    task_id : str
        ``treatment/nuisance/r<rep>/f<fold>`` (``/all`` for all folds), echoed in the response.
    bucket : str or None
        The S3 bucket the client staged the data in; the worker reads its own configured store and
        refuses a task whose bucket is another (None: a local store, no claim).
    dataset : str
        Key of the dataset (:func:`dataset_key`).
    splits : str
        Key of the splits bundle holding the repetition (:func:`splits_key`).
    splits_member : int
        The repetition's position in that bundle.
    rep : int
        The repetition.
    folds : tuple of int
        The folds fitted, in order; the predictions are their test rows concatenated.
    learner : dict
        The learner spec (:func:`pydmlserverless.worker.learners.encode_learner`).
    params : tuple of dict
        Encoded parameters per fold (:func:`pydmlserverless.worker.learners.encode_params`).
    target : Target
        What the learner is fitted to.
    features : tuple of str
        The feature columns, in order.
    subset : Subset or None
        A restriction of the training rows.
    method : {'predict', 'predict_proba'}
        How predictions are read.
    result : ResultSpec
        Where the result goes.
    return_models : bool
        Also store the fitted learners (one per fold, a skops file at :attr:`models_key`).
    sample_weight : str or None
        Key of a staged dataset (:func:`dataset_key`) whose column ``"weight"`` weighs the rows
        (``fit(..., sample_weight=weight[train])``, as DoubleML's LPLR fits ``ml_m``); None: unweighted.
    v : int
        The format version.
    """

    task_id: str
    bucket: str | None
    dataset: str
    splits: str
    splits_member: int
    rep: int
    folds: tuple[int, ...]
    learner: Mapping[str, Any]
    params: tuple[Mapping[str, Any], ...]
    target: Target
    features: tuple[str, ...]
    subset: Subset | None
    method: str
    result: ResultSpec
    return_models: bool = False
    sample_weight: str | None = None
    v: int = TASK_FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        """The JSON-safe form (the Lambda event)."""
        out = {
            "v": self.v,
            "task_id": self.task_id,
            "bucket": self.bucket,
            "dataset": self.dataset,
            "splits": self.splits,
            "splits_member": self.splits_member,
            "rep": self.rep,
            "folds": list(self.folds),
            "learner": self.learner,
            "params": list(self.params),
            "target": self.target.to_dict(),
            "features": list(self.features),
            "subset": self.subset.to_dict() if self.subset is not None else None,
            "method": self.method,
            "result": self.result.to_dict(),
            "return_models": self.return_models,
        }
        if self.sample_weight is not None:
            out["sample_weight"] = self.sample_weight
        return out

    @property
    def inputs(self) -> tuple[str, ...]:
        """The store keys the task reads: its dataset, splits bundle, and the values staged for it."""
        staged = (self.target.per_fold, self.sample_weight)
        return (self.dataset, self.splits, *(key for key in staged if key is not None))

    @cached_property
    def digest(self) -> str:
        """:func:`task_digest` of this payload."""
        return task_digest(self)

    @property
    def result_key(self) -> str:
        """Where this task's result is stored: under ``result.prefix``, named by its digest."""
        return result_key(self.result.prefix, self.digest)

    @property
    def models_key(self) -> str:
        """Where this task's fitted learners are stored when ``return_models`` (beside its result)."""
        return models_key(self.result.prefix, self.digest)

    def to_json(self) -> bytes:
        """Compact JSON bytes (the request body of an invocation)."""
        return json.dumps(self.to_dict(), separators=(",", ":")).encode()

    @classmethod
    def from_dict(cls, data: Any) -> TaskPayload:
        """Read a payload at the worker's edge.

        Raises
        ------
        ProtocolError
            If the version is not :data:`TASK_FORMAT_VERSION`, a field is unknown, missing or of the
            wrong type, a fold is named twice, or a key is outside the layout (:func:`check_key`).
        """
        if not isinstance(data, Mapping):
            raise ProtocolError(f"A task payload must be a JSON object; got {type(data).__name__}.")
        if data.get("v") != TASK_FORMAT_VERSION:
            raise ProtocolError(
                f"Task format version {data.get('v')!r} is not supported by this worker (it reads version "
                f"{TASK_FORMAT_VERSION}); deploy the worker of the client's pydmlserverless version."
            )
        where = "task payload"
        unknown = sorted(set(data) - _PAYLOAD_FIELDS)
        if unknown:
            raise ProtocolError(f"{where}: unknown field(s) {unknown}; a worker takes only {sorted(_PAYLOAD_FIELDS)}.")
        bucket = data.get("bucket")
        if bucket is not None and not isinstance(bucket, str):
            raise ProtocolError(f"{where}: 'bucket' must be a string or null; got {type(bucket).__name__}.")
        folds = _field(data, "folds", list, where)
        params = data.get("params") or [{} for _ in folds]
        features = _field(data, "features", list, where)
        if not folds or not all(isinstance(f, int) and not isinstance(f, bool) for f in folds):
            raise ProtocolError(f"{where}: 'folds' must be a non-empty list of integers.")
        if len(set(folds)) != len(folds):
            raise ProtocolError(f"{where}: 'folds' names a fold more than once ({folds[:20]}); each is fitted once.")
        if not isinstance(params, list) or len(params) != len(folds):
            raise ProtocolError(f"{where}: 'params' must hold one object per fold ({len(folds)}).")
        if not features or not all(isinstance(f, str) for f in features):
            raise ProtocolError(f"{where}: 'features' must be a non-empty list of column names.")
        method = _field(data, "method", str, where)
        if method not in PREDICT_METHODS:
            raise ProtocolError(f"{where}: 'method' must be one of {PREDICT_METHODS}; got {method!r}.")
        target = Target.from_dict(data.get("target"))
        return cls(
            task_id=_field(data, "task_id", str, where),
            bucket=bucket,
            dataset=check_key(_field(data, "dataset", str, where), "data"),
            splits=check_key(_field(data, "splits", str, where), "splits"),
            splits_member=_field(data, "splits_member", int, where) if "splits_member" in data else 0,
            rep=_field(data, "rep", int, where),
            folds=tuple(folds),
            learner=_field(data, "learner", Mapping, where),
            params=tuple(p or {} for p in params),
            target=target,
            features=tuple(features),
            subset=Subset.from_dict(data.get("subset")),
            method=method,
            result=ResultSpec.from_dict(data.get("result")),
            return_models=_field(data, "return_models", bool, where) if "return_models" in data else False,
            sample_weight=check_key(data["sample_weight"], "data") if data.get("sample_weight") is not None else None,
        )

    @classmethod
    def from_json(cls, body: bytes | str) -> TaskPayload:
        """Read :meth:`to_json`'s bytes."""
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise ProtocolError(f"A task payload must be JSON: {exc}") from None
        return cls.from_dict(data)


_PAYLOAD_FIELDS = frozenset(
    {"v", "task_id", "bucket", "dataset", "splits", "splits_member", "rep", "folds", "learner", "params"}
    | {"target", "features", "subset", "method", "result", "return_models", "sample_weight"}
)


#: A response carries at most this many distinct warnings (a last one counts those left out), each text cut here.
MAX_RESPONSE_WARNINGS = 50
MAX_RESPONSE_MESSAGE = 2000
_MAX_WARNING_COUNT = 100_000


def _warning_records(value: Any) -> list[dict[str, Any]]:
    """The well-formed warning records of a worker's answer; anything else is dropped.

    A warning never fails a task: a record without a string category, message and file name and
    an integer line is left out, a count is bounded, and nothing in a record is imported or run
    (the client's :func:`~pydmlserverless.worker.warning_capture.reemit` looks the category up among
    loaded modules only).
    """
    if not isinstance(value, list):
        return []
    out = []
    for r in value[: MAX_RESPONSE_WARNINGS + 1]:
        if not isinstance(r, dict):
            continue
        category, message, filename, lineno = (r.get(k) for k in ("category", "message", "filename", "lineno"))
        module, count = r.get("module"), r.get("count", 1)
        if not (isinstance(category, str) and isinstance(message, str) and isinstance(filename, str)):
            continue
        if not (isinstance(lineno, int) and isinstance(count, int)) or isinstance(count, bool):
            continue
        out.append(
            {
                "category": category,
                "message": message[:MAX_RESPONSE_MESSAGE],
                "filename": filename,
                "lineno": lineno,
                "module": module if isinstance(module, str) else None,
                "count": min(max(count, 1), _MAX_WARNING_COUNT),
            }
        )
    return out


def _is_finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_plain_value(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, str)) or (isinstance(value, float) and math.isfinite(value))


def _typed_object(data: Mapping[str, Any], name: str, check: Any, what: str) -> dict[str, Any]:
    """The optional object field ``name`` of an answer (empty if absent), its keys strings and values ``check``-ed."""
    value = data.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and check(v) for k, v in value.items()):
        shown = f"{type(value).__name__} {str(value)[:80]}"
        raise ProtocolError(f"A task response's {name} must be an object of {what}; got {shown}.")
    return dict(value)


@dataclass(frozen=True)
class TaskResponse:
    """A worker's answer to a :class:`TaskPayload` (the Lambda function's return value).

    Attributes
    ----------
    task_id : str
        The payload's ``task_id``.
    n_predictions : int
        Number of predictions.
    timings : dict
        Seconds spent loading, fitting and predicting (``load_s``, ``fit_s``, ``predict_s``, ``total_s``).
    info : dict
        Cache hits, process id and memory (see :class:`pydmlserverless.worker.execute.TaskResult`).
    versions : dict
        The worker's library versions.
    predictions_b64 : str, optional
        The predictions inline: base64 of little-endian float64.
    predictions_key : str, optional
        Else the store key they were written to (the payload's ``result_key``).
    models_key : str, optional
        Where the fitted learners were written (the payload's ``models_key``), if it asked for them.
    warnings : list of dict
        The warnings the task raised in the function, as
        :func:`~pydmlserverless.worker.warning_capture.compact` records (absent from the JSON when none);
        malformed records are dropped on reading.
    """

    task_id: str
    n_predictions: int
    timings: Mapping[str, float] = field(default_factory=dict)
    info: Mapping[str, Any] = field(default_factory=dict)
    versions: Mapping[str, str] = field(default_factory=dict)
    predictions_b64: str | None = None
    predictions_key: str | None = None
    models_key: str | None = None
    warnings: Sequence[Mapping[str, Any]] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON-safe form."""
        out: dict[str, Any] = {
            "task_id": self.task_id,
            "n_predictions": self.n_predictions,
            "timings": dict(self.timings),
            "info": dict(self.info),
            "versions": dict(self.versions),
        }
        if self.predictions_key is not None:
            out["predictions_key"] = self.predictions_key
        else:
            out["predictions_b64"] = self.predictions_b64
        if self.models_key is not None:
            out["models_key"] = self.models_key
        if self.warnings:
            out["warnings"] = [dict(r) for r in self.warnings]
        return out

    @staticmethod
    def is_response(data: Any) -> bool:
        """Whether ``data`` has a response's shape (rather than an error's)."""
        return (
            isinstance(data, Mapping) and "task_id" in data and ("predictions_b64" in data or "predictions_key" in data)
        )

    @classmethod
    def from_dict(cls, data: Any) -> TaskResponse:
        """Read a worker's answer; every field of the wrong shape makes it a bad answer.

        Raises
        ------
        ProtocolError
            If a field is of the wrong type: ``task_id`` not a string, ``n_predictions`` not a
            non-negative integer, ``timings`` not an object of finite numbers, ``info`` not an
            object of plain values, ``versions`` not an object of strings, a key not a string
            (malformed warning records are dropped instead: a warning never fails a task).

        Examples
        --------
        >>> TaskResponse.from_dict({"task_id": "t", "predictions_b64": "", "timings": [1.0]})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        pydmlserverless.errors.ProtocolError: A task response's timings must be an object of finite numbers; ...
        """
        if not cls.is_response(data):
            raise ProtocolError(
                "A task response must be an object with task_id and predictions_b64 or predictions_key."
            )
        b64, key = data.get("predictions_b64"), data.get("predictions_key")
        if (b64 is None) == (key is None) or not isinstance(b64 if key is None else key, str):
            raise ProtocolError("A task response carries exactly one of predictions_b64 and predictions_key, a string.")
        task_id = data["task_id"]
        if not isinstance(task_id, str):
            raise ProtocolError(f"A task response's task_id must be a string; got {type(task_id).__name__}.")
        n = data.get("n_predictions", -1)
        if not isinstance(n, int) or isinstance(n, bool) or n < -1:
            raise ProtocolError(f"A task response's n_predictions must be a non-negative integer; got {n!r}.")
        models = data.get("models_key")
        if models is not None and not isinstance(models, str):
            raise ProtocolError("A task response's models_key must be a string.")
        return cls(
            task_id=task_id,
            n_predictions=n,
            timings=_typed_object(data, "timings", _is_finite_number, "finite numbers"),
            info=_typed_object(data, "info", _is_plain_value, "plain values (null, booleans, numbers, strings)"),
            versions=_typed_object(data, "versions", lambda v: isinstance(v, str), "strings"),
            predictions_b64=b64,
            predictions_key=key,
            models_key=models,
            warnings=_warning_records(data.get("warnings")),
        )


@dataclass(frozen=True)
class Task:
    """One unit of work for a backend: a payload and the coordinates the client names it by.

    Attributes
    ----------
    task_id : str
        As the payload's.
    treatment, nuisance : str
        Treatment column and DoubleML nuisance name.
    rep : int
        Repetition index.
    folds : tuple of int
        Fold indices the task fits.
    payload : TaskPayload
        What the worker receives.
    n_predictions : int
        How many predictions the answer must hold (its folds' test rows); -1: not known.
    group : str
        The sub-model of a container model (APOS's treatment level, DIDMulti's group-time cell)
        the task belongs to; empty for a model of its own.
    """

    task_id: str
    treatment: str
    nuisance: str
    rep: int
    folds: tuple[int, ...]
    payload: TaskPayload = field(repr=False)
    n_predictions: int = -1
    group: str = ""

    def describe(self) -> str:
        """Human-readable coordinates, for messages."""
        folds = "all folds" if len(self.folds) > 1 else f"fold {self.folds[0]}"
        group = f"sub-model {self.group!r}, " if self.group else ""
        return f"{group}treatment {self.treatment!r}, learner {self.nuisance!r}, rep {self.rep}, {folds}"

    def coordinates(self) -> dict[str, Any]:
        """The task's coordinates as a dict (``group`` only for a container model's sub-model)."""
        where = {"group": self.group} if self.group else {}
        return {**where, "treatment": self.treatment, "learner": self.nuisance, "rep": self.rep, "folds": [*self.folds]}

    def metric_columns(self) -> dict[str, Any]:
        """The first columns of the task's rows in the backends' metrics tables."""
        return {
            "task_id": self.task_id,
            **({"group": self.group} if self.group else {}),
            "treatment": self.treatment,
            "learner": self.nuisance,
            "rep": self.rep,
            "folds": len(self.folds),
        }
