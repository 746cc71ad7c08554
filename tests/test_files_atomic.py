"""write_atomic: durable before it is published, permissions as the user would expect."""

from __future__ import annotations

import os
import stat

import pytest

from knotebook.errors import KnotebookError
from knotebook.project import files
from knotebook.project.files import write_atomic


@pytest.fixture
def umask_027():
    previous = os.umask(0o027)
    yield
    os.umask(previous)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_gets_the_umasks_default_mode(tmp_path, umask_027):
    write_atomic(tmp_path / "new.json", "{}")
    assert _mode(tmp_path / "new.json") == 0o640
    write_atomic(tmp_path / "made.json", "{}", exclusive=True)
    assert _mode(tmp_path / "made.json") == 0o640


def test_replacing_a_users_file_keeps_its_mode(tmp_path):
    path = tmp_path / "mine.env"
    path.write_text("A=1\n")
    path.chmod(0o600)
    write_atomic(path, "A=2\n")
    assert (path.read_text(), _mode(path)) == ("A=2\n", 0o600)


def test_an_explicit_mode_wins(tmp_path, umask_027):
    write_atomic(tmp_path / "s", "x", mode=0o600)
    assert _mode(tmp_path / "s") == 0o600


def test_the_data_and_the_folder_are_fsynced_before_it_returns(tmp_path, monkeypatch):
    synced: list[str] = []
    real = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(files.os, "fsync", spy)
    write_atomic(tmp_path / "state.json", "{}")
    assert len(synced) == 2
    assert synced[0].startswith(str(tmp_path / ".state.json."))  # the data, before publishing
    assert synced[1] == str(tmp_path)


def test_exclusive_never_overwrites(tmp_path):
    (tmp_path / "f").write_text("user's")
    with pytest.raises(KnotebookError, match="never overwrites"):
        write_atomic(tmp_path / "f", "ours", exclusive=True)
    assert (tmp_path / "f").read_text() == "user's"
    assert [p.name for p in tmp_path.iterdir()] == ["f"]
