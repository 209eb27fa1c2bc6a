"""Where a worker may read and write, decided by the worker's side, never by a payload.

A deployed function takes its store from its own environment (set by ``sam/template.yaml``):
``PYDMLSERVERLESS_BUCKET`` names the one bucket it reads and writes, under the key layout of
:mod:`pydmlserverless.worker.protocol`; its memory (``AWS_LAMBDA_FUNCTION_MEMORY_SIZE``) bounds the
objects it will decode. A local pool worker gets the store the user's own process chose, next to
the payload but never inside it.

Examples
--------
>>> config = WorkerConfig.from_environment({"PYDMLSERVERLESS_BUCKET": "my-bucket",
...                                         "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1769"})
>>> config.bucket, config.max_object_bytes // 2**20
('my-bucket', 589)
>>> config.check_bucket("other-bucket")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
pydmlserverless.errors.ProtocolError: This function reads the bucket 'my-bucket'; the task's data is in ...
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import ConfigurationError, ProtocolError
from .store import LocalStore, S3Store, Store

__all__ = ["WorkerConfig", "BUCKET_VARIABLE", "DEFAULT_MAX_OBJECT_BYTES"]

#: The environment variable that names a deployed function's bucket.
BUCKET_VARIABLE = "PYDMLSERVERLESS_BUCKET"

#: The largest decoded object (dataset, splits bundle) a worker without a known memory size accepts.
DEFAULT_MAX_OBJECT_BYTES = 16 * 2**30


@dataclass(frozen=True)
class WorkerConfig:
    """A worker's store and limits.

    Parameters
    ----------
    store : Store
        The one store the worker reads datasets and splits from and writes results to.
    max_object_bytes : int
        The largest decoded size of one stored object; larger ones are refused before they are
        decompressed (a third of the function's memory on Lambda: the data, the training rows
        and the learner's copies must fit).
    """

    store: Store
    max_object_bytes: int = DEFAULT_MAX_OBJECT_BYTES

    @property
    def bucket(self) -> str | None:
        """The S3 bucket of the store (None for a local directory)."""
        return self.store.bucket if isinstance(self.store, S3Store) else None

    @property
    def identity(self) -> tuple[str, str]:
        """What tells this store from another, for the worker's caches."""
        if isinstance(self.store, S3Store):
            return ("s3", self.store.bucket)
        if isinstance(self.store, LocalStore):
            return ("local", str(self.store.root))
        return (type(self.store).__name__, str(id(self.store)))

    def check_bucket(self, claimed: str | None) -> None:
        """Refuse a task staged in another bucket than the worker's (a clear message, not a 404)."""
        if claimed is not None and claimed != self.bucket:
            mine = f"the bucket {self.bucket!r}" if self.bucket else "a local directory"
            raise ProtocolError(
                f"This function reads {mine}; the task's data is in {claimed!r}. Deploy the function with "
                f"ExistingBucketName={claimed} (sam/template.yaml), or stage the data in {self.bucket!r}."
            )

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> WorkerConfig:
        """The deployed function's configuration, from its environment.

        Raises
        ------
        ConfigurationError
            If ``PYDMLSERVERLESS_BUCKET`` is not set.
        """
        env = os.environ if environ is None else environ
        bucket = env.get(BUCKET_VARIABLE, "")
        if not bucket:
            raise ConfigurationError(
                f"The function's environment has no {BUCKET_VARIABLE}: it does not know which bucket it may read. "
                "Deploy it with sam/template.yaml, which sets it to the stack's bucket."
            )
        memory_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        limit = int(memory_mb) * 2**20 // 3 if memory_mb.isdigit() else DEFAULT_MAX_OBJECT_BYTES
        return cls(S3Store(bucket), max_object_bytes=limit)
