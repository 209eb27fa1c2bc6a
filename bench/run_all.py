"""Run every benchmark, each in a fresh process, then regenerate docs/benchmarks.md.

Run from the repository root: ``python -m bench.run_all`` (``bash tools/bench.sh`` first installs
what the benchmarks need). ``--quick`` makes a smoke run with tiny sizes (not a measurement);
``--only`` picks benchmarks by name. Quick runs go to a temporary folder, page included, unless
``--results-dir`` / ``--output`` say otherwise, so they never replace measured figures. A
benchmark that fails is reported and the others still run; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from .common import QUICK_RESULTS, REPO_ROOT, RESULTS_ROOT
from .report import DOC, ORDER
from .report import main as write_report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes, one repeat: a smoke run, not a measurement")
    p.add_argument("--only", nargs="+", choices=ORDER, default=ORDER, metavar="NAME", help=f"some of {ORDER}")
    p.add_argument(
        "--results-dir", type=Path, default=None, help=f"default {RESULTS_ROOT}; with --quick {QUICK_RESULTS}"
    )
    p.add_argument("--output", type=Path, default=None, help=f"the page to regenerate (default {DOC}; with --quick "
                   "benchmarks.md in the results folder)")  # fmt: skip
    args = p.parse_args(argv)
    if args.results_dir is None:
        args.results_dir = QUICK_RESULTS if args.quick else RESULTS_ROOT
    if args.output is None:
        args.output = args.results_dir / "benchmarks.md" if args.quick else DOC
    failed = []
    for name in [n for n in ORDER if n in args.only]:
        cmd = [sys.executable, "-m", f"bench.{name}"] + (["--quick"] if args.quick else [])
        if args.results_dir != RESULTS_ROOT:
            cmd += ["--results-dir", str(args.results_dir)]
        print(f"== {' '.join(cmd[1:])}", flush=True)
        t0 = time.perf_counter()
        code = subprocess.run(cmd, cwd=REPO_ROOT).returncode
        print(f"== {name}: {'ok' if code == 0 else f'FAILED (exit {code})'} in {time.perf_counter() - t0:.0f} s\n")
        if code != 0:
            failed.append(name)
    write_report(["--results-dir", str(args.results_dir), "--output", str(args.output)])
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
