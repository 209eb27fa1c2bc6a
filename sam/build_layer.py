#!/usr/bin/env python3
"""Build the AWS Lambda dependency layer of pydmlserverless: ``python sam/build_layer.py --arch arm64``.

The layer holds numpy, scipy and scikit-learn (with joblib and threadpoolctl), skops (the fitted
learners of ``store_models=True``) as manylinux wheels
for the python3.12 runtime on arm64 or x86_64, and pydmlserverless's worker subpackage (with the
package's errors and version: no client module, see ``LAYER_PACKAGE_PATHS``); boto3 comes with the
runtime. pip fetches the wheels with ``--platform``/``--python-version``/``--only-binary=:all:``,
so neither Docker nor a local python3.12 is needed. numpy, scipy and scikit-learn are pinned to
the versions of the interpreter running the build, because the predictions depend on them.

The steps: install, prune (tests, caches, sources, headers, static libraries), check every
binary's ELF machine, strip the shared objects (keeping any whose stripped copy would not load),
write the manifest, optionally zip, print a summary, check Lambda's 250 MB unzipped limit.
``--help`` lists the options.
"""

import argparse
import base64
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
#: The folder sam/template.yaml takes the layer from.
DEFAULT_OUT = REPO_ROOT / "sam" / ".build" / "layer"
#: The function code (CodeUri of sam/template.yaml), counted in the size check.
DEFAULT_FUNCTION_DIR = REPO_ROOT / "lambda"
#: Written into every layer folder this script makes; only such folders are replaced.
MANIFEST_NAME = "pydmlserverless-layer.json"
#: Lambda's limit on the unzipped size of function code plus all its layers (AWS's "250 MB").
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
MB = 1024 * 1024

DEFAULT_PYTHON_VERSION = "3.12"
ARCH_MACHINES = {"arm64": "aarch64", "x86_64": "x86_64"}
#: manylinux2014 (glibc 2.17) up to Amazon Linux 2023 (glibc 2.34), the OS of the python3.12 runtime.
GLIBC_MINOR_RANGE = (17, 34)
ELF_MACHINE_CODES = {62: "x86_64", 183: "aarch64"}

PINNED_DISTRIBUTIONS = ("numpy", "scipy", "scikit-learn")
#: scikit-learn's unpinned runtime dependencies, and skops (store_models=True); pip resolves them.
EXTRA_DISTRIBUTIONS = ("joblib", "threadpoolctl", "skops")
PIP_INSTALL = ("install", "--disable-pip-version-check", "--no-input", "--no-compile")
#: Left out of the copy of the package source: VCS data, build outputs, caches, venvs, this script's output.
SOURCE_COPY_IGNORE = shutil.ignore_patterns(
    *(".git", "build", "dist", "*.egg-info", "__pycache__", ".build", ".aws-sam", ".venv", "venv"),
    *(".pytest_cache", ".ruff_cache", ".mypy_cache", "*.zip", "*.tar.gz"),
)
PRUNE_DIR_NAMES = frozenset({"tests", "__pycache__"})
PRUNE_SUFFIXES = (".pyc", ".pyo", ".pyx", ".pxd", ".pxi", ".c", ".cpp", ".h", ".hpp", ".a")


class LayerBuildError(RuntimeError):
    """A layer could not be built, or the built layer is unusable."""


def _shorten_list(items: Sequence[str], shown: int = 5) -> str:
    """Join the first `shown` items and say how many more there are ('a, b and 1 more')."""
    return ", ".join(items[:shown]) + (f" and {len(items) - shown} more" if len(items) > shown else "")


def _format_mb(size: int) -> str:
    return f"{size / MB:.1f}"


