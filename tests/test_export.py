"""knotebook export: what pack build and Knative need, deterministic, safe for user files."""

import contextlib
import importlib.metadata
import json
import os
import re
import subprocess
import tomllib
from pathlib import Path

import pathspec
import pytest
from conftest import run_knotebook, tree_bytes

import knotebook
from knotebook.errors import ExportError, NotebookError
from knotebook.export import exporter
from knotebook.project import envfile

SRC = Path(knotebook.__file__).parent

BUNDLE_FILES = {
    "handler.py",
    "requirements.txt",
    "Procfile",
    "gunicorn.conf.py",
    ".python-version",
    "project.toml",
    ".gitignore",
    ".dockerignore",
    "README.md",
    "testevent.json",
    ".knotebook.json",
    "k8s/service.yaml",
    "k8s/trigger.yaml",
    "k8s/kustomization.yaml",
    "k8s/kustomizeconfig.yaml",
    "k8s/function.env.example",
    "k8s/function.env",
    ".knotebook.local.json",
} | {  # the runtime, copied byte for byte (a namespace portion: no knotebook/__init__.py)
    f"knotebook/runtime/{p.name}" for p in (SRC / "runtime").glob("*.py")
}
GOOGLE_PROCFILE = re.compile(r"(?m)^(\w+):\s*(.+)$")  # GoogleCloudPlatform/buildpacks procfile.go
PAKETO_PROCFILE = re.compile(r"^([A-Za-z0-9_-]+):\s*(.+)$")  # paketo-buildpacks/procfile


@pytest.fixture
def bundle(project):
    result = exporter.export(project / "notebooks" / "vm_created.ipynb")
    return result.directory


def test_export_writes_the_whole_bundle_under_export(project, bundle):
    assert bundle == project / "export" / "vm-created"
    assert set(tree_bytes(bundle)) == BUNDLE_FILES


def test_handler_names_its_source_notebook_and_holds_only_function_cells(bundle):
    handler = (bundle / "handler.py").read_text()
    assert "from notebooks/vm_created.ipynb" in handler
    assert "# %% notebooks/vm_created.ipynb cell 8\n" in handler
    assert "def handler(event):" in handler
    assert "events.sample" not in handler  # exploration cells stay in the notebook
    assert "knotebook: settings" not in handler
    compile(handler, "handler.py", "exec")


def test_requirements_are_pinned_and_include_gunicorn(bundle):
    lines = [
        line.split("#")[0].strip()
        for line in (bundle / "requirements.txt").read_text().splitlines()
        if line.split("#")[0].strip()
    ]
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[\w.]+", line) for line in lines), lines
    names = {line.split("==")[0].lower() for line in lines}
    assert {"flask", "cloudevents", "gunicorn"} <= names
    assert not names & {
        "jupyterlab",
        "ipykernel",
        "papermill",
        "nbconvert",
        "nbformat",
        "knotebook",
    }


@pytest.mark.slow
def test_imported_third_party_packages_are_pinned_to_installed_versions(project, function_notebook):
    handler = (
        "# knotebook: function\nimport yaml\nimport json\n\ndef handler(event):\n    return None\n"
    )
    result = exporter.export(function_notebook(handler=handler))
    requirements = (result.directory / "requirements.txt").read_text()
    version = importlib.metadata.version("PyYAML")
    assert f"PyYAML=={version}  # import yaml, cell 4\n" in requirements
    assert not any(line.lower().startswith("json") for line in requirements.splitlines())


def test_missing_import_is_an_error_naming_the_cell(function_notebook):
    handler = "# knotebook: function\nimport notinstalledpkg\n\ndef handler(event):\n    pass\n"
    with pytest.raises(
        ExportError, match=r"cell 4, line 2: module 'notinstalledpkg' is not installed"
    ):
        exporter.export(function_notebook(handler=handler))


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("!pip install requests", "!pip install requests"),
        ("%timeit 1", "%timeit 1"),
        ("%%bash", "%%bash"),
    ],
)
def test_magics_and_shell_escapes_are_refused_with_the_cell(
    project, function_notebook, line, shown
):
    handler = f"# knotebook: function\n{line}\ndef handler(event):\n    pass\n"
    with pytest.raises(
        NotebookError, match=rf"cell 4, line 2: '{re.escape(shown)}' is IPython syntax"
    ):
        exporter.export(function_notebook(handler=handler))
    assert not (project / "export").exists()


def test_notebook_without_handler(function_notebook):
    with pytest.raises(NotebookError, match=r"no function cell defines handler\(event\)"):
        exporter.export(function_notebook(handler="# knotebook: function\nx = 1\n"))


def test_procfile_runs_gunicorn_on_port_for_both_builders(bundle):
    procfile = (bundle / "Procfile").read_text()
    google = dict(GOOGLE_PROCFILE.findall(procfile))
    paketo = dict(
        m.groups() for line in procfile.splitlines() if (m := PAKETO_PROCFILE.match(line))
    )
    assert google["web"] == paketo["web"]
    assert google["web"].startswith("gunicorn ")
    assert "$" not in google["web"]  # no shell needed: PORT is read by gunicorn.conf.py
    assert "--config gunicorn.conf.py" in google["web"]
    assert google["web"].endswith("handler:app")


