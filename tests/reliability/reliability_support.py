"""Helpers for the reliability suite: export a function, serve it with its own Procfile."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
from conftest import make_project, notebook_cells

from knotebook.export import exporter
from knotebook.local import delivery, process

SETTINGS = """# knotebook: settings
FUNCTION_NAME = "{name}"
EVENT_TYPES = ["VmCreatedEvent"]
ENV_VARS = {env_vars!r}
"""

# One function for the suite: data.action picks a misbehaviour; anything else is handled.
FUNCTION = """# knotebook: function
import logging
import time

log = logging.getLogger("reliability")


def handler(event):
    data = event.get_data()
    action = data.get("action") if isinstance(data, dict) else None
    if action == "raise":
        raise RuntimeError("the vCenter call failed")
    if action == "sleep":
        log.info("sleeping %s s for event %s", data["seconds"], event.get_id())
        time.sleep(data["seconds"])
    if action == "spin":
        while True:
            pass
    if action == "default-alarm":
        import signal

        signal.signal(signal.SIGALRM, signal.SIG_DFL)
    if action == "regex":
        import re

        re.match(r"(a+)+$", "a" * 29 + "b")  # about 25 s when nothing cuts it
    if action in ("steal-alarm", "cancel-alarm"):  # as code timing its own calls might
        import signal

        if action == "steal-alarm":
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
        signal.setitimer(signal.ITIMER_REAL, 0)
    log.info("handled event %s", event.get_id())
"""


def export(
    root: Path,
    name: str = "reliability",
    function: str = FUNCTION,
    env_file: str | None = None,
    env_vars: tuple[str, ...] = (),
) -> Path:
    """A bundle exported from a scratch project with the repo's templates."""
    project = make_project(root / "project")
    path = project / "notebooks" / f"{name}.ipynb"
    settings = SETTINGS.format(name=name, env_vars=list(env_vars))
    nbformat.write(
        notebook_cells(settings, ('EVENT = "VmCreatedEvent"', ["parameters"]), function), path
    )
    if env_file is not None:
        path.with_suffix(".env").write_text(env_file)
    return exporter.export(path).directory


@contextmanager
def serve(bundle: Path, **env: str):
    """The bundle's Procfile web command, with extra environment (as on the Knative Service)."""
    server = process.start(bundle, extra_env=env)
    try:
        yield server
    finally:
        server.stop()


def address(server) -> tuple[str, int]:
    parts = urlsplit(server.url)
    return parts.hostname, parts.port


def post(server, headers: dict[str, str], body: bytes, timeout: float = 10.0):
    """(status, headers, body) of one POST / on a fresh connection."""
    host, port = address(server)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        response = conn.getresponse()
        return response.status, delivery.Headers(response.getheaders()), response.read()
    finally:
        conn.close()


def reason(headers: dict[str, str], body: bytes) -> str:
    """The JSON reason of a 4xx/5xx answer from handler.py."""
    assert headers.get("Content-Type") == "application/json", (headers, body)
    payload = json.loads(body)
    assert isinstance(payload["status"], int)
    assert isinstance(payload["error"], str) and payload["error"]
    return payload["error"]


def workers_booted(server) -> int:
    return sum("Booting worker" in line for line in server.logs)


def raw_connection(server) -> socket.socket:
    return socket.create_connection(address(server), timeout=10)


def read_answer(sock: socket.socket) -> bytes:
    """One answer: its head and Content-Length body, or all the server sends until it closes
    the connection (a connection left open after a framed answer is the server's keep-alive)."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            if sep and length and len(body) >= int(length.group(1)):
                break
    except ConnectionResetError:  # closed with request bytes unread: RST after the answer
        pass
    sock.close()
    return data


def terminate_master(server) -> None:
    """SIGTERM to the launcher's process only, as Kubernetes sends it (not the whole group)."""
    os.kill(server.process.pid, signal.SIGTERM)


def wait_for_log(server, text: str, timeout: float = 10.0, count: int = 1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(text in line for line in server.logs) >= count:
            return
        time.sleep(0.01)
    raise AssertionError(f"no log line with {text!r}; last: {server.logs[-5:]}")
