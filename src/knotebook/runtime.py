"""Run an exported bundle locally the way the buildpack launcher does: the Procfile's ``web``
command under ``bash -c``, with ``PORT`` and ``k8s/function.env`` in the environment."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from knotebook import envfile
from knotebook.errors import KnotebookError

WEB = re.compile(r"(?m)^web:\s*(.+)$")


def web_command(bundle: Path) -> str:
    """The ``web:`` command of the bundle's Procfile."""
    procfile = bundle / "Procfile"
    try:
        text = procfile.read_text(encoding="utf-8")
    except OSError:
        raise KnotebookError(f"{procfile}: no Procfile; is {bundle} an exported bundle?") from None
    match = WEB.search(text)
    if not match:
        raise KnotebookError(f"{procfile}: no 'web:' line")
    return match.group(1).strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running bundle: its URL, process and the log lines it printed so far."""

    url: str
    process: subprocess.Popen[bytes]
    logs: list[str] = field(default_factory=list)

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM (as Knative sends it), then SIGKILL after ``timeout``; returns the exit code."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode


def _pump(stream, logs: list[str], echo: bool) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip("\n")
        logs.append(line)
        if echo:
            print(line, file=sys.stderr, flush=True)


def _ready(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=1)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def start(
    bundle: Path, *, port: int | None = None, echo: bool = False, timeout: float = 30.0
) -> Server:
    """Start the bundle's web process and wait until ``GET /healthz`` answers 200."""
    command = web_command(bundle)
    env_path = bundle / "k8s" / "function.env"
    values = envfile.read(env_path) if env_path.is_file() else {}
    port = port or free_port()
    env = {**os.environ, **values, "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    # The buildpack puts the installed packages on PATH; here that is this interpreter's bin.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    process = subprocess.Popen(
        ["bash", "-c", command],
        cwd=bundle,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(f"http://127.0.0.1:{port}", process)
    threading.Thread(target=_pump, args=(process.stdout, server.logs, echo), daemon=True).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            time.sleep(0.1)  # let the pump collect the last lines
            tail = " | ".join(server.logs[-3:]) or "no output"
            raise KnotebookError(f"{bundle}: web process exited with {process.returncode}: {tail}")
        if _ready(server.url):
            return server
        time.sleep(0.05)
    server.stop()
    raise KnotebookError(f"{bundle}: web process not ready on {server.url} after {timeout:.0f} s")


@contextmanager
def serve(bundle: Path, **kwargs) -> Iterator[Server]:
    """``start`` as a context manager that always stops the process."""
    server = start(bundle, **kwargs)
    try:
        yield server
    finally:
        server.stop()
