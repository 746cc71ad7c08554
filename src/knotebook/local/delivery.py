"""Send a CloudEvent over HTTP the way a Knative Broker delivers it, and read the reply.

What a function behind a Knative Broker receives (knative/eventing broker ingress + filter):
binary mode by default, ``Prefer: reply``, a W3C ``traceparent`` header, and the
``knativearrivaltime`` extension the ingress stamps on every event. A reply is a CloudEvent in a
200 answer; 404, 408, 409, 429 and 5xx are retried (``retryable``), other 4xx are not.
"""

from __future__ import annotations

import copy
import http.client
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from werkzeug.datastructures import Headers

from knotebook import events
from knotebook.errors import KnotebookError
from knotebook.runtime import binding

MODES = ("binary", "structured")
# knative/eventing pkg/kncloudevents SelectiveRetry: these, any 5xx and transport errors
RETRYABLE = frozenset({404, 408, 409, 429})


def retryable(status: int | None) -> bool:
    """Would Knative retry this answer? ``None`` stands for a transport error (no answer)."""
    return status is None or status >= 500 or status in RETRYABLE


def arrival_time(now_ns: int | None = None) -> str:
    """``knativearrivaltime`` as the broker ingress writes it: RFC 3339, UTC, nanoseconds."""
    now_ns = time.time_ns() if now_ns is None else now_ns
    seconds, nanos = divmod(now_ns, 1_000_000_000)
    stamp = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{nanos:09d}Z"


def traceparent() -> str:
    """A fresh W3C ``traceparent`` (the OpenTelemetry propagation header Knative sends)."""
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def with_arrival_time(event: Any, when: str | None = None) -> Any:
    """A copy of ``event`` with ``knativearrivaltime`` set (kept if the event already has one)."""
    attributes = event.get_attributes()
    if attributes.get("knativearrivaltime"):
        return event
    return _reattributed(event, {**attributes, "knativearrivaltime": when or arrival_time()})


@dataclass(frozen=True)
class Delivery:
    """The function's answer to one event."""

    status: int
    reason: str
    headers: Headers  # lookups ignore case, as HTTP's do
    body: bytes
    seconds: float
    reply: Any = None  # a CloudEvent when the function replied with one
    request_headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        return retryable(self.status)


def encode(
    event: Any, mode: str = "binary", *, broker: bool = False
) -> tuple[dict[str, str], bytes]:
    """Headers and body for ``event`` in binary (the Broker's default) or structured mode.

    ``broker=True`` adds what the Broker adds: ``knativearrivaltime`` and ``traceparent``.
    """
    extra: dict[str, str] = {}
    if broker:
        event = with_arrival_time(event)
        extra["traceparent"] = traceparent()
    if mode == "binary":
        headers, body = events.to_binary(event)
    elif mode == "structured":
        headers, body = (
            {"Content-Type": "application/cloudevents+json"},
            events.to_structured(event),
        )
    else:
        raise KnotebookError(f"unknown mode {mode!r}; use binary or structured")
    return {**headers, "Prefer": "reply", **extra}, body


def reply_event(status: int, headers: Mapping[str, str], body: bytes) -> Any:
    """The CloudEvent a function replied with (a 200 with one), else None."""
    lowered = {k.lower() for k in headers}
    if status != 200 or not ({"ce-id", "ce-type"} <= lowered or body.startswith(b"{")):
        return None
    try:
        return binding.parse_message(headers, body)
    except binding.BadEvent:
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
    reply_headers = Headers(response.getheaders())
    return Delivery(
        response.status,
        response.reason,
        reply_headers,
        data,
        elapsed,
        reply_event(response.status, dict(reply_headers), data),
        dict(headers),
    )


def send(
    url: str, event: Any, mode: str = "binary", timeout: float = 30.0, *, broker: bool = True
) -> Delivery:
    """Deliver ``event`` to ``url`` as the Broker would and return the function's answer."""
    headers, body = encode(event, mode, broker=broker)
    return post(url, headers, body, timeout)


