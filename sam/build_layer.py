#!/usr/bin/env python3
"""Build the AWS Lambda dependency layer of pydmlserverless.

The layer holds numpy, scipy and scikit-learn (with their dependencies joblib and
threadpoolctl) as manylinux wheels for the Lambda runtime python3.12 on arm64 or x86_64,
and the package pydmlserverless itself. Neither Docker nor a local python3.12 is needed:
pip downloads the wheels for the target platform with ``--platform``/``--python-version``
and ``--only-binary=:all:``. boto3 comes with the Lambda runtime and is not installed.

numpy, scipy and scikit-learn are pinned to the versions installed in the interpreter that
runs this script, because the cross-fitted predictions depend on them; ``--numpy-version``,
``--scipy-version`` and ``--scikit-learn-version`` override the pins.

After the install, test folders, bytecode caches, Cython sources, C headers and static
libraries are removed and the shared objects are stripped. The unzipped size of the layer
plus the function code (``lambda/``) is checked against Lambda's 250 MB limit.

Examples
--------
Build the arm64 layer into ``sam/.build/layer`` (the folder ``sam/template.yaml`` uses)::

    python sam/build_layer.py --arch arm64

Build the x86_64 layer and also write a zip archive::

    python sam/build_layer.py --arch x86_64 --zip
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "sam" / ".build" / "layer"
DEFAULT_FUNCTION_DIR = REPO_ROOT / "lambda"
DEFAULT_PYTHON_VERSION = "3.12"

#: Lambda's limit on the unzipped size of function code plus all its layers, in bytes.
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
#: One MB as used in the printed figures (the unit in which AWS states the 250 MB limit).
MB = 1024 * 1024

#: Distributions pinned to the running interpreter's versions unless overridden.
PINNED_DISTRIBUTIONS = ("numpy", "scipy", "scikit-learn")
#: Unpinned runtime dependencies of scikit-learn; pip resolves them.
EXTRA_DISTRIBUTIONS = ("joblib", "threadpoolctl")

#: Lambda architecture name -> ELF / manylinux machine name.
ARCH_MACHINES = {"arm64": "aarch64", "x86_64": "x86_64"}
#: ELF e_machine codes of the two Lambda architectures.
ELF_MACHINE_CODES = {62: "x86_64", 183: "aarch64"}
#: glibc range of the manylinux tags accepted: manylinux2014 (2.17) up to Amazon Linux 2023 (2.34),
#: the OS of the python3.12 runtime.
GLIBC_MINOR_RANGE = (17, 34)

#: Folders removed from the layer wherever they occur.
PRUNE_DIR_NAMES = frozenset({"tests", "__pycache__"})
#: Files not needed at run time: bytecode of this interpreter, Cython sources, C sources and
#: headers, static libraries.
PRUNE_SUFFIXES = (".pyc", ".pyo", ".pyx", ".pxd", ".pxi", ".c", ".cpp", ".h", ".hpp", ".a")
#: Left out when the package source is copied for its build: VCS data, build outputs, caches,
#: virtual environments and this script's own output.
SOURCE_COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".build",
    ".aws-sam",
    ".venv",
    "venv",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    "*.zip",
    "*.tar.gz",
)
#: Marker written into every layer folder this script builds; only such folders are replaced.
MANIFEST_NAME = "pydmlserverless-layer.json"


class LayerBuildError(RuntimeError):
    """A layer could not be built, or the built layer is unusable."""


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


@dataclass
class BuildResult:
    """Figures of a finished layer build, for the summary.

    Attributes
    ----------
    out : Path
        Layer folder.
    distributions : dict of str to str
        Distributions in the layer and their versions.
    installed_size : int
        Bytes as installed by pip.
    pruned_entries, pruned_bytes : int
        Entries removed and bytes freed by pruning.
    elf_count : int
        Shared objects in the layer.
    strip : StripReport or None
        Strip outcome (None with ``--no-strip``).
    layer_size, function_size : int
        Unzipped bytes of the layer and of the function code.
    zip_path : Path or None
        Zip archive written, if any.
    zip_size : int or None
        Its size in bytes.
    """

    out: Path
    distributions: dict[str, str]
    installed_size: int
    pruned_entries: int
    pruned_bytes: int
    elf_count: int
    strip: StripReport | None
    layer_size: int
    function_size: int
    zip_path: Path | None = None
    zip_size: int | None = None

    @property
    def total_size(self) -> int:
        """int: Unzipped bytes of layer plus function code."""
        return self.layer_size + self.function_size


# ----------------------------------------------------------------------------------------
# Pure helpers
# ----------------------------------------------------------------------------------------


def platform_tags(arch: str, glibc_minor_range: tuple[int, int] = GLIBC_MINOR_RANGE) -> list[str]:
    """Return the manylinux platform tags pip may accept for a Lambda architecture.

    Parameters
    ----------
    arch : {'arm64', 'x86_64'}
        Lambda architecture.
    glibc_minor_range : tuple of int
        Lowest and highest glibc minor version (major 2) of the tags.

    Returns
    -------
    list of str
        ``manylinux2014_<machine>`` followed by ``manylinux_2_<minor>_<machine>`` tags.

    Raises
    ------
    ValueError
        If `arch` is not a Lambda architecture.
    """
    if arch not in ARCH_MACHINES:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {sorted(ARCH_MACHINES)}")
    machine = ARCH_MACHINES[arch]
    low, high = glibc_minor_range
    return [f"manylinux2014_{machine}"] + [f"manylinux_2_{m}_{machine}" for m in range(low, high + 1)]


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
    if len(header) < 20 or header[:4] != b"\x7fELF" or header[5] != 1:
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
        if len(header) < 64 or header[:4] != b"\x7fELF" or header[4] != 2 or header[5] != 1:
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


def format_table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    """Format rows as a plain-text table with right-aligned columns after the first.

    Parameters
    ----------
    rows : sequence of sequence of str
        Table body.
    header : sequence of str
        Column titles.

    Returns
    -------
    str
        The table, one line per row, with a rule under the header.
    """
    table = [list(header)] + [list(row) for row in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [row[0].ljust(widths[0])] + [cell.rjust(w) for cell, w in zip(row[1:], widths[1:])]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(table[0]), rule] + [line(row) for row in table[1:]])


# ----------------------------------------------------------------------------------------
# Steps with side effects
# ----------------------------------------------------------------------------------------


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
        If `out` is a non-empty folder not built by this script (no manifest in it).
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


def run_pip(args: list[str]) -> None:
    """Run pip of this interpreter.

    Parameters
    ----------
    args : list of str
        Arguments after ``pip``.

    Raises
    ------
    LayerBuildError
        If pip exits non-zero.
    """
    command = [sys.executable, "-m", "pip", *args]
    print("$ " + " ".join(command), flush=True)
    result = subprocess.run(command, check=False)
    if result.returncode != 0:
        raise LayerBuildError(f"pip failed with exit code {result.returncode}: {' '.join(command)}")


def install_wheels(site: Path, arch: str, python_version: str, requirements: list[str]) -> None:
    """Install manylinux wheels for the target platform into the layer.

    Parameters
    ----------
    site : Path
        The layer's ``python/`` folder.
    arch : {'arm64', 'x86_64'}
        Lambda architecture.
    python_version : str
        Runtime Python version, e.g. ``'3.12'``.
    requirements : list of str
        Requirement specifiers.
    """
    platform_args = [arg for tag in platform_tags(arch) for arg in ("--platform", tag)]
    run_pip(
        [
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--no-compile",
            "--target",
            str(site),
            "--implementation",
            "cp",
            "--python-version",
            python_version,
            "--only-binary=:all:",
            *platform_args,
            *requirements,
        ]
    )


def install_package(site: Path, package_dir: Path) -> None:
    """Install pydmlserverless (pure Python) from its source folder into the layer.

    The source is copied to a temporary folder first, so that the build leaves no ``build/``
    or ``*.egg-info`` folder in the repository and no stale file from an earlier build gets
    into the layer.

    Parameters
    ----------
    site : Path
        The layer's ``python/`` folder.
    package_dir : Path
        Folder with the package's ``pyproject.toml``.

    Raises
    ------
    LayerBuildError
        If pip fails (`build` checks the folder with `require_package_source` beforehand).
    """
    with tempfile.TemporaryDirectory(prefix="pydmlserverless-src-") as tmp:
        source = Path(tmp) / "src"
        shutil.copytree(Path(package_dir).resolve(), source, ignore=SOURCE_COPY_IGNORE)
        # --upgrade: the wheels' console scripts already made python/bin (pruned later); without
        # it pip refuses to merge into existing folders and warns.
        run_pip(
            [
                "install",
                "--disable-pip-version-check",
                "--no-input",
                "--no-compile",
                "--no-deps",
                "--upgrade",
                "--target",
                str(site),
                str(source),
            ]
        )


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


# ----------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    argparse.Namespace
        The options.
    """
    parser = argparse.ArgumentParser(
        description="Build the Lambda dependency layer (numpy, scipy, scikit-learn, pydmlserverless) "
        "from manylinux wheels, without Docker or a local python3.12.",
    )
    parser.add_argument(
        "--arch", choices=sorted(ARCH_MACHINES), default="arm64", help="Lambda architecture (default: arm64)"
    )
    parser.add_argument(
        "--python-version",
        default=DEFAULT_PYTHON_VERSION,
        help=f"runtime Python version (default: {DEFAULT_PYTHON_VERSION}, the template's python3.12)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"layer dir (default: {DEFAULT_OUT})")
    parser.add_argument(
        "--zip",
        nargs="?",
        const="",
        default=None,
        metavar="PATH",
        help="also write a zip archive (default path: <out>-<arch>.zip)",
    )
    parser.add_argument(
        "--package-dir",
        type=Path,
        default=REPO_ROOT,
        help=f"source folder of pydmlserverless (default: {REPO_ROOT})",
    )
    parser.add_argument(
        "--no-package",
        action="store_true",
        help="do not install pydmlserverless into the layer (the function then cannot import it)",
    )
    parser.add_argument(
        "--function-dir",
        type=Path,
        default=DEFAULT_FUNCTION_DIR,
        help=f"function code counted in the size check (default: {DEFAULT_FUNCTION_DIR})",
    )
    for name in PINNED_DISTRIBUTIONS:
        parser.add_argument(
            f"--{name}-version",
            dest=name.replace("-", "_") + "_version",
            default=None,
            metavar="VERSION",
            help=f"{name} version to pin (default: the one installed here, {installed_version(name)})",
        )
    parser.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="REQUIREMENT",
        help="a further requirement to put into the layer (binary wheels only); may be repeated",
    )
    parser.add_argument("--no-strip", action="store_true", help="do not strip the shared objects")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"3\.\d{1,2}", args.python_version):
        parser.error(f"--python-version must look like 3.12, not {args.python_version!r}")
    return args


