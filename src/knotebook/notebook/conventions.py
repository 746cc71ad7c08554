"""The notebook conventions: settings, function and parameters cells, read without executing.

A function notebook has

* one **settings** cell, first line ``# knotebook: settings``, holding plain literal assignments
  (``FUNCTION_NAME = "vm-created"``, ``EVENT_TYPES = ["VmCreatedEvent"]``, ...);
* one or more **function** cells, first line ``# knotebook: function``, exported to ``handler.py``;
  together they define ``handler(event)``;
* a cell tagged ``parameters`` (papermill) choosing the sample event the notebook runs against;
* any number of other cells: exploration, never exported.
"""

from __future__ import annotations

import ast
import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from knotebook.errors import NotebookError
from knotebook.events.envelopes import ENVELOPES
from knotebook.notebook import deploy
from knotebook.notebook.deploy import Deploy
from knotebook.project import syntax

FUNCTION_MARK = "# knotebook: function"
SETTINGS_MARK = "# knotebook: settings"
MARK = re.compile(r"#\s*knotebook\s*:\s*(\w+)", re.IGNORECASE)
DNS_1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?\Z")

SETTINGS: dict[str, str] = {
    "FUNCTION_NAME": "the function's name: lowercase letters, digits and '-' (a DNS-1035 label)",
    "EVENT_TYPES": "list of vCenter event ids the function subscribes to",
    "ENVELOPE": "'tanzu' (VEBA >= 0.8) or 'router' (VEBA <= 0.7)",
    "MIN_SCALE": "Knative min-scale (0 = scale to zero)",
    "MAX_SCALE": "Knative max-scale (0 = unlimited)",
    "ENV_VARS": "names of the environment variables the handler reads (from k8s/function.env)",
    "NAMESPACE": "Kubernetes namespace of the Broker and the function",
    "BROKER": "name of the Knative Broker the Triggers subscribe to",
    "IMAGE": "container image reference for the Knative Service",
    "VCENTER": "'simulator': validation starts a vCenter simulator and passes its login in "
    "VCENTER_URL, VCENTER_USER, VCENTER_PASSWORD, VCENTER_INSECURE",
    **deploy.SETTINGS,
}
REQUIRED = ("FUNCTION_NAME", "EVENT_TYPES")


@dataclass(frozen=True)
class Cell:
    """A code cell, numbered from 1 as it stands in the notebook (markdown cells count)."""

    number: int
    source: str


@dataclass(frozen=True)
class Settings:
    """The function's settings cell."""

    name: str
    event_types: tuple[str, ...]
    envelope: str = "tanzu"
    min_scale: int = 0
    max_scale: int = 1
    env_vars: tuple[str, ...] = ()
    namespace: str = "vmware-functions"
    broker: str = "default"
    image: str = ""
    vcenter: str = ""
    deploy: Deploy = field(default_factory=Deploy)

    @property
    def image_ref(self) -> str:
        return self.image or f"registry.example.com/functions/{self.name}:0.1.0"


@dataclass(frozen=True)
class FunctionNotebook:
    """What export and validation need to know about a notebook, read without executing it."""

    path: Path
    settings: Settings | None
    function_cells: tuple[Cell, ...] = ()
    parameters: dict[str, object] = field(default_factory=dict)

    @property
    def is_function(self) -> bool:
        return self.settings is not None


