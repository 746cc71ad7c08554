"""Checks on exported function cells: plain Python, a ``handler``, and the packages they import."""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib.metadata
import json
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knotebook.errors import ExportError, NotebookError
from knotebook.notebook.conventions import Cell
from knotebook.project import cache, syntax
from knotebook.project.files import write_atomic

MAGIC = re.compile(r"^\s*(%%?|!)\S")
# Provided by the bundle's base requirements; never listed twice.
RUNTIME_DISTRIBUTIONS = {"flask", "cloudevents", "gunicorn", "werkzeug"}
# Copied into every bundle (knotebook/runtime/): function cells may import it (Reject, Retry...).
BUNDLED = ("knotebook.runtime",)
# Notebook tooling that must never reach an image.
NOTEBOOK_ONLY = {
    "knotebook",
    "IPython",
    "ipykernel",
    "ipywidgets",
    "papermill",
    "nbformat",
    "nbconvert",
}


# Import names whose distribution is named differently, for the hint when one is not installed
# (installed ones are mapped by importlib.metadata.packages_distributions).
KNOWN = {
    "cbc_sdk": "carbon-black-cloud-sdk",
    "yaml": "PyYAML",
    "dateutil": "python-dateutil",
    "jwt": "PyJWT",
    "OpenSSL": "pyOpenSSL",
    "bs4": "beautifulsoup4",
    "PIL": "Pillow",
    "slack_sdk": "slack-sdk",
    "pyVmomi": "pyvmomi",
    "vmware": "vsphere-automation-sdk (github.com/vmware/vsphere-automation-sdk-python)",
    "com": "vsphere-automation-sdk (github.com/vmware/vsphere-automation-sdk-python)",
}


@dataclass(frozen=True)
class Requirement:
    distribution: str
    version: str
    module: str
    cell: int
    where: str = ""  # a helper module's file name, when not a cell

    def __str__(self) -> str:
        return f"{self.distribution}=={self.version}"


def _check_signature(where: str, node: ast.FunctionDef) -> None:
    """handler(event): one positional parameter; others need defaults (the runtime passes one)."""
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    required = len(positional) - len(args.defaults)
    kwonly = [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None]
    if not positional and not args.vararg:
        problem = "must take the event"
    elif required > 1 or kwonly:
        extra = [a.arg for a in positional[1:required]] + kwonly
        problem = f"is called with the event only; {', '.join(extra)} would get no value"
    else:
        return
    raise NotebookError(f"{where}, line {node.lineno}: handler() {problem}: def handler(event)")


def check(path: Path, cells: Iterable[Cell]) -> None:
    """Fail with the cell number on magics, shell escapes, syntax errors or a missing handler."""
    defines_handler = False
    for cell in cells:
        where = f"{path}: cell {cell.number}"
        for lineno, line in enumerate(cell.source.splitlines(), start=1):
            if MAGIC.match(line):
                raise NotebookError(
                    f"{where}, line {lineno}: {line.strip()!r} is IPython syntax and cannot run in "
                    "handler.py; move it to an exploration cell (packages go in requirements)"
                )
        try:
            tree = syntax.parse(cell.source)
        except SyntaxError as exc:
            raise NotebookError(f"{where}, line {exc.lineno}: syntax error: {exc.msg}") from None
        for node in tree.body:
            if isinstance(node, ast.AsyncFunctionDef) and node.name == "handler":
                raise NotebookError(
                    f"{where}, line {node.lineno}: 'async def handler' is not supported: the "
                    "runtime calls handler(event) and uses its result; write def handler(event)"
                )
            if isinstance(node, ast.FunctionDef) and node.name == "handler":
                _check_signature(where, node)
                defines_handler = True
            for sub in ast.walk(node):
                if isinstance(sub, ast.Import | ast.ImportFrom):
                    for module in _modules(sub):
                        if module in NOTEBOOK_ONLY:
                            if _bundled(sub):
                                continue
                            raise NotebookError(
                                f"{where}, line {sub.lineno}: function cells must not import "
                                f"{module!r} (notebook tooling is not in the image)"
                            )
    if not defines_handler:
        raise NotebookError(
            f"{path}: no function cell defines handler(event); "
            "add 'def handler(event):' to a '# knotebook: function' cell"
        )


def _bundled(node: ast.Import | ast.ImportFrom) -> bool:
    """Does the import only name modules the bundle carries (``knotebook.runtime``)?"""
    if isinstance(node, ast.ImportFrom):
        names = [node.module or ""] if node.level == 0 else []
    else:
        names = [alias.name for alias in node.names]
    return bool(names) and all(any(n == b or n.startswith(b + ".") for b in BUNDLED) for n in names)


def _modules(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.ImportFrom):
        return [node.module.split(".")[0]] if node.module and node.level == 0 else []
    return [alias.name.split(".")[0] for alias in node.names]


_owners: list[Any] = [None, {}]


def installed_owners() -> Mapping[str, list[str]]:
    """``importlib.metadata.packages_distributions()``, computed again only when a
    ``site-packages`` folder on ``sys.path`` changed (installing a package adds a
    ``*.dist-info`` folder to one; other folders, such as the script's, change for any reason).

    It reads every installed distribution's metadata: 0.3-0.5 s, which every export and every
    ``%knotebook invoke`` (so every validation run of a notebook that invokes) used to pay. The
    map is also kept in knotebook's cache folder under the folders' state, so that each new
    kernel and each ``knotebook export`` reads it (~5 ms) instead of computing it.
    """
    stamp = tuple(
        (p, os.stat(p).st_mtime_ns)
        for p in sys.path
        if p.rstrip("/").endswith(("site-packages", "dist-packages")) and os.path.isdir(p)
    )
    if _owners[0] != stamp:
        key = hashlib.sha256(json.dumps([sys.executable, stamp]).encode()).hexdigest()[:32]
        stored = cache.directory() / "owners" / f"{key}.json"
        try:
            owners = json.loads(stored.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            owners = importlib.metadata.packages_distributions()
            with contextlib.suppress(OSError):  # only a cache
                write_atomic(stored, json.dumps(owners))
        _owners[:] = [stamp, owners]
    found: Mapping[str, list[str]] = _owners[1]
    return found


def requirements(path: Path, cells: Iterable[Cell], local: Iterable[str] = ()) -> list[Requirement]:
    """Third-party distributions imported by the cells, pinned to the installed versions.

    ``local``: modules that are bundled beside handler.py (helpers next to the notebook).
    """
    local = set(local)
    owners = installed_owners()
    found: dict[str, Requirement] = {}
    for cell in cells:
        for node in ast.walk(syntax.parse(cell.source)):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            if _bundled(node):
                continue
            for module in _modules(node):
                if module in sys.stdlib_module_names or module in local or module == "__future__":
                    continue
                dists = owners.get(module)
                if not dists:
                    package = KNOWN.get(module, module)
                    raise ExportError(
                        f"{path}: cell {cell.number}, line {node.lineno}: module {module!r} is not "
                        "installed, so its package cannot be pinned; install it here first "
                        f"(pip install {package})"
                    )
                dist = sorted(dists)[0]
                if dist.lower() in RUNTIME_DISTRIBUTIONS:
                    continue
                name = importlib.metadata.metadata(dist)["Name"]
                version = importlib.metadata.version(dist)
                found.setdefault(name.lower(), Requirement(name, version, module, cell.number))
    return [found[key] for key in sorted(found)]
