"""``%knotebook invoke``: the exported handler.py, exec'd in-process, answers one event through
its WSGI side (the same parsing and delivery as gunicorn's ASGI calls, without an event loop in
the kernel).
"""

from __future__ import annotations

import contextlib
import json
import linecache
import logging
import os
import signal
import threading
import time
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from html import escape
from http import HTTPStatus
from itertools import count
from typing import Any

from werkzeug.test import Client

from knotebook import events
from knotebook.errors import KnotebookError
from knotebook.export import exporter
from knotebook.lab.kernelfn import CellOrigin, KernelFunction
from knotebook.local import delivery
from knotebook.notebook import masking
from knotebook.project.paths import env_file_of

_modules = count(1)


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
