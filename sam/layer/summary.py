"""The summary printed after a build: distributions, largest entries, prune and strip outcome, sizes."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from .pins import installed_version, version_drift
from .size import LAMBDA_UNZIPPED_LIMIT, format_mb, top_level_sizes
from .strip import StripReport, strip_tool_candidates
from .target import ARCH_MACHINES
from .text import format_table, shorten_list


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
        _size_row("installed by pip", result.installed_size),
        _size_row(
            "layer (pruned" + (", stripped)" if result.strip and result.strip.stripped else ")"), result.layer_size
        ),
        _size_row(f"function code ({args.function_dir.name}/)", result.function_size),
        _size_row("total unzipped", total),
        _size_row("Lambda limit (250 MB)", LAMBDA_UNZIPPED_LIMIT),
        _size_row("headroom", LAMBDA_UNZIPPED_LIMIT - total),
    ]
    if result.zip_path is not None:
        rows.append(_size_row(f"zip {result.zip_path}", result.zip_size))
    print(format_table(rows, [f"summary ({args.arch}, 1 MB = 1,048,576 bytes)", "bytes", "MB"]))


def _size_row(label: str, size: int) -> list[str]:
    """Return a row of the size table: the label, the bytes and the MB."""
    return [label, f"{size:,}", format_mb(size)]


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
