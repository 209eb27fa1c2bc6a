"""The layer manifest, which records the build and marks a folder as a layer this builder may replace."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .errors import LayerBuildError

#: Marker written into every layer folder the builder makes; only such folders are replaced.
MANIFEST_NAME = "pydmlserverless-layer.json"


def write_manifest(out: Path, manifest: dict) -> Path:
    """Write the layer manifest (arch, Python version, distributions) into the layer folder.

    Parameters
    ----------
    out : Path
        Layer folder (its ``python/`` subfolder holds the packages).
    manifest : dict
        JSON-serialisable content.

    Returns
    -------
    Path
        The manifest file (``/opt/pydmlserverless-layer.json`` on Lambda).
    """
    path = Path(out) / MANIFEST_NAME
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def prepare_out_dir(out: Path) -> Path:
    """Empty (or create) the layer folder and return its ``python/`` subfolder.

    Parameters
    ----------
    out : Path
        Layer folder.

    Returns
    -------
    Path
        ``out / 'python'``, created and empty.

    Raises
    ------
    LayerBuildError
        If `out` is a non-empty folder that the builder did not make (no manifest in it).
    """
    out = Path(out)
    if out.exists():
        if not out.is_dir():
            raise LayerBuildError(f"--out {out} exists and is not a folder")
        if any(out.iterdir()) and not (out / MANIFEST_NAME).exists():
            raise LayerBuildError(
                f"refusing to empty {out}: it is not a layer built by this script (no {MANIFEST_NAME}); "
                "remove it or choose another --out"
            )
        shutil.rmtree(out)
    site = out / "python"
    site.mkdir(parents=True)
    return site
