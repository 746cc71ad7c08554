"""Send a CloudEvent over HTTP the way a Knative Broker delivers it, and read the reply."""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from knotebook import events
from knotebook.errors import KnotebookError

MODES = ("binary", "structured")


@dataclass(frozen=True)
class Delivery:
    """The function's answer to one event."""

    status: int
    reason: str
    headers: dict[str, str]
    body: bytes
    seconds: float
    reply: Any = None  # a CloudEvent when the function replied with one

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def encode(event: Any, mode: str = "binary") -> tuple[dict[str, str], bytes]:
    """Headers and body for ``event`` in binary (the Broker's default) or structured mode."""
    if mode == "binary":
        headers, body = events.to_binary(event)
    elif mode == "structured":
        headers, body = (
            {"Content-Type": "application/cloudevents+json"},
            events.to_structured(event),
        )
    else:
        raise KnotebookError(f"unknown mode {mode!r}; use binary or structured")
    return {**headers, "Prefer": "reply"}, body


def _reply(status: int, headers: dict[str, str], body: bytes) -> Any:
    lowered = {k.lower() for k in headers}
    if status != 200 or not ({"ce-id", "ce-type"} <= lowered or body.startswith(b"{")):
        return None
    from cloudevents.core.bindings.http import HTTPMessage, from_http_event

    try:
        return from_http_event(HTTPMessage(headers, body))
    except Exception:  # the SDK raises plain exceptions for malformed replies
        return None


def post(url: str, headers: dict[str, str], body: bytes, timeout: float = 30.0) -> Delivery:
    """POST raw bytes; connection errors become a one-line KnotebookError."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise KnotebookError(f"{url}: expected an http:// URL")
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    started = time.perf_counter()
    try:
        conn.request("POST", parts.path or "/", body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
    except OSError as exc:
        raise KnotebookError(f"cannot reach {url}: {exc}") from None
    finally:
        conn.close()
    elapsed = time.perf_counter() - started
    reply_headers = dict(response.getheaders())
    return Delivery(
        response.status,
        response.reason,
        reply_headers,
        data,
        elapsed,
        _reply(response.status, reply_headers, data),
    )


def send(url: str, event: Any, mode: str = "binary", timeout: float = 30.0) -> Delivery:
    """Deliver ``event`` to ``url`` and return the function's answer."""
    headers, body = encode(event, mode)
    return post(url, headers, body, timeout)
