"""pyVmomi vSphere events -> the payload and envelope VEBA delivers.

VEBA's payload is Go's ``encoding/json`` of govmomi's event struct: PascalCase field names,
base-class fields first, MoRefs as ``{"Type", "Value"}``, nil pointers and empty slices as
``null``, empty strings kept. pyVmomi's objects carry the same values under camelCase names;
the packaged govmomi field lists (``knotebook.events.govmomi``) give the exact Go shape.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from cloudevents.core.v1.event import CloudEvent
from pyVmomi.VmomiSupport import DataObject, ManagedObject

from knotebook.events import envelopes, govmomi
from knotebook.events.times import format_time

MOREF = "ManagedObjectReference"
_SCALAR_ZERO: dict[type, Any] = {str: "", bool: False, int: 0, float: 0.0}


def event_id(event: Any) -> str:
    """The catalog id: the class name, or ``EventTypeId`` for EventEx and ExtendedEvent."""
    type_id = getattr(event, "eventTypeId", None)
    return str(type_id) if type_id else str(event._wsdlName)


def to_payload(event: Any) -> dict[str, Any]:
    """The VEBA (govmomi JSON) payload of a pyVmomi event."""
    return _struct(event, event._wsdlName)


def source_url(url: str) -> str:
    """The CloudEvent ``source`` VSphereSource sets: the SDK URL without user info."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path or "/sdk", "", ""))


def to_cloudevent(
    payload: dict[str, Any],
    name: str,
    *,
    source: str,
    api_version: str,
    envelope: str = "tanzu",
) -> CloudEvent:
    """Wrap a payload the way VSphereSource (tanzu) or the Event Router (router) does."""
    event = envelopes.wrap(payload, name, envelope, seed=source)
    attributes = dict(event.get_attributes())
    attributes["source"] = source
    attributes["vsphereapiversion"] = api_version
    return CloudEvent(attributes, payload)


def _properties(obj: Any) -> dict[str, Any]:
    """Lower-cased pyVmomi property name -> property info."""
    return {p.name.lower(): p for p in obj._GetPropertyList()}


def _struct(obj: Any, declared: str) -> dict[str, Any]:
    """A data object under the Go fields of its own type (or the declared one)."""
    actual = getattr(obj, "_wsdlName", declared)
    struct = actual if govmomi.has_struct(actual) else declared
    if not govmomi.has_struct(struct):
        return _generic(obj)
    props = _properties(obj)
    out: dict[str, Any] = {}
    for field, code in govmomi.fields(struct):
        prop = props.get(field.lower())
        value = getattr(obj, prop.name, None) if prop is not None else None
        out[field] = _typed(value, code)
    return out


def _typed(value: Any, code: str) -> Any:
    """A value as Go encodes a field of this type code (see ``govmomi.zero``)."""
    if code.startswith("*"):
        return None if value is None else _typed(value, code[1:])
    if code.startswith("[]"):
        return [_typed(v, code[2:]) for v in value] if value else None
    if code.startswith("?:"):
        return _any(value)
    if code.startswith(("S:", "R:")):
        struct = code[2:]
        if struct == MOREF or code.startswith("R:"):
            return _moref(value) if value is not None else govmomi.zero_struct(MOREF)
        return govmomi.zero_struct(struct) if value is None else _struct(value, struct)
    if value is None:
        return govmomi.zero(code)
    if code == "t":
        return format_time(value)
    return {"s": str, "b": bool, "i": int, "f": float}[code](value)


def _moref(obj: Any) -> dict[str, str]:
    if isinstance(obj, ManagedObject):
        return {"Type": str(obj._wsdlName), "Value": str(obj._moId)}
    return {"Type": str(getattr(obj, "type", "")), "Value": str(getattr(obj, "value", obj))}


def _any(value: Any) -> Any:
    """An interface field: the dynamic value's own JSON, no type discriminator (as Go does)."""
    if value is None:
        return None
    if isinstance(value, ManagedObject):
        return _moref(value)
    if isinstance(value, DataObject):
        return _struct(value, value._wsdlName)
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, list | tuple):
        return [_any(v) for v in value] or None
    if isinstance(value, bool | int | float):
        return value
    return str(value)


def _generic(obj: Any) -> dict[str, Any]:
    """A type the packaged field lists do not know: every pyVmomi property, PascalCased."""
    out: dict[str, Any] = {}
    for prop in obj._GetPropertyList():
        if prop.name in ("dynamicType", "dynamicProperty"):
            continue
        value = getattr(obj, prop.name, None)
        name = prop.name[:1].upper() + prop.name[1:]
        if value is None:
            out[name] = None
            for kind, zero in _SCALAR_ZERO.items():  # bool before int: bool is an int
                if isinstance(prop.type, type) and issubclass(prop.type, kind):
                    out[name] = zero
                    break
        else:
            out[name] = _any(value)
    return out
