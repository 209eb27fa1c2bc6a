"""Binary forms of what the worker reads and returns, readable with numpy alone.

* A dataset: an ``.npz`` holding the model's columns as one float64 matrix (column-major) and
  their names. Its key is the SHA-256 of the canonical content, so equal data is stored once.
* The sample splits of one or more repetitions (a bundle): an ``.npz`` holding, for each
  repetition whose folds partition the rows (training rows the sorted complement of the test
  rows), one fold number per observation; otherwise the explicit train and test index arrays.
* Predictions: little-endian float64, base64 when inline in a JSON response; in the store (a
  kept result, see :func:`encode_result`) behind a magic, the digest of the task it answers and
  a SHA-256 over both, so that a reader can tell a whole result of its own task from a damaged
  one or another task's.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Sequence

import numpy as np

from ..errors import CorruptObjectError, DataError, ProtocolError

__all__ = [
    "encode_dataset",
    "decode_dataset",
    "splits_arrays",
    "encode_splits_bundle",
    "encode_splits",
    "SplitsBundle",
    "decode_splits",
    "encode_array",
    "decode_array",
    "array_to_b64",
    "b64_to_array",
    "encode_result",
    "decode_result",
]

_FMT_VERSION = 1


def _npz_bytes(**arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]  # numpy's stub misreads **kwds
    return buf.getvalue()


#: dtypes a stored object may hold: numbers, and the column names' unicode strings
_STORED_KINDS = "biufU"
_HEADER_READERS = {1: np.lib.format.read_array_header_1_0, 2: np.lib.format.read_array_header_2_0}


def _check_npz(body: bytes, max_bytes: int | None) -> None:
    """Refuse an ``.npz`` whose arrays would decode to more than ``max_bytes``, before decompressing it.

    Each member's ``.npy`` header (shape and dtype) is read from the first bytes of the member; the
    array is allocated from it, so the header is what must be bounded, not the compressed size.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
    except zipfile.BadZipFile as exc:
        raise CorruptObjectError(f"A stored object is not an .npz archive: {exc}.") from None
    total = 0
    with archive:
        for info in archive.infolist():
            with archive.open(info) as member:
                try:
                    version = np.lib.format.read_magic(member)
                    if version[0] not in _HEADER_READERS:
                        raise ValueError(f"format version {version}")
                    shape, _, dtype = _HEADER_READERS[version[0]](member)
                except (ValueError, OSError) as exc:
                    message = f"A stored array ({info.filename}) has no valid .npy header: {exc}."
                    raise CorruptObjectError(message) from None
            if dtype.kind not in _STORED_KINDS or dtype.shape:
                raise CorruptObjectError(f"A stored array ({info.filename}) has the dtype {dtype}, not a plain number.")
            total += int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
    if max_bytes is not None and total > max_bytes:
        raise CorruptObjectError(
            f"A stored object would decode to {total / 2**20:,.0f} MiB, more than this worker's limit of "
            f"{max_bytes / 2**20:,.0f} MiB (a third of its memory); give the function more memory."
        )


def _load_npz(body: bytes, max_bytes: int | None = None) -> dict[str, np.ndarray]:
    _check_npz(body, max_bytes)
    with np.load(io.BytesIO(body), allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}


def _check_digest(digest: Callable[[], str], expected: str | None, what: str) -> None:
    if expected is None:
        return  # hashing a large object is not free: only when there is a digest to meet
    actual = digest()
    if actual != expected:
        raise CorruptObjectError(
            f"The stored {what} does not hold the content its key names (sha256 {actual[:12]}... where the key says "
            f"{expected[:12]}...); the client uploads it again on the next fit."
        )


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()


