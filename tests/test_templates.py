"""The packaged templates: one source with the top-level files, overridable per file."""

from __future__ import annotations

from pathlib import Path

import nbformat
from conftest import HANDLER, REPO, notebook_cells

from knotebook.export import exporter
from knotebook.project import templates


def test_the_packaged_templates_are_the_repository_top_level_files():
    packaged = templates.packaged()
    for name in templates.NAMES:
        assert (packaged / name).read_bytes() == (REPO / name).read_bytes(), name
        # In the repository they are links to the top-level files: editing one edits both.
        assert (packaged / name).resolve() == (REPO / name).resolve(), name
    top_level_k8s = {p.name for p in (REPO / "k8s").iterdir() if p.name != "function.env"}
    assert top_level_k8s == set(templates.K8S_TEMPLATES), "a k8s/ template the package lacks"


def _notebook(folder: Path, name: str = "fn-anywhere") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    settings = (
        f'# knotebook: settings\nFUNCTION_NAME = "{name}"\nEVENT_TYPES = ["VmCreatedEvent"]\n'
    )
    path = folder / "fn.ipynb"
    nbformat.write(
        notebook_cells(settings, ('EVENT = "VmCreatedEvent"', ["parameters"]), HANDLER), path
    )
    return path


def test_a_notebook_outside_any_project_exports_with_the_packaged_templates(tmp_path):
    path = _notebook(tmp_path / "myfunctions" / "notebooks")
    project = templates.find(path.parent)
    assert project.root == tmp_path / "myfunctions" and project.overrides is None
    result = exporter.export(path)
    assert result.directory == tmp_path / "myfunctions" / "export" / "fn-anywhere"
    assert (result.directory / "Procfile").read_bytes() == (REPO / "Procfile").read_bytes()
    assert "fn-anywhere" in (result.directory / "k8s" / "service.yaml").read_text()


def test_a_project_file_overrides_only_that_template(tmp_path):
    root = tmp_path / "proj"
    path = _notebook(root / "notebooks")
    procfile = (REPO / "Procfile").read_text() + "# my own Procfile\n"
    (root / "Procfile").write_text(procfile)
    project = templates.find(path.parent)
    assert project.root == root.resolve()
    assert project.origin("Procfile") == "project"
    assert project.origin("k8s/service.yaml") == "packaged"
    bundle = exporter.export(path).directory
    assert (bundle / "Procfile").read_text() == procfile
    assert (bundle / "requirements.txt").read_bytes() == (REPO / "requirements.txt").read_bytes()


def test_the_search_for_a_project_stops_at_a_repository_top(tmp_path):
    (tmp_path / "Procfile").write_text("web: gunicorn handler:app\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    assert templates.find_root(repo / "sub") is None
    assert templates.find(repo).overrides is None
