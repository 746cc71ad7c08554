"""What the local broker passes around and records: messages (a CloudEvent as received, kept
as sent) and the attempts, dispatches and event records of its deliveries."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message as Headers
from typing import Any

from knotebook.errors import KnotebookError
from knotebook.local.triggers import Trigger
from knotebook.runtime import binding
from knotebook.runtime.limits import MAX_BODY_BYTES

MAX_TTL = 255
TTL = "knativebrokerttl"
STRUCTURED = binding.STRUCTURED


class BadEvent(KnotebookError):
    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


def body_length(headers: Headers) -> int:
    """The request body's declared length; BadEvent (400, 411, 413) when it cannot be read."""
    if headers.get("Transfer-Encoding"):
        raise BadEvent("send the event with a Content-Length (chunked bodies are refused)", 411)
    raw = (headers.get("Content-Length") or "0").strip()
    if not raw.isdigit():
        raise BadEvent(f"Content-Length {raw!r} is not a non-negative whole number")
    if int(raw) > MAX_BODY_BYTES:
        raise BadEvent(f"the body ({raw} bytes) is over the limit of {MAX_BODY_BYTES} bytes", 413)
    return int(raw)


@dataclass
class Message:
    """A CloudEvent as it travels: attributes (extensions included) and the raw data bytes."""

    attributes: dict[str, Any]
    data: bytes = b""

    @property
    def type(self) -> str:
        return str(self.attributes.get("type", ""))

    @property
    def id(self) -> str:
        return str(self.attributes.get("id", ""))

    def label(self) -> str:
        subject = self.attributes.get("subject")
        extra = f" subject={subject}" if subject else ""
        return f"{self.type} id={self.id}{extra}"

    def encode(self, mode: str = "binary") -> tuple[dict[str, str], bytes]:
        """HTTP headers and body in binary or structured mode (knotebook.runtime.binding)."""
        if mode == "binary":
            return binding.to_binary(binding.Event(dict(self.attributes), self.data))
        media = self.attributes.get("datacontenttype")
        data = binding.lenient_data(media, self.data) if self.data else None
        return binding.to_structured(binding.Event(dict(self.attributes), data))

    @classmethod
    def from_event(cls, event: Any) -> Message:
        """From a cloudevents CloudEvent (as ``knotebook.events.sample`` makes)."""
        from knotebook import events

        headers, body = events.to_binary(event)
        return parse(headers, body)


def parse(headers: dict[str, str], body: bytes) -> Message:
    """An HTTP request or response as a CloudEvent Message; BadEvent when it is not one.

    Checked as the function checks it (knotebook.runtime.binding), but forwarded as it came:
    the data is not decoded, as Knative's broker does not decode it."""
    try:
        attributes, data = binding.wire(headers, body)
    except binding.BadEvent as exc:
        raise BadEvent(exc.reason, exc.status) from None
    return Message(attributes, data)


@dataclass
class Attempt:
    status: int | None  # None: no answer (connection refused, timeout)
    reason: str
    seconds: float
    wait: float = 0.0  # backoff before the next attempt

    def label(self) -> str:
        code = "no answer" if self.status is None else f"{self.status} {self.reason}"
        return f"{code} ({self.seconds * 1000:.1f} ms)"


@dataclass
class Dispatch:
    """One matching Trigger's delivery of one event."""

    trigger: Trigger
    target: str
    attempts: list[Attempt] = field(default_factory=list)
    outcome: str = ""  # delivered | failed | dead-lettered
    reply: Message | None = None
    note: str = ""

    @property
    def delivered(self) -> bool:
        return self.outcome == "delivered"


@dataclass
class EventRecord:
    """What the broker did with one event that reached its ingress."""

    event: Message
    dispatches: list[Dispatch] = field(default_factory=list)
    dropped: str = ""

    @property
    def matched(self) -> bool:
        return bool(self.dispatches)


@dataclass
class Target:
    """A function the broker delivers to: its Service name, base URL and Triggers."""

    name: str
    url: str
    triggers: list[Trigger]
