"""CloudEvent envelopes VEBA wraps vSphere events in, and their HTTP renderings.

\b
tanzu  (VEBA >= 0.8, Tanzu Sources VSphereSource): type com.vmware.vsphere.<Id>.v0, id = Key,
       time = CreatedTime, extensions eventclass + vsphereapiversion, no subject.
router (VEBA 0.3-0.7, VMware Event Router): type com.vmware.event.router/<class>, subject = Id,
       random UUID id (here derived from the seed), time = CreatedTime (0.7), vsphereapiversion.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from cloudevents.core.v1.event import CloudEvent

from knotebook.errors import KnotebookError
from knotebook.events.times import parse_time
from knotebook.runtime import binding

ENVELOPES = ("tanzu", "router")
SOURCE = "https://vcsa.example.local/sdk"
TANZU_API_VERSION = "8.0.2.0"
ROUTER_API_VERSION = "7.0.3"
CONTENT_TYPE = "application/json"
STRUCTURED_CONTENT_TYPE = binding.STRUCTURED
ATTRIBUTE_ORDER = ("specversion", "id", "source", "type", "subject", "time", "datacontenttype")


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


def _ordered(event: CloudEvent) -> binding.Event:
    """The event with its attributes in a stable order (core ones first, then extensions)."""
    attributes = event.get_attributes()
    known = [(k, attributes[k]) for k in ATTRIBUTE_ORDER if attributes.get(k) is not None]
    extra = sorted((k, v) for k, v in attributes.items() if k not in ATTRIBUTE_ORDER)
    return binding.Event(
        dict(known + [(k, v) for k, v in extra if v is not None]), event.get_data()
    )


def to_binary(event: CloudEvent) -> tuple[dict[str, str], bytes]:
    """HTTP binary mode, as the Knative broker delivers: ``ce-*`` headers + Content-Type + data
    (knotebook.runtime.binding, the codec the exported function parses with)."""
    return binding.to_binary(_ordered(event), indent=2)


def to_structured_dict(event: CloudEvent) -> dict[str, Any]:
    """The structured JSON object (attributes in a stable order, then ``data``)."""
    return binding.to_dict(_ordered(event))


def to_structured(event: CloudEvent) -> bytes:
    """HTTP structured mode body (``application/cloudevents+json``), indent 2, final newline."""
    _headers, body = binding.to_structured(_ordered(event), indent=2)
    return body + b"\n"


def render_binary(headers: dict[str, str], body: bytes) -> str:
    """Headers and body as an HTTP request excerpt, for people."""
    lines = [f"{k}: {v}" for k, v in headers.items()]
    return "\n".join(lines) + "\n\n" + body.decode("utf-8", errors="replace")
