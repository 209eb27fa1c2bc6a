"""The repository stands on its own: its data ship inside it, and nothing reads a path beside it."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from pydmlserverless import datasets
from pydmlserverless.errors import DataError

REPO = Path(__file__).resolve().parents[2]
CHECKSUMS = dict(
    (name, digest)
    for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", (REPO / "pydmlserverless" / "datasets" / "README.md")
                                   .read_text(), re.M)
)  # fmt: skip


def tracked_text_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    paths = [REPO / name for name in names.decode().split("\0") if name]
    return [p for p in paths if p.is_file() and p.suffix not in {".dat", ".dta", ".npz", ".png"}]


def test_no_tracked_file_points_beside_the_repository():
    # spelled in pieces so that this file does not match itself
    beside = re.compile(re.escape("..") + r"[/\\]+" + "shared" + r"|" + "shared" + r"[/\\]data")
    hits = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in tracked_text_files()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if beside.search(line)
    ]
    assert not hits, "\n".join(hits)


@pytest.mark.parametrize("name", datasets.DATA_FILES)
def test_the_data_files_ship_with_the_package_and_match_their_checksums(name, monkeypatch):
    monkeypatch.delenv("PYDMLSERVERLESS_DATA_DIR", raising=False)
    path = datasets.data_file(name)
    assert path.parent == REPO / "pydmlserverless" / "datasets"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == CHECKSUMS[name]


def test_the_prepared_frames_are_read_without_a_download(monkeypatch):
    import doubleml.datasets

    def no_download(*args, **kwargs):
        raise AssertionError("a DoubleML fetcher (a download) was called")

    monkeypatch.setattr(doubleml.datasets, "fetch_bonus", no_download)
    monkeypatch.setattr(doubleml.datasets, "fetch_401K", no_download)
    monkeypatch.delenv("PYDMLSERVERLESS_DATA_DIR", raising=False)
    bonus = datasets.bonus_frame()
    assert bonus.shape == (5099, 26)
    assert set(bonus["tg"]) == {0, 1} and int(bonus["tg"].sum()) == 1745
    assert bonus[["dep1", "dep2"]].sum().tolist() == [572.0, 835.0]
    four01k = datasets.four01k_frame()
    assert four01k.shape == (9915, 14) and int(four01k["e401"].sum()) == 3682
    data = datasets.four01k_data(instrument=True)
    assert data.d_cols == ["p401"] and data.z_cols == ["e401"] and data.x_cols == datasets.FOUR01K_X_COLS


def test_the_data_folder_variable_overrides_the_packaged_copy(tmp_path, monkeypatch):
    frame = pd.DataFrame({"tg": [0, 4, 4], "inuidur1": [1.0, 2.0, 4.0], "dep": [0, 1, 2]})
    frame.to_csv(tmp_path / "penn_jae.dat", sep=" ", index=False)
    monkeypatch.setenv("PYDMLSERVERLESS_DATA_DIR", str(tmp_path))
    assert datasets.data_file("penn_jae.dat") == tmp_path / "penn_jae.dat"
    assert datasets.bonus_frame().shape == (3, 6)
    # a folder without the other file: the packaged copy of that one
    assert datasets.data_file("sipp1991.dta").parent == REPO / "pydmlserverless" / "datasets"


def test_an_unknown_data_file_is_a_clear_error():
    with pytest.raises(DataError, match=r"Unknown data file 'bonus.csv'; the package ships penn_jae.dat, sipp1991"):
        datasets.data_file("bonus.csv")


@pytest.mark.slow
def test_the_built_wheel_carries_the_data_files(tmp_path):
    """What ``pip install .`` installs (not the editable tree): the data files are in the wheel."""
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(REPO)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    wheel = next(tmp_path.glob("pydmlserverless-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        for name in datasets.DATA_FILES:
            content = archive.read(f"pydmlserverless/datasets/{name}")
            assert hashlib.sha256(content).hexdigest() == CHECKSUMS[name]
        assert "pydmlserverless/datasets/README.md" in archive.namelist()


def test_a_skip_fails_the_test_command(pytester, monkeypatch):
    """tests/skip_policy.py: with PYDMLSERVERLESS_NO_SKIPS=1 a skipped test fails the run."""
    pytester.makeconftest((REPO / "tests" / "skip_policy.py").read_text())
    pytester.makepyfile(
        test_skips="""
        import pytest

        def test_needs_something():
            pytest.skip("something is missing")

        def doc():
            '''
            >>> 1 + 1  # doctest: +SKIP
            3
            '''
        """
    )
    monkeypatch.setenv("PYDMLSERVERLESS_NO_SKIPS", "1")
    strict = pytester.runpytest("--doctest-modules", "-p", "no:cacheprovider")
    assert strict.ret == pytest.ExitCode.TESTS_FAILED
    strict.stdout.fnmatch_lines(["*these tests skipped*", "*test_needs_something: *something is missing"])
    strict.stdout.fnmatch_lines(["*test_skips.doc*"])  # an example that never runs is a skip too
    monkeypatch.delenv("PYDMLSERVERLESS_NO_SKIPS")
    assert pytester.runpytest("--doctest-modules", "-p", "no:cacheprovider").ret == pytest.ExitCode.OK
