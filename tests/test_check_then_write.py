"""A file that appears between "does it exist?" and the write is never overwritten."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from knotebook.cli import main
from knotebook.scaffold import workflow


def test_events_save_does_not_replace_a_file_made_after_its_check(tmp_path, monkeypatch):
    target = tmp_path / "testevent.json"
    real_is_dir = Path.is_dir

    def is_dir(self: Path) -> bool:  # runs after the exists() check: another writer wins
        if self == tmp_path and not target.exists():
            target.write_text("the user's\n")
        return real_is_dir(self)

    monkeypatch.setattr(Path, "is_dir", is_dir)
    result = CliRunner().invoke(main, ["events", "save", "VmCreatedEvent", "-o", str(target)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {target} exists; choose another --output or re-run with --force\n"
    )
    assert target.read_text() == "the user's\n"


def test_init_ci_does_not_replace_a_workflow_made_after_its_check(tmp_path, monkeypatch):
    path = tmp_path / ".github" / "workflows" / "knotebook.yml"
    real_render = workflow.render

    def render(*args: object) -> str:  # between the check and the write
        path.parent.mkdir(parents=True)
        path.write_text("# the user's\n")
        return real_render(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(workflow, "render", render)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["init-ci"])
    assert result.exit_code == 1
    assert "exists; re-run with --force" in result.output
    assert path.read_text() == "# the user's\n"