def build(args: argparse.Namespace) -> BuildResult:
    """Build the layer described by the options and print a summary.

    Parameters
    ----------
    args : argparse.Namespace
        As returned by `parse_args`.

    Returns
    -------
    BuildResult
        The figures of the build.

    Raises
    ------
    LayerBuildError
        If a step fails or the size is over Lambda's limit.
    """
    overrides = {name: getattr(args, name.replace("-", "_") + "_version") for name in PINNED_DISTRIBUTIONS}
    pins = resolve_pins(overrides)
    for name, version in pins.items():
        source = f"--{name}-version" if overrides[name] else "installed here"
        print(f"pinning {name}=={version} ({source})")
    if args.python_version != DEFAULT_PYTHON_VERSION:
        print(
            f"note: sam/template.yaml declares python{DEFAULT_PYTHON_VERSION}; this layer targets "
            f"python{args.python_version}"
        )
    if args.no_package:
        print(
            "--no-package: pydmlserverless is NOT installed into this layer; the function cannot import "
            "it unless another layer provides it"
        )
    else:
        require_package_source(args.package_dir)

    out = args.out.resolve()
    site = prepare_out_dir(out)
    install_wheels(site, args.arch, args.python_version, requirement_specs(pins, args.extra))
    if not args.no_package:
        install_package(site, args.package_dir)
    installed_size = directory_size(site)

    pruned_entries, pruned_bytes = prune_tree(site)
    elf_files = find_elf_files(site)
    check_elf_machines(elf_files, args.arch, out)
    report = None if args.no_strip else strip_binaries(elf_files, out)

    distributions = read_distributions(site)
    check_pins(pins, distributions)
    if not args.no_package and not any(name.lower() == "pydmlserverless" for name in distributions):
        raise LayerBuildError(f"{args.package_dir} did not install a distribution named pydmlserverless")
    write_manifest(
        out,
        {
            "architecture": args.arch,
            "python_version": args.python_version,
            "platform_tags": platform_tags(args.arch),
            "pinned": pins,
            "distributions": distributions,
            "pydmlserverless_included": not args.no_package,
            "stripped": not args.no_strip,
        },
    )

    if args.function_dir.is_dir():
        function_size = directory_size(args.function_dir)
    else:
        print(f"warning: function folder {args.function_dir} not found; counting 0 bytes for it")
        function_size = 0
    result = BuildResult(
        out=out,
        distributions=distributions,
        installed_size=installed_size,
        pruned_entries=pruned_entries,
        pruned_bytes=pruned_bytes,
        elf_count=len(elf_files),
        strip=report,
        layer_size=directory_size(out),
        function_size=function_size,
    )
    if args.zip is not None:
        result.zip_path = Path(args.zip) if args.zip else out.with_name(f"{out.name}-{args.arch}.zip")
        result.zip_size = write_zip(out, result.zip_path)

    print_summary(args, result)
    check_size_limit(result.total_size)
    return result


