"""Pruning: what the layer does not need at run time."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .size import directory_size

#: Folders removed from the layer wherever they occur.
PRUNE_DIR_NAMES = frozenset({"tests", "__pycache__"})
#: Files not needed at run time: bytecode of this interpreter, Cython sources, C sources and
#: headers, static libraries.
PRUNE_SUFFIXES = (".pyc", ".pyo", ".pyx", ".pxd", ".pxi", ".c", ".cpp", ".h", ".hpp", ".a")


def prune_tree(root: Path) -> tuple[int, int]:
    """Remove test folders, bytecode caches and build-time-only files below a folder.

    Removes every folder named in `PRUNE_DIR_NAMES` and every file whose name ends with one
    of `PRUNE_SUFFIXES`, plus a top-level ``bin`` folder (console scripts whose shebang
    names the building interpreter).

    Parameters
    ----------
    root : Path
        Folder to prune in place.

    Returns
    -------
    tuple of int
        Number of removed entries (folders count as one) and bytes freed.
    """
    root = Path(root)
    removed = 0
    freed = 0
    bin_dir = root / "bin"
    if bin_dir.is_dir():
        freed += directory_size(bin_dir)
        shutil.rmtree(bin_dir)
        removed += 1
    for current, dirs, files in os.walk(root, topdown=True):
        for name in [d for d in dirs if d in PRUNE_DIR_NAMES]:
            target = Path(current, name)
            freed += directory_size(target)
            shutil.rmtree(target)
            dirs.remove(name)
            removed += 1
        for name in files:
            if name.endswith(PRUNE_SUFFIXES):
                target = Path(current, name)
                freed += target.stat().st_size
                target.unlink()
                removed += 1
    return removed, freed
