"""The package's architecture, checked: imports point downward, no cycles, no private names
reached across modules, small modules. Read from the source with ``ast`` (milliseconds); the
slow test imports every module alone in a fresh interpreter, as a user's first import would.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "knotebook"
# Packages from the bottom up: each may import only the ones before it; ``cli`` is the top.
# ``runtime`` is the floor: it is copied into bundles, so it imports nothing else of knotebook
# (the CloudEvents codec lives there; events, local and export use it).
LAYERS = (
    "runtime",
    "errors",
    "project",
    "events",
    "notebook",
    "export",
    "local",
    "vcenter",
    "validate",
    "lab",
    "scaffold",
    "cli",
)
# Entry points that only re-export (imported by nobody inside the package).
ENTRY = ("knotebook", "knotebook.exporter")
MAX_LINES = 400
# Over MAX_LINES on purpose: generated data tables and offline build scripts, not logic.
DATA = {
    "knotebook/events/classes.py": "the message templates of ~150 event classes (a table)",
}
# Over MAX_LINES today and being split by the engineer who owns them; remove when done.
PENDING_SPLIT = {}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent)
        if "skeleton" in rel.parts:
            continue  # links to the project templates (Jinja), not modules
        parts = rel.with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(name: str, path: Path) -> dict[str, int]:
    """knotebook modules that ``name`` imports (at any level, outside TYPE_CHECKING): line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    skipped = {
        id(inner) for node in ast.walk(tree) if isinstance(node, ast.If) and _type_checking(node)
        for inner in ast.walk(node)
    }  # fmt: skip
    found: dict[str, int] = {}
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            # ``from knotebook.local import delivery`` imports the module knotebook.local.delivery
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names
            ]
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.setdefault(target, node.lineno)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(module: str) -> str:
    return module.split(".")[1].removesuffix(".py") if "." in module else module


def test_the_graph_sees_the_package():
    assert {"knotebook.cli.main", "knotebook.local.broker", "knotebook.project.files"} <= set(GRAPH)
    assert "knotebook.local.delivery" in GRAPH["knotebook.lab.invoke"]
    assert {_layer(m) for m in MODULES} - set(LAYERS) - {"knotebook", "exporter"} == set()


def test_no_import_cycle():
    """Tarjan's strongly connected components over every import, function-level ones too."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        # Importing the root runs nothing (next tests): ``from knotebook import __version__``
        # cannot close a cycle, whatever its IPython hook imports when IPython calls it.
        for nxt in (n for n in GRAPH[node] if n != "knotebook"):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in GRAPH:
        if node not in index:
            visit(node)
    assert cycles == []


def test_packages_import_downward_only():
    upward = []
    for module, targets in GRAPH.items():
        if module in ENTRY:
            continue
        mine = LAYERS.index(_layer(module))
        for target, line in targets.items():
            if target == "knotebook":
                continue  # __version__: the root imports nothing at module level (next test)
            theirs = _layer(target)
            if target in ENTRY or LAYERS.index(theirs) > mine:
                upward.append(f"{MODULES[module].relative_to(SRC.parent)}:{line} -> {target}")
    assert upward == []


def test_the_package_root_imports_nothing_when_imported():
    tree = ast.parse((SRC / "__init__.py").read_text(encoding="utf-8"))
    assert not [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]


def test_no_private_name_is_reached_across_modules():
    reached = []
    for path in MODULES.values():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("knotebook"):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        reached.append(f"{path.name}:{node.lineno} imports {alias.name}")
                    full = f"{node.module}.{alias.name}"
                    if full in MODULES:
                        aliases.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                aliases |= {a.asname for a in node.names if a.asname and a.name in MODULES}
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                reached.append(f"{path.name}:{node.lineno} {node.value.id}.{node.attr}")
    assert reached == []


def test_modules_stay_small():
    big = {
        str(path.relative_to(SRC.parent)): n
        for path in MODULES.values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert {name: n for name, n in big.items() if name not in DATA | PENDING_SPLIT} == {}
    assert set(PENDING_SPLIT) <= set(big), "split: remove it from PENDING_SPLIT"


@pytest.mark.slow
def test_every_module_imports_alone_in_a_fresh_interpreter():
    """What the graph cannot see: an import that fails when its module is the first one."""
    # One child per module, forked from an interpreter that has imported nothing of knotebook;
    # four at a time.
    script = (
        "import importlib, os, sys\n"
        "running, failed = {}, []\n"
        "def reap():\n"
        "    pid, status = os.wait()\n"
        "    if status:\n"
        "        failed.append(running[pid])\n"
        "    del running[pid]\n"
        "for name in sys.argv[1:]:\n"
        "    if len(running) >= 4:\n"
        "        reap()\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        try:\n"
        "            importlib.import_module(name)\n"
        "        except BaseException as exc:\n"
        "            print(f'{name}: {type(exc).__name__}: {exc}', flush=True)\n"
        "            os._exit(1)\n"
        "        os._exit(0)\n"
        "    running[pid] = name\n"
        "while running:\n"
        "    reap()\n"
        "sys.exit(1 if failed else 0)\n"
    )
    names = [m for m in MODULES if ".events.data." not in m]
    proc = subprocess.run(
        [sys.executable, "-c", script, *names], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
