"""The local store is the user's own: its default folder, its ownership and mode, and no debris after a failed write."""

from __future__ import annotations

import errno
import os
import stat

import pytest

from pydmlserverless import StoreError
from pydmlserverless.worker import store as store_module
from pydmlserverless.worker.store import LocalStore, default_local_root


@pytest.fixture
def no_home(tmp_path, monkeypatch):
    """HOME unusable (so the store falls back to the temporary directory, here ``tmp_path``)."""
    monkeypatch.delenv("PYDMLSERVERLESS_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", "/nonexistent/home")
    monkeypatch.setattr(store_module.tempfile, "gettempdir", lambda: str(tmp_path))
    return tmp_path / f"pydmlserverless-{os.getuid()}"


def test_the_fallback_store_is_per_user_and_private(no_home):
    root = default_local_root()
    assert root == no_home and stat.S_IMODE(root.stat().st_mode) == 0o700 and root.stat().st_uid == os.getuid()
    LocalStore().put("pydmlserverless/results/a/b.f8", b"x")
    assert (no_home / "pydmlserverless/results/a/b.f8").read_bytes() == b"x"


def test_a_fallback_folder_others_may_write_to_is_refused(no_home):
    no_home.mkdir(mode=0o700)
    no_home.chmod(0o777)  # pre-created by another user for everyone
    with pytest.raises(StoreError, match=r"may be written by other users \(mode 777\).*PYDMLSERVERLESS_CACHE_DIR"):
        LocalStore()
    assert list(no_home.iterdir()) == []


def test_a_fallback_folder_of_another_user_is_refused(no_home, monkeypatch):
    no_home.mkdir(mode=0o700)
    monkeypatch.setattr(store_module.os, "getuid", lambda: os.stat(no_home).st_uid + 1)
    with pytest.raises(StoreError, match="belongs to another user"):
        default_local_root()


def test_a_link_in_place_of_the_fallback_folder_is_refused(no_home, tmp_path):
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    no_home.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(StoreError, match="is not a folder"):
        default_local_root()


def test_an_explicit_folder_is_the_users_choice(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    monkeypatch.setenv("PYDMLSERVERLESS_CACHE_DIR", str(shared))
    assert default_local_root() == shared


def test_a_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    store = LocalStore(tmp_path)
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, fd, mode):
            self.file = real_fdopen(fd, mode)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.file.close()

        def write(self, body):
            self.file.write(body[: len(body) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module.os, "fdopen", FullDisk)
    for _ in range(3):
        with pytest.raises(StoreError, match="No space left on device"):
            store.put("pydmlserverless/results/f/r.f8", b"\0" * 2**18)
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == []
