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


def render(root: Path, package: str | None = None, shards: int = 1) -> str:
    """The workflow; with ``shards`` > 1, a matrix of that many ``validate --shard`` jobs and a
    job that merges their reports (and their result caches, saved for the next build)."""
    name = "github-workflow-sharded.yml" if shards > 1 else "github-workflow.yml"
    text = resources.files("knotebook.validate").joinpath("templates", name).read_text("utf-8")
    spec = shlex.quote(package) if package else install_spec(root)
    text = text.replace("{{ shard_list }}", ", ".join(str(i) for i in range(1, shards + 1)))
    return text.replace("{{ shards }}", str(shards)).replace(MARK, spec)
