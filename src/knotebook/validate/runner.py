"""Validate notebooks by executing them with papermill against their sample events.

Every function notebook runs once per sample event of each type it subscribes to, in both VEBA
envelopes; an exploration notebook runs once. Runs of one notebook share a kernel (started
once, its namespace reset between runs) and notebooks run in parallel, so kernel start-up is
paid once per notebook rather than once per run. The source notebook is never written:
papermill's executed copy goes to ``build/validate/<notebook>/<run>.ipynb``, with secret values
masked. A failure names the cell as numbered in the source notebook and the failing line.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

from knotebook import events, notebook
from knotebook.errors import KnotebookError
from knotebook.project import envfile
from knotebook.validate import masking
from knotebook.vcenter import outside

if TYPE_CHECKING:
    from jupyter_client.manager import KernelManager

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
CELL_LINE = re.compile(r"Cell In\[(\d+)\], line (\d+)")
KERNEL = "python3"
ENVELOPE_CHOICES = ("both", "tanzu", "router")


@dataclass(frozen=True)
class Run:
    """One planned execution: a notebook and the event injected into its parameters cell."""

    notebook: Path
    event: str | None = None  # a sample name: "TaskEvent" or "TaskEvent:error"
    envelope: str | None = None

    @property
    def name(self) -> str:
        if self.event is None:
            return "run"
        return f"{self.event} ({self.envelope})" if self.envelope else self.event

    @property
    def slug(self) -> str:
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", self.name.replace(" (", ".").rstrip(")"))


@dataclass(frozen=True)
class RunResult:
    """The outcome of one check: a papermill run, a contract check or an export check."""

    notebook: Path
    name: str
    ok: bool
    seconds: float
    output: Path | None = None
    error: str = ""
    check: str = "notebook"  # "notebook" | "contract" | "export"
    requests: tuple[tuple[str, str, str], ...] = ()  # (method, url, body) the stand-in took

    @property
    def label(self) -> str:
        return f"{self.notebook} [{self.name}]"


@dataclass
class Options:
    """What to run, and where the executed copies go."""

    output_root: Path = Path("build/validate")
    envelope: str = "both"
    event_filter: tuple[str, ...] = ()
    all_samples: bool = False
    allow_hosts: tuple[str, ...] = ()  # real endpoints the HTTP stand-in lets through
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)


def discover(paths: Iterable[Path]) -> list[Path]:
    """Notebooks named directly or found (sorted) in the given folders; checkpoints skipped."""
    found: list[Path] = []
    for path in paths:
        if not path.exists():
            raise KnotebookError(f"{path}: no such notebook or folder")
        if path.is_dir():
            found.extend(
                p for p in sorted(path.rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts
            )
        else:
            found.append(path)
    return found


def plan(path: Path, options: Options | None = None) -> list[Run]:
    """The runs of one notebook: its subscribed types × sample variants × envelopes."""
    options = options or Options()
    function = notebook.read(path)
    if function.settings is None:
        return [Run(path)]
    types = function.settings.event_types
    if options.event_filter:
        wanted = {events.resolve(e.split(":", 1)[0]) for e in options.event_filter}
        types = tuple(t for t in types if t in wanted)
    if options.envelope == "both":
        envelopes: tuple[str, ...] = events.ENVELOPES
    else:
        envelopes = (options.envelope,)
    runs: list[Run] = []
    for event_id in types:
        names = events.sample_names(event_id) if options.all_samples else [event_id]
        picked = [
            n
            for n in options.event_filter
            if ":" in n and events.resolve(n.split(":", 1)[0]) == event_id
        ]
        for name in picked or names:
            runs.extend(Run(path, name, envelope) for envelope in envelopes)
    return runs


def notebook_env(path: Path) -> dict[str, str]:
    """Values from ``<notebook>.env`` beside the notebook: the kernel's extra environment."""
    env_path = path.with_suffix(".env")
    return envfile.read(env_path) if env_path.is_file() else {}


def _injected_index(nb: nbformat.NotebookNode) -> int:
    for index, cell in enumerate(nb.cells):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return index + 1
    return 0


def describe_failure(nb: nbformat.NotebookNode, exc, injected: bool = True) -> str:
    """``cell N, line L: <source line>: Error: message`` in the source notebook's numbering.

    ``injected`` tells whether papermill inserted a parameters cell (it does when given any).
    """
    shift = injected and exc.cell_index > _injected_index(nb)
    index = exc.cell_index - 1 if shift else exc.cell_index
    where = f"cell {index + 1}"
    lines = exc.source.splitlines()
    for match in CELL_LINE.finditer(ANSI.sub("", "\n".join(exc.traceback))):
        if match.group(1) == str(exc.exec_count):
            lineno = int(match.group(2))
            if 0 < lineno <= len(lines):
                where += f", line {lineno}: {lines[lineno - 1].strip()}"
            break
    evalue = ANSI.sub("", str(exc.evalue)).strip().splitlines()
    return f"{where}: {exc.ename}: {evalue[0] if evalue else ''}".rstrip(": ")


