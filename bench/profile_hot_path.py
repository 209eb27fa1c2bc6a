"""Benchmark 6: profile the client's hot paths, before and after the fixes the profiles led to.

Two workloads, each run in a fresh process under py-spy (sampling all threads of the client,
idle ones left out), for the current tree and for a baseline commit (the package as it was
before the fixes; the benchmark and test-harness code always come from the current tree):

``local``
    The bonus data, PLR, ``RandomForestRegressor(20 trees)``, 5 folds x 10 reps: a plain DoubleML
    ``fit(n_jobs_cv=-1)``, then ``fit_local()``, alternately, as a user comparing the two would;
    the wall time of ``fit_local()`` is measured.
``lambda``
    200 tasks (``LinearRegression``, 1,000 rows) through 2 emulated Lambda runtimes whose services
    run in a child process: wall time and this process's CPU time per task.

Run: ``python -m bench.profile_hot_path [--baseline c370acd] [--repeats 3]``.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from .common import REPO_ROOT, Result, fmt, mmm, parser, stats

#: The commit before the fixes (the package as issue 5 found it).
BASELINE = "c370acd"
#: What these profiles (and the benchmarks) led to, after BASELINE.
FIXES = (
    "Fixed after the baseline, as the profiles showed: (1) local: joblib restarted its worker pool whenever "
    "fit_local() followed a plain DoubleML (or any other joblib) call with other settings, the 'before' time spent "
    "in Parallel._retrieve waiting for new workers (35661da); (2) Lambda: a new boto3 client per fit, "
    "JSONDecoder.raw_decode in botocore's model loading (cee9fab); (3) one S3 object per repetition's splits, "
    "now bundles (a67af25); (4) np.nansum on two-element lists per task (49e98d9)."
)
TOP = 8


# -- the workloads (run in the child) --------------------------------------------------------------


def measured_fit(fit, **kwargs) -> tuple[float, float]:
    """Call ``fit(**kwargs)``; return its wall and CPU seconds (this frame marks the profile's samples)."""
    t0, c0 = time.perf_counter(), time.process_time()
    fit(**kwargs)
    return time.perf_counter() - t0, time.process_time() - c0


def run_local(repeats: int, quick: bool) -> dict:
    from doubleml import DoubleMLPLR
    from sklearn.ensemble import RandomForestRegressor

    from pydmlserverless import DoubleMLPLRServerless
    from pydmlserverless.datasets import bonus_data

    # by path: a baseline package may predate the data files shipped inside it
    data = bonus_data(REPO_ROOT / "pydmlserverless" / "datasets" / "penn_jae.dat")
    ml = RandomForestRegressor(n_estimators=5 if quick else 20, n_jobs=1, random_state=42)
    n_rep = 2 if quick else 10
    np.random.seed(3141)
    smpls = DoubleMLPLR(data, ml, ml, n_folds=5, n_rep=n_rep).smpls
    walls, cpus = [], []
    for i in range(repeats + 1):
        plain = DoubleMLPLR(data, ml, ml, n_folds=5, n_rep=n_rep)
        plain.set_sample_splitting(smpls)
        plain.fit(n_jobs_cv=-1)
        model = DoubleMLPLRServerless(None, None, data, ml, ml, n_folds=5, n_rep=n_rep)
        model.set_sample_splitting(smpls)
        options = {"progress": False, **_no_resume(model.fit_local)}
        if i == 0:  # the first round starts the pool: neither timed nor profiled
            model.fit_local(**options)
            continue
        wall, cpu = measured_fit(model.fit_local, **options)
        walls.append(wall)
        cpus.append(cpu)
        assert model.coef[0] == plain.coef[0]
    return {"wall_s": walls, "cpu_ms_per_task": [1000 * c / (20 * n_rep) for c in cpus]}


def _no_resume(fit: Any) -> dict:
    """``resume=False`` where the package (this tree's, not the baseline's) keeps results: every fit computes."""
    return {"resume": False} if "resume" in inspect.signature(fit).parameters else {}


def run_lambda(repeats: int, quick: bool) -> dict:
    from sklearn.linear_model import LinearRegression

    import pydmlserverless
    from pydmlserverless import DoubleMLPLRServerless

    from .emulated import FUNCTION_NAME, REGION, aws_environment, new_bucket, plr_data, plr_frame
    from .lambda_overhead import services_in_child

    n_rep = 2 if quick else 20
    walls, cpus = [], []
    # the runtimes run the package and handler of this client's version (the baseline's or this tree's)
    root = Path(pydmlserverless.__file__).resolve().parent.parent
    services = services_in_child(2, pythonpath=(str(root), str(REPO_ROOT)), code_dir=str(root / "lambda"))
    with services as services, aws_environment(services.lambda_url, services.s3_url):
        data = plr_data(new_bucket(), plr_frame(1000), "profile")
        for i in range(repeats + 1):
            np.random.seed(7 + i)  # new splits each fit, as a new model would have
            model = DoubleMLPLRServerless(
                FUNCTION_NAME, REGION, data, LinearRegression(), LinearRegression(), n_folds=5, n_rep=n_rep
            )
            options = {"max_concurrency": 2, "progress": False, "verbose": False, **_no_resume(model.fit_aws_lambda)}
            if i == 0:  # warms caches and imports: not timed (its client threads are profiled)
                model.fit_aws_lambda(**options)
                continue
            wall, cpu = measured_fit(model.fit_aws_lambda, **options)
            walls.append(wall)
            cpus.append(cpu)
    return {"wall_s": walls, "cpu_ms_per_task": [1000 * c / (10 * n_rep) for c in cpus]}


WORKLOADS = {"local": run_local, "lambda": run_lambda}


# -- the driver --------------------------------------------------------------------------------------


def _baseline_tree(commit: str) -> Path | None:
    """The baseline's ``pydmlserverless/`` and ``lambda/`` in a temporary folder (``git archive``); None without it.

    Its ``testing/`` is a link to this tree's: the emulator harness (which the baseline predates)
    comes from this tree, as the benchmark code does, and its ``REPO_ROOT`` (a resolved path) stays
    this repository.
    """
    try:
        archive = subprocess.run(
            ["git", "archive", commit, "pydmlserverless", "lambda"], cwd=REPO_ROOT, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):  # no git, or a shallow clone without that commit
        return None
    folder = Path(tempfile.mkdtemp(prefix="pydml-baseline-"))
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    harness = folder / "pydmlserverless" / "testing"
    shutil.rmtree(harness, ignore_errors=True)
    harness.symlink_to(REPO_ROOT / "pydmlserverless" / "testing", target_is_directory=True)
    return folder


def _classify(frame: str) -> str:
    """The library a stack frame (``function (path:line)``) belongs to."""
    match = re.search(r"\((.*?):\d+\)$", frame)
    path = match.group(1) if match else frame
    for marker, name in (
        ("pydmlserverless", "pydmlserverless"),
        ("botocore", "botocore/boto3"),
        ("boto3", "botocore/boto3"),
        ("urllib3", "urllib3, http.client"),
        ("http/client", "urllib3, http.client"),
        ("joblib", "joblib/loky"),
        ("doubleml", "doubleml"),
        ("sklearn", "scikit-learn"),
        ("numpy", "numpy"),
        ("pandas", "pandas"),
        ("json", "json"),
        ("threading", "threads, queues"),
        ("queue", "threads, queues"),
    ):
        if marker in path:
            return name
    return "other (Python, C)"


#: Frames that mark the measured work: the timed fit call (main thread) and the Lambda client's threads.
MEASURED = ("measured_fit (", "LambdaBackend._run_task (")


def summarize_profile(raw: str, keep: tuple[str, ...] = MEASURED) -> dict:
    """Shares of the measured work's samples: by library of the innermost frame, and the top functions.

    Stacks without a frame from ``keep`` (imports, data preparation, the baseline DoubleML fits)
    are left out.

    Examples
    --------
    >>> raw = "main (a.py:1);measured_fit (b.py:2);dumps (json/encoder.py:3) 3"
    >>> summarize_profile(raw + chr(10) + "main (a.py:1) 5")["by_library"]
    {'json': 1.0}
    """
    by_library: Counter = Counter()
    by_function: Counter = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit() or not any(mark in stack for mark in keep):
            continue
        leaf = stack.split(";")[-1]
        n = int(count)
        total += n
        by_library[_classify(leaf)] += n
        by_function[re.sub(r":\d+\)$", ")", leaf).replace(str(REPO_ROOT) + "/", "")] += n
    share = {k: v / total for k, v in by_library.most_common()} if total else {}
    top = [(k, v / total) for k, v in by_function.most_common(TOP)] if total else []
    return {"samples": total, "by_library": share, "top_functions": top}


def _py_spy() -> str:
    """The py-spy executable (on PATH, or beside this interpreter)."""
    return shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))