def load(path: str | Path) -> nbformat.NotebookNode:
    """Read a notebook, turning every way it can be unreadable into a one-line NotebookError."""
    p = Path(path)
    if not p.exists():
        raise NotebookError(f"{p}: no such notebook")
    if p.is_dir():
        raise NotebookError(f"{p}: is a directory, expected an .ipynb file")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NotebookError(f"{p}: cannot read: {exc}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"{p}: not a notebook: invalid JSON at line {exc.lineno}") from None
    if not isinstance(raw, dict) or "cells" not in raw:
        raise NotebookError(f"{p}: not a notebook: no 'cells' list")
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types for bad documents
        raise NotebookError(f"{p}: not a valid notebook: {exc}") from None


def cell_kind(source: str) -> str | None:
    """``function``, ``settings`` or None, from the marker comment on the cell's first line."""
    first = source.lstrip().split("\n", 1)[0].strip()
    m = MARK.match(first)
    return m.group(1).lower() if m else None


def read(path: str | Path) -> FunctionNotebook:
    """Read the conventions of the notebook at ``path``; errors name the cell number."""
    return from_node(load(path), Path(path))


def from_node(nb: nbformat.NotebookNode, p: Path) -> FunctionNotebook:
    """Read the conventions of an in-memory notebook; ``p`` names it in error messages."""
    settings_cells: list[Cell] = []
    function_cells: list[Cell] = []
    parameters: dict[str, object] = {}
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        kind = cell_kind(cell.source)
        if kind == "settings":
            settings_cells.append(Cell(number, cell.source))
        elif kind == "function":
            function_cells.append(Cell(number, cell.source))
        elif kind is not None:
            raise NotebookError(
                f"{p}: cell {number}: unknown marker '# knotebook: {kind}' "
                "(use '# knotebook: function' or '# knotebook: settings')"
            )
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            parameters = _literal_assignments(p, Cell(number, cell.source), strict=False)
    if len(settings_cells) > 1:
        numbers = ", ".join(str(c.number) for c in settings_cells)
        raise NotebookError(
            f"{p}: cells {numbers}: only one '# knotebook: settings' cell is allowed"
        )
    if not settings_cells:
        if function_cells:
            raise NotebookError(
                f"{p}: cell {function_cells[0].number}: function cells need a "
                "'# knotebook: settings' cell with FUNCTION_NAME and EVENT_TYPES"
            )
        return FunctionNotebook(p, None, (), parameters)
    settings = _settings(p, settings_cells[0])
    settings = _resolve_events(p, settings_cells[0], settings)
    if not function_cells:
        raise NotebookError(
            f"{p}: no function cell: mark the cells that define handler(event) "
            "with '# knotebook: function' on their first line"
        )
    return FunctionNotebook(p, settings, tuple(function_cells), parameters)


def _resolve_events(path: Path, cell: Cell, settings: Settings) -> Settings:
    """Canonical catalog ids for EVENT_TYPES; an unknown one names the cell."""
    from dataclasses import replace

    from knotebook import events
    from knotebook.errors import UnknownEventError

    resolved = []
    for name in settings.event_types:
        try:
            event_id = events.resolve(name)
        except UnknownEventError as exc:
            raise NotebookError(f"{path}: cell {cell.number}: EVENT_TYPES: {exc}") from None
        if event_id not in resolved:
            resolved.append(event_id)
    return replace(settings, event_types=tuple(resolved))


def _literal_assignments(path: Path, cell: Cell, *, strict: bool) -> dict[str, object]:
    """``NAME = literal`` statements of a cell; with ``strict``, anything else is an error."""
    where = f"{path}: cell {cell.number}"
    try:
        tree = syntax.parse(cell.source)
    except SyntaxError as exc:
        raise NotebookError(f"{where}, line {exc.lineno}: syntax error: {exc.msg}") from None
    values: dict[str, object] = {}
    for node in tree.body:
        target = (
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
        )
        value: ast.expr | None = node.value if isinstance(node, ast.Assign) else None
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        if not isinstance(target, ast.Name) or value is None:
            if strict:
                raise NotebookError(
                    f"{where}, line {node.lineno}: settings cells hold only NAME = value lines"
                )
            continue
        try:
            values[target.id] = ast.literal_eval(value)
        except ValueError:
            if strict:
                raise NotebookError(
                    f"{where}, line {node.lineno}: {target.id} must be a plain value "
                    "(string, number, list), not an expression"
                ) from None
    return values


def _settings(path: Path, cell: Cell) -> Settings:
    values = _literal_assignments(path, cell, strict=True)
    where = f"{path}: cell {cell.number}"
    problems: list[str] = []  # every problem of the cell, in one error: fix them in one go
    meant: set[str] = set()
    for key in values:
        if key not in SETTINGS:
            close = difflib.get_close_matches(key.upper(), SETTINGS, n=1)
            meant.update(close)
            hint = f" (did you mean {close[0]}?)" if close else f" (known: {', '.join(SETTINGS)})"
            problems.append(f"unknown setting {key}{hint}")
    for key in REQUIRED:
        if key not in values and key not in meant:
            problems.append(f"missing setting {key} ({SETTINGS[key]})")

    def text(key: str, default: str = "") -> str:
        value = values.get(key, default)
        if not isinstance(value, str):
            problems.append(f"{key} must be a string ({SETTINGS[key]})")
            return default
        return value

    def number(key: str, default: int) -> int:
        value = values.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            problems.append(f"{key} must be a whole number >= 0 ({SETTINGS[key]})")
            return default
        return value

    def names(key: str) -> tuple[str, ...]:
        value = values.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            problems.append(f"{key} must be a list of strings ({SETTINGS[key]})")
            return ()
        return tuple(value)

    name = text("FUNCTION_NAME")
    if "FUNCTION_NAME" in values and (not DNS_1035.match(name) or len(name) > 50):
        problems.append(
            f"FUNCTION_NAME {name!r} must be lowercase letters, digits and '-', "
            "start with a letter and be at most 50 characters"
        )
    envelope = text("ENVELOPE", "tanzu")
    if envelope not in ENVELOPES:
        problems.append("ENVELOPE must be 'tanzu' (VEBA >= 0.8) or 'router' (<= 0.7)")
    event_types = names("EVENT_TYPES")
    if "EVENT_TYPES" in values and not event_types:
        problems.append("EVENT_TYPES is empty; name at least one vCenter event id")
    env_vars = names("ENV_VARS")
    from knotebook.project import envfile

    for var in env_vars:
        if not envfile.KEY.match(var) or var in envfile.RESERVED:
            problems.append(f"ENV_VARS: {var!r} is not a usable variable name")
    min_scale, max_scale = number("MIN_SCALE", 0), number("MAX_SCALE", 1)
    if max_scale and max_scale < min_scale:
        problems.append(f"MAX_SCALE ({max_scale}) is below MIN_SCALE ({min_scale})")
    vcenter = text("VCENTER", "")
    if vcenter not in ("", "simulator"):
        problems.append(f"VCENTER must be 'simulator' ({SETTINGS['VCENTER']})")
    if problems:  # one line, problems separated by "; "
        raise NotebookError(f"{where}: " + "; ".join(problems))
    return Settings(
        name=name,
        event_types=event_types,
        envelope=envelope,
        min_scale=min_scale,
        max_scale=max_scale,
        env_vars=env_vars,
        namespace=text("NAMESPACE", "vmware-functions"),
        broker=text("BROKER", "default"),
        image=text("IMAGE", ""),
        vcenter=vcenter,
        deploy=deploy.parse(
            values,
            where,
            cell.source,
            event_types=event_types,
            image=text("IMAGE", ""),
            namespace=text("NAMESPACE", "vmware-functions"),
            folder=path.resolve().parent,
        ),
    )