def _format_table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    """Format a plain-text table, the columns after the first right-aligned."""
    table = [list(header)] + [list(row) for row in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = [
        "  ".join([row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]).rstrip()
        for row in table
    ]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


# ---- target and versions ----------------------------------------------------------------
def platform_tags(arch: str, glibc_minor_range: tuple[int, int] = GLIBC_MINOR_RANGE) -> list[str]:
    """Return ``manylinux2014_<machine>`` and ``manylinux_2_<minor>_<machine>`` for a Lambda architecture.

    Raises ValueError for another architecture than arm64 or x86_64.
    """
    if arch not in ARCH_MACHINES:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {sorted(ARCH_MACHINES)}")
    machine = ARCH_MACHINES[arch]
    low, high = glibc_minor_range
    return [f"manylinux2014_{machine}"] + [f"manylinux_2_{m}_{machine}" for m in range(low, high + 1)]


def installed_version(distribution: str) -> str | None:
    """Return the version of a distribution installed in this interpreter, or None."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def resolve_pins(overrides: dict[str, str | None]) -> dict[str, str]:
    """Return name -> version for numpy, scipy and scikit-learn: `overrides`, else the installed versions.

    Raises `LayerBuildError` if a distribution has neither.
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
    """Return the pip requirements: ``name==version`` per pin, then joblib, threadpoolctl, skops and `extras`."""
    return [f"{name}=={version}" for name, version in pins.items()] + list(EXTRA_DISTRIBUTIONS) + list(extras)


def check_pins(pins: dict[str, str], distributions: dict[str, str]) -> None:
    """Raise `LayerBuildError` if a pinned distribution is missing from `distributions` or differs."""
    found = {name.lower(): version for name, version in distributions.items()}
    for name, version in pins.items():
        if found.get(name.lower()) != version:
            raise LayerBuildError(f"the layer has {name} {found.get(name.lower())}, not the pinned {version}")


# ---- pip installs -----------------------------------------------------------------------
def _pip_install(args: list[str]) -> None:
    command = [sys.executable, "-m", "pip", *PIP_INSTALL, *args]
    print("$ " + " ".join(command), flush=True)
    result = subprocess.run(command, check=False)
    if result.returncode != 0:
        raise LayerBuildError(f"pip failed with exit code {result.returncode}: {' '.join(command)}")


#: What the layer keeps of pydmlserverless: the worker subpackage and the leaves it imports (the
#: errors, the version), under :data:`LAYER_INIT`. The client side (planning, backends, DoubleML,
#: tuning, planner, R bridge, command line, test harness) stays out.
LAYER_PACKAGE_PATHS = ("_version.py", "errors.py", "worker")
#: The layer's ``pydmlserverless/__init__.py``, in place of the package's own: that one names the
#: client's models and backends (lazily, but from the client's registry), which the layer leaves out.
LAYER_INIT = (
    '"""pydmlserverless as the Lambda layer holds it: the worker subpackage, the errors and the version.\n\n'
    "Written by sam/build_layer.py; the client modules (models, backends, planner, R bridge) are left out.\n"
    '"""\n\n'
    "from ._version import __version__\n\n"
    '__all__ = ["__version__"]\n'
)


def keep_worker_only(package: Path) -> list[str]:
    """Leave in an installed ``pydmlserverless/`` only :data:`LAYER_PACKAGE_PATHS` and :data:`LAYER_INIT`.

    Returns the names removed.
    """
    removed = []
    for entry in sorted(package.iterdir()):
        if entry.name not in (*LAYER_PACKAGE_PATHS, "__init__.py", "__pycache__"):
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            removed.append(entry.name)
    (package / "__init__.py").write_text(LAYER_INIT)
    return removed


def _record_line(site: Path, line: str) -> str:
    """A RECORD line, its hash and size made anew for a file this script rewrote (``__init__.py``)."""
    name = line.split(",", 1)[0]
    if not name.endswith("pydmlserverless/__init__.py"):
        return line
    body = (site / name).read_bytes()
    digest = base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(body)}\n"


