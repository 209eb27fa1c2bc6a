"""The benchmark scripts' pure logic and the report (the smoke runs are tests/e2e/test_benchmarks.py).

Nothing here asserts a timing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

from bench import common, report
from bench.profile_hot_path import summarize_profile
from pydmlserverless.testing import REPO_ROOT


def test_stats_and_formatting():
    s = common.stats([3.0, 1.0, 2.0, 10.0])
    assert (s["median"], s["min"], s["max"], s["n"]) == (2.5, 1.0, 10.0, 4)
    assert common.mmm(s) == ["2.5", "1", "10"]
    assert common.fmt(1234567) == "1,234,567"
    assert common.fmt(0.000123) == "0.000123"
    assert common.fmt(None) == "–"
    assert common.fmt(True) == "yes"


def test_command_line_names_the_module_and_arguments():
    assert common.command("bench.payload_bytes", ["--repeats", "5"]) == "python -m bench.payload_bytes --repeats 5"


def test_result_round_trip_and_report(tmp_path):
    result = common.Result("payload_bytes", "Bytes per task", argv=["--repeats", "2"])
    result.table("Sizes", ["n_obs", "bytes"], [[1000, 705], [10**6, 705]])
    result.goal("requests constant", "705 B at every size", True)
    result.goal("16 cores", "no such machine", None)
    result.note("A note.")
    path = result.write(tmp_path)
    assert path == tmp_path / common.machine_tag() / "payload_bytes.json"
    data = json.loads(path.read_text())
    assert data["tables"][0]["rows"] == [["1,000", "705"], ["1,000,000", "705"]]
    assert data["machine"]["cores"] >= 1

    page = report.render(tmp_path)
    assert "## 1. Bytes per task" in page
    assert "`python -m bench.payload_bytes --repeats 2`" in page
    assert "| 1,000,000 | 705 |" in page
    assert "| requests constant | 705 B at every size | met |" in page
    assert "| 16 cores | no such machine | not measured |" in page
    assert "- A note." in page


def test_writing_a_result_needs_no_other_bench_module(tmp_path):
    """bench.common renders and prints a result itself: bench.report imports it, never the other way round."""
    code = (
        "import sys; from bench import common; common.Result('payload_bytes', 'Bytes', argv=[]).write(sys.argv[1]); "
        "print(sorted(m for m in sys.modules if m.startswith('bench.')))"
    )
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=REPO_ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "### Bytes — " in run.stdout
    assert run.stdout.strip().splitlines()[-1] == "['bench.common']"


def test_results_of_several_machines_are_ordered_by_cores(tmp_path):
    for cores in (16, 2):
        data = {
            "benchmark": "local_vs_doubleml",
            "title": "Local",
            "command": "python -m bench.local_vs_doubleml",
            "machine": {"cores": cores, "cpu": "x", "versions": {}},
            "commit": "abc",
            "date": "today",
            "tables": [],
            "goals": [],
            "notes": [],
        }
        folder = tmp_path / f"{cores}-cores"
        folder.mkdir()
        (folder / "local_vs_doubleml.json").write_text(json.dumps(data))
    page = report.render(tmp_path)
    assert page.index("Local — 2 cores") < page.index("Local — 16 cores")


def test_profile_summary_keeps_the_measured_stacks_only():
    raw = "\n".join(
        [
            "<module> (x.py:1);import_stuff (y.py:2) 50",
            "<module> (x.py:1);measured_fit (bench/p.py:3);dumps (json/encoder.py:9) 3",
            "run (threading.py:1);LambdaBackend._run_task (a.py:5);_make_api_call (botocore/client.py:7) 1",
        ]
    )
    summary = summarize_profile(raw)
    assert summary["samples"] == 4
    assert summary["by_library"] == {"json": 0.75, "botocore/boto3": 0.25}
    assert summary["top_functions"][0] == ("dumps (json/encoder.py)", 0.75)


def test_a_baseline_missing_from_the_clone_is_skipped():
    from bench import profile_hot_path

    assert profile_hot_path._baseline_tree("0" * 40) is None  # e.g. a shallow clone
    tree = profile_hot_path._baseline_tree(profile_hot_path.BASELINE)
    if tree is not None:  # a full clone: the baseline's package alone
        assert (tree / "pydmlserverless" / "worker.py").is_file()
        __import__("shutil").rmtree(tree)


def test_run_all_runs_each_benchmark_and_regenerates_the_page(tmp_path, monkeypatch):
    """bench.run_all: every benchmark in ORDER as its own process, a failure reported, the page written."""
    from bench import run_all

    ran = []

    class Done:
        def __init__(self, code):
            self.returncode = code

    def fake_run(cmd, cwd):
        name = cmd[2].removeprefix("bench.")
        ran.append(name)
        common.Result(name, name, argv=cmd[3:]).write(tmp_path)
        return Done(1 if name == report.ORDER[-1] else 0)

    monkeypatch.setattr(run_all, "subprocess", SimpleNamespace(run=fake_run))  # run_all's own, not the module's
    doc = tmp_path / "page.md"
    assert run_all.main(["--quick", "--results-dir", str(tmp_path), "--output", str(doc)]) == 1
    assert ran == list(report.ORDER)
    page = doc.read_text()
    assert all(f"python -m bench.{name} --quick" in page for name in report.ORDER)
