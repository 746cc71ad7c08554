"""validate's outputs: a place that cannot be written fails first, in one line; reports atomic."""

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import notebook_cells, run_knotebook

import knotebook.runtime
from knotebook import validate
from knotebook.errors import KnotebookError
from knotebook.local.dev import DevSession
from knotebook.validate import reports, runner
from knotebook.validate.runner import RunResult


@pytest.mark.parametrize(
    "args, message",
    [
        (["--output-dir", "/proc/out"], "--output-dir /proc/out: cannot write there"),
        (["--junit", "/proc/j.xml"], "--junit /proc/j.xml: cannot write there"),
        (["--json", "notebooks/vm_created.ipynb/r.json"], "cannot write there"),
        (["--json", "notebooks"], "--json notebooks: is a folder, not a file"),
    ],
)
def test_an_unwritable_output_fails_before_any_kernel_starts(project: Path, args, message):
    result = run_knotebook("validate", "--no-cache", *args, cwd=project)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr
    assert "internal error" not in result.stderr
    assert "Running" not in result.stdout  # no notebook ran (its results would be lost)
    assert not (project / "build" / "validate").exists()


def test_reports_are_written_atomically_and_fail_in_one_line(tmp_path: Path):
    results = [RunResult(Path("notebooks/a.ipynb"), "VmCreatedEvent (tanzu)", True, 1.0)]
    target = tmp_path / "r.json"
    target.write_text("old")
    assert reports.write(results, json_path=target) == [target]
    assert reports.from_json(target.read_text())[0].name == "VmCreatedEvent (tanzu)"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left
    with pytest.raises(KnotebookError, match=r"cannot write /proc/r\.json"):
        reports.write(results, json_path=Path("/proc/r.json"))


def test_same_named_notebooks_keep_their_own_executed_copies(project: Path):
    for folder in ("a", "b"):
        (project / "notebooks" / folder).mkdir()
        nb = notebook_cells(f'print("from {folder}")')
        nbformat.write(nb, project / "notebooks" / folder / "x.ipynb")
    result = run_knotebook(
        "validate",
        "notebooks/a",
        "notebooks/b",
        "notebooks/a/x.ipynb",
        "--json",
        "r.json",
        cwd=project,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = json.loads((project / "r.json").read_text())["results"]
    assert sorted(r["notebook"] for r in rows) == ["notebooks/a/x.ipynb", "notebooks/b/x.ipynb"]
    for folder in ("a", "b"):
        (copy,) = (project / "build" / "validate" / "notebooks" / folder / "x").glob("*.ipynb")
        assert f"from {folder}" in copy.read_text()


def test_discover_lists_a_notebook_named_twice_once(project: Path):
    notebooks = project / "notebooks"
    once = runner.discover([notebooks, notebooks / "vm_created.ipynb"])
    assert len(once) == len({p.resolve() for p in once}) == len(list(notebooks.glob("*.ipynb")))


SECRET_FN = """# knotebook: settings
FUNCTION_NAME = "vm-attr"
EVENT_TYPES = ["VmCreatedEvent"]
ENVELOPE = "tanzu"
SECRET = "vcconfig-secret"
SECRET_FILES = {"VCCONFIG": "secrets/vc.json"}
"""
SECRET_FN_HANDLER = """# knotebook: function
def handler(event):
    return None
"""


@pytest.mark.slow  # kernels
def test_the_runtime_override_and_secret_files_are_in_the_cache_key(project: Path):
    (project / "notebooks" / "secrets").mkdir()
    (project / "notebooks" / "secrets" / "vc.json").write_text('{"user": "a"}\n')
    path = project / "notebooks" / "vm_attr.ipynb"
    params = ('EVENT = "VmCreatedEvent"', ["parameters"])
    nbformat.write(notebook_cells(SECRET_FN, params, SECRET_FN_HANDLER), path)
    runtime = project / "runtime"
    shutil.copytree(
        Path(knotebook.runtime.__file__).parent,
        runtime,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    options = validate.Options(cache_dir=project / "cache", output_root=project / "out")

    def cached() -> bool:
        results = validate.validate([path], options)
        assert all(r.ok for r in results), [r.error for r in results]
        return all(r.cached for r in results)

    assert not cached()
    assert cached()
    (project / "notebooks" / "secrets" / "vc.json").write_text('{"user": "b"}\n')
    assert not cached()
    assert cached()
    with (runtime / "logs.py").open("a") as fh:
        fh.write("# the project's own change\n")
    assert not cached()
    assert (runtime / "logs.py").resolve() in {p.resolve() for p in DevSession(path).watched()}
