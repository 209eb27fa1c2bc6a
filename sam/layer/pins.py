"""The versions in the layer: pinned ones, this interpreter's ones and those found in the layer."""

from __future__ import annotations

import importlib.metadata
import sys
from collections.abc import Iterable
from pathlib import Path

from .errors import LayerBuildError

#: Distributions pinned to the running interpreter's versions unless overridden.
PINNED_DISTRIBUTIONS = ("numpy", "scipy", "scikit-learn")
#: Unpinned runtime dependencies of scikit-learn; pip resolves them.
EXTRA_DISTRIBUTIONS = ("joblib", "threadpoolctl")


def installed_version(distribution: str) -> str | None:
    """Return the version of a distribution installed in this interpreter.

    Parameters
    ----------
    distribution : str
        Distribution name, e.g. ``'scikit-learn'``.

    Returns
    -------
    str or None
        The version, or None if it is not installed.
    """
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def resolve_pins(overrides: dict[str, str | None]) -> dict[str, str]:
    """Return the exact versions to pin numpy, scipy and scikit-learn to.

    Parameters
    ----------
    overrides : dict of str to str or None
        Distribution -> version given on the command line (None: use the installed one).

    Returns
    -------
    dict of str to str
        Distribution -> version, in the order of `PINNED_DISTRIBUTIONS`.

    Raises
    ------
    LayerBuildError
        If a distribution is neither installed nor given a version.
    """
    pins = {}
    for name in PINNED_DISTRIBUTIONS:
        version = overrides.get(name) or installed_version(name)
        if not version:
            raise LayerBuildError(
                f"{name} is not installed in this interpreter ({sys.executable}) and no version was "
                f"given: pass --{name}-version VERSION"
            )
        pins[name] = version
    return pins


def requirement_specs(pins: dict[str, str], extras: Iterable[str] = ()) -> list[str]:
    """Return the pip requirement specifiers of the layer.

    Parameters
    ----------
    pins : dict of str to str
        Distribution -> exact version.
    extras : iterable of str
        Further requirement specifiers (``--extra``).

    Returns
    -------
    list of str
        ``name==version`` for each pin, then joblib, threadpoolctl and the extras.
    """
    return [f"{name}=={version}" for name, version in pins.items()] + list(EXTRA_DISTRIBUTIONS) + list(extras)


def check_pins(pins: dict[str, str], distributions: dict[str, str]) -> None:
    """Raise if a pinned distribution is missing from the layer or has another version.

    Parameters
    ----------
    pins : dict of str to str
        Distribution -> pinned version.
    distributions : dict of str to str
        Distribution -> version found in the layer.

    Raises
    ------
    LayerBuildError
        On a missing or different distribution.
    """
    found = {name.lower(): version for name, version in distributions.items()}
    for name, version in pins.items():
        if found.get(name.lower()) != version:
            raise LayerBuildError(f"the layer has {name} {found.get(name.lower())}, not the pinned {version}")


def read_distributions(site: Path) -> dict[str, str]:
    """Return the distributions installed in a target folder with their versions.

    Parameters
    ----------
    site : Path
        A ``pip install --target`` folder.

    Returns
    -------
    dict of str to str
        Distribution name -> version, sorted by name (case-insensitively).
    """
    found = {}
    for dist in importlib.metadata.distributions(path=[str(site)]):
        found[dist.metadata["Name"]] = dist.version
    return dict(sorted(found.items(), key=lambda item: item[0].lower()))


def version_drift(distributions: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Return the layer's distributions whose version differs from this interpreter's.

    Parameters
    ----------
    distributions : dict of str to str
        Distribution -> version in the layer.

    Returns
    -------
    dict of str to tuple of str
        Distribution -> (layer version, version installed here), for those installed here.
    """
    drift = {}
    for name, version in distributions.items():
        here = installed_version(name)
        if here is not None and here != version:
            drift[name] = (version, here)
    return drift
