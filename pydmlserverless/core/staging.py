"""Put a fit's inputs in the store: the dataset once (content-addressed), the splits in bundles."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ..worker import codec
from ..worker.protocol import dataset_key, results_prefix, splits_key
from ..worker.store import S3Store, Store
from .tasks import FitSpec, SecondRound, StagedFit, StagedInputs

__all__ = ["SPLITS_BUNDLE_BYTES", "bundles", "stage_splits", "stage_fits", "staged_fit", "stage_second_round"]

#: Repetitions share one stored splits object up to this many bytes of arrays (about four
#: repetitions of 10^6 rows): one PUT per fit for typical sizes, one GET per worker.
SPLITS_BUNDLE_BYTES = 4 * 2**20


def bundles(reps: list[dict[str, np.ndarray]], limit: int = SPLITS_BUNDLE_BYTES) -> list[list[int]]:
    """Consecutive repetitions grouped so that each group's arrays stay within ``limit`` bytes.

    Examples
    --------
    >>> rep = {"fold_of": np.zeros(1000, dtype=np.int8)}
    >>> bundles([rep] * 5, limit=2500)
    [[0, 1], [2, 3], [4]]
    """
    groups: list[list[int]] = []
    size = 0
    for i, rep in enumerate(reps):
        nbytes = sum(a.nbytes for a in rep.values())
        if not groups or size + nbytes > limit:
            groups.append([])
            size = 0
        groups[-1].append(i)
        size += nbytes
    return groups


def stage_splits(
    spec: FitSpec, store: Store, force: bool = False, written: set[str] | None = None
) -> tuple[list[str], list[int]]:
    """Store the sample splits in bundles; return each repetition's bundle key and position in it.

    ``written`` holds the keys this fit has stored already (sub-models sharing splits store them
    once); the keys stored now are added to it.
    """
    reps = [codec.splits_arrays(spec.smpls[rep], spec.n_obs) for rep in range(spec.n_rep)]
    keys: list[str] = [""] * spec.n_rep
    members: list[int] = [0] * spec.n_rep
    bodies = {}
    for group in bundles(reps):
        body, digest = codec.encode_splits_bundle([reps[i] for i in group], spec.n_obs)
        key = splits_key(digest)
        if written is None or key not in written:
            bodies[key] = (body, digest)
        for member, rep in enumerate(group):
            keys[rep], members[rep] = key, member
    if written is not None:
        written.update(bodies)
    _store_all(store, bodies, _verifier, force)
    return keys, members


def _store_all(
    store: Store,
    bodies: dict[str, tuple[bytes, str]],
    verifier: Callable[[str], Callable[[bytes], object]],
    force: bool,
) -> None:
    """Write content-addressed objects (key -> (body, digest)) in parallel, each unless its content is there."""
    if not bodies:
        return
    # on S3 one PUT of a content-addressed object (rewriting it is harmless) costs less than
    # HEAD + PUT; a local file is cheaper to check than to write
    always = force or isinstance(store, S3Store)

    def write(key: str, body: bytes, digest: str) -> None:
        store.put_content_addressed(key, body, digest, verifier(digest), force=always)

    with ThreadPoolExecutor(max_workers=min(8, len(bodies))) as pool:
        list(pool.map(lambda item: write(item[0], *item[1]), bodies.items()))


def _verifier(digest: str) -> Callable[[bytes], object]:
    return lambda body: codec.SplitsBundle(body, expected_digest=digest)


def stage_fits(adapter: Any, parts: list[tuple[FitSpec, Any]], store: Store, force: bool = False) -> list[StagedFit]:
    """Store the datasets and splits of one fit's sub-models: each data object once, each splits bundle once.

    Sub-models on the same data (APOS's levels) share one stored dataset that holds every
    sub-model's derived indicators; sub-models with the same splits share their bundles. The
    datasets are stored by the DoubleML door (``adapter.stage_data``), which knows the data objects.
    """
    derived: dict[int, dict[str, Any]] = {}
    for spec, data in parts:
        derived.setdefault(id(data), {}).update(spec.derived)
    datasets: dict[int, str] = {}
    written: set[str] = set()
    out = []
    for spec, data in parts:
        if id(data) not in datasets:
            datasets[id(data)] = adapter.stage_data(data, store, derived[id(data)], force)
        out.append(staged_fit(spec, store, datasets[id(data)], force, written))
    return out


def staged_fit(spec: FitSpec, store: Store, dataset_key: str, force: bool, written: set[str] | None) -> StagedFit:
    """A fit's splits stored (once per run: ``written``) beside its stored dataset, and its results folder named."""
    splits_keys, splits_members = stage_splits(spec, store, force=force, written=written)
    return StagedFit(
        store=store.descriptor(),
        dataset_key=dataset_key,
        splits_keys=splits_keys,
        results_prefix=results_prefix(dataset_key, sorted(set(splits_keys))),
        splits_members=splits_members,
    )


def stage_second_round(second: SecondRound, store: Store) -> StagedInputs:
    """Store a second round's per-fold targets and sample weights (content-addressed); their keys.

    A rerun whose first round gave the same predictions stages the same objects under the same
    keys, so its second-round tasks have the same digests and their kept results are found.
    """
    bodies: dict[str, tuple[bytes, str]] = {}

    def stage(values: np.ndarray, columns: list[str]) -> str:
        body, digest = codec.encode_dataset(values, columns)
        key = dataset_key(digest)
        bodies[key] = (body, digest)
        return key

    targets = {
        where: stage(values, [str(fold) for fold in range(values.shape[1])]) for where, values in second.targets.items()
    }
    weights = {where: stage(values.reshape(-1, 1), ["weight"]) for where, values in second.weights.items()}
    _store_all(store, bodies, _dataset_verifier, force=False)
    return StagedInputs(targets, weights)


def _dataset_verifier(digest: str) -> Callable[[bytes], object]:
    return lambda body: codec.decode_dataset(body, expected_digest=digest)
