"""The GitHub Actions workflow of ``knotebook init`` and ``knotebook init-ci``.

It installs knotebook the way the project can: ``pip install -e .`` in knotebook's own
repository; else the spec given with ``--package`` (a git URL, a wheel in the repository, a
private index's name); else what the running knotebook was installed from, as its PEP 610
``direct_url.json`` tells: nothing (an index) -> ``knotebook==<version>``, a VCS URL -> that URL
pinned to its commit, an archive URL -> that URL. A local folder or file cannot install in CI:
the workflow then takes the repository variable ``KNOTEBOOK_PACKAGE`` and fails with a clear
message without it, and the commands say in one line that CI needs ``--package SPEC``.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from knotebook import __version__

MARK = "{{ install }}"
VARIABLE = "KNOTEBOOK_PACKAGE"
# The Install step sets KNOTEBOOK_PACKAGE from the repository variable of that name; without it
# the shell stops with this message (no ": " in it: the line is a plain YAML scalar).
PLACEHOLDER = (
    f'"${{{VARIABLE}:?set the repository variable {VARIABLE} to a pip spec for knotebook '
    '(a git URL or a wheel committed here), or re-run knotebook init-ci --package SPEC}"'
)


@dataclass(frozen=True)
class Install:
    """What the workflow pip-installs, and a one-line note when that is only a placeholder."""

    spec: str
    note: str = ""


def installed_from() -> dict[str, Any] | None:
    """The PEP 610 record of the running knotebook (None: installed from an index)."""
    try:
        text = metadata.distribution("knotebook").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        # run from a source tree: src/knotebook/scaffold/workflow.py -> the checkout's root
        return {"url": Path(__file__).resolve().parents[3].as_uri()}
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def install_from(direct_url: dict[str, Any] | None) -> Install:
    """The pip spec that installs in CI what ``direct_url`` (PEP 610) describes."""
    if direct_url is None:
        return Install(shlex.quote(f"knotebook=={__version__}"))
    url = str(direct_url.get("url", ""))
    vcs = direct_url.get("vcs_info")
    subdirectory = direct_url.get("subdirectory")
    fragment = f"#subdirectory={subdirectory}" if subdirectory else ""
    if isinstance(vcs, dict) and vcs.get("commit_id") and not url.startswith("file:"):
        spec = f"knotebook @ {vcs.get('vcs', 'git')}+{url}@{vcs['commit_id']}{fragment}"
        return Install(shlex.quote(spec))
    if "archive_info" in direct_url and url.startswith(("https://", "http://")):
        return Install(shlex.quote(f"knotebook @ {url}{fragment}"))
    where = url.removeprefix("file://") or "a local path"
    return Install(
        PLACEHOLDER,
        f"CI needs --package SPEC: knotebook was installed from {where}, not from an index; "
        "run knotebook init-ci --force --package SPEC (a git URL, or a wheel committed to the "
        f"repository) or set the repository variable {VARIABLE}",
    )


def install_for(root: Path, package: str | None = None) -> Install:
    """What ``pip install`` needs in ``root``'s CI to get this knotebook."""
    if package:
        return Install(shlex.quote(package))
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and re.search(
        r'(?m)^name\s*=\s*"knotebook"\s*$', pyproject.read_text(encoding="utf-8")
    ):
        return Install("-e .")
    return install_from(installed_from())


def install_spec(root: Path) -> str:
    """The ``pip install`` argument of ``root``'s workflow."""
    return install_for(root).spec


def render(root: Path, package: str | None = None, shards: int = 1) -> str:
    """The workflow; with ``shards`` > 1, a matrix of that many ``validate --shard`` jobs and a
    job that merges their reports (and their result caches, saved for the next build)."""
    name = "github-workflow-sharded.yml" if shards > 1 else "github-workflow.yml"
    text = resources.files("knotebook.validate").joinpath("templates", name).read_text("utf-8")
    spec = install_for(root, package).spec
    text = text.replace("{{ shard_list }}", ", ".join(str(i) for i in range(1, shards + 1)))
    return text.replace("{{ shards }}", str(shards)).replace(MARK, spec)