def _install_package(site: Path, package_dir: Path) -> None:
    """Install pydmlserverless's worker from a copy of its source (no build/ or *.egg-info lands in the repository)."""
    with tempfile.TemporaryDirectory(prefix="pydmlserverless-src-") as tmp:
        source = Path(tmp) / "src"
        shutil.copytree(Path(package_dir).resolve(), source, ignore=SOURCE_COPY_IGNORE)
        # --upgrade: the wheels' console scripts already made python/bin (pruned later); without
        # it pip refuses to merge into existing folders and warns.
        _pip_install(["--no-deps", "--upgrade", "--target", str(site), str(source)])
    keep_worker_only(site / "pydmlserverless")
    # Drop pip's record of the temporary source folder (so that equal sources give an equal layer) and of the
    # client modules left out, so that the record lists what the layer holds.
    for dist_info in site.glob("pydmlserverless-*.dist-info"):
        (dist_info / "direct_url.json").unlink(missing_ok=True)
        record = dist_info / "RECORD"
        if record.exists():
            lines = record.read_text().splitlines(keepends=True)
            kept = [_record_line(site, line) for line in lines if (site / line.split(",", 1)[0]).exists()]
            record.write_text("".join(kept))


# ---- pruning, ELF checks, stripping -----------------------------------------------------
def directory_size(path: Path) -> int:
    """Return the bytes of the regular files below `path` (symlinks followed, as a zip stores them; missing: 0)."""
    path = Path(path)
    if not path.exists():
        return 0
    if path.is_file():
        return path.stat().st_size
    files = (Path(root, name) for root, _dirs, names in os.walk(path) for name in names)
    return sum(file.stat().st_size for file in files if file.is_file())


def prune_tree(root: Path) -> tuple[int, int]:
    """Remove test folders, bytecode caches, sources, headers, static libraries and a top-level ``bin``.

    ``bin`` holds console scripts whose shebang names the building interpreter.

    Returns
    -------
    tuple of int
        Entries removed (a folder counts as one) and bytes freed.
    """
    root = Path(root)
    removed = freed = 0
    if (root / "bin").is_dir():
        freed += directory_size(root / "bin")
        shutil.rmtree(root / "bin")
        removed += 1
    for current, dirs, files in os.walk(root, topdown=True):
        for name in [d for d in dirs if d in PRUNE_DIR_NAMES]:
            freed += directory_size(Path(current, name))
            shutil.rmtree(Path(current, name))
            dirs.remove(name)
            removed += 1
        for name in files:
            if name.endswith(PRUNE_SUFFIXES):
                freed += Path(current, name).stat().st_size
                Path(current, name).unlink()
                removed += 1
    return removed, freed


def _is_little_endian_elf(header: bytes, size: int) -> bool:
    return len(header) >= size and header[:4] == b"\x7fELF" and header[5] == 1