def encode_dataset(values: np.ndarray, columns: Sequence[str]) -> tuple[bytes, str]:
    """Encode a float64 matrix and its column names.

    Parameters
    ----------
    values : numpy.ndarray
        Shape (n_obs, n_cols); converted to float64.
    columns : sequence of str
        One name per column.

    Returns
    -------
    body : bytes
        The ``.npz`` bytes.
    digest : str
        SHA-256 hex digest of the canonical content (names, shape and values).

    Examples
    --------
    >>> body, digest = encode_dataset(np.eye(2), ["a", "b"])
    >>> decode_dataset(body)[0]
    ['a', 'b']
    """
    matrix = np.asfortranarray(values, dtype=np.float64)
    names = [str(c) for c in columns]
    if matrix.ndim != 2 or matrix.shape[1] != len(names):
        raise DataError(f"Expected a matrix with {len(names)} columns; got shape {matrix.shape}.")
    body = _npz_bytes(values=matrix, columns=np.array(names, dtype=str))
    return body, _dataset_digest(names, matrix)


def _dataset_digest(names: list[str], matrix: np.ndarray) -> str:
    header = json.dumps({"v": _FMT_VERSION, "columns": names, "shape": list(matrix.shape)}).encode()
    return _digest(header, matrix.tobytes(order="F"))


def decode_dataset(
    body: bytes, max_bytes: int | None = None, expected_digest: str | None = None
) -> tuple[list[str], np.ndarray]:
    """Decode :func:`encode_dataset`'s bytes into (column names, float64 matrix).

    Parameters
    ----------
    body : bytes
        The stored object.
    max_bytes : int, optional
        Refuse an object that would decode to more (checked before decompressing).
    expected_digest : str, optional
        The digest its key names: the decoded content must have it.

    Raises
    ------
    CorruptObjectError
        If the object is not a dataset, is too large, or holds other content than ``expected_digest``.
    """
    arrays = _load_npz(body, max_bytes)
    try:
        names = [str(c) for c in arrays["columns"]]
        values = arrays["values"]
    except KeyError as exc:
        raise CorruptObjectError(f"A stored dataset lacks its {exc} array.") from None
    if values.dtype != np.float64 or values.ndim != 2 or values.shape[1] != len(names):
        raise CorruptObjectError(f"A stored dataset has values of dtype {values.dtype} and shape {values.shape}.")
    _check_digest(lambda: _dataset_digest(names, values), expected_digest, "dataset")
    return names, values


def _fold_numbers(smpls: Sequence[tuple[np.ndarray, np.ndarray]], n_obs: int) -> np.ndarray | None:
    """One fold number per observation, or None when the splits are not that simple."""
    fold_of = np.full(n_obs, -1, dtype=np.int64)
    for k, (_, test) in enumerate(smpls):
        test = np.asarray(test)
        if test.size and (test.min() < 0 or test.max() >= n_obs):
            return None
        if np.any(fold_of[test] != -1):
            return None
        fold_of[test] = k
    if np.any(fold_of == -1):
        return None
    for k, (train, _) in enumerate(smpls):
        if not np.array_equal(np.asarray(train), np.flatnonzero(fold_of != k)):
            return None
    dtype = np.int8 if len(smpls) < 128 else np.int32
    return fold_of.astype(dtype)


def splits_arrays(smpls: Sequence[tuple[np.ndarray, np.ndarray]], n_obs: int) -> dict[str, np.ndarray]:
    """The arrays that store one repetition's (train, test) index pairs.

    A partition whose training rows are the complement of the test rows is one fold number per
    observation (1 byte each for fewer than 128 folds); other splits keep their index arrays.

    Examples
    --------
    >>> smpls = [(np.array([2, 3]), np.array([0, 1])), (np.array([0, 1]), np.array([2, 3]))]
    >>> splits_arrays(smpls, 4)["fold_of"].tolist()
    [0, 0, 1, 1]
    """
    fold_of = _fold_numbers(smpls, n_obs)
    if fold_of is not None:
        return {"n_folds": np.array(len(smpls)), "fold_of": fold_of}
    arrays = {"n_folds": np.array(len(smpls))}
    for k, (train, test) in enumerate(smpls):
        arrays[f"train_{k}"] = np.asarray(train, dtype=np.int64)
        arrays[f"test_{k}"] = np.asarray(test, dtype=np.int64)
    return arrays


