"""The layer as a reproducible zip archive."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path


def write_zip(source: Path, archive: Path) -> int:
    """Write a folder's content into a reproducible zip archive.

    Entries are sorted and carry a fixed timestamp; the folder's own name is not part of the
    entry names (a layer zip starts with ``python/``).

    Parameters
    ----------
    source : Path
        Folder to archive.
    archive : Path
        Zip file to write (replaced if it exists).

    Returns
    -------
    int
        Size of the archive in bytes.
    """
    source = Path(source)
    archive = Path(archive)
    archive.parent.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in source.rglob("*") if p.is_file())
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as handle:
                zf.writestr(info, handle.read(), compresslevel=6)
    return archive.stat().st_size
