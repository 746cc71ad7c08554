"""The CloudEvents HTTP protocol binding 1.0.2 and JSON event format 1.0.2 (and 0.3): the one codec.

``parse`` turns a request (Content-Type, ``ce-*`` headers, body) into a CloudEvent exactly as it
was sent, or raises ``BadEvent`` with the status and a reason that names the problem;
``to_binary`` and ``to_structured`` write one. The exported function, the local Broker and the
event library all use this module, so what is rendered, forwarded and parsed cannot drift apart.

What a function receives as ``event.get_data()``:

* JSON (``application/json``, ``text/json``, ``*/*+json``; no datacontenttype in structured
  mode): the parsed value (dict, list, str, number, bool or None);
* text (``text/*``, ``application/xml``, ``*/*+xml``): ``str``, decoded with the Content-Type's
  charset (UTF-8 when none);
* anything else, and ``data_base64`` always: ``bytes``;
* no body / no ``data`` member: ``None``.

The SDK (cloudevents 2.x) parses leniently (it invents ``id`` and ``time``, guesses data types
from the bytes, turns bad input into plain exceptions), so the checks are written out here; the
events are the SDK's ``CloudEvent`` classes, built without the constructor's defaults.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.v03.event import CloudEvent as CloudEventV03
from cloudevents.core.v1.event import CloudEvent

from .payload import STRUCTURED as STRUCTURED
from .payload import charset, encode_data, is_json, is_text, loads, media_type
from .render import to_binary as to_binary
from .render import to_dict as to_dict
from .render import to_structured as to_structured

REQUIRED = ("id", "source", "type", "specversion")
_REQUIRED = frozenset(REQUIRED)
SPECVERSIONS = ("1.0", "0.3")
# Attributes whose values must be non-empty strings when present, per specversion.
_STRINGS = {
    "1.0": frozenset(("datacontenttype", "dataschema", "subject")),
    "0.3": frozenset(("datacontenttype", "datacontentencoding", "schemaurl", "subject")),
}
_EXTENSION_NAME = re.compile("[a-z0-9]+").fullmatch
_NAMES_SEEN: set[str] = set()  # extension names already found valid (a few per deployment)


def _valid_name(name: str) -> bool:
    if not _EXTENSION_NAME(name):
        return False
    if len(_NAMES_SEEN) < 256:
        _NAMES_SEEN.add(name)
    return True


# RFC 3339 section 5.6 date-time ("T" or "t", "Z" or "z"; the space of its note is not allowed).
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})"
).fullmatch
_INT32 = range(-(2**31), 2**31)
_BOOL_STR = (bool, str)
_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")


EVENT_CLASSES = (CloudEvent, CloudEventV03)  # BaseCloudEvent is a Protocol: no isinstance


class BadEvent(Exception):
    """A request that is not a usable CloudEvent: a 4xx answer with ``reason``, never retried."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason, self.status = reason, status


class Event(CloudEvent):
    """A CloudEvent 1.0 exactly as received: absent attributes (time, ...) stay absent."""

    def __init__(self, attributes: dict[str, Any], data: Any = None) -> None:
        self._attributes = attributes
        self._data = data


class EventV03(CloudEventV03):
    """A CloudEvent 0.3 exactly as received."""

    def __init__(self, attributes: dict[str, Any], data: Any = None) -> None:
        self._attributes = attributes
        self._data = data


def decode_data(content_type: str | None, body: bytes, media: str | None = None) -> Any:
    """The data of a binary-mode body (or of decoded ``data_base64`` when asked) by media type
    (``media``: the content type's, when the caller has it already)."""
    if not body:
        return None
    if media is None:
        media = media_type(content_type)
    if not media or is_json(media):
        try:
            return loads(body)
        except (ValueError, RecursionError):
            raise BadEvent(
                f"data is not valid JSON but its content type is {media or 'JSON (implied)'}"
            ) from None
    if is_text(media):
        assert content_type is not None
        name = charset(content_type)
        try:
            return body.decode(name)
        except LookupError:
            raise BadEvent(f"unknown charset {name!r} in Content-Type {content_type!r}") from None
        except UnicodeDecodeError:
            raise BadEvent(f"data is not valid {name} text ({media})") from None
    return body


# -- attributes ----------------------------------------------------------------------------------
def parse_time(value: Any) -> datetime:
    """An RFC 3339 timestamp (nanoseconds are cut to microseconds); BadEvent if it is not one."""
    if not isinstance(value, str) or not _RFC3339(value):
        raise BadEvent(f"attribute 'time' is not an RFC 3339 timestamp: {value!r}")
    try:  # Python 3.11+ reads "Z" and any number of fractional digits (beyond 6 cut)
        return datetime.fromisoformat(value.upper())  # RFC 3339 allows "t" and "z"
    except ValueError:
        raise BadEvent(f"attribute 'time' is not a valid date and time: {value!r}") from None


