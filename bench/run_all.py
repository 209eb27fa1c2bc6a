"""Run every benchmark, each in a fresh process, then regenerate docs/benchmarks.md.

Run from the repository root: ``python -m bench.run_all`` (``bash tools/bench.sh`` first installs
what the benchmarks need). ``--quick`` makes a smoke run with tiny sizes (not a measurement);
``--only`` picks benchmarks by name. A benchmark that fails is reported and the others still run;
the exit status is then 1.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from .common import REPO_ROOT, RESULTS_ROOT
from .report import DOC, ORDER
from .report import main as write_report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes, one repeat: a smoke run, not a measurement")
    p.add_argument("--only", nargs="+", choices=ORDER, default=ORDER, metavar="NAME", help=f"some of {ORDER}")
    p.add_argument("--results-dir", type=Path, default=RESULTS_ROOT)
    p.add_argument("--output", type=Path, default=DOC, help="the Markdown page to regenerate")
    args = p.parse_args(argv)
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
