"""A smoke run of every benchmark (``--quick``): each script runs and writes a result the report renders.

Its figures are not measurements and nothing here asserts a timing.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench import report
from pydmlserverless.testing import REPO_ROOT


@pytest.mark.slow
def test_the_profile_benchmark_keeps_its_times_where_py_spy_cannot_sample(monkeypatch):
    from bench import profile_hot_path

    monkeypatch.setattr(profile_hot_path, "_py_spy", lambda: "/nonexistent/py-spy")
    timings = profile_hot_path.profile_variant("local", None, 1, quick=True)
    assert timings["profile"] is None and "py-spy" in timings["profile_error"]
    assert len(timings["wall_s"]) == 1 and timings["wall_s"][0] > 0


@pytest.mark.slow
@pytest.mark.emulator
@pytest.mark.parametrize("name", report.ORDER)
def test_each_benchmark_runs_quick_and_renders(tmp_path, name):
    """One benchmark's smoke run, in a process of its own: a budget per benchmark holds on a busy machine."""
    proc = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--quick", "--results-dir", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (written,) = tmp_path.glob(f"*-cores/{name}.json")
    assert f"python -m bench.{name} --quick" in report.render(tmp_path)
    assert json.loads(written.read_text())["benchmark"] == name
