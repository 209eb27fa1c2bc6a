"""Where datasets, sample splits and large results live: a local directory or an S3 bucket.

Both stores speak bytes under string keys. A store travels inside a task as a small descriptor
(:meth:`Store.descriptor`) and is rebuilt by the worker with :func:`store_from_descriptor`.
S3 clients follow the AWS SDK's conventions (profiles, ``AWS_REGION``, ``AWS_ENDPOINT_URL_S3``);
a ready client may be injected.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import PyDMLServerlessError, StoreError

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_s3 import S3Client

__all__ = [
    "Store",
    "LocalStore",
    "S3Store",
    "store_from_descriptor",
    "default_local_root",
    "aws_settings",
]


def default_local_root() -> Path:
    """Return the default directory of the local store, the user's own.

    ``PYDMLSERVERLESS_CACHE_DIR`` wins (the user's choice, used as it is); else
    ``$XDG_CACHE_HOME/pydmlserverless`` or ``~/.cache/pydmlserverless``, falling back, when the
    home directory is unusable, to ``pydmlserverless-<uid>`` in the system temporary directory.
    A default folder is created with mode 0700 and refused when it exists but belongs to another
    user or others may write to it (another user could read the data, or plant results and
    fitted models a fit would load).

    Raises
    ------
    StoreError
        If the default folder belongs to another user or is writable by others.
    """
    explicit = os.environ.get("PYDMLSERVERLESS_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if os.access(os.path.dirname(base) or "/", os.W_OK) or os.path.isdir(base):
        return _private_folder(Path(base) / "pydmlserverless")
    owner = os.getuid() if hasattr(os, "getuid") else os.getlogin()
    return _private_folder(Path(tempfile.gettempdir()) / f"pydmlserverless-{owner}")


def _private_folder(path: Path) -> Path:
    """``path``, created with mode 0700 if missing; refused if another user owns it or others may write to it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=0o700, exist_ok=True)
        info = path.lstat()
    except OSError as exc:
        raise StoreError(f"Cannot create the local store folder {path}: {exc}") from exc
    if not hasattr(os, "getuid"):  # Windows: folders under the user's profile, ACLs rather than modes
        return path
    problem = None
    if not stat.S_ISDIR(info.st_mode):
        problem = "is not a folder (a link or a file stands there)"
    elif info.st_uid != os.getuid():
        problem = f"belongs to another user (uid {info.st_uid}, you are {os.getuid()})"
    elif info.st_mode & 0o022:
        problem = f"may be written by other users (mode {stat.S_IMODE(info.st_mode):o})"
    if problem:
        raise StoreError(
            f"The local store folder {path} {problem}: it is not used, since another user could read the data "
            "and splits stored there or plant the results and fitted models a fit loads. Remove it (or make it "
            "yours with mode 700), or set PYDMLSERVERLESS_CACHE_DIR to a folder of your own."
        )
    return path


class Store:
    """Interface of a byte store."""

    def get(self, key: str) -> bytes:  # pragma: no cover - interface
        """Return the bytes stored under ``key``."""
        raise NotImplementedError

    def put(self, key: str, body: bytes, metadata: dict | None = None) -> None:  # pragma: no cover
        """Store ``body`` under ``key``."""
        raise NotImplementedError

    def exists(self, key: str) -> bool:  # pragma: no cover - interface
        """Whether ``key`` is present."""
        raise NotImplementedError

    def delete(self, key: str) -> None:  # pragma: no cover - interface
        """Remove ``key`` if present."""
        raise NotImplementedError

    def descriptor(self) -> dict:  # pragma: no cover - interface
        """A JSON-safe description from which a worker rebuilds the store."""
        raise NotImplementedError

    def list_keys(self, prefix: str) -> list[str]:  # pragma: no cover - interface
        """The keys that start with ``prefix`` (a folder ending in ``/``), sorted."""
        raise NotImplementedError

    def delete_keys(self, keys: list[str]) -> None:
        """Remove each of ``keys`` that is present."""
        for key in keys:
            self.delete(key)

    def put_content_addressed(
        self,
        key: str,
        body: bytes,
        digest: str,
        verify: Callable[[bytes], object],
        metadata: dict[str, str] | None = None,
        force: bool = False,
    ) -> bool:
        """Store ``body`` under its content-addressed ``key`` unless that content is already there.

        An object at ``key`` whose content is another (``verify`` of its bytes raises) is
        overwritten, so that a corrupt object is repaired by the next upload; ``force`` writes
        unconditionally. Returns whether it was written.
        """
        if not force and self._holds(key, digest, verify):
            return False
        self.put(key, body, self._with_digest(metadata, digest))
        return True

    def _holds(self, key: str, digest: str, verify: Callable[[bytes], object]) -> bool:
        """Whether the object at ``key`` has the content ``digest``: read and verified."""
        if not self.exists(key):
            return False
        try:
            verify(self.get(key))
            return True
        except PyDMLServerlessError:
            return False

    def _with_digest(self, metadata: dict[str, str] | None, digest: str) -> dict[str, str] | None:
        return metadata