def check(attributes: dict[str, Any], decode: bool = True) -> type[Event] | type[EventV03]:
    """Check the attributes (CloudEvents spec 3, JSON format 2.2); parse ``time`` in place
    (``decode``; else it is checked and kept as the text that was sent)."""
    for name in REQUIRED:
        value = attributes.get(name)
        if not isinstance(value, str) or not value:
            if name not in attributes:
                raise BadEvent(f"required attribute '{name}' is missing")
            raise BadEvent(f"required attribute '{name}' must be a non-empty string: {value!r}")
    version = attributes["specversion"]
    if version not in SPECVERSIONS:
        raise BadEvent(
            f"unsupported specversion {version!r}; expected one of {', '.join(SPECVERSIONS)}"
        )
    strings = _STRINGS[version]
    for name, value in attributes.items():
        if name in _REQUIRED:
            continue
        if name == "time":
            if not isinstance(value, datetime):
                parsed = parse_time(value)
                if decode:
                    attributes["time"] = parsed
        elif name in strings:
            if not isinstance(value, str) or not value:
                raise BadEvent(f"attribute '{name}' must be a non-empty string: {value!r}")
        elif name not in _NAMES_SEEN and not _valid_name(name):
            raise BadEvent(
                f"attribute name {name!r} is not valid: use lower-case letters and digits"
            )
        elif isinstance(value, _BOOL_STR):
            continue
        elif isinstance(value, int):
            if value not in _INT32:
                raise BadEvent(f"attribute '{name}' is an integer out of the 32-bit range")
        else:
            raise BadEvent(
                f"attribute '{name}' has a value of type {type(value).__name__}; "
                "CloudEvents attributes are strings, booleans or integers"
            )
    return Event if version == "1.0" else EventV03


def header_value(name: str, raw: str) -> str:
    """A ``ce-`` header value as sent: the latin-1 decoding of the header bytes undone, an RFC
    7230 quoted string unquoted, then percent-decoded exactly once as UTF-8 (binding 3.1.3.2)."""
    try:
        value = raw.encode("latin-1")
    except UnicodeEncodeError:  # a str built in Python, not decoded from header bytes
        value = raw.encode("utf-8")
    if len(value) >= 2 and value[:1] == value[-1:] == b'"':
        value = value[1:-1].replace(b'\\"', b'"').replace(b"\\\\", b"\\")
    if b"%" in value:
        if _PERCENT.search(value):
            raise BadEvent(f"header ce-{name} has a '%' that does not start a %XX escape")
        value = _unquote(value)
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise BadEvent(f"header ce-{name} is not valid UTF-8 after percent-decoding") from None


def _unquote(value: bytes) -> bytes:
    parts = value.split(b"%")
    return parts[0] + b"".join(bytes.fromhex(p[:2].decode("ascii")) + p[2:] for p in parts[1:])


# -- decoding ------------------------------------------------------------------------------------
def binary(
    content_type: str | None,
    ce: Mapping[str, str],
    body: bytes,
    decode: bool = True,
    media: str | None = None,
) -> BaseCloudEvent:
    """Binary mode: attributes from ``ce`` (header names without ``ce-``, lower case, raw
    latin-1 values), datacontenttype from Content-Type, data from the body (``decode``: by its
    media type; else the body's bytes)."""
    values = "".join(ce.values())
    if values.isascii() and "%" not in values and '"' not in values:
        attributes: dict[str, Any] = dict(ce)  # nothing to decode: the common case
    else:
        attributes = {name: header_value(name, raw) for name, raw in ce.items()}
    if not attributes:
        hint = ""
        if body.lstrip()[:1] == b"{" and b'"specversion"' in body:
            hint = (
                f"; the body looks like a structured event: send it with Content-Type: {STRUCTURED}"
            )
        raise BadEvent(f"not a CloudEvent: no ce-* headers and no {STRUCTURED} body" + hint)
    if "datacontenttype" in attributes:
        raise BadEvent(
            "header ce-datacontenttype is not allowed in binary mode: "
            "the Content-Type header carries the datacontenttype"
        )
    if content_type:
        attributes["datacontenttype"] = content_type
    factory = check(attributes, decode)
    return factory(attributes, decode_data(content_type, body, media) if decode else body)


