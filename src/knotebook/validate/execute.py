"""One papermill run of a notebook in a kept kernel, its outcome and its executed copy.

papermill does what it always does (parameters cell injection, per-cell metadata, error
markers); a small papermill engine hands nbclient the kernel's existing client instead of
letting it start one per run. The executed copy is written once, with secret values masked.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Any

import nbformat
import papermill
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.exceptions import PapermillExecutionError

from knotebook import notebook
from knotebook.notebook import masking
from knotebook.validate.kernels import NAME, Kernel, preloads
from knotebook.validate.runner import Run, RunResult, executed_copy, notebook_env
from knotebook.vcenter import outside

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
CELL_LINE = re.compile(r"Cell In\[(\d+)\], line (\d+)")
ENGINE = "knotebook"
PAPERMILL_TAGS = {"injected-parameters", "papermill-error-cell-tag"}


class KeptClientEngine(NBClientEngine):
    """nbclient with the kernel client we keep (``kc=``), so no client starts per run."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        start_timeout: int = 60,
        execution_timeout: float | None = None,
        km: Any = None,
        kc: Any = None,
        sink: list[Any] | None = None,
        **_: Any,
    ) -> Any:
        client = PapermillNotebookClient(
            nb_man,
            km=km,
            kernel_name=kernel_name,
            log=logging.getLogger("papermill"),
            log_output=log_output,
            startup_timeout=start_timeout,
            timeout=execution_timeout,
        )
        client.kc = kc
        if sink is not None:
            sink.append(nb_man.nb)  # papermill raises before returning it on a cell error
        return client.execute(cleanup_kc=False)


papermill_engines.register(ENGINE, KeptClientEngine)


def _injected_index(nb: nbformat.NotebookNode) -> int:
    for index, cell in enumerate(nb.cells):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return index + 1
    return 0


def describe_failure(
    nb: nbformat.NotebookNode,
    exc: Any,
    injected: bool = True,
    executed: nbformat.NotebookNode | None = None,
) -> str:
    """``cell N, line L: <source line>: Error: message`` in the source notebook's numbering.

    ``injected`` tells whether papermill inserted a parameters cell (it does when given any).
    With the ``executed`` notebook (its cells carry execution counts), the place is the deepest
    notebook frame of the traceback: the function cell's failing line rather than the line of
    the cell that called it (Python 3.11 points the caller at its ``except`` clause).
    """
    frames = [
        (int(m.group(1)), int(m.group(2)))
        for m in CELL_LINE.finditer(ANSI.sub("", "\n".join(exc.traceback)))
    ]
    cell_index, source, lineno = exc.cell_index, exc.source, 0
    own = [line for count, line in frames if count == exc.exec_count]
    if own:
        lineno = own[0]
    shift = injected and cell_index > _injected_index(nb)
    index = cell_index - 1 if shift else cell_index
    # the executed copy's own cells, numbered as in the source notebook
    own_cells = [
        cell
        for cell in (executed.cells if executed else [])
        if not PAPERMILL_TAGS.intersection(cell.get("metadata", {}).get("tags", []))
    ]
    counts = {cell.get("execution_count"): i for i, cell in enumerate(own_cells)}
    for count, line in reversed(frames):
        if count in counts:
            index, lineno = counts[count], line
            source = own_cells[index].source
            break
    where = f"cell {index + 1}"
    lines = source.splitlines()
    if 0 < lineno <= len(lines):
        where += f", line {lineno}: {lines[lineno - 1].strip()}"
    evalue = ANSI.sub("", str(exc.evalue)).strip().splitlines()
    return f"{where}: {exc.ename}: {evalue[0] if evalue else ''}".rstrip(": ")


class NotebookRunner:
    """Runs one notebook repeatedly in one kernel, reset between runs."""

    def __init__(self, path: Path, output_root: Path, kernel: Kernel | None = None) -> None:
        self.path = path
        self.output_root = output_root
        self.nb = notebook.load(path)
        self.env = notebook_env(path)
        function = notebook.from_node(self.nb, path)
        self.secrets = masking.secret_values(function, self.env)
        self.outside = outside.for_settings(path, function.settings)
        self._closed = False
        self.kernel = kernel or Kernel(
            path.resolve().parent,
            {**self.env, **self.outside.env(), "KNOTEBOOK_NOTEBOOK": str(path.resolve())},
            preloads(self.nb),
        )

    def output_path(self, run: Run) -> Path:
        return executed_copy(self.output_root, self.path, run)

    def run(self, run: Run) -> RunResult:
        """Execute the notebook once; notebook errors become a failed result, never an exception."""
        # ENVELOPE is injected even when the parameters cell only sets EVENT: not a warning.
        logging.getLogger("papermill").setLevel(logging.ERROR)
        parameters = run.parameters
        started = time.perf_counter()
        error = ""
        sink: list[Any] = []
        try:
            km, kc = self.kernel.ready()
            self.kernel.used = True
            papermill.execute_notebook(
                self.nb,
                None,
                parameters=parameters,
                engine_name=ENGINE,
                kernel_name=NAME,
                # knotebook runs Python kernels only: a notebook without kernelspec/language_info
                # metadata (nbformat.v4.new_notebook(), some editors) still gets its parameters
                language="python",
                progress_bar=False,
                log_output=False,
                km=km,
                kc=kc,
                sink=sink,
            )
        except PapermillExecutionError as exc:
            error = describe_failure(
                self.nb, exc, injected=bool(parameters), executed=sink[0] if sink else None
            )
        except Exception as exc:  # kernel death, timeouts, missing kernel: reported, not raised
            message = ANSI.sub("", str(exc)).strip().splitlines()
            error = f"{type(exc).__name__}: {message[0] if message else 'notebook did not run'}"
            self.kernel.close()
        written = None
        if sink:
            executed = sink[0]
            masking.mask_notebook(executed, self.secrets)
            output = self.output_path(run)
            output.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(executed, output)
            written = output
        return RunResult(
            self.path,
            run.name,
            not error,
            time.perf_counter() - started,
            written,
            self.mask(error),
            requests=outside.summarize(self.outside.take(), self.mask),
        )

    def mask(self, text: str) -> str:
        return masking.mask_text(text, self.secrets)

    def close(self) -> None:
        """Stop the kernel and the outside world (idempotent)."""
        self.kernel.close()
        if not self._closed:
            self._closed = True
            self.outside.close()
