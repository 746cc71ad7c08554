"""An echo function in the kit's notebook convention, exported by the kit and served by its own
Procfile command; helpers to send raw requests in binary and structured mode."""

from __future__ import annotations

import base64
import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nbformat
import pytest
from conftest import make_project, notebook_cells

from knotebook.export import exporter
from knotebook.local import process

SETTINGS = """# knotebook: settings
FUNCTION_NAME = "echo"
EVENT_TYPES = ["VmCreatedEvent"]
"""
# Replies with what it received: every attribute (time as ISO text), the Python type of the data
# and the data itself (bytes as base64), and the event class's module (1.0 or 0.3).
ECHO = """# knotebook: function
import base64

from cloudevents.core.v1.event import CloudEvent


def sdk_class(event):
    return type(event).__mro__[1].__module__  # the cloudevents class the event extends


def handler(event):
    data = event.get_data()
    kind = type(data).__name__
    if isinstance(data, bytes):
        data = base64.b64encode(data).decode("ascii")
    attributes = {
        name: value.isoformat() if hasattr(value, "isoformat") else value
        for name, value in event.get_attributes().items()
    }
    return CloudEvent(
        {"type": "echo", "source": "echo", "id": "echo", "datacontenttype": "application/json"},
        {"attributes": attributes, "kind": kind, "data": data, "class": sdk_class(event)},
    )
"""


def export_echo(root: Path, function: str = ECHO) -> Path:
    project = make_project(root / "project")
    path = project / "notebooks" / "echo.ipynb"
    nbformat.write(notebook_cells(SETTINGS, function), path)
    return exporter.export(path).directory


class Answer:
    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    @property
    def echo(self) -> dict[str, Any]:
        assert self.status == 200, (self.status, self.body)
        return json.loads(self.body)

    @property
    def reason(self) -> str:
        assert self.headers.get("content-type") == "application/json", (self.headers, self.body)
        payload = json.loads(self.body)
        assert payload["status"] == self.status
        return payload["error"]

    def __repr__(self) -> str:
        return f"<Answer {self.status} {self.body[:200]!r}>"


def request(
    url: str,
    headers: dict[str, str | bytes],
    body: bytes = b"",
    method: str = "POST",
    path: str = "/",
) -> Answer:
    """One raw request on a fresh connection; header values may be bytes (sent as they are)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return Answer(response.status, response.getheaders(), response.read())
    finally:
        conn.close()


REQUIRED = {"specversion": "1.0", "id": "A234-1234-1234", "source": "/vcenter", "type": "t.v0"}


def binary(
    attributes: dict[str, Any], data: bytes = b"", content_type: str | None = None
) -> tuple[dict[str, str | bytes], bytes]:
    """Headers and body in binary mode: ``attributes`` as ce-* header values (str or bytes)."""
    headers: dict[str, str | bytes] = {f"ce-{k}": v for k, v in attributes.items()}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return headers, data


def structured(envelope: dict[str, Any] | bytes) -> tuple[dict[str, str | bytes], bytes]:
    body = envelope if isinstance(envelope, bytes) else json.dumps(envelope).encode()
    return {"Content-Type": "application/cloudevents+json"}, body


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@pytest.fixture(scope="module")
def echo_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_echo(tmp_path_factory.mktemp("echo"))


@pytest.fixture(scope="module")
def echo(echo_bundle: Path) -> Iterator[str]:
    """The echo function served by its bundle's Procfile command (gunicorn, ASGI): its URL."""
    with process.serve(echo_bundle) as server:
        yield server.url
