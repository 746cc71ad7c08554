"""JSON and media types for the binding: ``json.loads`` semantics, orjson's speed."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

try:  # orjson parses an event 3-4x faster than json; optional (requirements.txt installs it)
    from orjson import JSONDecodeError as _FastError
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - a checkout without orjson installed
    _fast_loads = None  # type: ignore[assignment]


# orjson reads integers past 64 bits as floats: a body with a run of 19+ digits goes to json.
# Digits become "0" and the run is a substring search (a regex like [0-9]{19} takes ~20 µs/KiB).
_DIGITS = bytes.maketrans(b"0123456789", b"0" * 10)
_RUN = b"0" * 19


def loads(body: bytes) -> Any:
    """``json.loads``, exactly: orjson first; whatever it refuses (NaN, lone surrogates, a BOM,
    invalid input) goes to json, which decides and words the error, and so does a body with a
    run of 19+ digits (an integer orjson could turn into a float)."""
    if _fast_loads is not None and _RUN not in body.translate(_DIGITS):
        try:
            return _fast_loads(body)
        except _FastError as exc:
            # deeper than orjson's 1024 levels: refused here, as json would (RecursionError),
            # without json's C recursion, which CPython 3.11.7 does not always recover from
            # (a later ast.parse in the process can fail with "recursion depth mismatch")
            if str(exc).startswith("depth limit exceeded"):
                raise RecursionError("JSON nested too deeply") from None
    return json.loads(body)


# -- media types ---------------------------------------------------------------------------------
STRUCTURED = "application/cloudevents+json"
JSON = "application/json"


def media_type(content_type: str | None) -> str:
    """The media type of a Content-Type, without parameters, lower case."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_json(media: str) -> bool:
    """``*/json`` or ``*/*+json`` (JSON format 3.1.1)."""
    return media.endswith(("/json", "+json"))


def is_text(media: str) -> bool:
    return media.startswith("text/") or media.endswith(("/xml", "+xml"))


def charset(content_type: str) -> str:
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"') or "utf-8"
    return "utf-8"


# -- encoding ------------------------------------------------------------------------------------
def attribute_text(value: Any) -> str:
    """An attribute value as a string (CloudEvents type system, canonical string forms)."""
    if isinstance(value, datetime):
        offset = value.utcoffset()
        if offset is None or offset:
            return value.isoformat()
        text = value.strftime("%Y-%m-%dT%H:%M:%S")  # Go's RFC3339Nano, as Knative writes it
        if value.microsecond:
            text += f".{value.microsecond:06d}".rstrip("0")
        return text + "Z"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def encode_data(data: Any, content_type: str | None, indent: int | None = None) -> bytes:
    """Data as the bytes of a binary-mode body (JSON for JSON values, text in its charset)."""
    if data is None:
        return b""
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    if isinstance(data, str) and not is_json(media_type(content_type) or "application/json"):
        return data.encode(charset(content_type) if content_type else "utf-8")
    return json.dumps(data, indent=indent, ensure_ascii=False).encode("utf-8")