def encode_splits_bundle(reps: Sequence[dict[str, np.ndarray]], n_obs: int) -> tuple[bytes, str]:
    """Encode several repetitions' splits (each from :func:`splits_arrays`) as one object.

    Returns
    -------
    body : bytes
    digest : str
        SHA-256 of the content, for a content-addressed key.
    """
    arrays = {"n_obs": np.array(n_obs), "n_reps": np.array(len(reps))}
    for member, rep in enumerate(reps):
        arrays.update({f"r{member}_{name}": value for name, value in rep.items()})
    return _npz_bytes(**arrays), _bundle_digest(arrays)


def _bundle_digest(arrays: dict[str, np.ndarray]) -> str:
    return _digest(*(name.encode() + arrays[name].tobytes() for name in sorted(arrays)))


def encode_splits(smpls: Sequence[tuple[np.ndarray, np.ndarray]], n_obs: int) -> tuple[bytes, str]:
    """Encode one repetition's (train, test) index pairs (a bundle of one; see :func:`encode_splits_bundle`).

    Parameters
    ----------
    smpls : sequence of (array, array)
        DoubleML's ``smpls[i_rep]``.
    n_obs : int
        Number of observations.

    Returns
    -------
    body : bytes
    digest : str
    """
    return encode_splits_bundle([splits_arrays(smpls, n_obs)], n_obs)


class SplitsBundle:
    """The decoded splits of one or more repetitions, kept compact.

    Fold numbers stay one small integer per observation; a task's (train, test) index arrays are
    made when it asks for its folds, so that a warm worker can hold many repetitions of a large
    data set (five folds of 10^6 rows as index arrays would take 40 MB per repetition).

    Parameters
    ----------
    body : bytes
        What :func:`encode_splits_bundle` made.
    max_bytes : int, optional
        Refuse a bundle that would decode to more (checked before decompressing).
    expected_digest : str, optional
        The digest its key names: the decoded content must have it.
    """

    def __init__(self, body: bytes, max_bytes: int | None = None, expected_digest: str | None = None) -> None:
        self._arrays = _load_npz(body, max_bytes)
        _check_digest(lambda: _bundle_digest(self._arrays), expected_digest, "splits bundle")
        try:
            self.n_reps = int(self._arrays["n_reps"])
            self.n_obs = int(self._arrays["n_obs"])
        except (KeyError, TypeError, ValueError):
            raise CorruptObjectError("A stored splits bundle lacks its n_reps or n_obs.") from None

    @property
    def nbytes(self) -> int:
        """Bytes held."""
        return sum(a.nbytes for a in self._arrays.values())

    def n_folds(self, member: int) -> int:
        """Number of folds of repetition ``member``."""
        return int(self._arrays[f"r{member}_n_folds"])

    def folds(self, member: int, folds: Sequence[int] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """(train, test) index arrays of repetition ``member``, for ``folds`` (default: all, in order)."""
        if not 0 <= member < self.n_reps:
            raise ProtocolError(f"The splits bundle holds {self.n_reps} repetition(s); member {member} was asked for.")
        n_folds = self.n_folds(member)
        wanted = range(n_folds) if folds is None else folds
        if any(not 0 <= k < n_folds for k in wanted):
            raise ProtocolError(
                f"Repetition {member} of the splits bundle has {n_folds} folds; {list(wanted)} were asked for."
            )
        fold_of = self._arrays.get(f"r{member}_fold_of")
        if fold_of is not None:
            return [(np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)) for k in wanted]
        pairs = [(self._arrays[f"r{member}_train_{k}"], self._arrays[f"r{member}_test_{k}"]) for k in wanted]
        for rows in (rows for pair in pairs for rows in pair):
            # negative indices would wrap around silently
            if rows.size and (rows.dtype.kind not in "iu" or rows.min() < 0 or rows.max() >= self.n_obs):
                raise CorruptObjectError(f"A stored splits bundle has row indices outside 0..{self.n_obs - 1}.")
        return pairs


