"""`jupyter nbconvert --to knotebook` writes the same bundle as `knotebook export`."""

import subprocess
import sys
from pathlib import Path

from conftest import tree_bytes

from knotebook.export import exporter

JUPYTER = str(Path(sys.executable).parent / "jupyter")
NOT_FROM_NBCONVERT = {".knotebook.json", "k8s/function.env"}  # knotebook export's own bookkeeping


def nbconvert(*args, cwd):
    proc = subprocess.run(
        [JUPYTER, "nbconvert", "--to", "knotebook", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc


def expected_files(project, tmp_path):
    bundle = exporter.export(project / "notebooks" / "vm_created.ipynb", tmp_path / "ref").directory
    return {k: v for k, v in tree_bytes(bundle).items() if k not in NOT_FROM_NBCONVERT}


def test_nbconvert_writes_the_bundle_into_the_project_export_folder(project, tmp_path):
    nbconvert("notebooks/vm_created.ipynb", cwd=project)
    assert tree_bytes(project / "export" / "vm-created") == expected_files(project, tmp_path)
    assert not list((project / "notebooks").glob("*.py"))


def test_nbconvert_honours_output_dir(project, tmp_path):
    nbconvert("notebooks/vm_created.ipynb", "--output-dir", str(tmp_path / "out"), cwd=project)
    assert tree_bytes(tmp_path / "out" / "vm-created") == expected_files(project, tmp_path)


def test_nbconvert_reports_convention_errors(write_notebook, project):
    write_notebook("bad.ipynb", "# knotebook: function\n!pip install requests\n")
    proc = subprocess.run(
        [JUPYTER, "nbconvert", "--to", "knotebook", "notebooks/bad.ipynb"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "function cells need a '# knotebook: settings' cell" in proc.stderr
