"""The function runtime every bundle carries: ``knotebook/runtime/*.py``, byte for byte.

It comes from the installed package (``knotebook.runtime``), or from a ``runtime/`` folder at the
project's top level (beside ``handler_template.py``) when the project overrides it. The bundle
has no ``knotebook/__init__.py``: ``knotebook`` is a namespace package there, so
``from knotebook.runtime import ...`` works in the image as in the notebook kernel.
"""

from __future__ import annotations

import hashlib
import re
from importlib import resources
from pathlib import Path

from knotebook.errors import ExportError
from knotebook.project import templates

PREFIX = "knotebook/runtime/"
OVERRIDE = templates.RUNTIME_OVERRIDE
_VERSION = re.compile(r'(?m)^__version__ = "([^"]+)"')


def files(project: Path | None) -> dict[str, bytes]:
    """Bundle path -> content of every runtime module: the ``runtime/`` folder of the project
    folder ``project`` (its templates' folder) if it has one, else the installed package's."""
    override = project / OVERRIDE if project is not None else None
    if override is not None and override.is_dir():
        if not (override / "__init__.py").is_file():
            raise ExportError(
                f"{override} overrides the function runtime but has no __init__.py; "
                "copy the package's knotebook/runtime/ there to start from it"
            )
        sources = {p.name: p.read_bytes() for p in sorted(override.glob("*.py"))}
    else:
        package = resources.files("knotebook.runtime")
        sources = {
            entry.name: entry.read_bytes()
            for entry in sorted(package.iterdir(), key=lambda e: e.name)
            if entry.name.endswith(".py")
        }
    return {PREFIX + name: data for name, data in sources.items()}


def version(bundle_files: dict[str, bytes]) -> str:
    """The runtime's ``__version__``, from its ``__init__.py``."""
    init = bundle_files.get(PREFIX + "__init__.py", b"").decode("utf-8", "replace")
    match = _VERSION.search(init)
    return match.group(1) if match else "unknown"


def digest(bundle_files: dict[str, bytes]) -> str:
    """One sha256 over the runtime's files (names and bytes), as .knotebook.json records it."""
    h = hashlib.sha256()
    for name in sorted(n for n in bundle_files if n.startswith(PREFIX)):
        h.update(name.encode() + b"\0" + bundle_files[name] + b"\0")
    return h.hexdigest()


def describe(bundle_files: dict[str, bytes]) -> dict[str, str]:
    return {"version": version(bundle_files), "sha256": digest(bundle_files)}