def decode_splits(body: bytes, member: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Decode the (train, test) index pairs of repetition ``member`` of an encoded bundle."""
    return SplitsBundle(body).folds(member)


def encode_array(values: np.ndarray) -> bytes:
    """Little-endian float64 bytes of a 1-d array."""
    return np.ascontiguousarray(values, dtype="<f8").tobytes()


def decode_array(body: bytes) -> np.ndarray:
    """Inverse of :func:`encode_array`."""
    return np.frombuffer(body, dtype="<f8").copy()


def array_to_b64(values: np.ndarray) -> str:
    """Base64 text of :func:`encode_array`."""
    return base64.b64encode(encode_array(values)).decode("ascii")


def b64_to_array(text: str) -> np.ndarray:
    """Inverse of :func:`array_to_b64`."""
    return decode_array(base64.b64decode(text))


_RESULT_MAGIC = b"PDMLRES2"
_DIGEST_BYTES = 32
_RESULT_HEADER = len(_RESULT_MAGIC) + 2 * _DIGEST_BYTES


def _task_digest_bytes(task_digest: str) -> bytes:
    try:
        raw = bytes.fromhex(task_digest)
    except (TypeError, ValueError):
        raw = b""
    if len(raw) != _DIGEST_BYTES:
        raise ValueError(f"A task digest is 64 hexadecimal digits; got {task_digest!r}.")
    return raw


def encode_result(values: np.ndarray, task_digest: str) -> bytes:
    """A result as stored: magic, the digest of the task it answers, SHA-256 of both, the float64 bytes.

    Parameters
    ----------
    values : numpy.ndarray
        The task's predictions.
    task_digest : str
        :func:`~pydmlserverless.worker.protocol.task_digest` of the task (64 hexadecimal digits).

    Examples
    --------
    >>> body = encode_result(np.array([0.5, 1.5]), "ab" * 32)
    >>> decode_result(body, "ab" * 32, n_expected=2)
    array([0.5, 1.5])
    >>> decode_result(body, "cd" * 32)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydmlserverless.errors.CorruptObjectError: A stored result answers task abababababab..., not cdcdcdcdcdcd...
    """
    task = _task_digest_bytes(task_digest)
    raw = encode_array(values)
    return _RESULT_MAGIC + task + hashlib.sha256(task + raw).digest() + raw


def decode_result(body: bytes, task_digest: str, n_expected: int = -1) -> np.ndarray:
    """Inverse of :func:`encode_result`, verified: whole, of the task ``task_digest``, of ``n_expected`` values.

    Raises
    ------
    CorruptObjectError
        If the magic or the checksum does not match, the result answers another task, or it does
        not hold ``n_expected`` values (when that is not -1).
    """
    task = _task_digest_bytes(task_digest)
    header = body[:_RESULT_HEADER]
    raw = body[_RESULT_HEADER:]
    if len(header) != _RESULT_HEADER or header[: len(_RESULT_MAGIC)] != _RESULT_MAGIC or len(raw) % 8:
        raise CorruptObjectError("A stored result is not in pydmlserverless's result form.")
    stored_task = header[len(_RESULT_MAGIC) : len(_RESULT_MAGIC) + _DIGEST_BYTES]
    if hashlib.sha256(stored_task + raw).digest() != header[len(_RESULT_MAGIC) + _DIGEST_BYTES :]:
        raise CorruptObjectError("A stored result does not match its checksum: it is damaged.")
    if stored_task != task:
        raise CorruptObjectError(
            f"A stored result answers task {stored_task.hex()[:12]}..., not {task_digest[:12]}...: it was copied "
            "from another task's key."
        )
    if n_expected >= 0 and len(raw) // 8 != n_expected:
        raise CorruptObjectError(f"A stored result holds {len(raw) // 8} values where {n_expected} were expected.")
    return decode_array(raw)
