"""k8s/secrets/: only the files of keys knotebook wrote and the notebook dropped are removed."""

from __future__ import annotations

from knotebook.project import secret_files


def test_a_dropped_key_is_removed_and_reported_a_users_file_is_kept(tmp_path):
    folder = tmp_path / "k8s" / "secrets"
    written, removed = secret_files.write(tmp_path, {"A": b"1", "B": b"2"})
    assert (written, removed) == (["k8s/secrets/A", "k8s/secrets/B"], [])
    (folder / "mine.pem").write_text("the user's own file\n")
    written, removed = secret_files.write(tmp_path, {"A": b"1"})
    assert (written, removed) == ([], ["k8s/secrets/B"])
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        "A",
        "mine.pem",
    ]
    assert secret_files.write(tmp_path, {}) == ([], ["k8s/secrets/A"])
    assert (folder / "mine.pem").read_text() == "the user's own file\n"


def test_the_record_is_not_a_secret(tmp_path):
    secret_files.write(tmp_path, {"A": b"1"})
    assert secret_files.read(tmp_path) == {"A": "1"}
