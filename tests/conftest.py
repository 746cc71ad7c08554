"""Shared fixtures: a scratch copy of the project, notebook builders, a CLI runner."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from knotebook.cli import main

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = ("handler_template.py", "requirements.txt", "Procfile", "gunicorn.conf.py", "k8s")
# The sample notebooks (tools/make_notebooks.py): a notebook a developer adds to notebooks/ is
# not one of them, so it never changes what the tests validate.
SAMPLES = (
    "explore_events.ipynb",
    "vm_created.ipynb",
    "alarm_notify.ipynb",
    "vm_reconfigured.ipynb",
    "login_audit.ipynb",
)
# Sample notebooks that need the vCenter simulator: tests/vcenter/ validates them.
VCENTER_SAMPLES = ("vm_attr.ipynb",)
KNOTEBOOK = str(Path(sys.executable).parent / "knotebook")

SETTINGS = """# knotebook: settings
FUNCTION_NAME = "{name}"
EVENT_TYPES = {events!r}
ENVELOPE = "{envelope}"
ENV_VARS = ["ENV1"]
"""
HANDLER = """# knotebook: function
import logging

log = logging.getLogger("test")


def handler(event):
    log.info("got %s", event.get_type())
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A scratch knotebook project: the repo's templates and sample notebooks."""
    return make_project(tmp_path / "project")


def make_project(root: Path) -> Path:
    """Copy the repo's templates and notebooks into ``root``."""
    root.mkdir(parents=True)
    for name in TEMPLATES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, root / name, ignore=shutil.ignore_patterns("function.env"))
        else:
            shutil.copy2(src, root / name)
    (root / "notebooks").mkdir()
    for name in SAMPLES:
        shutil.copy2(REPO / "notebooks" / name, root / "notebooks" / name)
    return root


def notebook_cells(
    *sources: str | tuple[str, list[str]], markdown_first: bool = True
) -> nbformat.NotebookNode:
    """A notebook from code sources; ``(source, tags)`` tuples tag a cell."""
    cells = [new_markdown_cell("# test notebook")] if markdown_first else []
    for source in sources:
        text, tags = source if isinstance(source, tuple) else (source, [])
        cell = new_code_cell(text)
        if tags:
            cell.metadata["tags"] = tags
        cells.append(cell)
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


@pytest.fixture
def write_notebook(project: Path) -> Callable[..., Path]:
    """Write a notebook into the scratch project's notebooks/ folder."""

    def write(name: str, *sources, **kwargs) -> Path:
        path = project / "notebooks" / name
        nbformat.write(notebook_cells(*sources, **kwargs), path)
        return path

    return write


@pytest.fixture
def function_notebook(write_notebook) -> Callable[..., Path]:
    """A minimal valid function notebook, with overridable settings and handler."""

    def make(
        name: str = "fn-test",
        events: list[str] | None = None,
        envelope: str = "tanzu",
        handler: str = HANDLER,
        extra: tuple = (),
    ) -> Path:
        settings = SETTINGS.format(
            name=name, events=events or ["VmCreatedEvent"], envelope=envelope
        )
        params = ('EVENT = "VmCreatedEvent"', ["parameters"])
        return write_notebook(f"{name}.ipynb", settings, params, handler, *extra)

    return make


@pytest.fixture
def cli() -> Callable[..., object]:
    """Invoke the CLI in-process; returns click's Result (exit_code, output, stderr)."""
    runner = CliRunner()

    def invoke(*args: str, cwd: Path | None = None):
        if cwd is None:
            return runner.invoke(main, list(args), catch_exceptions=False)
        with pytest.MonkeyPatch.context() as mp:
            mp.chdir(cwd)
            return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


def run_knotebook(
    *args: str, cwd: Path | None = None, timeout: float = 300, **kwargs
) -> subprocess.CompletedProcess[str]:
    """The real ``knotebook`` executable, as a user runs it."""
    return subprocess.run(
        [KNOTEBOOK, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, **kwargs
    )


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
