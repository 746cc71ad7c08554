"""The result cache: a run whose inputs did not change is reported from its last pass.

A run's key hashes everything it depends on: the notebook's code cells and kernel, the values of
its ``.env`` file, the files beside it (helper modules, data; local packages it imports), the
project's templates (the contract check renders them), knotebook itself
(its version and every file of the package, so the runtime copied into bundles too), Python,
the injected event sample (its attributes and data), the installed versions of the packages the
cells import, and the options that change what a run sees (``--allow-host``). Only passes are
stored; a failure always runs again. The executed copy is stored with the result and put back
in the output folder on a hit. Durations are kept per run name, across keys, for ``--shard``.

Layout: ``<dir>/runs/<key>.json`` (result + executed notebook), ``<dir>/durations/<h>.json``; one
file per entry, so caches of CI shards merge by copying the folders together.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import importlib.metadata
import json
import re
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import knotebook
from knotebook import events, notebook
from knotebook.errors import KnotebookError
from knotebook.notebook import cells
from knotebook.project import syntax, templates
from knotebook.project.files import write_atomic
from knotebook.validate import CACHE_DIR
from knotebook.validate.runner import Run, RunResult, notebook_env

IMPORT_LINE = re.compile(r"(?m)^\s*(?:from|import)\s+([A-Za-z_]\w*)")
DEFAULT_DIR = CACHE_DIR


def _digest(*parts: object) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.cache
def _package_digest() -> str:
    """knotebook's version and every file of the package (the runtime and templates included)."""
    root = Path(knotebook.__file__).resolve().parent
    digest = hashlib.sha256(knotebook.__version__.encode())
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _version(module: str) -> str:
    """The installed version of the distribution providing ``module`` ("" when none does)."""
    try:
        return importlib.metadata.version(module)
    except importlib.metadata.PackageNotFoundError:
        pass
    versions = []
    for dist in sorted(cells.installed_owners().get(module, [])):  # only when needed
        try:
            versions.append(f"{dist}=={importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return ",".join(versions)


def _imports(sources: list[str]) -> list[str]:
    names: set[str] = set()
    for source in sources:
        try:
            tree = syntax.parse(source)
        except SyntaxError:  # magics: the import lines still say what the cell needs
            names.update(IMPORT_LINE.findall(source))
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return sorted(n for n in names if n not in sys.stdlib_module_names and n != "knotebook")


def _templates(path: Path) -> str:
    found = templates.find(path.resolve().parent)
    digest = hashlib.sha256()
    for name in templates.NAMES:
        file = found.path(name)
        digest.update(name.encode())
        digest.update(file.read_bytes() if file.is_file() else b"")
    for file in found.runtime_files():  # a runtime/ override is bundled instead of ours
        digest.update(f"runtime/{file.name}".encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def _beside(path: Path, imported: list[str]) -> str:
    """The files next to the notebook (helper modules, data files; not other notebooks or .env
    files, not hidden ones) and the local packages its cells import: what it may read."""
    folder = path.resolve().parent
    digest = hashlib.sha256()
    files = [
        f
        for f in folder.iterdir()
        if f.is_file() and f.suffix not in (".ipynb", ".env") and not f.name.startswith(".")
    ]
    for name in imported:
        package = folder / name
        if package.is_dir():
            files += [f for f in package.rglob("*.py") if "__pycache__" not in f.parts]
    with contextlib.suppress(KnotebookError):  # a bad settings cell fails the run anyway
        settings = notebook.read(path).settings
        files += [folder / rel for rel in (settings.deploy.files if settings else ())]
        # SECRET_FILES: local runs and the served function get each as a variable
        files += [folder / rel for _key, rel in (settings.deploy.secret_files if settings else ())]
    for file in sorted(files):
        with contextlib.suppress(OSError):
            digest.update(str(file.relative_to(folder)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def _sample(run: Run) -> str:
    if run.event is None:
        return ""
    event = events.sample(run.event, envelope=run.envelope or "tanzu")
    return _digest(event.get_attributes(), event.get_data())


@functools.cache
def _negative() -> str:
    return _digest([(b.name, b.expect, b.headers, b.body) for b in events.negative_samples()])


class NotebookKey:
    """What every run of one notebook depends on, computed once."""

    def __init__(self, path: Path, allow_hosts: tuple[str, ...] = ()) -> None:
        nb = notebook.load(path)
        sources = [c.source for c in nb.cells if c.cell_type == "code"]
        env = notebook_env(path)
        imported = _imports(sources)
        self.base = _digest(
            "knotebook-validate-1",
            str(path),
            sources,
            nb.metadata.get("kernelspec", {}).get("name", ""),
            hashlib.sha256(json.dumps(sorted(env.items())).encode()).hexdigest(),
            _templates(path),
            _package_digest(),
            sys.version,
            {name: _version(name) for name in imported},
            _beside(path, imported),
            sorted(allow_hosts),
        )

    def run(self, run: Run) -> str:
        return _digest(self.base, run.event, run.envelope, run.as_written, _sample(run))

    def contract(self, runs: list[Run]) -> str:
        planned = [(r.event, r.envelope, _sample(r)) for r in runs if r.event is not None]
        return _digest(self.base, "contract", planned, _negative())


def _result_json(result: RunResult) -> dict[str, Any]:
    data = asdict(result)
    data["notebook"] = str(result.notebook)
    data["output"] = str(result.output) if result.output else None
    data["requests"] = [list(r) for r in result.requests]
    return data


class ResultCache:
    """Passed results by key, and the last duration of every run name."""

    def __init__(self, directory: Path = DEFAULT_DIR) -> None:
        self.directory = directory

    def _entry(self, key: str) -> Path:
        return self.directory / "runs" / f"{key}.json"

    def _duration_file(self, notebook_path: Path, name: str) -> Path:
        return self.directory / "durations" / f"{_digest(str(notebook_path), name)[:32]}.json"

    def has(self, key: str) -> bool:
        return self._entry(key).is_file()

    def load(self, key: str, output: Path | None = None) -> list[RunResult] | None:
        """The stored passes for ``key`` (marked cached), the executed copy restored to
        ``output``; None when there are none."""
        try:
            entry = json.loads(self._entry(key).read_text(encoding="utf-8"))
            stored = [dict(r) for r in entry["results"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        written = None
        if output is not None and entry.get("executed") is not None:
            if not output.is_file() or output.read_text(encoding="utf-8") != entry["executed"]:
                write_atomic(output, entry["executed"])
            written = output
        return [
            RunResult(
                Path(r["notebook"]),
                r["name"],
                True,
                float(r.get("seconds", 0.0)),
                written,
                "",
                r.get("check", "notebook"),
                tuple((m, u, b) for m, u, b in r.get("requests", [])),
                cached=True,
            )
            for r in stored
        ]

    def store(self, key: str, results: list[RunResult]) -> None:
        """Store passes (with the executed copy of a single run); record every duration."""
        for result in results:
            self.record_duration(result)
        if not results or any(not r.ok or r.cached for r in results):
            return
        executed = None
        output = results[0].output
        if len(results) == 1 and output is not None and output.is_file():
            executed = output.read_text(encoding="utf-8")
        payload = {"results": [_result_json(r) for r in results], "executed": executed}
        try:
            write_atomic(self._entry(key), json.dumps(payload) + "\n")
        except OSError as exc:
            raise KnotebookError(f"cannot write the result cache {self.directory}: {exc}") from None

    def record_duration(self, result: RunResult) -> None:
        if result.cached:
            return
        with contextlib.suppress(OSError):  # durations only balance shards
            write_atomic(
                self._duration_file(result.notebook, result.name),
                json.dumps({"seconds": round(result.seconds, 3)}) + "\n",
            )

    def duration(self, notebook_path: Path, name: str) -> float | None:
        try:
            data = json.loads(self._duration_file(notebook_path, name).read_text(encoding="utf-8"))
            return float(data["seconds"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