def load_event(
    spec: Any,
    envelope: str = "tanzu",
    overrides: dict[str, Any] | None = None,
    attributes: dict[str, str] | None = None,
) -> Any:
    """The event to send: a CloudEvent, a structured-mode JSON file, or a vCenter event id.

    ``overrides`` sets payload paths (``{"Vm.Name": "web-42"}``), like ``--set``;
    ``attributes`` sets CloudEvent attributes (``{"subject": "x", "time": "..."}``), like
    ``--attr``; an empty value removes an optional attribute.
    """
    if hasattr(spec, "get_attributes"):
        event = spec
    else:
        path = Path(str(spec))
        if path.suffix == ".json" or path.is_file():
            event = read_event_file(path)
        else:
            # an id, or a sample name: TaskEvent:error, VmPoweredOffEvent:vcsim-28 (recorded)
            event = events.sample(str(spec), envelope=envelope, overrides=overrides)
            overrides = None
    if attributes:
        event = with_attributes(event, attributes)
    if overrides:
        from knotebook.events.knobs import set_path

        data = copy.deepcopy(event.get_data())
        if not isinstance(data, dict):
            raise KnotebookError("--set needs an event whose data is a JSON object")
        for key, value in overrides.items():
            set_path(data, key, value)
        event = copy.copy(event)
        event._data = data
    return event


REQUIRED = ("id", "source", "type", "specversion")


def _reattributed(event: Any, attributes: dict[str, Any]) -> Any:
    """A copy of ``event`` with exactly ``attributes``.

    Kept by hand on purpose: the SDK's only way to build an event, ``CloudEvent(...)``, invents
    a ``time`` when there is none, and an event sent without one must arrive without one.
    """
    changed = copy.copy(event)
    changed._attributes = attributes
    return changed


def with_attributes(event: Any, attributes: dict[str, str]) -> Any:
    """A copy of ``event`` with attributes set (``time`` as RFC 3339) or, given "", removed."""
    from cloudevents.core.v1.event import CloudEvent

    from knotebook.events.times import parse_time

    merged = dict(event.get_attributes())
    for name, value in attributes.items():
        if name == "datacontenttype" or not name.isalnum() or name != name.lower():
            raise KnotebookError(f"--attr {name}: use a lower-case CloudEvents attribute name")
        if value == "":
            if name in REQUIRED:
                raise KnotebookError(f"--attr {name}: a required attribute cannot be removed")
            merged.pop(name, None)
        else:
            merged[name] = parse_time(value) if name == "time" else value
    try:
        CloudEvent._validate_attribute(merged)
    except Exception as exc:
        raise KnotebookError(f"--attr: {exc}") from None
    return _reattributed(event, merged)


def parse_attributes(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["subject=VmRemovedEvent", "time=2024-05-01T10:00:00Z"]`` -> a dict."""
    from knotebook.events.knobs import split_pairs

    return split_pairs(items, "--attr", "name")


def read_event_file(path: Path) -> Any:
    """A CloudEvent JSON file (testevent.json, knotebook events save), or an event's data."""
    return events.load(path)


def _attribute(value: Any) -> str:
    """An attribute as it goes on the wire: ``time`` in RFC 3339 (…Z), not str(datetime)."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return str(value)


def describe(mode: str, event: Any, answer: Delivery) -> list[str]:
    """Lines for people: what was sent, the answer, its latency, the reply event or body."""
    lines = [
        f"{mode:>10} {event.get_type()} id={event.get_id()} -> {answer.status} "
        f"{answer.reason} ({answer.seconds * 1000:.1f} ms)"
    ]
    if answer.reply is not None:
        reply = {k: _attribute(v) for k, v in answer.reply.get_attributes().items()}
        lines.append(f"{'':>10} reply {json.dumps(reply, sort_keys=True)}")
        lines.append(f"{'':>10} data  {json.dumps(answer.reply.get_data(), default=str)}")
    elif answer.body:
        lines.append(f"{'':>10} body  {answer.body.decode('utf-8', 'replace')}")
    return lines
