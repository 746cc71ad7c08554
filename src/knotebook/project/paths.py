"""Where a project's folders are: its root, and what lives beside a notebook."""

from __future__ import annotations

from pathlib import Path

from knotebook.project import templates


def project_root(start: Path | None = None) -> Path:
    """The project at or above ``start`` (default: the current directory); see ``templates``."""
    return templates.find(start or Path.cwd()).root


def env_file_of(notebook: Path) -> Path:
    """``<notebook>.env`` beside the notebook: its values for validate, invoke and export."""
    return notebook.with_suffix(".env")
