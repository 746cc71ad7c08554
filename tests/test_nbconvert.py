"""`jupyter nbconvert --to knotebook` writes the same bundle as `knotebook export`."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_knotebook, tree_bytes

from knotebook.export import exporter

pytestmark = pytest.mark.slow  # jupyter nbconvert processes

JUPYTER = str(Path(sys.executable).parent / "jupyter")


def nbconvert(*args, cwd, ok=True):
    proc = subprocess.run(
        [JUPYTER, "nbconvert", "--to", "knotebook", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (proc.returncode == 0) == ok, proc.stderr
    return proc


def expected_files(project, tmp_path):
    bundle = exporter.export(project / "notebooks" / "vm_created.ipynb", tmp_path / "ref").directory
    return tree_bytes(bundle)  # manifest and function.env included: one writer, one guard


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


def test_nbconvert_keeps_the_edit_guard_and_the_manifest(project):
    """Issue 15.2: a hotfix in handler.py survives nbconvert; the manifest follows each export."""
    nbconvert("notebooks/vm_created.ipynb", cwd=project)
    bundle = project / "export" / "vm-created"
    handler = bundle / "handler.py"
    manifest = json.loads((bundle / ".knotebook.json").read_text())
    assert manifest["files"]["handler.py"] == hashlib.sha256(handler.read_bytes()).hexdigest()
    with handler.open("a") as fh:
        fh.write("# my hotfix\n")
    edited = handler.read_bytes()
    proc = nbconvert("notebooks/vm_created.ipynb", cwd=project, ok=False)
    assert "handler.py was edited after the last export" in proc.stderr
    assert handler.read_bytes() == edited
    # knotebook export now blames the same file, not another one
    proc = run_knotebook("export", "notebooks/vm_created.ipynb", cwd=project)
    assert proc.returncode == 1
    assert "handler.py was edited" in proc.stderr
    assert handler.read_bytes() == edited
    nbconvert("notebooks/vm_created.ipynb", "--KnotebookExporter.force=True", cwd=project)
    assert b"# my hotfix" not in handler.read_bytes()


def test_nbconvert_stdout_writes_nothing(project):
    proc = nbconvert("notebooks/vm_created.ipynb", "--stdout", cwd=project)
    assert "def handler(event):" in proc.stdout
    assert not (project / "export").exists()


SECRET_SETTINGS = """# knotebook: settings
FUNCTION_NAME = "vm-attr"
EVENT_TYPES = ["VmCreatedEvent"]
SECRET = "vcconfig-secret"
SECRET_FILES = {"VCCONFIG_SECRET": "vcconfig.json"}
"""
SECRET_HANDLER = """# knotebook: function
def handler(event):
    return None
"""


def test_nbconvert_and_export_write_the_same_bundle_with_secret_files(
    write_notebook, project, tmp_path
):
    """One export function: nbconvert writes k8s/secrets/ too (the kustomization names it)."""
    (project / "notebooks" / "vcconfig.json").write_text('{"vcenter_user": "svc"}\n')
    params = ('EVENT = "VmCreatedEvent"', ["parameters"])
    write_notebook("vm_attr.ipynb", SECRET_SETTINGS, params, SECRET_HANDLER)
    nbconvert("notebooks/vm_attr.ipynb", "--output-dir", str(tmp_path / "nb"), cwd=project)
    run = run_knotebook(
        "export", "notebooks/vm_attr.ipynb", "-o", str(tmp_path / "cli"), cwd=project
    )
    assert run.returncode == 0, run.stderr
    via_nbconvert = tree_bytes(tmp_path / "nb" / "vm-attr")
    assert "k8s/secrets/VCCONFIG_SECRET" in via_nbconvert
    assert via_nbconvert == tree_bytes(tmp_path / "cli" / "vm-attr")
    assert not (tmp_path / "nb" / "vm-attr" / "handler").exists()
