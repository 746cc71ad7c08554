"""validate's outputs: a place that cannot be written fails first, in one line; reports atomic."""

import json
from pathlib import Path

import nbformat
import pytest
from conftest import notebook_cells, run_knotebook

from knotebook.errors import KnotebookError
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