def elf_machine(path: Path) -> str | None:
    """Return ``'x86_64'``, ``'aarch64'``, ``'other'`` for another ELF machine, or None for a non-ELF file."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(20)
    except OSError:
        return None
    if not _is_little_endian_elf(header, 20):
        return None
    return ELF_MACHINE_CODES.get(int.from_bytes(header[18:20], "little"), "other")


def load_segments_aligned(path: Path, page_size: int = 4096) -> bool:
    """Tell whether every ``PT_LOAD`` segment of a 64-bit little-endian ELF file is aligned as glibc needs.

    glibc maps a segment only if ``p_vaddr - p_offset`` is a multiple of the page size and of its
    alignment, else dlopen fails with "ELF load command address/offset not page-aligned"; strip
    tools do that to some patchelf-modified libraries. False also for a file that is not a 64-bit
    little-endian ELF file with readable program headers.
    """
    with open(path, "rb") as handle:
        header = handle.read(64)
        if not _is_little_endian_elf(header, 64) or header[4] != 2:  # EI_CLASS 2: 64-bit
            return False
        (phoff,) = struct.unpack_from("<Q", header, 32)
        phentsize, phnum = struct.unpack_from("<HH", header, 54)
        if phentsize < 56:
            return False
        handle.seek(phoff)
        table = handle.read(phentsize * phnum)
    if len(table) < phentsize * phnum:
        return False
    for index in range(phnum):
        p_type, _flags, p_offset, p_vaddr, *_sizes, p_align = struct.unpack_from("<IIQQQQQQ", table, index * phentsize)
        if p_type == 1 and (p_vaddr - p_offset) % max(p_align, page_size):  # 1: PT_LOAD
            return False
    return True


def find_elf_files(root: Path) -> dict[Path, str]:
    """Return path -> `elf_machine` of the ELF files (``*.so*`` or executable, no symlinks) below `root`, sorted."""
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
    """Raise `LayerBuildError` if a file of `elf_files` is not built for `arch` (paths shown relative to `root`)."""
    expected = ARCH_MACHINES[arch]
    wrong = [f"{path.relative_to(root)} ({m})" for path, m in elf_files.items() if m != expected]
    if wrong:
        raise LayerBuildError(f"binaries for another machine than {expected}: {_shorten_list(wrong)}")


@dataclass
class StripReport:
    """What `strip_binaries` did: counts, the tool that worked per ELF machine, and the files kept and why."""

    stripped: int = 0
    bytes_saved: int = 0
    tools: dict[str, str] = field(default_factory=dict)
    no_tool: list[str] = field(default_factory=list)
    misaligned: list[str] = field(default_factory=list)
    no_gain: int = 0


def strip_tool_candidates(machine: str, host_machine: str | None = None) -> list[str]:
    """Return the strip tools to try for an ELF machine, most suitable first.

    ``<machine>-linux-gnu-strip`` and ``llvm-strip`` (any machine), after the host's ``strip`` if
    `machine` is the host's (default: ``platform.machine()``), else followed by it.
    """
    cross = [f"{machine}-linux-gnu-strip", "llvm-strip"]
    return ["strip", *cross] if machine == (host_machine or platform.machine()) else [*cross, "strip"]


def strip_file(path: Path, tools: Sequence[str]) -> tuple[str | None, str]:
    """Strip a shared object with the first of `tools` whose copy is aligned and smaller.

    Returns
    -------
    tuple of (str or None, str)
        The tool used (None: file kept as it was) and ``'stripped'``, ``'misaligned'``,
        ``'no-gain'`` or ``'no-tool'``.
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
    """Strip the files of `find_elf_files` in place with the tools found here; paths reported relative to `root`."""
    report = StripReport()
    for path, machine in elf_files.items():
        tools = [t for t in strip_tool_candidates(machine) if shutil.which(t)]
        if machine in report.tools:  # the tool that last worked for this machine first
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