def profile_variant(workload: str, code: Path | None, repeats: int, quick: bool) -> dict:
    """Run one workload in a fresh process under py-spy; ``code`` holds a baseline package (else the tree's)."""
    out = Path(tempfile.mkdtemp(prefix="pydml-profile-"))
    cmd = [sys.executable, "-m", "bench.profile_hot_path", "--workload", workload, "--repeats", str(repeats)]
    cmd += ["--output", str(out / "timings.json")] + (["--quick"] if quick else [])
    env = dict(os.environ)
    # the child runs in `code` so that its pydmlserverless comes first; bench/ (and, through the link in
    # `code`, the harness pydmlserverless.testing) from this tree
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    spy = [_py_spy(), "record", "--nonblocking", "--rate", "250", "--format", "raw", "--output", str(out / "raw.txt")]
    run = {"cwd": code or REPO_ROOT, "env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE}
    profile, why = None, None
    try:
        sampled = subprocess.run([*spy, "--", *cmd], **run)  # type: ignore[call-overload]
        if sampled.returncode == 0 and (out / "raw.txt").is_file():
            profile = summarize_profile((out / "raw.txt").read_text())
        else:
            why = sampled.stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit {sampled.returncode}"]
            why = why[0]
    except OSError as exc:  # py-spy missing
        why = str(exc)
    if profile is None:  # no sampling here (e.g. no ptrace in a container): the times alone
        subprocess.run(cmd, check=True, **run)  # type: ignore[call-overload]
    timings = json.loads((out / "timings.json").read_text())
    timings["profile"], timings["profile_error"] = profile, why
    shutil.rmtree(out, ignore_errors=True)
    return timings


def main(argv: list[str] | None = None) -> Result | None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--baseline", default=BASELINE, help=f"commit to compare with (default {BASELINE})")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--workload", choices=sorted(WORKLOADS), help=argparse_hidden())
    p.add_argument("--output", type=Path, help=argparse_hidden())
    args = p.parse_args(argv)
    repeats = 1 if args.quick else args.repeats
    if args.workload:  # a child: run one workload, write its timings
        args.output.write_text(json.dumps(WORKLOADS[args.workload](repeats, args.quick)))
        return None

    baseline = _baseline_tree(args.baseline)
    variants: dict[str, Path | None] = {"after (this tree)": None}
    if baseline is not None:
        variants = {f"before ({args.baseline})": baseline, **variants}
    found: dict[str, dict[str, dict]] = {}
    try:
        for workload in WORKLOADS:
            for label, code in variants.items():
                print(f"profiling {workload}, {label} ...", flush=True)
                found.setdefault(workload, {})[label] = profile_variant(workload, code, repeats, args.quick)
    finally:
        if baseline is not None:
            shutil.rmtree(baseline, ignore_errors=True)

    result = Result("profile_hot_path", "Profiles of the hot paths, before and after", argv=argv)
    titles = {
        "local": "fit_local() right after a plain DoubleML fit (bonus data, RF 20 trees, 5 folds x 10 reps)",
        "lambda": "fit_aws_lambda(): 200 tasks, LinearRegression, 2 emulated runtimes (services in a child process)",
    }
    for workload, variants_found in found.items():
        rows = [
            [label, *mmm(stats(v["wall_s"])), *mmm(stats(v["cpu_ms_per_task"]))] for label, v in variants_found.items()
        ]
        result.table(
            f"{titles[workload]} — time",
            ["variant", "wall s median", "min", "max", "client CPU ms/task median", "min", "max"],
            rows,
        )
        if any(v["profile"] is None for v in variants_found.values()):
            errors = {v["profile_error"] for v in variants_found.values() if v["profile"] is None}
            result.note(f"{workload}: py-spy could not sample here ({'; '.join(sorted(errors))}); times only.")
            continue
        libraries = sorted({lib for v in variants_found.values() for lib in v["profile"]["by_library"]})
        result.table(
            f"{titles[workload]} — client samples by library (innermost frame)",
            ["library", *variants_found],
            [
                [lib, *(f"{100 * v['profile']['by_library'].get(lib, 0):.1f} %" for v in variants_found.values())]
                for lib in libraries
            ],
        )
        for label, v in variants_found.items():
            result.table(
                f"{titles[workload]} — top functions, {label} ({v['profile']['samples']} samples)",
                ["function (self time)", "share"],
                [[f"`{name}`", f"{100 * share:.1f} %"] for name, share in v["profile"]["top_functions"]],
            )
    for text in explain(found):
        result.note(text)
    if baseline is None:
        result.note(f"The baseline commit {args.baseline} is not in this clone (shallow?): this tree's times only.")
    else:
        before, after = (found["local"][label]["wall_s"] for label in variants)
        result.note(
            f"local: fit_local() after a plain DoubleML fit took {fmt(float(np.median(before)))} s before and "
            f"{fmt(float(np.median(after)))} s after (median)."
        )
    result.raw("found", found)
    if args.quick:
        result.note("Quick run (--quick): tiny workloads, one repeat; not a measurement.")
    result.write(args.results_dir)
    return result


def explain(found: dict[str, dict[str, dict]]) -> list[str]:
    """The fixes, and where the Lambda client's samples go now (notes for the report)."""
    profile = found["lambda"][list(found["lambda"])[-1]]["profile"]
    if profile is None:
        return [FIXES]
    after = profile["by_library"]
    sdk = sum(after.get(lib, 0.0) for lib in ("botocore/boto3", "urllib3, http.client"))
    ours = after.get("pydmlserverless", 0.0)
    return [
        FIXES,
        f"After: the AWS SDK and its HTTP stack (botocore/boto3, urllib3, http.client) hold {100 * sdk:.0f} % of "
        f"the Lambda client's samples, pydmlserverless {100 * ours:.0f} % (including its main thread's wait for "
        "results, which the sampler counts as work); the rest is the interpreter and the C library.",
    ]


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main()
