"""ELF headers: which machine a binary is built for, and whether its load segments are aligned."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import LayerBuildError
from .target import ARCH_MACHINES
from .text import shorten_list

#: ELF e_machine codes of the two Lambda architectures.
ELF_MACHINE_CODES = {62: "x86_64", 183: "aarch64"}
#: The first bytes of every ELF file.
ELF_MAGIC = b"\x7fELF"


def _is_little_endian_elf(header: bytes, size: int) -> bool:
    """Tell whether `header` is at least `size` bytes long and starts a little-endian ELF file."""
    return len(header) >= size and header[:4] == ELF_MAGIC and header[5] == 1


def elf_machine(path: Path) -> str | None:
    """Return the machine of an ELF file.

    Parameters
    ----------
    path : Path
        Any file.

    Returns
    -------
    str or None
        ``'x86_64'``, ``'aarch64'``, ``'other'`` for another ELF machine, or None if the file
        is not a little-endian ELF file.
    """
    try:
        with open(path, "rb") as handle:
            header = handle.read(20)
    except OSError:
        return None
    if not _is_little_endian_elf(header, 20):
        return None
    code = int.from_bytes(header[18:20], "little")
    return ELF_MACHINE_CODES.get(code, "other")


def load_segments_aligned(path: Path, page_size: int = 4096) -> bool:
    """Tell whether the loadable segments of a 64-bit ELF file are aligned as the loader needs.

    glibc maps a ``PT_LOAD`` segment only if ``p_vaddr - p_offset`` is a multiple of the page
    size and of the segment's alignment; otherwise ``dlopen`` fails with "ELF load command
    address/offset not page-aligned". Stripping a library that patchelf modified can produce
    such a file.

    Parameters
    ----------
    path : Path
        A 64-bit little-endian ELF file.
    page_size : int
        Smallest alignment required (4 KiB pages on Lambda).

    Returns
    -------
    bool
        True if every ``PT_LOAD`` segment is aligned; False if one is not or if the file is not
        a 64-bit little-endian ELF file whose program headers can be read.
    """
    with open(path, "rb") as handle:
        header = handle.read(64)
        if not _is_little_endian_elf(header, 64) or header[4] != 2:  # EI_CLASS 2: 64-bit
            return False
        phoff = int.from_bytes(header[32:40], "little")
        phentsize = int.from_bytes(header[54:56], "little")
        phnum = int.from_bytes(header[56:58], "little")
        if phentsize < 56:
            return False
        handle.seek(phoff)
        table = handle.read(phentsize * phnum)
    if len(table) < phentsize * phnum:
        return False
    for index in range(phnum):
        entry = table[index * phentsize : (index + 1) * phentsize]
        p_type = int.from_bytes(entry[0:4], "little")
        if p_type != 1:  # PT_LOAD
            continue
        p_offset = int.from_bytes(entry[8:16], "little")
        p_vaddr = int.from_bytes(entry[16:24], "little")
        p_align = int.from_bytes(entry[48:56], "little")
        if (p_vaddr - p_offset) % max(p_align, page_size):
            return False
    return True


def find_elf_files(root: Path) -> dict[Path, str]:
    """Return the ELF files below a folder with their machines.

    Parameters
    ----------
    root : Path
        Folder to scan.

    Returns
    -------
    dict of Path to str
        Path -> machine as returned by `elf_machine`, sorted by path.
    """
    found = {}
    for current, _dirs, files in os.walk(root):
        for name in files:
            path = Path(current, name)
            if path.is_symlink() or not (".so" in name or os.access(path, os.X_OK)):
                continue
            machine = elf_machine(path)
            if machine is not None:
                found[path] = machine
    return dict(sorted(found.items()))


def check_elf_machines(elf_files: dict[Path, str], arch: str, root: Path) -> None:
    """Raise if a binary in the layer is built for another machine than the target.

    Parameters
    ----------
    elf_files : dict of Path to str
        As returned by `find_elf_files`.
    arch : {'arm64', 'x86_64'}
        Target Lambda architecture.
    root : Path
        Layer folder, for relative paths in the message.

    Raises
    ------
    LayerBuildError
        If any file's machine differs from the target's.
    """
    expected = ARCH_MACHINES[arch]
    wrong = [f"{path.relative_to(root)} ({m})" for path, m in elf_files.items() if m != expected]
    if wrong:
        raise LayerBuildError(f"binaries for another machine than {expected}: {shorten_list(wrong)}")
