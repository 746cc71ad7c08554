"""The local broker's ingress answers a bad Content-Length with a JSON 4xx, never a traceback."""

from __future__ import annotations

import http.client
import json

import pytest

from knotebook.local.broker import Broker
from knotebook.runtime.limits import MAX_BODY_BYTES


@pytest.fixture(scope="module")
def ingress():
    lines: list[str] = []
    with Broker([], say=lines.append) as hub:
        yield hub, lines


def _raw(url: str, request: bytes) -> tuple[int, dict]:
    host, port = url.removeprefix("http://").rstrip("/").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.connect()
    assert conn.sock is not None
    conn.sock.sendall(request)
    response = http.client.HTTPResponse(conn.sock)
    response.begin()
    body = json.loads(response.read())
    conn.close()
    return response.status, body


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (b"Content-Length: abc\r\n", 400),
        (b"Content-Length: -5\r\n", 400),
        (f"Content-Length: {MAX_BODY_BYTES + 1}\r\n".encode(), 413),
        (b"Transfer-Encoding: chunked\r\n", 411),
    ],
)
def test_a_bad_body_length_gets_a_json_4xx(ingress, header, status):
    hub, lines = ingress
    request = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + header + b"\r\n"
    answer, body = _raw(hub.url, request)
    assert (answer, body["status"]) == (status, status)
    assert body["error"]
    assert any(f"({status})" in line for line in lines)
