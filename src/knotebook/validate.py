"""Validate notebooks by executing them with papermill against their sample events.

The source notebook is never written: papermill reads it and writes the executed copy to
``build/validate/<notebook>/<event>.ipynb``. A failure names the cell as numbered in the
source notebook (papermill's injected parameters cell does not shift it) and the failing line.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from knotebook import envfile, notebook

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
CELL_LINE = re.compile(r"Cell In\[(\d+)\], line (\d+)")
KERNEL = "python3"


@dataclass(frozen=True)
class RunResult:
    """One papermill run of a notebook against one event (or none, for exploration notebooks)."""

    notebook: Path
    event: str | None
    ok: bool
    seconds: float
    output: Path
    error: str = ""

    @property
    def label(self) -> str:
        return f"{self.notebook} [{self.event}]" if self.event else str(self.notebook)


def discover(paths: list[Path]) -> list[Path]:
    """Notebooks named directly or found (sorted) in the given folders; checkpoints skipped."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                p for p in sorted(path.rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts
            )
        else:
            found.append(path)
    return found


def plan(path: Path) -> list[str | None]:
    """The events a notebook is validated against: its subscribed types, or one plain run."""
    function = notebook.read(path)
    if function.settings is None:
        return [None]
    return list(function.settings.event_types)


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _injected_index(nb) -> int:
    for index, cell in enumerate(nb.cells):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return index + 1
    return 0


def describe_failure(nb, exc) -> str:
    """``cell N, line L: <source line>: Error: message`` in the source notebook's numbering."""
    injected = _injected_index(nb)
    index = exc.cell_index - 1 if exc.cell_index > injected else exc.cell_index
    number = index + 1
    where = f"cell {number}"
    lines = exc.source.splitlines()
    for match in CELL_LINE.finditer(ANSI.sub("", "\n".join(exc.traceback))):
        if match.group(1) == str(exc.exec_count):
            lineno = int(match.group(2))
            if 0 < lineno <= len(lines):
                where += f", line {lineno}: {lines[lineno - 1].strip()}"
            break
    evalue = ANSI.sub("", str(exc.evalue)).strip().splitlines()
    return f"{where}: {exc.ename}: {evalue[0] if evalue else ''}".rstrip(": ")


def run(path: Path, event: str | None, output_root: Path) -> RunResult:
    """Execute one notebook once with papermill; never raises for notebook errors."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    nb = notebook.load(path)
    parameters: dict[str, object] = {}
    if event is not None:
        parameters["EVENT"] = event
    env_path = path.with_suffix(".env")
    env = envfile.read(env_path) if env_path.is_file() else {}
    output = output_root / path.stem / f"{event or 'run'}.ipynb"
    output.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    error = ""
    try:
        with _environment(env):
            papermill.execute_notebook(
                nb,
                str(output),
                parameters=parameters,
                kernel_name=KERNEL,
                progress_bar=False,
                log_output=False,
                cwd=str(path.resolve().parent),
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )
    except PapermillExecutionError as exc:
        error = describe_failure(nb, exc)
    except Exception as exc:  # kernel death, timeouts, missing kernel: all reported, none raised
        message = ANSI.sub("", str(exc)).strip().splitlines()
        error = f"{type(exc).__name__}: {message[0] if message else 'notebook did not run'}"
    return RunResult(path, event, not error, time.perf_counter() - started, output, error)


def validate(
    paths: list[Path],
    output_root: Path = Path("build/validate"),
    progress: Callable[[RunResult], None] | None = None,
) -> list[RunResult]:
    """Run every notebook against each of its events; results in a stable order."""
    results = []
    for path in discover(paths):
        for event in plan(path):
            result = run(path, event, output_root)
            if progress is not None:
                progress(result)
            results.append(result)
    return results
