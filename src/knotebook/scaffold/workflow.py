"""The GitHub Actions workflow of ``knotebook init`` and ``knotebook init-ci``.

It installs knotebook the way the project can: ``pip install -e .`` in knotebook's own
repository, else the package (``knotebook==<this version>``, or the spec given with
``--package``: a git URL, a wheel in the repository, a private index's name).
"""

from __future__ import annotations

import re
import shlex
from importlib import resources
from pathlib import Path

from knotebook import __version__

MARK = "{{ install }}"


def install_spec(root: Path) -> str:
    """What ``pip install`` needs in ``root``'s CI to get this knotebook."""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and re.search(
        r'(?m)^name\s*=\s*"knotebook"\s*$', pyproject.read_text(encoding="utf-8")
    ):
        return "-e ."
    return shlex.quote(f"knotebook=={__version__}")


def render(root: Path, package: str | None = None) -> str:
    text = (
        resources.files("knotebook.validate")
        .joinpath("templates", "github-workflow.yml")
        .read_text(encoding="utf-8")
    )
    spec = shlex.quote(package) if package else install_spec(root)
    return text.replace(MARK, spec)