def require_package_source(package_dir: Path) -> None:
    """Raise unless a folder holds a Python project (``pyproject.toml`` or ``setup.py``).

    Parameters
    ----------
    package_dir : Path
        Source folder of pydmlserverless.

    Raises
    ------
    LayerBuildError
        If neither file is there.
    """
    package_dir = Path(package_dir).resolve()
    if not ((package_dir / "pyproject.toml").is_file() or (package_dir / "setup.py").is_file()):
        raise LayerBuildError(
            f"no pyproject.toml or setup.py in {package_dir}: pass --package-dir DIR, or --no-package "
            "to build a layer without pydmlserverless (the function cannot import it then)"
        )


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


def print_summary(args: argparse.Namespace, result: BuildResult) -> None:
    """Print the distributions, the largest entries, the prune and strip outcome and the size table.

    Parameters
    ----------
    args : argparse.Namespace
        The options.
    result : BuildResult
        The figures of the build.
    """
    print()
    print(f"layer for {args.arch} (python{args.python_version}) in {result.out}")
    rows = [[name, version, installed_version(name) or "-"] for name, version in result.distributions.items()]
    print(format_table(rows, ["distribution", "layer", "here"]))
    for name, (layer, here) in version_drift(result.distributions).items():
        print(f"note: {name} is {layer} in the layer but {here} here")
    print()
    largest = list(top_level_sizes(result.out / "python").items())[:8]
    print(format_table([[name, format_mb(size)] for name, size in largest], ["largest entries", "MB"]))
    print()
    freed = format_mb(result.pruned_bytes)
    print(f"pruned {result.pruned_entries} test folders, caches and build-only files: {freed} MB")
    print_strip_report(args, result)
    print()
    total = result.total_size
    rows = [
        ["installed by pip", f"{result.installed_size:,}", format_mb(result.installed_size)],
        [
            "layer (pruned" + (", stripped)" if result.strip and result.strip.stripped else ")"),
            f"{result.layer_size:,}",
            format_mb(result.layer_size),
        ],
        [
            f"function code ({args.function_dir.name}/)",
            f"{result.function_size:,}",
            format_mb(result.function_size),
        ],
        ["total unzipped", f"{total:,}", format_mb(total)],
        ["Lambda limit (250 MB)", f"{LAMBDA_UNZIPPED_LIMIT:,}", format_mb(LAMBDA_UNZIPPED_LIMIT)],
        ["headroom", f"{LAMBDA_UNZIPPED_LIMIT - total:,}", format_mb(LAMBDA_UNZIPPED_LIMIT - total)],
    ]
    if result.zip_path is not None:
        rows.append([f"zip {result.zip_path}", f"{result.zip_size:,}", format_mb(result.zip_size)])
    print(format_table(rows, [f"summary ({args.arch}, 1 MB = 1,048,576 bytes)", "bytes", "MB"]))