def structured(body: bytes, decode: bool = True) -> BaseCloudEvent:
    """Structured mode, JSON format: the whole event in the body."""
    try:
        envelope = loads(body)
    except UnicodeDecodeError:
        raise BadEvent("structured event is not UTF-8 JSON") from None
    except ValueError as exc:
        raise BadEvent(f"structured event is not valid JSON: {exc}") from None
    except RecursionError:
        raise BadEvent("structured event is JSON nested too deeply") from None
    if not isinstance(envelope, dict):
        raise BadEvent(
            f"structured event must be a JSON object, not {type(envelope).__name__} "
            "(batches are sent as application/cloudevents-batch+json, which is not supported)"
        )
    return _from_envelope(envelope, decode)


def from_dict(envelope: dict[str, Any], decode: bool = True) -> BaseCloudEvent:
    """A CloudEvent from its JSON format object (JSON format 3); ``envelope`` is left as it is."""
    return _from_envelope(dict(envelope), decode)


_ABSENT: Any = object()


def _from_envelope(envelope: dict[str, Any], decode: bool) -> BaseCloudEvent:
    """``from_dict`` on an object the caller gives up: its members become the attributes."""
    data = envelope.pop("data", _ABSENT)
    encoded = envelope.pop("data_base64", _ABSENT)
    attributes = envelope
    if None in attributes.values():  # a JSON null attribute is an unset one
        attributes = {k: v for k, v in attributes.items() if v is not None}
    factory = check(attributes, decode)
    has_data = data is not _ABSENT
    if encoded is not _ABSENT:
        if has_data:
            raise BadEvent("structured event has both 'data' and 'data_base64'")
        if encoded is None:
            return factory(attributes, None)
        return factory(attributes, _base64(encoded, "data_base64"))
    if not has_data:
        return factory(attributes, None)
    encoding = attributes.get("datacontentencoding")
    if encoding is not None:  # 0.3: data is a base64 string
        if str(encoding).lower() != "base64":
            raise BadEvent(f"unsupported datacontentencoding {encoding!r}; only base64 exists")
        return factory(attributes, None if data is None else _base64(data, "data"))
    if data is not None and not isinstance(data, str):
        media = media_type(attributes.get("datacontenttype"))
        if media and not is_json(media):
            raise BadEvent(
                f"'data' must be a string when datacontenttype is {media}, "
                f"not {type(data).__name__}"
            )
    return factory(attributes, data)


def _base64(value: Any, member: str) -> bytes:
    if not isinstance(value, str):
        raise BadEvent(f"'{member}' must be a base64 string, not {type(value).__name__}")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise BadEvent(f"'{member}' is not valid base64") from None


def parse(
    content_type: str | None, ce: Mapping[str, str], body: bytes, decode: bool = True
) -> BaseCloudEvent:
    """One CloudEvent from a request: the mode is chosen by Content-Type alone (binding 3).

    ``decode=False`` (a forwarder, the local Broker): the same checks, but ``time`` stays the
    text that was sent and binary-mode data the body's bytes."""
    media = media_type(content_type)
    if media.startswith("application/cloudevents-batch"):
        raise BadEvent("batched CloudEvents are not supported; send one event per request", 415)
    if media.startswith("application/cloudevents"):
        if media != STRUCTURED:
            raise BadEvent(f"unsupported event format {media}; use {STRUCTURED}", 415)
        return structured(body, decode)
    return binary(content_type, ce, body, decode, media)


def parse_message(headers: Mapping[str, str], body: bytes, decode: bool = True) -> BaseCloudEvent:
    """One CloudEvent from full HTTP headers (any case) and body."""
    return parse(*split_headers(headers), body, decode)


def split_headers(headers: Mapping[str, str]) -> tuple[str | None, dict[str, str]]:
    """(Content-Type, ce-* headers without the prefix) from HTTP headers of any case."""
    content_type = None
    ce: dict[str, str] = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower.startswith("ce-"):
            ce[lower[3:]] = value  # http.server/http.client decode header bytes as latin-1
        elif lower == "content-type":
            content_type = value
    return content_type, ce


def wire(headers: Mapping[str, str], body: bytes) -> tuple[dict[str, Any], bytes]:
    """A checked event as a forwarder keeps it: its attributes as sent and its data as the
    bytes binary mode carries (not decoded)."""
    event = parse_message(headers, body, decode=False)
    attributes = event.get_attributes()
    data = event.get_data()
    if isinstance(data, bytes | bytearray):
        return attributes, bytes(data)
    return attributes, encode_data(data, attributes.get("datacontenttype"))


def lenient_data(content_type: str | None, data: bytes) -> Any:
    """``data`` decoded by its media type, or the bytes themselves where they do not decode."""
    try:
        return decode_data(content_type, data)
    except BadEvent:
        return data