# ---- output folder, size limit, zip -----------------------------------------------------
def prepare_out_dir(out: Path) -> Path:
    """Empty (or create) the layer folder and return its empty ``python/`` subfolder.

    Raises `LayerBuildError` if `out` is a file, or a non-empty folder without `MANIFEST_NAME`.
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


def write_manifest(out: Path, manifest: dict) -> Path:
    """Write `manifest` as JSON to ``out / MANIFEST_NAME`` (``/opt/pydmlserverless-layer.json`` on Lambda)."""
    path = Path(out) / MANIFEST_NAME
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def check_size_limit(size: int, limit: int = LAMBDA_UNZIPPED_LIMIT) -> None:
    """Raise `LayerBuildError` if the unzipped bytes of function code plus layer exceed `limit`."""
    if size > limit:
        raise LayerBuildError(
            f"function code + layer unzipped is {_format_mb(size)} MB ({size:,} bytes), over Lambda's "
            f"limit of {_format_mb(limit)} MB ({limit:,} bytes) by {_format_mb(size - limit)} MB; "
            "drop --extra packages or pin smaller versions"
        )


def write_zip(source: Path, archive: Path) -> int:
    """Zip a folder's content (sorted, fixed timestamps, no top folder) reproducibly; return the zip's bytes."""
    source, archive = Path(source), Path(archive)
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | (0o755 if os.access(path, os.X_OK) else 0o644)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes(), compresslevel=6)
    return archive.stat().st_size


# ---- build, summary, command line -------------------------------------------------------
@dataclass
class BuildResult:
    """Figures of a finished build for the summary; sizes in bytes, ``strip`` None with ``--no-strip``."""

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


def build(args: argparse.Namespace) -> BuildResult:
    """Build the layer that the options of `parse_args` describe and print a summary.

    Raises `LayerBuildError` if a step fails or the layer is over Lambda's size limit.
    """
    overrides = {name: getattr(args, name.replace("-", "_") + "_version") for name in PINNED_DISTRIBUTIONS}
    pins = resolve_pins(overrides)
    for name, version in pins.items():
        print(f"pinning {name}=={version} ({f'--{name}-version' if overrides[name] else 'installed here'})")
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
    elif not any((args.package_dir.resolve() / name).is_file() for name in ("pyproject.toml", "setup.py")):
        raise LayerBuildError(
            f"no pyproject.toml or setup.py in {args.package_dir.resolve()}: pass --package-dir DIR, or "
            "--no-package to build a layer without pydmlserverless (the function cannot import it then)"
        )

    out = args.out.resolve()
    site = prepare_out_dir(out)
    platforms = [arg for tag in platform_tags(args.arch) for arg in ("--platform", tag)]
    _pip_install(
        ["--target", str(site), "--implementation", "cp", "--python-version", args.python_version]
        + ["--only-binary=:all:", *platforms, *requirement_specs(pins, args.extra)]
    )
    if not args.no_package:
        _install_package(site, args.package_dir)
    installed_size = directory_size(site)

    pruned_entries, pruned_bytes = prune_tree(site)
    elf_files = find_elf_files(site)
    check_elf_machines(elf_files, args.arch, out)
    report = None if args.no_strip else strip_binaries(elf_files, out)

    found = {dist.metadata["Name"]: dist.version for dist in importlib.metadata.distributions(path=[str(site)])}
    distributions = dict(sorted(found.items(), key=lambda item: item[0].lower()))
    check_pins(pins, distributions)
    if not args.no_package and not any(name.lower() == "pydmlserverless" for name in distributions):
        raise LayerBuildError(f"{args.package_dir} did not install a distribution named pydmlserverless")
    manifest = {
        "architecture": args.arch,
        "python_version": args.python_version,
        "platform_tags": platform_tags(args.arch),
        "pinned": pins,
        "distributions": distributions,
        "pydmlserverless_included": not args.no_package,
        "stripped": not args.no_strip,
    }
    write_manifest(out, manifest)

    function_size = 0
    if args.function_dir.is_dir():
        function_size = directory_size(args.function_dir)
    else:
        print(f"warning: function folder {args.function_dir} not found; counting 0 bytes for it")
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
    _print_summary(args, result)
    check_size_limit(result.total_size)
    return result


def _print_summary(args: argparse.Namespace, result: BuildResult) -> None:
    print(f"\nlayer for {args.arch} (python{args.python_version}) in {result.out}")
    rows = [[name, version, installed_version(name) or "-"] for name, version in result.distributions.items()]
    print(_format_table(rows, ["distribution", "layer", "here"]))
    for name, version, here in rows:
        if here not in ("-", version):
            print(f"note: {name} is {version} in the layer but {here} here")
    sizes: dict[str, int] = {}
    for entry in (result.out / "python").iterdir():
        key = "(dist-info)" if entry.name.endswith(".dist-info") else entry.name
        sizes[key] = sizes.get(key, 0) + directory_size(entry)
    largest = sorted(sizes.items(), key=lambda item: -item[1])[:8]
    print("\n" + _format_table([[name, _format_mb(size)] for name, size in largest], ["largest entries", "MB"]))
    freed = _format_mb(result.pruned_bytes)
    print(f"\npruned {result.pruned_entries} test folders, caches and build-only files: {freed} MB")

    _print_strip_report(result.strip, result.elf_count, args.arch)
    sizes_shown = [
        ("installed by pip", result.installed_size),
        ("layer (pruned, stripped)" if result.strip and result.strip.stripped else "layer (pruned)", result.layer_size),
        (f"function code ({args.function_dir.name}/)", result.function_size),
        ("total unzipped", result.total_size),
        ("Lambda limit (250 MB)", LAMBDA_UNZIPPED_LIMIT),
        ("headroom", LAMBDA_UNZIPPED_LIMIT - result.total_size),
    ]
    if result.zip_path is not None and result.zip_size is not None:
        sizes_shown.append((f"zip {result.zip_path}", result.zip_size))
    rows = [[label, f"{size:,}", _format_mb(size)] for label, size in sizes_shown]
    print("\n" + _format_table(rows, [f"summary ({args.arch}, 1 MB = 1,048,576 bytes)", "bytes", "MB"]))


def _print_strip_report(report: StripReport | None, elf_count: int, arch: str) -> None:
    if report is None:
        print(f"stripping skipped (--no-strip) for {elf_count} shared objects")
        return
    if report.stripped:
        tools = ", ".join(f"{tool} for {machine}" for machine, tool in report.tools.items())
        saved = _format_mb(report.bytes_saved)
        print(f"stripped {report.stripped} of {elf_count} shared objects ({tools}): {saved} MB saved")
    if report.no_gain:
        print(f"kept {report.no_gain} shared objects unstripped: stripping did not make them smaller")
    if report.misaligned:
        print(
            f"kept {len(report.misaligned)} shared objects unstripped: their stripped copies had misaligned "
            f"load segments and would not load (strip tools do that to some patchelf-modified files): "
            f"{_shorten_list(report.misaligned)}"
        )
    if report.no_tool:
        machine = ARCH_MACHINES[arch]
        print(
            f"stripping SKIPPED for {len(report.no_tool)} shared objects: no working strip tool here (tried "
            f"{', '.join(strip_tool_candidates(machine))}; install llvm or binutils-{machine}-linux-gnu): "
            f"{_shorten_list(report.no_tool)}"
        )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line (default: ``sys.argv[1:]``) into the options `build` takes."""
    parser = argparse.ArgumentParser(
        description="Build the Lambda dependency layer (numpy, scipy, scikit-learn, pydmlserverless) "
        "from manylinux wheels, without Docker or a local python3.12.",
    )
    add = parser.add_argument
    add("--arch", choices=sorted(ARCH_MACHINES), default="arm64", help="Lambda architecture (default: arm64)")
    add(
        "--python-version",
        default=DEFAULT_PYTHON_VERSION,
        help="runtime Python version (default: %(default)s, the template's python3.12)",
    )
    add("--out", type=Path, default=DEFAULT_OUT, help="layer dir (default: %(default)s)")
    zip_help = "also write a zip archive (default path: <out>-<arch>.zip)"
    add("--zip", nargs="?", const="", default=None, metavar="PATH", help=zip_help)
    add("--package-dir", type=Path, default=REPO_ROOT, help="source folder of pydmlserverless (default: %(default)s)")
    no_package_help = "do not install pydmlserverless into the layer (the function then cannot import it)"
    add("--no-package", action="store_true", help=no_package_help)
    function_help = "function code counted in the size check (default: %(default)s)"
    add("--function-dir", type=Path, default=DEFAULT_FUNCTION_DIR, help=function_help)
    for name in PINNED_DISTRIBUTIONS:
        pin_help = f"{name} version to pin (default: the one installed here, {installed_version(name)})"
        add(f"--{name}-version", dest=name.replace("-", "_") + "_version", metavar="VERSION", help=pin_help)
    extra_help = "a further requirement to put into the layer (binary wheels only); may be repeated"
    add("--extra", action="append", default=[], metavar="REQUIREMENT", help=extra_help)
    add("--no-strip", action="store_true", help="do not strip the shared objects")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"3\.\d{1,2}", args.python_version):
        parser.error(f"--python-version must look like 3.12, not {args.python_version!r}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return 0 on success, 1 if the build failed or the layer is too large."""
    args = parse_args(argv)
    try:
        build(args)
    except LayerBuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
