"""CloudEvent envelopes VEBA wraps vSphere events in, and their HTTP renderings.

\b
tanzu  (VEBA >= 0.8, Tanzu Sources VSphereSource): type com.vmware.vsphere.<Id>.v0, id = Key,
       time = CreatedTime, extensions eventclass + vsphereapiversion, no subject.
router (VEBA 0.3-0.7, VMware Event Router): type com.vmware.event.router/<class>, subject = Id,
       random UUID id (here derived from the seed), time = CreatedTime (0.7), vsphereapiversion.
"""

from __future__ import annotations

import json
import random
import uuid
from typing import Any
from urllib.parse import quote

from cloudevents.core.v1.event import CloudEvent

from knotebook.errors import KnotebookError
from knotebook.events.times import format_time, parse_time

ENVELOPES = ("tanzu", "router")
SOURCE = "https://vcsa.example.local/sdk"
TANZU_API_VERSION = "8.0.2.0"
ROUTER_API_VERSION = "7.0.3"
CONTENT_TYPE = "application/json"
STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"
ATTRIBUTE_ORDER = ("specversion", "id", "source", "type", "subject", "time", "datacontenttype")
# printable ASCII except space, '"' and '%' travel as-is in headers (CloudEvents HTTP 3.1.3.2)
_SAFE = "".join(c for c in map(chr, range(0x21, 0x7F)) if c not in ' "%')


def check_envelope(envelope: str) -> str:
    if envelope not in ENVELOPES:
        raise KnotebookError(f"unknown envelope {envelope!r}; use one of {', '.join(ENVELOPES)}")
    return envelope


def payload_class(data: dict[str, Any]) -> str:
    """eventclass from the payload: Severity/Arguments = eventex, ManagedObject = extended."""
    if "EventTypeId" in data and ("Severity" in data or "Arguments" in data):
        return "eventex"
    if "EventTypeId" in data and ("ManagedObject" in data or "Data" in data):
        return "extendedevent"
    return "event"


def tanzu_type(name: str) -> str:
    return f"com.vmware.vsphere.{name}.v0"


def router_type(eventclass: str) -> str:
    return f"com.vmware.event.router/{eventclass}"


def router_uuid(seed: object, event_id: str, key: object) -> str:
    """A UUID v4 that only depends on the seed, the event id and its Key."""
    bits = random.Random(f"{seed}|{event_id}|{key}").getrandbits(128)
    return str(uuid.UUID(int=bits, version=4))


def wrap(
    data: dict[str, Any], event_id: str, envelope: str = "tanzu", *, seed: object = None
) -> CloudEvent:
    """The CloudEvent VEBA would deliver for a govmomi event payload."""
    check_envelope(envelope)
    eventclass = payload_class(data)
    created = data.get("CreatedTime")
    if not created:
        raise KnotebookError(f"event {event_id} has no CreatedTime")
    attributes: dict[str, Any] = {"specversion": "1.0"}
    if envelope == "tanzu":
        attributes["id"] = str(data["Key"])
        attributes["source"] = SOURCE
        attributes["type"] = tanzu_type(event_id)
    else:
        attributes["id"] = router_uuid(seed, event_id, data.get("Key"))
        attributes["source"] = SOURCE
        attributes["type"] = router_type(eventclass)
        attributes["subject"] = event_id
    attributes["time"] = parse_time(created)
    attributes["datacontenttype"] = CONTENT_TYPE
    if envelope == "tanzu":
        attributes["eventclass"] = eventclass
        attributes["vsphereapiversion"] = TANZU_API_VERSION
    else:
        attributes["vsphereapiversion"] = ROUTER_API_VERSION
    return CloudEvent(attributes, data)


def _ordered(attributes: dict[str, Any]) -> list[tuple[str, Any]]:
    known = [(k, attributes[k]) for k in ATTRIBUTE_ORDER if attributes.get(k) is not None]
    extra = sorted((k, v) for k, v in attributes.items() if k not in ATTRIBUTE_ORDER)
    return known + [(k, v) for k, v in extra if v is not None]


def _text(value: Any) -> str:
    return format_time(value) if hasattr(value, "tzinfo") else str(value)


def dump_data(data: Any) -> bytes:
    """The event data as VEBA's JSON body, pretty-printed (indent 2), payload key order kept."""
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode("utf-8")
    return json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")


def to_binary(event: CloudEvent) -> tuple[dict[str, str], bytes]:
    """HTTP binary mode, as the Knative broker delivers: ``ce-*`` headers + Content-Type + data."""
    headers: dict[str, str] = {}
    content_type = CONTENT_TYPE
    for name, value in _ordered(event.get_attributes()):
        if name == "datacontenttype":
            content_type = str(value)
        else:
            headers[f"ce-{name}"] = quote(_text(value), safe=_SAFE)
    headers["Content-Type"] = content_type
    data = event.get_data()
    return headers, b"" if data is None else dump_data(data)


def to_structured_dict(event: CloudEvent) -> dict[str, Any]:
    """The structured JSON object (attributes in a stable order, then ``data``)."""
    out: dict[str, Any] = {name: _text(value) for name, value in _ordered(event.get_attributes())}
    data = event.get_data()
    if isinstance(data, bytes):
        import base64

        out["data_base64"] = base64.b64encode(data).decode("ascii")
    elif data is not None:
        out["data"] = data
    return out


def to_structured(event: CloudEvent) -> bytes:
    """HTTP structured mode body (``application/cloudevents+json``), indent 2, final newline."""
    text = json.dumps(to_structured_dict(event), indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def render_binary(headers: dict[str, str], body: bytes) -> str:
    """Headers and body as an HTTP request excerpt, for people."""
    lines = [f"{k}: {v}" for k, v in headers.items()]
    return "\n".join(lines) + "\n\n" + body.decode("utf-8", errors="replace")
