"""Sizes: measuring folders and checking them against Lambda's 250 MB unzipped limit."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import LayerBuildError

#: Lambda's limit on the unzipped size of function code plus all its layers, in bytes.
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
#: One MB as used in the printed figures (the unit in which AWS states the 250 MB limit).
MB = 1024 * 1024


def format_mb(size: int) -> str:
    """Format a byte count in MB with one decimal.

    Parameters
    ----------
    size : int
        Bytes.

    Returns
    -------
    str
        E.g. ``'165.2'``.
    """
    return f"{size / MB:.1f}"


def directory_size(path: Path) -> int:
    """Return the total size in bytes of the regular files below a folder.

    Symbolic links are followed (a zip archive stores their targets' content); files whose
    size cannot be read are an error.

    Parameters
    ----------
    path : Path
        Folder to measure; a missing folder measures 0.

    Returns
    -------
    int
        Sum of the file sizes.
    """
    path = Path(path)
    if not path.exists():
        return 0
    if path.is_file():
        return path.stat().st_size
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            file_path = Path(root, name)
            if file_path.is_file():
                total += file_path.stat().st_size
    return total


def top_level_sizes(site: Path) -> dict[str, int]:
    """Return the size of each top-level entry of a folder, largest first.

    Parameters
    ----------
    site : Path
        Folder to measure.

    Returns
    -------
    dict of str to int
        Entry name -> bytes; ``*.dist-info`` folders are summed under ``'(dist-info)'``.
    """
    sizes: dict[str, int] = {}
    for entry in Path(site).iterdir():
        key = "(dist-info)" if entry.name.endswith(".dist-info") else entry.name
        sizes[key] = sizes.get(key, 0) + directory_size(entry)
    return dict(sorted(sizes.items(), key=lambda item: -item[1]))


def check_size_limit(size: int, limit: int = LAMBDA_UNZIPPED_LIMIT) -> None:
    """Raise if an unzipped size exceeds Lambda's limit.

    Parameters
    ----------
    size : int
        Unzipped bytes of function code plus layer.
    limit : int
        Limit in bytes (250 MB).

    Raises
    ------
    LayerBuildError
        If `size` is larger than `limit`.
    """
    if size > limit:
        raise LayerBuildError(
            f"function code + layer unzipped is {format_mb(size)} MB ({size:,} bytes), over Lambda's "
            f"limit of {format_mb(limit)} MB ({limit:,} bytes) by {format_mb(size - limit)} MB; "
            "drop --extra packages or pin smaller versions"
        )
