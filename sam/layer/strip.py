"""Stripping the shared objects, keeping every file whose stripped copy would not load."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .elf import load_segments_aligned


@dataclass
class StripReport:
    """Outcome of stripping the shared objects of a layer.

    Attributes
    ----------
    stripped : int
        Number of files stripped.
    bytes_saved : int
        Bytes saved by stripping.
    tools : dict of str to str
        ELF machine -> the strip tool that worked for it.
    no_tool : list of str
        Files (relative to the layer) that no available tool could strip.
    misaligned : list of str
        Files kept unstripped because every stripped copy had misaligned load segments (the
        dynamic loader refuses such files: "ELF load command address/offset not page-aligned";
        this happens to the libraries that auditwheel vendored and patched with patchelf).
    no_gain : int
        Files kept unstripped because stripping did not make them smaller.
    """

    stripped: int = 0
    bytes_saved: int = 0
    tools: dict[str, str] = field(default_factory=dict)
    no_tool: list[str] = field(default_factory=list)
    misaligned: list[str] = field(default_factory=list)
    no_gain: int = 0


def strip_tool_candidates(machine: str, host_machine: str | None = None) -> list[str]:
    """Return the strip tools to try for binaries of a machine, most suitable first.

    Parameters
    ----------
    machine : str
        ELF machine of the binaries (``'x86_64'`` or ``'aarch64'``).
    host_machine : str, optional
        Machine of this host (default: ``platform.machine()``).

    Returns
    -------
    list of str
        Tool names: the host's ``strip`` when it is the same machine, ``<machine>-linux-gnu-strip``,
        then ``llvm-strip`` (which handles every machine), followed by the host's ``strip`` as a
        last try otherwise.
    """
    host_machine = host_machine or platform.machine()
    cross = [f"{machine}-linux-gnu-strip", "llvm-strip"]
    return ["strip", *cross] if machine == host_machine else [*cross, "strip"]


def strip_file(path: Path, tools: Sequence[str]) -> tuple[str | None, str]:
    """Strip one shared object, keeping the original unless the stripped copy is sound and smaller.

    Each tool writes a stripped copy (``TOOL --strip-unneeded -o COPY FILE``); the first copy
    whose load segments are aligned (`load_segments_aligned`) and which is smaller replaces
    the file.

    Parameters
    ----------
    path : Path
        The shared object.
    tools : sequence of str
        Strip tools to try in order.

    Returns
    -------
    tuple of (str or None, str)
        The tool used (None if the file was kept) and the outcome: ``'stripped'``,
        ``'misaligned'``, ``'no-gain'`` or ``'no-tool'``.
    """
    copy = path.with_name(path.name + ".stripped-tmp")
    outcome = "no-tool"
    try:
        for tool in tools:
            result = subprocess.run(
                [tool, "--strip-unneeded", "-o", str(copy), str(path)], capture_output=True, check=False
            )
            if result.returncode != 0 or not copy.is_file():
                continue
            if not load_segments_aligned(copy):
                outcome = "misaligned"
                continue
            if copy.stat().st_size >= path.stat().st_size:
                return None, "no-gain"
            shutil.copymode(path, copy)
            os.replace(copy, path)
            return tool, "stripped"
        return None, outcome
    finally:
        copy.unlink(missing_ok=True)


def strip_binaries(elf_files: dict[Path, str], root: Path) -> StripReport:
    """Strip unneeded symbols from the shared objects of a layer in place.

    For each ELF machine the candidate tools of `strip_tool_candidates` that exist on this
    host are tried in order (the one that last worked for that machine first). Files that no
    tool can strip, or whose stripped copy would not load, are left as they are and reported.

    Parameters
    ----------
    elf_files : dict of Path to str
        As returned by `find_elf_files`.
    root : Path
        Layer folder, for relative paths in the report.

    Returns
    -------
    StripReport
        What was stripped and what was kept.
    """
    report = StripReport()
    for path, machine in elf_files.items():
        tools = [t for t in strip_tool_candidates(machine) if shutil.which(t)]
        if machine in report.tools:
            tools.remove(report.tools[machine])
            tools.insert(0, report.tools[machine])
        before = path.stat().st_size
        tool, outcome = strip_file(path, tools)
        relative = str(path.relative_to(root))
        if tool is not None:
            report.tools[machine] = tool
            report.stripped += 1
            report.bytes_saved += before - path.stat().st_size
        elif outcome == "misaligned":
            report.misaligned.append(relative)
        elif outcome == "no-gain":
            report.no_gain += 1
        else:
            report.no_tool.append(relative)
    return report