def print_strip_report(args: argparse.Namespace, result: BuildResult) -> None:
    """Print what stripping did, and clearly which files it skipped and why.

    Parameters
    ----------
    args : argparse.Namespace
        The options.
    result : BuildResult
        The figures of the build.
    """
    report = result.strip
    if report is None:
        print(f"stripping skipped (--no-strip) for {result.elf_count} shared objects")
        return
    if report.stripped:
        tools = ", ".join(f"{tool} for {machine}" for machine, tool in report.tools.items())
        saved = format_mb(report.bytes_saved)
        print(f"stripped {report.stripped} of {result.elf_count} shared objects ({tools}): {saved} MB saved")
    if report.no_gain:
        print(f"kept {report.no_gain} shared objects unstripped: stripping did not make them smaller")
    if report.misaligned:
        print(
            f"kept {len(report.misaligned)} shared objects unstripped: their stripped copies had misaligned "
            f"load segments and would not load (strip tools do that to some patchelf-modified files): "
            f"{shorten_list(report.misaligned)}"
        )
    if report.no_tool:
        machine = ARCH_MACHINES[args.arch]
        tried = ", ".join(strip_tool_candidates(machine))
        print(
            f"stripping SKIPPED for {len(report.no_tool)} shared objects: no working strip tool here (tried "
            f"{tried}; install llvm or binutils-{machine}-linux-gnu): {shorten_list(report.no_tool)}"
        )


def shorten_list(items: Sequence[str], shown: int = 5) -> str:
    """Join the first items of a list and say how many more there are.

    Parameters
    ----------
    items : sequence of str
        Items to show.
    shown : int
        How many to name.

    Returns
    -------
    str
        E.g. ``'a, b, c and 4 more'``.

    Examples
    --------
    >>> shorten_list(["a", "b", "c"], shown=2)
    'a, b and 1 more'
    """
    text = ", ".join(items[:shown])
    return text + (f" and {len(items) - shown} more" if len(items) > shown else "")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 1 if the build failed or the layer is too large.
    """
    args = parse_args(argv)
    try:
        build(args)
    except LayerBuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
