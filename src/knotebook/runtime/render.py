"""Writing CloudEvents for HTTP (the other half of ``binding``): binary mode, with the
attributes in ``ce-*`` headers, and structured mode, the JSON event format."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote

from cloudevents.core.base import BaseCloudEvent

from .payload import JSON, STRUCTURED, attribute_text, encode_data

# printable ASCII except space, '"' and '%' travel as-is in headers (HTTP binding 3.1.3.2)
_SAFE = "".join(c for c in map(chr, range(0x21, 0x7F)) if c not in ' "%')


def to_binary(event: BaseCloudEvent, *, indent: int | None = None) -> tuple[dict[str, str], bytes]:
    """HTTP binary mode: ``ce-*`` headers (percent-encoded), Content-Type, the data bytes.

    JSON data gets ``Content-Type: application/json`` when the event has no datacontenttype."""
    headers: dict[str, str] = {}
    content_type = None
    for name, value in event.get_attributes().items():
        if value is None:
            continue
        if name == "datacontenttype":
            content_type = str(value)
        else:
            headers[f"ce-{name}"] = quote(attribute_text(value), safe=_SAFE)
    data = event.get_data()
    if content_type is None and data is not None and not isinstance(data, bytes | bytearray):
        content_type = JSON  # JSON format 3.1: no datacontenttype means application/json
    if content_type is not None:
        headers["Content-Type"] = content_type
    return headers, encode_data(data, content_type, indent)


def to_dict(event: BaseCloudEvent) -> dict[str, Any]:
    """The JSON format object of an event: attributes, then ``data`` or ``data_base64``."""
    out: dict[str, Any] = {
        name: value if isinstance(value, bool | int) else attribute_text(value)
        for name, value in event.get_attributes().items()
        if value is not None
    }
    data = event.get_data()
    if isinstance(data, bytes | bytearray):
        if out.get("specversion") == "0.3":
            out["datacontentencoding"] = "base64"
            out["data"] = base64.b64encode(data).decode("ascii")
        else:
            out["data_base64"] = base64.b64encode(data).decode("ascii")
    elif data is not None:
        out["data"] = data
    return out


def to_structured(
    event: BaseCloudEvent, *, indent: int | None = None
) -> tuple[dict[str, str], bytes]:
    """HTTP structured mode: ``Content-Type: application/cloudevents+json`` and the JSON object."""
    text = json.dumps(to_dict(event), indent=indent, ensure_ascii=False)
    return {"Content-Type": STRUCTURED}, text.encode("utf-8")