class LocalStore(Store):
    """A store in a local directory.

    Parameters
    ----------
    root : str or pathlib.Path, optional
        The directory; :func:`default_local_root` when omitted.
    """

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else default_local_root()

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if key.startswith("/") or "\\" in key or any(part in ("", ".", "..") for part in parts):
            raise StoreError(f"The key {key!r} does not name a file inside the local store {self.root}.")
        return self.root.joinpath(*parts)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except OSError as exc:
            raise StoreError(f"Cannot read {key!r} from the local store {self.root}: {exc}") from exc

    def put(self, key: str, body: bytes, metadata: dict | None = None) -> None:
        path = self._path(key)
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # write then rename, so a concurrent reader never sees half a file
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
            os.replace(tmp, path)
        except OSError as exc:
            if tmp is not None:  # a full disk leaves no half-written debris behind
                Path(tmp).unlink(missing_ok=True)
            raise StoreError(f"Cannot write {key!r} to the local store {self.root}: {exc}") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def descriptor(self) -> dict:
        return {"kind": "local", "root": str(self.root.resolve())}

    def list_keys(self, prefix: str) -> list[str]:
        folder = self._path(prefix.rstrip("/"))
        if not folder.is_dir():
            return []
        base = prefix.rstrip("/")
        return sorted(
            f"{base}/{path.relative_to(folder).as_posix()}"
            for path in folder.rglob("*")
            if path.is_file() and not path.name.startswith(".part-")
        )


class S3Store(Store):
    """A store in an S3 bucket.

    Parameters
    ----------
    bucket : str
        The bucket's name.
    client : botocore client, optional
        A ready S3 client; else one is made from ``session`` (or the default boto3 session).
    session : boto3.Session, optional
        Session to make the client from.
    region : str, optional
        Region for the client (the SDK's default chain when omitted).
    """

    def __init__(
        self,
        bucket: str,
        client: S3Client | None = None,
        session: boto3.session.Session | None = None,
        region: str | None = None,
    ) -> None:
        if not isinstance(bucket, str) or not bucket:
            raise StoreError(f"The S3 bucket name must be a non-empty string; got {bucket!r}.")
        self.bucket = bucket
        self.region = region
        self._client = client
        self._session = session

    def __repr__(self) -> str:
        return f"S3Store({self.bucket!r})"

    @property
    def client(self) -> S3Client:
        if self._client is None:
            import boto3

            session = self._session or boto3.session.Session()
            self._client = session.client("s3", region_name=self.region)
        return self._client

    def get(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except Exception as exc:  # botocore raises many classes; all mean the same to the caller
            raise StoreError(f"Cannot read s3://{self.bucket}/{key}: {exc}") from exc

    def put(self, key: str, body: bytes, metadata: dict | None = None) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=body, Metadata=metadata or {})
        except Exception as exc:
            raise StoreError(f"Cannot write s3://{self.bucket}/{key}: {exc}") from exc

    def _holds(self, key: str, digest: str, verify: Callable[[bytes], object]) -> bool:
        # a HEAD, not a download: the digest recorded at upload; the workers verify what they read
        # against the key, and a fit that meets a corrupt object uploads it again with ``force``
        head = self._head(key)
        return head is not None and head.get("Metadata", {}).get(DIGEST_METADATA) == digest

    def _with_digest(self, metadata: dict[str, str] | None, digest: str) -> dict[str, str]:
        return {**(metadata or {}), DIGEST_METADATA: digest}

    def _head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return dict(self.client.head_object(Bucket=self.bucket, Key=key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise StoreError(f"Cannot check s3://{self.bucket}/{key}: {exc}") from exc
        except Exception as exc:
            raise StoreError(f"Cannot check s3://{self.bucket}/{key}: {exc}") from exc

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            raise StoreError(f"Cannot delete s3://{self.bucket}/{key}: {exc}") from exc

    def descriptor(self) -> dict:
        return {"kind": "s3", "bucket": self.bucket}

    def list_keys(self, prefix: str) -> list[str]:
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
            return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))
        except Exception as exc:
            raise StoreError(f"Cannot list s3://{self.bucket}/{prefix}: {exc}") from exc

    def delete_keys(self, keys: list[str]) -> None:
        # DeleteObjects takes up to 1,000 keys a request
        for start in range(0, len(keys), 1000):
            batch: list[Any] = [{"Key": key} for key in keys[start : start + 1000]]
            try:
                answer = self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
            except Exception as exc:
                raise StoreError(f"Cannot delete objects from s3://{self.bucket}: {exc}") from exc
            errors = answer.get("Errors") or []
            if errors:
                first = errors[0]
                raise StoreError(
                    f"Cannot delete {len(errors)} object(s) from s3://{self.bucket}, e.g. {first.get('Key')}: "
                    f"{first.get('Code')}: {first.get('Message')}"
                )


#: The S3 metadata that records a content-addressed object's digest at upload.
DIGEST_METADATA = "pydmlserverless-sha256"


def aws_settings() -> dict[str, str]:
    """The AWS SDK settings in this process's environment (every ``AWS_*`` variable)."""
    return {k: v for k, v in os.environ.items() if k.startswith("AWS_")}


_STORES: dict[tuple, Store] = {}


def store_from_descriptor(descriptor: dict) -> Store:
    """Rebuild (and cache per process) the store a task names.

    Parameters
    ----------
    descriptor : dict
        ``{"kind": "local", "root": ...}`` or ``{"kind": "s3", "bucket": ...}``.

    Returns
    -------
    Store
    """
    kind = descriptor.get("kind")
    if kind == "local":
        cache_key: tuple = ("local", descriptor["root"])
        factory: Any = lambda: LocalStore(descriptor["root"])  # noqa: E731
    elif kind == "s3":
        # a client depends on the SDK settings in the environment, which a pool process may see change
        settings = tuple(sorted(aws_settings().items()))
        cache_key = ("s3", descriptor["bucket"], settings)
        factory = lambda: S3Store(descriptor["bucket"])  # noqa: E731
    else:
        raise StoreError(f"Unknown store kind {kind!r} in task; expected 'local' or 's3'.")
    if cache_key not in _STORES:
        _STORES[cache_key] = factory()
    return _STORES[cache_key]
