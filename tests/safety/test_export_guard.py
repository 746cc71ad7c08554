"""Issue 15, items 1, 3, 22 and 23 (export): nothing a user wrote into a bundle is lost."""

import shutil

import pytest
from conftest import run_knotebook

from knotebook.project import envfile

pytestmark = pytest.mark.slow  # CLI processes, exports

NB = "notebooks/vm_created.ipynb"


def export(project, *args):
    return run_knotebook("export", *args, cwd=project)


def test_filled_in_secret_survives_the_readme_flow(project):
    """Item 1: export, fill in function.env, re-export, add notebooks/<nb>.env, export again."""
    env = project / "export" / "vm-created" / "k8s" / "function.env"
    assert export(project, NB).returncode == 0
    env.write_bytes(b"ENV1=my-real-secret\n")  # what the bundle's README says to do
    assert export(project, NB).returncode == 0
    assert env.read_bytes() == b"ENV1=my-real-secret\n"
    (project / "notebooks" / "vm_created.env").write_text("ENV1=changeme\n")
    proc = export(project, NB)
    assert proc.returncode == 1
    assert "function.env holds values you set" in proc.stderr
    assert "my-real-secret" not in proc.stderr + proc.stdout
    assert env.read_bytes() == b"ENV1=my-real-secret\n"
    proc = export(project, NB, "--force")
    assert proc.returncode == 0, proc.stderr
    assert env.read_bytes() == b"ENV1=changeme\n"
    assert (env.parent / "function.env.bak").read_bytes() == b"ENV1=my-real-secret\n"
    assert "my-real-secret" not in (env.parent.parent / ".knotebook.json").read_text()


def test_notebook_env_changes_flow_into_an_untouched_function_env(project):
    """What knotebook wrote itself is knotebook's to replace: no --force needed."""
    source = project / "notebooks" / "vm_created.env"
    env = project / "export" / "vm-created" / "k8s" / "function.env"
    assert export(project, NB).returncode == 0  # commented-out template, no values
    source.write_text("ENV1=one\n")
    assert export(project, NB).returncode == 0
    assert env.read_bytes() == b"ENV1=one\n"
    source.write_text("ENV1=two\n")
    assert export(project, NB).returncode == 0
    assert env.read_bytes() == b"ENV1=two\n"
    assert (env.stat().st_mode & 0o777) == 0o600


def test_unset_env_vars_stay_unset(project):
    """Item 22: ENV_VARS the user did not set get no empty NAME= line (defaults apply)."""
    assert export(project, NB).returncode == 0
    env = project / "export" / "vm-created" / "k8s" / "function.env"
    assert envfile.read(env) == {}
    assert "# ENV1=" in env.read_text()
    (project / "notebooks" / "vm_created.env").write_text("ENV1=\n")  # set empty on purpose
    assert export(project, NB).returncode == 0
    assert envfile.read(env) == {"ENV1": ""}


def test_two_notebooks_with_one_function_name_do_not_share_a_bundle(project):
    """Item 3: a copied sample keeps FUNCTION_NAME; neither notebook overwrites the other."""
    shutil.copy(project / NB, project / "notebooks" / "copy_of_vm_created.ipynb")
    proc = export(project, NB, "notebooks/copy_of_vm_created.ipynb")
    assert proc.returncode == 1
    assert "same FUNCTION_NAME 'vm-created'" in proc.stderr
    assert not (project / "export" / "vm-created").exists()
    # one at a time: the first owns the bundle, the copy is refused even with --force
    assert export(project, NB).returncode == 0
    bundle = project / "export" / "vm-created"
    before = (bundle / ".knotebook.json").read_bytes()
    proc = export(project, "notebooks/copy_of_vm_created.ipynb", "--force")
    assert proc.returncode == 1
    assert "was exported from notebooks/vm_created.ipynb" in proc.stderr
    assert (bundle / ".knotebook.json").read_bytes() == before
    # a renamed notebook takes its bundle along
    (project / NB).unlink()
    assert export(project, "notebooks/copy_of_vm_created.ipynb").returncode == 0


def test_export_takes_a_folder_and_continues_past_a_bad_notebook(project, write_notebook):
    """Item 23: `export notebooks/` exports every function notebook, reports the bad one, exit 1."""
    write_notebook("broken.ipynb", "# knotebook: function\n!pip install requests\n")
    proc = export(project, "notebooks/")
    assert proc.returncode == 1
    assert proc.stderr.count("Error:") == 1 and "broken.ipynb" in proc.stderr
    assert (project / "export" / "vm-created" / "handler.py").is_file()
    assert "Exported notebooks/vm_created.ipynb" in proc.stdout
