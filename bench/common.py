"""What every benchmark shares: the machine's facts, statistics over repeats, result files and their Markdown.

Nothing here imports another ``bench`` module: :mod:`bench.report` and the benchmarks import this one.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_ROOT = Path(os.environ.get("PYDMLSERVERLESS_BENCH_RESULTS", REPO_ROOT / "bench" / "results"))
#: Where ``--quick`` smoke runs go unless told otherwise: never over the measured results.
QUICK_RESULTS = Path(tempfile.gettempdir()) / "pydmlserverless-bench-quick"


def machine() -> dict:
    """Cores, processor, memory and library versions of this machine."""
    import joblib
    import numpy
    import sklearn

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory_gib = round(pages / 2**30, 1)
    except (ValueError, OSError):
        memory_gib = None
    versions = {"python": platform.python_version(), "numpy": numpy.__version__, "scikit-learn": sklearn.__version__}
    versions["joblib"] = joblib.__version__
    try:
        import doubleml

        versions["doubleml"] = doubleml.__version__
    except ImportError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "memory_gib": memory_gib,
        "system": f"{platform.system()} {platform.machine()}",
        "versions": versions,
    }


def machine_tag(info: dict | None = None) -> str:
    """Folder name of a machine's results, by core count (``2-cores``)."""
    return f"{(info or machine())['cores']}-cores"


def git_commit() -> str:
    """The checkout's commit, with ``+changes`` when the tree has uncommitted changes.

    ``PYDMLSERVERLESS_BENCH_COMMIT`` overrides it (for a copy of the tree without its git folder).
    """
    if os.environ.get("PYDMLSERVERLESS_BENCH_COMMIT"):
        return os.environ["PYDMLSERVERLESS_BENCH_COMMIT"]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


def command(module: str, argv: Sequence[str] | None = None) -> str:
    """The command line that reproduces this run, e.g. ``python -m bench.payload_bytes --repeats 5``.

    ``--results-dir`` is left out: it says where the figures went, not how they were made.

    Examples
    --------
    >>> command("bench.cold_warm", ["--repeats", "3", "--results-dir", "/tmp/r"])
    'python -m bench.cold_warm --repeats 3'
    """
    args = list(sys.argv[1:] if argv is None else argv)
    kept = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--results-dir":
            skip = True
        elif not arg.startswith("--results-dir="):
            kept.append(arg)
    return " ".join(["python -m", module, *(shlex.quote(a) for a in kept)])


def stats(values: Sequence[float]) -> dict:
    """Median, min, max and n of repeated measurements (values kept for the record)."""
    values = [float(v) for v in values]
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
        "values": values,
    }


def fmt(value: Any, digits: int = 3) -> str:
    """A number for a table: ``digits`` significant figures, integers as they are."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value == 0 or 1e-3 <= abs(value) < 1e6:
            return f"{value:.{digits}g}" if abs(value) < 10**digits else f"{value:,.0f}"
        return f"{value:.{digits}g}"
    return str(value)


def mmm(s: dict, digits: int = 3) -> list[str]:
    """A :func:`stats` dict as three table cells: median, min, max."""
    return [fmt(s["median"], digits), fmt(s["min"], digits), fmt(s["max"], digits)]


class Result:
    """One benchmark's result: tables, goals and notes, written as JSON and printed.

    Parameters
    ----------
    name : str
        The module's short name (the JSON file's stem).
    title : str
        Heading in docs/benchmarks.md.
    module : str
        ``bench.<name>``, for the command line.
    """

    def __init__(self, name: str, title: str, module: str | None = None, argv: Sequence[str] | None = None):
        self.name = name
        self.title = title
        self.info = machine()
        self.data: dict[str, Any] = {
            "benchmark": name,
            "title": title,
            "command": command(module or f"bench.{name}", argv),
            "machine": self.info,
            "commit": git_commit(),
            "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "tables": [],
            "goals": [],
            "notes": [],
            "raw": {},
        }

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Add a table (cells are formatted with :func:`fmt` unless already strings)."""
        cells = [[c if isinstance(c, str) else fmt(c) for c in row] for row in rows]
        self.data["tables"].append({"title": title, "columns": list(columns), "rows": cells})

    def goal(self, goal: str, measured: str, met: bool | None) -> None:
        """Record a goal, what was measured against it, and whether it is met (None: not measurable)."""
        self.data["goals"].append({"goal": goal, "measured": measured, "met": met})

    def note(self, text: str) -> None:
        """A sentence printed under the tables."""
        self.data["notes"].append(text)

    def raw(self, key: str, value: Any) -> None:
        """Keep raw measurements in the JSON (not rendered)."""
        self.data["raw"][key] = value

    def write(self, results_root: Path | None = None) -> Path:
        """Write ``<results>/<cores>-cores/<name>.json``, print the tables, and return the path."""
        folder = Path(results_root or RESULTS_ROOT) / machine_tag(self.info)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.name}.json"
        path.write_text(json.dumps(self.data, indent=1, default=_jsonable) + "\n")
        print(render_result(self.data))
        print(f"wrote {path}")
        return path


# -- rendering (bench.report renders the whole page from these) ----------------------------------

#: A goal's status cell, by its ``met``.
GOAL_MARKS = {True: "met", False: "**not met**", None: "not measured"}


def markdown_table(columns: list[str], rows: list[list[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join(" --- " for _ in columns) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _machine_line(info: dict) -> str:
    versions = ", ".join(f"{name} {version}" for name, version in info.get("versions", {}).items())
    memory = f", {info['memory_gib']} GiB" if info.get("memory_gib") else ""
    return f"{info['cores']} cores ({info.get('cpu') or 'unknown CPU'}{memory}; {info.get('system', '')}); {versions}"


def render_result(data: dict, level: int = 3) -> str:
    """One benchmark result as Markdown: machine, command, tables, goals, notes."""
    head = "#" * level
    out = [
        f"{head} {data['title']} — {data['machine']['cores']} cores",
        "",
        f"- Machine: {_machine_line(data['machine'])}",
        f"- Command: `{data['command']}`",
        f"- Commit: `{data['commit']}`, {data['date']}",
        "",
    ]
    for table in data["tables"]:
        out += [f"**{table['title']}**", "", markdown_table(table["columns"], table["rows"]), ""]
    if data["goals"]:
        rows = [[g["goal"], g["measured"], GOAL_MARKS[g["met"]]] for g in data["goals"]]
        out += ["**Goals**", "", markdown_table(["goal", "measured", "status"], rows), ""]
    out += [f"- {note}" for note in data["notes"]]
    return "\n".join(out).rstrip() + "\n"


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


class _BenchParser(argparse.ArgumentParser):
    def parse_args(self, *args, **kwargs):  # type: ignore[override]
        parsed = super().parse_args(*args, **kwargs)
        if parsed.quick and parsed.results_dir is None:
            parsed.results_dir = QUICK_RESULTS
        return parsed


def parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the options every benchmark takes (``--quick`` results go to a temporary folder)."""
    p = _BenchParser(description=description)
    p.add_argument("--quick", action="store_true", help="small sizes and one repeat (a smoke run, not a measurement)")
    p.add_argument(
        "--results-dir",
        type=Path,
        default=None,
        help=f"where results go (default bench/results; with --quick {QUICK_RESULTS})",
    )
    return p