class NotebookRunner:
    """Runs one notebook repeatedly in one kernel, resetting the namespace between runs."""

    def __init__(self, path: Path, output_root: Path) -> None:
        self.path = path
        self.output_root = output_root
        self.nb = notebook.load(path)
        self.env = notebook_env(path)
        function = notebook.from_node(self.nb, path)
        self.secrets = masking.secret_values(function, self.env)
        self.outside = outside.for_settings(path, function.settings)
        self._km: KernelManager | None = None
        self._used = False

    def _kernel(self) -> KernelManager:
        from jupyter_client.manager import KernelManager  # lazily: the CLI starts faster

        if self._km is not None and self._km.is_alive():
            if self._used:
                self._reset()
            return self._km
        self.close()
        km = KernelManager(kernel_name=KERNEL)
        km.start_kernel(
            cwd=str(self.path.resolve().parent),
            env={
                **os.environ,
                **self.env,
                **self.outside.env(),
                "KNOTEBOOK_NOTEBOOK": str(self.path.resolve()),
            },
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
        self._km, self._used = km, False
        return km

    def _reset(self) -> None:
        assert self._km is not None
        client = self._km.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=60)
            client.execute_interactive("%reset -f", store_history=False, timeout=60)
        finally:
            client.stop_channels()

    def run(self, run: Run) -> RunResult:
        """Execute the notebook once; notebook errors become a failed result, never an exception."""
        import papermill
        from papermill.exceptions import PapermillExecutionError

        # ENVELOPE is injected even when the parameters cell only sets EVENT: not a warning.
        logging.getLogger("papermill").setLevel(logging.ERROR)

        parameters: dict[str, object] = {}
        if run.event is not None:
            parameters["EVENT"] = run.event
        if run.envelope is not None:
            parameters["ENVELOPE"] = run.envelope
        output = self.output_root / self.path.stem / f"{run.slug}.ipynb"
        started = time.perf_counter()
        error = ""
        private = Path(tempfile.mkdtemp(prefix="knotebook-validate-"))
        scratch = private / "executed.ipynb"
        try:
            km = self._kernel()
            self._used = True
            papermill.execute_notebook(
                self.nb,
                str(scratch),
                parameters=parameters,
                kernel_name=KERNEL,
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
                km=km,
            )
        except PapermillExecutionError as exc:
            error = describe_failure(self.nb, exc, injected=bool(parameters))
        except Exception as exc:  # kernel death, timeouts, missing kernel: reported, not raised
            message = ANSI.sub("", str(exc)).strip().splitlines()
            error = f"{type(exc).__name__}: {message[0] if message else 'notebook did not run'}"
            self.close()
        written = None
        if scratch.is_file():
            executed = nbformat.read(scratch, as_version=4)
            masking.mask_notebook(executed, self.secrets)
            output.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(executed, output)
            written = output
        shutil.rmtree(private, ignore_errors=True)
        taken = outside.summarize(self.outside.take(), self.mask)
        return RunResult(
            self.path,
            run.name,
            not error,
            time.perf_counter() - started,
            written,
            masking.mask_text(error, self.secrets),
            requests=taken,
        )

    def mask(self, text: str) -> str:
        return masking.mask_text(text, self.secrets)

    def close(self) -> None:
        if self._km is not None:
            with contextlib.suppress(Exception):  # already dead
                self._km.shutdown_kernel(now=True)
            self._km = None
        self.outside.close()


def _chunks(runs: list[Run], count: int) -> list[list[Run]]:
    size = math.ceil(len(runs) / max(count, 1))
    return [runs[i : i + size] for i in range(0, len(runs), size)]


def run_all(
    runs: list[Run],
    options: Options,
    progress: Callable[[RunResult], None] | None = None,
) -> list[RunResult]:
    """Execute planned runs in parallel: one kernel per (notebook, chunk); results in plan order."""
    by_notebook: dict[Path, list[Run]] = {}
    for run in runs:
        by_notebook.setdefault(run.notebook, []).append(run)
    spare = max(1, options.jobs // max(len(by_notebook), 1))
    tasks = [
        chunk for group in by_notebook.values() for chunk in _chunks(group, min(spare, len(group)))
    ]
    lock = threading.Lock()
    results: dict[Run, RunResult] = {}

    def work(chunk: list[Run]) -> None:
        runner = NotebookRunner(chunk[0].notebook, options.output_root)
        try:
            for run in chunk:
                result = runner.run(run)
                with lock:
                    results[run] = result
                    if progress is not None:
                        progress(result)
        finally:
            runner.close()

    with (
        outside.standing_in(options.allow_hosts),
        ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool,
    ):
        for future in [pool.submit(work, chunk) for chunk in tasks]:
            future.result()
    return [results[run] for run in runs]