def test_python_version_and_project_toml(bundle):
    assert (bundle / ".python-version").read_text() == "3.13\n"
    project = tomllib.loads((bundle / "project.toml").read_text())
    assert project["_"]["schema-version"] == "0.2"
    build = project["io"]["buildpacks"]
    assert "include" not in build
    # pack reads exclude as gitignore patterns, as pathspec.GitIgnoreSpec does
    excluded = pathspec.GitIgnoreSpec.from_lines(build["exclude"]).match_file
    for secret_or_tooling in (
        "k8s/service.yaml",
        "k8s/function.env",
        "lib/settings.env",
        ".env.local",
        "notebooks/vm.ipynb",
        "scratch.ipynb",
        "tests/test_handler.py",
        "testevent.json",
        "test/VmCreatedEvent.json",
        "lib/__pycache__/x.cpython-313.pyc",
        ".venv/bin/python",
        ".knotebook.json",
        "README.md",
    ):
        assert excluded(secret_or_tooling), secret_or_tooling
    for needed in (
        "Procfile",
        "gunicorn.conf.py",
        "requirements.txt",
        ".python-version",
        "handler.py",
        "knotebook/runtime/app.py",
        "lib/tests/__init__.py",  # a user's package named tests, below the top: kept
        "lib/notebooks.py",
        "docs/README.md",
        "data/venv/config.json",
    ):
        assert not excluded(needed), needed
    env = {e["name"]: e["value"] for e in build["build"]["env"]}
    assert env["BP_CPYTHON_VERSION"] == "3.13.*"
    assert not any(name.startswith("GOOGLE_FUNCTION") for name in env)


def test_function_env_files_are_strict_and_git_ignored(bundle):
    assert (bundle / "k8s" / "function.env.example").read_text().endswith("\nENV1=\n")
    assert envfile.read(bundle / "k8s" / "function.env") == {}  # ENV1 unset: its default applies
    assert "# ENV1=\n" in (bundle / "k8s" / "function.env").read_text()
    ignored = (bundle / ".gitignore").read_text().splitlines()
    assert {"k8s/function.env", "k8s/function.env.bak", ".knotebook.local.json"} <= set(ignored)


def test_env_values_come_from_the_notebook_env_file(project):
    (project / "notebooks" / "vm_created.env").write_text("ENV1=VALUE1\nEXTRA=x\n")
    bundle = exporter.export(project / "notebooks" / "vm_created.ipynb").directory
    assert (bundle / "k8s" / "function.env").read_text() == "ENV1=VALUE1\nEXTRA=x\n"
    assert "VALUE1" not in (bundle / ".knotebook.json").read_text()


def test_bad_env_file_names_file_and_line(project):
    (project / "notebooks" / "vm_created.env").write_text("# values\nENV1 = VALUE1\n")
    with pytest.raises(Exception, match=r"vm_created.env:2: spaces around '='"):
        exporter.export(project / "notebooks" / "vm_created.ipynb")


def test_testevent_is_the_subscribed_event_in_the_chosen_envelope(bundle):
    event = json.loads((bundle / "testevent.json").read_text())
    assert event["type"] == "com.vmware.vsphere.VmCreatedEvent.v0"
    assert event["specversion"] == "1.0"
    assert event["data"]["Vm"]["Name"]


@pytest.mark.slow
def test_export_is_deterministic(project, tmp_path):
    path = project / "notebooks" / "vm_created.ipynb"
    first = tree_bytes(exporter.export(path, tmp_path / "a").directory)
    second = tree_bytes(exporter.export(path, tmp_path / "b").directory)
    again = exporter.export(path, tmp_path / "a")
    assert first == second
    assert again.written == ()
    assert tree_bytes(again.directory) == first


def test_source_notebook_is_never_modified(project):
    path = project / "notebooks" / "vm_created.ipynb"
    before = path.read_bytes()
    exporter.export(path)
    assert path.read_bytes() == before


@pytest.mark.slow
def test_edited_generated_file_is_not_overwritten_without_force(project, bundle):
    handler = bundle / "handler.py"
    handler.write_text(handler.read_text() + "\n# my local fix\n")
    with pytest.raises(ExportError, match=r"handler\.py was edited after the last export"):
        exporter.export(project / "notebooks" / "vm_created.ipynb")
    assert handler.read_text().endswith("# my local fix\n")
    exporter.export(project / "notebooks" / "vm_created.ipynb", force=True)
    assert "# my local fix" not in handler.read_text()


def test_edited_function_env_is_kept(project, bundle):
    env = bundle / "k8s" / "function.env"
    env.write_text("ENV1=from-the-user\n")
    exporter.export(project / "notebooks" / "vm_created.ipynb")
    assert env.read_text() == "ENV1=from-the-user\n"


def test_foreign_files_in_the_target_are_not_clobbered(project, tmp_path):
    target = tmp_path / "out" / "vm-created"
    target.mkdir(parents=True)
    (target / "handler.py").write_text("mine\n")
    with pytest.raises(ExportError, match="was not written by knotebook"):
        exporter.export(project / "notebooks" / "vm_created.ipynb", tmp_path / "out")
    assert (target / "handler.py").read_text() == "mine\n"


@contextlib.contextmanager
def read_only(folder):
    """Make ``folder`` unwritable, for root too (chattr +i), and restore it afterwards."""
    folder.chmod(0o555)
    immutable = os.geteuid() == 0
    if immutable and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
        folder.chmod(0o755)
        pytest.skip("running as root and chattr +i is not supported here")
    try:
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


@pytest.mark.slow
def test_read_only_export_dir_is_a_one_line_error(project):
    export_dir = project / "export"
    export_dir.mkdir()
    with read_only(export_dir):
        proc = run_knotebook("export", "notebooks/vm_created.ipynb", cwd=project)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"Error: cannot write {export_dir}/vm-created")
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr
    assert list(export_dir.iterdir()) == []
