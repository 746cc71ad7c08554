"""Run and export a notebook's function from inside its own kernel (no IPython import here).

The function cells are taken *as they ran in the kernel* (so unsaved edits count), placed into
the saved notebook where they belong, rendered into the same ``handler.py`` that
``knotebook export`` writes, and that module's Flask app answers the event through its test
client: the real HTTP binding, in-process. ``magics.py`` is the IPython front end.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import json
import linecache
import logging
import os
import signal
import threading
import time
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from html import escape
from http import HTTPStatus
from itertools import count
from pathlib import Path
from typing import Any

import nbformat
from werkzeug.test import Client

from knotebook import events, notebook
from knotebook.errors import KnotebookError, NotebookError
from knotebook.export import exporter, guard
from knotebook.local import delivery
from knotebook.notebook.conventions import Cell, FunctionNotebook
from knotebook.project import envfile
from knotebook.project.paths import env_file_of
from knotebook.validate import masking

SIMILAR = 0.5  # a kernel run belongs to the saved cell it resembles at least this much
KINDS = ("settings", "function")
_modules = count(1)


# ---------------------------------------------------------------------------------------------
# Where the notebook is, and what ran in the kernel
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CellRun:
    """One execution of a marked cell in the kernel: ``In[count]`` and its raw source."""

    count: int
    source: str
    cell_id: str | None = None


@dataclass
class KernelHistory:
    """Marked cells the kernel ran: from its input history, and by JupyterLab cell id."""

    runs: list[CellRun] = field(default_factory=list)

    @classmethod
    def from_inputs(
        cls, raw_inputs: list[str], recorded: Mapping[int, CellRun] | None = None
    ) -> KernelHistory:
        """``raw_inputs[n]`` is the source of ``In[n]``; ``recorded`` the runs seen with their
        JupyterLab cell id (by execution count), which take precedence."""
        recorded = recorded or {}
        runs = {
            number: recorded.get(number, CellRun(number, source))
            for number, source in enumerate(raw_inputs)
            if notebook.cell_kind(source or "") in KINDS
        }
        for number, run in recorded.items():  # runs not in this history (a reset, ...)
            runs.setdefault(number, run)
        return cls([runs[number] for number in sorted(runs)])

    def of_kind(self, kind: str) -> list[CellRun]:
        return [r for r in self.runs if notebook.cell_kind(r.source) == kind]


def _existing(candidate: str | os.PathLike | None, cwd: Path) -> Path | None:
    if not candidate:
        return None
    path = Path(candidate).expanduser()
    options = [path] if path.is_absolute() else [cwd / path, *(p / path for p in cwd.parents)]
    for option in options:
        if option.suffix == ".ipynb" and option.is_file():
            return option
    return None


def _function_name(source: str) -> str | None:
    for line in source.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == "FUNCTION_NAME":
            return value.split("#", 1)[0].strip().strip("'\"")
    return None


def locate(
    user_ns: Mapping[str, Any],
    history: KernelHistory,
    explicit: str | os.PathLike | None = None,
    cwd: Path | None = None,
) -> tuple[Path | None, str]:
    """The notebook this kernel runs, and how it was found (for the report).

    In order: ``--notebook``; VS Code's ``__vsc_ipynb_file__``; Jupyter Server's ``__session__``
    (``JPY_SESSION_NAME``); ``KNOTEBOOK_NOTEBOOK``; else the one notebook in the working folder
    whose settings cell names the same FUNCTION_NAME as the settings cell the kernel ran
    (papermill runs the kernel in the notebook's folder and tells it nothing else).
    """
    cwd = cwd or Path.cwd()
    if explicit:
        found = _existing(explicit, cwd)
        if found is None:
            raise NotebookError(f"{explicit}: no such notebook")
        return found, "--notebook"
    for label, value in (
        ("VS Code", user_ns.get("__vsc_ipynb_file__")),
        ("Jupyter session", user_ns.get("__session__") or os.environ.get("JPY_SESSION_NAME")),
        ("KNOTEBOOK_NOTEBOOK", os.environ.get("KNOTEBOOK_NOTEBOOK")),
    ):
        found = _existing(value if isinstance(value, str) else None, cwd)
        if found is not None:
            return found, label
    settings = history.of_kind("settings")
    name = _function_name(settings[-1].source) if settings else None
    if name:
        matches = []
        for candidate in sorted(cwd.glob("*.ipynb")):
            try:
                nb = notebook.load(candidate)
            except NotebookError:
                continue
            if any(
                c.cell_type == "code"
                and notebook.cell_kind(c.source) == "settings"
                and _function_name(c.source) == name
                for c in nb.cells
            ):
                matches.append(candidate)
        if len(matches) == 1:
            return matches[0], f"the notebook in {cwd} with FUNCTION_NAME {name!r}"
    return None, "none found"


# ---------------------------------------------------------------------------------------------
# The function as it is in the kernel now
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CellOrigin:
    """Where the exported source of one cell came from."""

    number: int
    kind: str
    run: CellRun | None  # None: never ran in this kernel, the saved source is used
    differs: bool = False  # the kernel's source differs from the saved notebook

    def describe(self) -> str:
        if self.run is None:
            return f"cell {self.number}: saved source (not run in this kernel)"
        text = f"cell {self.number}: as run in the kernel (In[{self.run.count}])"
        return text + (", not saved yet" if self.differs else "")


@dataclass(frozen=True)
class KernelFunction:
    """What export needs, built from the kernel's runs and the saved notebook."""

    function: FunctionNotebook
    root: Path
    label: str
    path: Path | None
    found_by: str
    origins: tuple[CellOrigin, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        assert self.function.settings is not None
        return self.function.settings.name

    @property
    def unsaved(self) -> bool:
        return any(o.differs for o in self.origins)

    def env(self) -> dict[str, str]:
        """The values of ``notebooks/<stem>.env``, as validate and export use them."""
        if self.path is None:
            return {}
        return envfile.of_notebook(self.path)


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _label(path: Path, root: Path) -> str:
    return exporter.notebook_label(path, root)


def from_kernel(
    history: KernelHistory,
    path: Path | None,
    found_by: str = "",
    cwd: Path | None = None,
) -> KernelFunction:
    """The function notebook with each marked cell replaced by its latest kernel run."""
    cwd = cwd or Path.cwd()
    if path is None:
        return _from_history_only(history, cwd, found_by)
    saved = notebook.load(path)
    live = copy.deepcopy(saved)
    origins: list[CellOrigin] = []
    notes: list[str] = []
    marked = {
        kind: [
            (number, cell)
            for number, cell in enumerate(live.cells, start=1)
            if cell.cell_type == "code" and notebook.cell_kind(cell.source) == kind
        ]
        for kind in KINDS
    }
    runs = {kind: history.of_kind(kind) for kind in KINDS}
    saved_name = next((_function_name(c.source) for _, c in marked["settings"]), None)
    ran_name = _function_name(runs["settings"][-1].source) if runs["settings"] else None
    if ran_name and saved_name and ran_name != saved_name:
        # This kernel ran another notebook's cells: none of them belong here.
        runs = {kind: [] for kind in KINDS}
        notes.append(
            f"this kernel ran the settings of {ran_name!r}, not of {path.name} "
            f"({saved_name!r}): using the saved cells of {path.name}"
        )
    for kind in KINDS:
        cells = marked[kind]
        latest: dict[int, CellRun] = {}
        for run in runs[kind]:
            by_id = [
                number for number, cell in cells if run.cell_id and cell.get("id") == run.cell_id
            ]
            if by_id:
                latest[by_id[0]] = run
                continue
            if not cells:
                continue
            if len(cells) == 1:
                best, score = cells[0][0], 1.0
            else:
                score, best = max((_ratio(run.source, c.source), n) for n, c in cells)
            if score >= SIMILAR:
                latest[best] = run
            else:
                notes.append(
                    f"In[{run.count}]: a {kind} cell run in this kernel that matches no cell of "
                    f"{path.name}; save the notebook to include it"
                )
        for number, cell in cells:
            kept = latest.get(number)
            differs = kept is not None and kept.source.strip() != cell.source.strip()
            if kept is not None:
                cell.source = kept.source
            origins.append(CellOrigin(number, kind, kept, differs))
    function = notebook.from_node(live, path)
    root = exporter.find_templates(path.resolve().parent)
    origins.sort(key=lambda o: o.number)
    return KernelFunction(
        function, root, _label(path, root), path, found_by, tuple(origins), tuple(notes)
    )


def _from_history_only(history: KernelHistory, cwd: Path, found_by: str) -> KernelFunction:
    """No saved notebook: the latest settings run and one group per function cell run."""
    settings = history.of_kind("settings")
    if not settings:
        raise NotebookError(
            "cannot tell which notebook this kernel runs and it ran no '# knotebook: settings' "
            "cell; run the settings cell, or pass --notebook PATH"
        )
    groups: list[CellRun] = []
    for run in history.of_kind("function"):
        scores = [(_ratio(run.source, g.source), i) for i, g in enumerate(groups)]
        best = max(scores, default=(0.0, -1))
        if best[0] >= SIMILAR:
            groups[best[1]] = run
        else:
            groups.append(run)
    cells = [nbformat.v4.new_code_cell(settings[-1].source)]
    cells += [nbformat.v4.new_code_cell(g.source) for g in groups]
    label = "kernel history"
    function = notebook.from_node(nbformat.v4.new_notebook(cells=cells), Path(label))
    # Number the cells by their In[] execution counts: the only numbers the user can see.
    function = replace(
        function,
        function_cells=tuple(Cell(g.count, g.source) for g in groups),
    )
    origins = [CellOrigin(settings[-1].count, "settings", settings[-1])]
    origins += [CellOrigin(g.count, "function", g) for g in groups]
    return KernelFunction(
        function,
        exporter.find_templates(cwd),
        label,
        None,
        found_by,
        tuple(origins),
        ("no saved notebook found: cells are numbered by In[] and taken from the kernel only",),
    )


# ---------------------------------------------------------------------------------------------
# handler.py, exec'd in-process
# ---------------------------------------------------------------------------------------------
@contextlib.contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
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


class _Capture(logging.Handler):
    """Log records emitted on one thread, formatted as the exported app formats them."""

    def __init__(self, formatter: logging.Formatter | None) -> None:
        super().__init__(logging.NOTSET)
        self.thread = threading.get_ident()
        self.lines: list[str] = []
        self.setFormatter(formatter or logging.Formatter(logging.BASIC_FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.lines.append(self.format(record))


@contextlib.contextmanager
def _kept_signals() -> Iterator[None]:
    """handler.py may install signal handlers (its SIGALRM request deadline): put ours back."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    names = [n for n in ("SIGALRM",) if hasattr(signal, n)]
    saved = {n: signal.getsignal(getattr(signal, n)) for n in names}
    try:
        yield
    finally:
        for name, handler in saved.items():
            if handler is not None:
                signal.signal(getattr(signal, name), handler)


@contextlib.contextmanager
def _isolated_logging() -> Iterator[logging.Logger]:
    """Give the handler module a pristine root logger (as in its own process), then restore."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    root.handlers = []
    try:
        yield root
    finally:
        root.handlers = saved_handlers
        root.setLevel(saved_level)


def render_handler(kf: KernelFunction) -> str:
    """The ``handler.py`` that ``knotebook export`` writes for these cells."""
    files = exporter.render(kf.function, kf.root, kf.label)
    return files["handler.py"].decode("utf-8")


def load_handler(source: str, name: str) -> types.ModuleType:
    """Execute handler.py source as a fresh module; tracebacks show its lines."""
    filename = f"<knotebook {name}/handler.py>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    module = types.ModuleType(f"knotebook_handler_{next(_modules)}")
    module.__file__ = filename
    exec(compile(source, filename, "exec"), module.__dict__)
    return module


@dataclass
class Invocation:
    """The exported app's answer to one event, with the log lines it wrote meanwhile."""

    function: str
    event: Any
    mode: str
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float
    reply: Any
    logs: list[str]
    origins: tuple[CellOrigin, ...] = ()
    label: str = ""
    notes: list[str] = field(default_factory=list)
    handler_source: str = ""
    found_by: str = ""  # how the notebook was located (session, VS Code, --notebook, ...)
    # Values of the function's environment: masked in what is shown (and saved in the .ipynb)
    secrets: list[str] = field(default_factory=list, repr=False)

    @property
    def reason(self) -> str:
        try:
            return HTTPStatus(self.status).phrase
        except ValueError:
            return ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def headline(self) -> str:
        return (
            f"{self.status} {self.reason} from {self.function} for {self.event.get_type()} "
            f"id={self.event.get_id()} ({self.mode} mode, {self.seconds * 1000:.1f} ms)"
        )

    def source_line(self) -> str:
        cells = "; ".join(o.describe() for o in self.origins if o.kind == "function")
        return f"handler.py rendered from {self.label}: {cells}"

    def _reply_data(self, indent: int | None = None) -> str:
        data = self.reply.get_data()
        if isinstance(data, bytes):
            data = data.decode("utf-8", "replace")
        return data if isinstance(data, str) else json.dumps(data, indent=indent, default=str)

    def _body_text(self) -> str:
        return self.body.decode("utf-8", "replace") if self.body else ""

    def __str__(self) -> str:
        return masking.mask_text(self._text(), self.secrets)

    def _text(self) -> str:
        lines = [self.headline(), self.source_line()]
        lines += [f"note: {n}" for n in self.notes]
        lines.append("log:" if self.logs else "log: (nothing logged)")
        lines += [f"  {line}" for line in self.logs]
        if self.reply is not None:
            lines.append("reply:")
            lines += [f"  {row}" for row in str(events.EventView(self.reply)).splitlines()]
            lines.append(f"  data  {self._reply_data()}")
        elif self.body:
            lines.append(f"body: {self._body_text()}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Invocation {self.function} {self.status} {self.reason}>"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        html = self._html()
        for secret in self.secrets:  # as escape() wrote them, then as they are
            html = html.replace(escape(secret), masking.MASK).replace(secret, masking.MASK)
        return html

    def _html(self) -> str:
        colour = "#1a7f37" if self.ok else "#cf222e"
        rows = [
            ("status", f"<b style='color:{colour}'>{self.status} {escape(self.reason)}</b>"),
            (
                "event",
                f"<code>{escape(str(self.event.get_type()))}</code> "
                f"id={escape(str(self.event.get_id()))}",
            ),
            ("mode", escape(self.mode)),
            ("latency", f"{self.seconds * 1000:.1f} ms"),
            ("handler.py", escape(self.source_line().split(": ", 1)[1])),
        ]
        table = "".join(
            f"<tr><th style='text-align:left'>{k}</th><td style='text-align:left'>{v}</td></tr>"
            for k, v in rows
        )
        log = "\n".join(self.logs) if self.logs else "(nothing logged)"
        parts = [
            f"<div class='knotebook-invoke'><p><code>{escape(self.function)}</code> "
            f"(handler.py, in-process) answered <b style='color:{colour}'>{self.status} "
            f"{escape(self.reason)}</b></p><table>{table}</table>",
            f"<p><b>log</b></p><pre class='knotebook-log'>{escape(log)}</pre>",
        ]
        parts += [f"<p><b>note:</b> {escape(n)}</p>" for n in self.notes]
        if self.reply is not None:
            parts.append("<p><b>reply</b></p>" + events.EventView(self.reply)._repr_html_())
            parts.append(f"<p><b>reply data</b></p><pre>{escape(self._reply_data(2))}</pre>")
        elif self.body:
            parts.append(f"<p><b>body</b></p><pre>{escape(self._body_text())}</pre>")
        parts.append(
            "<details><summary>event sent</summary>"
            + events.EventView(self.event)._repr_html_()
            + "</details></div>"
        )
        return "".join(parts)


def invoke(kf: KernelFunction, event: Any, mode: str = "binary") -> Invocation:
    """Render handler.py, load it fresh, POST the event to its app; capture its logs."""
    source = render_handler(kf)
    headers, body = delivery.encode(event, mode)
    env = kf.env()
    with _kept_signals(), _isolated_logging() as root, environment(env):
        module = load_handler(source, kf.name)
        # The module's basicConfig set the level and format handler.py logs with in production.
        formatter = root.handlers[0].formatter if root.handlers else None
        capture = _Capture(formatter)
        root.handlers = [capture]
        app = getattr(module, "app", None)
        if not callable(app):
            raise KnotebookError("handler.py defines no 'app'; check handler_template.py")
        # The object gunicorn serves (handler:app), called through its WSGI side: the same
        # parsing and delivery as gunicorn's ASGI calls, without an event loop in the kernel.
        client = Client(app)
        started = time.perf_counter()
        response = client.post("/", headers=headers, data=body)
        seconds = time.perf_counter() - started
    reply_headers = dict(response.headers)
    data = response.get_data()
    reply = delivery.reply_event(response.status_code, reply_headers, data)
    notes = list(kf.notes)
    if reply is not None:
        assert kf.function.settings is not None
        own = {
            events.trigger_attributes(e, kf.function.settings.envelope).get("type")
            for e in kf.function.settings.event_types
        }
        if reply.get_type() in own:
            notes.append(
                f"the reply's type {reply.get_type()} is one this function subscribes to: the "
                "Broker would deliver the reply back to it, in a loop"
            )
    if env and kf.path is not None:
        notes.append(f"environment from {env_file_of(kf.path).name}: {', '.join(env)}")
    return Invocation(
        kf.name,
        event,
        mode,
        response.status_code,
        reply_headers,
        data,
        seconds,
        reply,
        capture.lines,
        kf.origins,
        kf.label,
        notes,
        source,
        kf.found_by,
        masking.secret_values(kf.function, env),
    )


# ---------------------------------------------------------------------------------------------
# Export from the kernel, with a diff against the previous export
# ---------------------------------------------------------------------------------------------
SECRET_FILES = (exporter.ENV_FILE,)
MAX_DIFF_LINES = 400


@dataclass
class ExportReport:
    """What an export from the kernel wrote (or would write), and how files changed."""

    directory: Path
    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]
    diffs: dict[str, str]
    origins: tuple[CellOrigin, ...]
    label: str
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    def headline(self) -> str:
        verb = "would write" if self.dry_run else "wrote"
        text = f"{self.directory}/: {verb} {len(self.written)} file(s)"
        text += f", {len(self.unchanged)} unchanged"
        return text + (f", removed {len(self.removed)}" if self.removed else "")

    def source_line(self) -> str:
        cells = "; ".join(o.describe() for o in self.origins if o.kind == "function")
        return f"from {self.label}: {cells}"

    def __str__(self) -> str:
        lines = [self.headline(), self.source_line()]
        lines += [f"note: {n}" for n in self.notes]
        for name in self.written:
            lines.append(f"  {'new' if name not in self.diffs else 'changed'}  {name}")
        lines += [f"  removed  {name}" for name in self.removed]
        lines += [diff.rstrip("\n") for diff in self.diffs.values()]
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        items = "".join(
            f"<li><code>{escape(n)}</code> {'changed' if n in self.diffs else 'new'}</li>"
            for n in self.written
        )
        items += "".join(f"<li><code>{escape(n)}</code> removed</li>" for n in self.removed)
        diffs = "".join(
            f"<details><summary>diff {escape(name)}</summary><pre>{escape(diff)}</pre></details>"
            for name, diff in self.diffs.items()
        )
        notes = "".join(f"<p><b>note:</b> {escape(n)}</p>" for n in self.notes)
        return (
            f"<div class='knotebook-export'><p><b>{escape(self.headline())}</b></p>"
            f"<p>{escape(self.source_line())}</p>{notes}<ul>{items}</ul>{diffs}</div>"
        )


def _diff(name: str, old: bytes, new: bytes) -> str:
    if name in SECRET_FILES:
        return f"--- {name}\n+++ {name}\n(values not shown: they are secrets)\n"
    try:
        a, b = old.decode("utf-8").splitlines(True), new.decode("utf-8").splitlines(True)
    except UnicodeDecodeError:
        return f"--- {name}\n+++ {name}\n(binary files differ)\n"
    lines = list(difflib.unified_diff(a, b, f"previous/{name}", f"now/{name}", n=2))
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... {len(lines) - MAX_DIFF_LINES} more lines\n"]
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def export(
    kf: KernelFunction,
    output_dir: str | os.PathLike | None = None,
    *,
    force: bool = False,
    dry_run: bool = False,
) -> ExportReport:
    """Export the kernel's cells like ``knotebook export`` would the saved notebook."""
    files = exporter.render(kf.function, kf.root, kf.label)
    base = Path(output_dir) if output_dir is not None else kf.root / "export"
    directory = base / kf.name
    env = exporter.env_file(kf.function)
    decision = guard.env_decision(directory, env[0], from_notebook=env[1], force=force)
    planned = dict(files)
    if decision.write is not None:
        planned[exporter.ENV_FILE] = decision.write
    before = {
        name: (directory / name).read_bytes() for name in planned if (directory / name).is_file()
    }
    notes = list(kf.notes)
    if kf.unsaved:
        notes.append(
            "exported the cells as run in the kernel, which differ from the saved notebook: "
            "save it, or `knotebook export` will write the saved version"
        )
    if dry_run:
        written = tuple(sorted(n for n in planned if before.get(n) != planned[n]))
        unchanged = tuple(sorted(n for n in planned if before.get(n) == planned[n]))
        removed: tuple[str, ...] = ()
    else:
        result = exporter.write(
            files, directory, env=env, notebook_label=kf.label, root=kf.root, force=force
        )
        written, unchanged, removed = result.written, result.unchanged, result.removed
    diffs = {
        name: _diff(name, before[name], planned[name])
        for name in written
        if name in before and name in planned
    }
    return ExportReport(
        directory, written, unchanged, removed, diffs, kf.origins, kf.label, dry_run, notes
    )
