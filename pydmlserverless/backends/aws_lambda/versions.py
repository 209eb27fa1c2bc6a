"""Whether the deployed worker runs the client's versions of the libraries its predictions depend on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ...errors import DeploymentMismatchError

__all__ = ["VERSION_KEYS", "REDEPLOY_HINT", "version_mismatches", "require_matching_versions"]

#: Libraries whose versions must be the same on the client and the deployed worker: the
#: predictions depend on them. Python itself may differ (Lambda runs python3.12, whatever the
#: client runs): the worker's arithmetic is numpy's, scipy's and scikit-learn's.
VERSION_KEYS = ("numpy", "scipy", "scikit-learn", "pydmlserverless")

#: How to bring a deployment in line with the client's versions.
REDEPLOY_HINT = (
    "Rebuild the layer from this environment and redeploy: `python sam/build_layer.py --arch {arch}` "
    "(it pins numpy, scipy and scikit-learn to the versions installed here), then `sam build && sam deploy` "
    "in sam/. Or pass check_versions=False to accept results that may differ from a local fit."
)


def version_mismatches(
    remote: Mapping[str, str] | None, local: Mapping[str, str], keys: Sequence[str] = VERSION_KEYS
) -> dict[str, tuple[str, str | None]]:
    """Libraries whose deployed version differs from the client's.

    Parameters
    ----------
    remote : dict or None
        The ``versions`` a worker reported.
    local : dict
        :func:`runtime_versions` of the client.
    keys : sequence of str
        Libraries compared.

    Returns
    -------
    dict
        ``{library: (deployed version, client version)}``; empty when all match.

    Examples
    --------
    >>> version_mismatches({"numpy": "2.0.0", "scikit-learn": "1.6.1"}, {"numpy": "2.1.0", "scikit-learn": "1.6.1"},
    ...                    keys=("numpy", "scikit-learn"))
    {'numpy': ('2.0.0', '2.1.0')}
    """
    remote = remote or {}
    return {k: (remote.get(k, "unknown"), local.get(k)) for k in keys if remote.get(k, "unknown") != local.get(k)}


def require_matching_versions(
    function_name: str, remote: Mapping[str, str] | None, local: Mapping[str, str], architecture: str
) -> None:
    """Raise unless the deployed worker runs the client's :data:`VERSION_KEYS` versions.

    Parameters
    ----------
    function_name : str
        The function, named in the message.
    remote : dict or None
        The ``versions`` the worker reported.
    local : dict
        :func:`runtime_versions` of the client.
    architecture : str
        The function's architecture, for the rebuild command in :data:`REDEPLOY_HINT`.

    Raises
    ------
    DeploymentMismatchError
        If any of the libraries differ.

    Examples
    --------
    >>> require_matching_versions("f", dict.fromkeys(VERSION_KEYS, "1"), dict.fromkeys(VERSION_KEYS, "1"), "arm64")
    """
    mismatches = version_mismatches(remote, local)
    if mismatches:
        listed = ", ".join(f"{lib} {there} (here {here})" for lib, (there, here) in mismatches.items())
        raise DeploymentMismatchError(
            f"The deployed function {function_name!r} runs {listed}; its predictions could differ from "
            "this environment's. " + REDEPLOY_HINT.format(arch=architecture)
        )
