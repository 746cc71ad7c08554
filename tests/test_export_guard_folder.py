"""A folder where the bundle has a file is a one-line export error, not an internal error."""

from __future__ import annotations

import pytest
from conftest import make_project, run_knotebook


@pytest.mark.parametrize("force", [False, True])
def test_a_folder_at_a_bundle_files_path_is_a_one_line_error(tmp_path, force):
    project = make_project(tmp_path / "p")
    (project / "export" / "vm-created" / "handler.py").mkdir(parents=True)
    done = run_knotebook(
        "export", "notebooks/vm_created.ipynb", *(["--force"] if force else []), cwd=project
    )
    assert done.returncode == 1, done.stderr
    assert "handler.py is not a regular file (a folder?)" in done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr.lower()
    assert (project / "export" / "vm-created" / "handler.py").is_dir()
