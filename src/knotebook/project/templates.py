"""The project's templates: the package's defaults, each overridden by a project's own file.

knotebook ships the templates it renders (``handler_template.py``, ``requirements.txt``,
``Procfile`` and ``k8s/*``) in ``knotebook/project/skeleton/``: in knotebook's own repository those
entries are symlinks to the top-level files, so there is one source; a built wheel holds copies.
A project (the nearest folder at or above a notebook holding one of :data:`MARKERS`) overrides
them file by file: its own ``Procfile`` wins, a template it does not have comes from the package.
So every command works from ``pip install`` in any folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jinja2

TEMPLATE_FILES = ("handler_template.py", "requirements.txt", "Procfile", "gunicorn.conf.py")
K8S_TEMPLATES = (
    "service.yaml",
    "trigger.yaml",
    "kustomization.yaml",
    "kustomizeconfig.yaml",
    "function.env.example",
)
NAMES = TEMPLATE_FILES + tuple(f"k8s/{name}" for name in K8S_TEMPLATES)
# What makes a folder a knotebook project (requirements.txt alone does not: any Python project
# has one, and it is only a template in a folder that is a project for other reasons).
MARKERS = ("handler_template.py", "Procfile", "k8s/service.yaml", "k8s/trigger.yaml")
# A project's own copy of the function runtime (export/runtime_copy.py bundles it instead).
RUNTIME_OVERRIDE = "runtime"


def packaged() -> Path:
    """The folder of the package's default templates."""
    return Path(str(resources.files("knotebook.project").joinpath("skeleton")))


def find_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding a template marker, or None.

    The search stops at a repository's top (a folder holding ``.git``).
    """
    start = start.resolve()
    for folder in [start, *start.parents]:
        if any((folder / marker).is_file() for marker in MARKERS):
            return folder
        if (folder / ".git").exists():
            return None
    return None


@dataclass(frozen=True)
class Templates:
    """Where one project's templates come from.

    ``root`` is the project folder (``export/`` and ``build/`` live there); ``overrides`` is the
    folder whose files replace the packaged ones (None: every template is the packaged one).
    """

    root: Path
    overrides: Path | None

    def path(self, name: str) -> Path:
        """The file that provides template ``name`` (a :data:`NAMES` entry)."""
        if self.overrides is not None and (self.overrides / name).is_file():
            return self.overrides / name
        return packaged() / name

    def origin(self, name: str) -> str:
        """``project`` or ``packaged``: which file provides template ``name``."""
        own = self.overrides is not None and (self.overrides / name).is_file()
        return "project" if own else "packaged"

    def read(self, name: str) -> str:
        return self.path(name).read_text(encoding="utf-8")

    def watched(self) -> list[Path]:
        """The project files that would change an export (whether they exist yet or not)."""
        folder = self.overrides or self.root
        runtime = folder / RUNTIME_OVERRIDE
        return [folder / name for name in NAMES] + [runtime / "__init__.py", *self.runtime_files()]

    def runtime_files(self) -> list[Path]:
        """The modules of the project's ``runtime/`` override (sorted; [] when it has none)."""
        if self.overrides is None or not (self.overrides / RUNTIME_OVERRIDE).is_dir():
            return []
        return sorted((self.overrides / RUNTIME_OVERRIDE).glob("*.py"))

    def environment(self) -> jinja2.Environment:
        """Jinja with the project's folder first, then the packaged defaults."""
        loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(str(packaged()))]
        if self.overrides is not None:
            loaders.insert(0, jinja2.FileSystemLoader(str(self.overrides)))
        return jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            autoescape=False,
        )


def find(start: Path) -> Templates:
    """The templates of the project at or above ``start`` (a notebook's folder or the cwd).

    Without a project, the root is ``start`` (its parent when ``start`` is a ``notebooks/``
    folder) and every template is the packaged default.
    """
    root = find_root(start)
    if root is not None:
        return Templates(root, root)
    start = start.resolve()
    return Templates(start.parent if start.name == "notebooks" else start, None)
