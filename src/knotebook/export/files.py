"""Files the bundle carries besides handler.py: helper modules and the ``FILES`` setting.

* A module the function cells import that lives next to the notebook (``vcenter.py``, or a
  package ``vcenter/``) is copied beside ``handler.py``, as VEBA's kn-py-vm-attr keeps its
  ``vcenter.py``; its own imports are followed (helpers of helpers) and pinned like the cells'.
  A helper that imports notebook tooling, or whose name is one the bundle uses itself
  (``handler``, ``knotebook``), is refused with the reason.
* ``FILES`` globs (relative to the notebook, checked when the notebook is read) are copied at
  the same relative paths.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from knotebook.project import syntax
from knotebook.errors import ExportError
from knotebook.notebook import cells
from knotebook.notebook.conventions import Cell, FunctionNotebook

RESERVED = {"handler": "handler.py is the function itself", "knotebook": "the bundled runtime"}


@dataclass(frozen=True)
class Extra:
    files: dict[str, bytes]  # bundle-relative path -> content
    modules: frozenset[str]  # local modules: not packages to pin
    requirements: tuple[cells.Requirement, ...]  # what the helpers import


def _imports(source: str, where: str) -> list[tuple[str, int]]:
    try:
        tree = syntax.parse(source)
    except SyntaxError as exc:
        raise ExportError(f"{where}, line {exc.lineno}: syntax error: {exc.msg}") from None
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name.split(".")[0], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module.split(".")[0], node.lineno))
    return found


def _sources(folder: Path, name: str) -> dict[str, Path]:
    """The files of local module ``name`` in ``folder`` (bundle-relative path -> file), or {}."""
    single = folder / f"{name}.py"
    if single.is_file():
        return {single.name: single}
    package = folder / name
    if (package / "__init__.py").is_file():
        return {
            p.relative_to(folder).as_posix(): p
            for p in sorted(package.rglob("*.py"))
            if "__pycache__" not in p.parts
        }
    return {}


def helpers(function: FunctionNotebook) -> Extra:
    """Helper modules next to the notebook that the function cells import, transitively."""
    folder = function.path.resolve().parent
    queue = [
        (name, f"{function.path}: cell {cell.number}", line)
        for cell in function.function_cells
        for name, line in _imports(cell.source, f"{function.path}: cell {cell.number}")
    ]
    files: dict[str, bytes] = {}
    modules: set[str] = set()
    pending: list[tuple[Path, str]] = []
    while queue:
        name, where, line = queue.pop(0)
        if name in modules or name in sys.stdlib_module_names:
            continue
        found = _sources(folder, name)
        if not found:
            continue
        if name in RESERVED:
            raise ExportError(
                f"{where}, line {line}: {name} next to the notebook cannot be bundled: the "
                f"bundle's {name!r} is {RESERVED[name]}; rename the helper module"
            )
        modules.add(name)
        for rel, path in found.items():
            text = path.read_text(encoding="utf-8")
            files[rel] = text.encode("utf-8")
            for imported, at in _imports(text, rel):
                if imported in cells.NOTEBOOK_ONLY:
                    raise ExportError(
                        f"{rel}, line {at}: the helper module imports {imported!r}, notebook "
                        "tooling that is not in the image; keep that import in the notebook"
                    )
                queue.append((imported, rel, at))
            pending.append((path, rel))
    found_reqs: list[cells.Requirement] = []
    for path, rel in pending:
        for req in cells.requirements(path, [Cell(0, path.read_text("utf-8"))], local=modules):
            found_reqs.append(replace(req, where=rel))
    return Extra(files, frozenset(modules), tuple(found_reqs))


def data_files(function: FunctionNotebook) -> dict[str, bytes]:
    """The ``FILES`` of the settings (already expanded and checked), read."""
    assert function.settings is not None
    folder = function.path.resolve().parent
    out = {}
    for rel in function.settings.deploy.files:
        try:
            out[rel] = (folder / rel).read_bytes()
        except OSError as exc:
            raise ExportError(f"{function.path}: FILES: cannot read {rel}: {exc.strerror}") from None
    return out
