"""``knotebook dev``: export, serve, and on every save re-export, restart and re-send the event.

The notebook, its ``.env`` and the project's templates (``handler_template.py``,
``requirements.txt``, ``Procfile``, ``k8s/``) are watched with watchfiles (inotify, or the
platform's equivalent). A save that changes the bundle restarts the function on the same port
and re-sends the last event: the one ``knotebook invoke`` sent to it last, else ``--event``, else
the bundle's ``testevent.json``. A save that leaves the bundle as it was (exploration cells only)
restarts nothing. Errors (a bad cell, a handler that does not import) are printed and the
session keeps watching.

From a notebook or script::

    session = DevSession("notebooks/vm_created.ipynb", say=print)
    session.background()   # export, serve, send; then watch for saves in a thread
    session.answers[-1]    # the last answer (a knotebook.local.delivery.Delivery)
    session.stop()
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import watchfiles

from knotebook.errors import KnotebookError
from knotebook.local import delivery, ports, process, runstate, venvs
from knotebook.local.bundle import check_env, choose_port
from knotebook.project import templates
from knotebook.project.paths import env_file_of
from knotebook.runtime import binding


class DevSession:
    def __init__(
        self,
        notebook: str | Path,
        *,
        event: Any = None,
        envelope: str = "tanzu",
        mode: str = "binary",
        overrides: dict[str, Any] | None = None,
        attributes: dict[str, str] | None = None,
        port: int | None = None,
        host: str = process.LOCAL_HOST,
        isolated: bool = True,
        echo: bool = True,
        say: Callable[[str], None] | None = None,
        interval: float = 0.3,
    ) -> None:
        self.notebook = Path(notebook)
        if not self.notebook.is_file():
            raise KnotebookError(f"{self.notebook}: no such notebook")
        if self.notebook.suffix != ".ipynb":
            raise KnotebookError(f"{self.notebook}: not a notebook (.ipynb)")
        self.event_spec, self.envelope, self.mode = event, envelope, mode
        self.overrides, self.attributes = overrides, attributes
        self.port, self.host = port, host
        self.isolated, self.echo = isolated, echo
        self._say = say or (lambda _line: None)
        self.interval = interval
        self.server: process.Server | None = None
        self.bundle: Path | None = None
        self.restarts: list[float] = []  # seconds from a detected save to serving again
        self.answers: list[delivery.Delivery] = []
        self._stopping = threading.Event()
        # held while the server is replaced or stopped: stop() never misses a server that a
        # build in the watcher thread is starting
        self._lock = threading.Lock()
        self._changes: Iterator[set[tuple[watchfiles.Change, str]]] | None = None

    # -- what is watched ---------------------------------------------------------------------
    def watched(self) -> list[Path]:
        project = templates.find(self.notebook.resolve().parent)
        paths = [self.notebook, env_file_of(self.notebook)]
        # Helper modules beside the notebook are bundled when the cells import them.
        helpers = sorted(self.notebook.parent.glob("*.py"))
        return paths + helpers + project.watched()

    # -- the loop ----------------------------------------------------------------------------
    def start(self) -> None:
        """Start watching, then export, serve and send the event once.

        An error no save of the notebook can fix (the port is taken) raises KnotebookError;
        the others are printed, and the session waits for the next save."""
        if self.port and not ports.port_free(self.port, self.host):
            raise KnotebookError(
                f"port {self.port} on {self.host} is in use; pick another with --port"
            )
        self.port = choose_port(self.port)
        self._changes = self._watch()
        next(self._changes)  # the watcher is live from here on: no save is missed
        self._build(first=True)

    def _watch(self) -> Iterator[set[tuple[watchfiles.Change, str]]]:
        wanted = {os.path.realpath(p) for p in self.watched()}
        # The folders, not the files: editors save by renaming a new file over the old one, and
        # a template the project does not have yet may appear.
        folders = sorted({os.path.dirname(p) for p in wanted if os.path.isdir(os.path.dirname(p))})
        return watchfiles.watch(
            *folders,
            watch_filter=lambda _change, path: os.path.realpath(path) in wanted,
            recursive=False,
            stop_event=self._stopping,
            rust_timeout=max(1, int(self.interval * 1000)),
            yield_on_timeout=True,  # so an exited function is noticed without a save
            debounce=400,
            step=50,
        )

    def serve_forever(self) -> None:
        """Rebuild on every save until ``stop()`` (or Ctrl-C)."""
        if self._changes is None:
            self.start()
        assert self._changes is not None
        for changes in self._changes:
            if self.server is not None and self.server.process.poll() is not None:
                code = self.server.process.returncode
                self._say(f"The function exited with {code}; waiting for the next save.")
                with self._lock:
                    self._stop_server()
            if changes:
                names = ", ".join(sorted({Path(path).name for _change, path in changes}))
                self._say(f"Saved: {names}")
                self._build(first=False)

    def background(self) -> threading.Thread:
        """Start (if needed) and watch in a daemon thread (from a notebook); ``stop()`` ends it."""
        if self._changes is None:
            self.start()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self._thread

    def stop(self) -> int | None:
        self._stopping.set()
        thread = getattr(self, "_thread", None)
        if thread is not None:
            thread.join(30)
            del self._thread
        with self._lock:  # a build still starting (the join timed out) finishes first
            return self._stop_server()

    # -- internals ---------------------------------------------------------------------------
    def _stop_server(self, *, forget: bool = True) -> int | None:
        if self.server is None:
            return None
        code = self.server.stop()
        if forget:
            runstate.forget(self.server.url)
        self.server = None
        return code

    def _build(self, *, first: bool) -> bool:
        started = time.monotonic()
        try:
            from knotebook.export.exporter import export

            result = export(self.notebook)
        except KnotebookError as exc:
            self._say(f"Error: {exc}")
            return False
        self.bundle = result.directory
        unchanged = not result.written and not result.removed
        if not first and unchanged and self.server is not None:
            self._say("Bundle unchanged (no function cell, setting or template changed).")
            return False
        if not first:
            self._say(f"Re-exported {self.bundle}/ ({', '.join(result.written) or 'no files'})")
        try:
            check_env(self.bundle)
            venv = None
            if self.isolated:
                venv = venvs.ensure(self.bundle / "requirements.txt", progress=self._say)
            with self._lock:
                if self._stopping.is_set():
                    return False
                self._stop_server(forget=False)  # same URL again: keep its last event
                server = process.start(
                    self.bundle,
                    port=self.port,
                    host=self.host,
                    echo=self.echo,
                    venv=venv,
                )
                if self._stopping.is_set():  # stop() came while it started
                    server.stop()
                    return False
                self.server = server
        except KnotebookError as exc:
            self._say(f"Error: {exc}")
            self._say("Waiting for the next save...")
            return False
        seconds = time.monotonic() - started
        runstate.record(self.bundle.resolve().name, server.url, self.bundle, kind="dev")
        if first:
            self._say(f"Serving {self.bundle.name} at {server.url}/ ({seconds:.2f} s)")
        else:
            self._say(f"Restarted in {seconds:.2f} s")
        self._send()
        if not first:  # after the re-send: whoever sees the restart also sees its answer
            self.restarts.append(seconds)
        return True

    def _event(self) -> tuple[Any, str]:
        assert self.server is not None and self.bundle is not None
        last = runstate.last_event(self.server.url)
        if last and isinstance(last.get("event"), dict):
            try:
                event = binding.from_dict(dict(last["event"]))
                return event, str(last.get("mode") or self.mode)
            except binding.BadEvent:
                pass
        spec = self.event_spec if self.event_spec is not None else self.bundle / "testevent.json"
        event = delivery.load_event(spec, self.envelope, self.overrides, self.attributes)
        return event, self.mode

    def _send(self) -> None:
        if self.server is None:  # stopped meanwhile
            return
        try:
            event, mode = self._event()
            answer = delivery.send(self.server.url + "/", event, mode)
        except KnotebookError as exc:
            self._say(f"Error: {exc}")
            return
        self.answers.append(answer)
        for line in delivery.describe(mode, event, answer):
            self._say(line)
