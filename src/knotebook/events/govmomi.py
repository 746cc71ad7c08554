"""The govmomi shape of vSphere events: flattened struct fields and their Go zero values as JSON.

VEBA serializes govmomi ``vim25/types`` structs with Go ``encoding/json`` and no json tags, so
every field appears under its PascalCase Go name, nil pointers/slices/interfaces are ``null``,
and value structs are always objects. ``data/govmomi.json.gz`` holds those field lists.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from importlib import resources
from typing import Any

GO_ZERO_TIME = "0001-01-01T00:00:00Z"


@cache
def schema() -> dict[str, Any]:
    raw = resources.files("knotebook.events").joinpath("data/govmomi.json.gz").read_bytes()
    return json.loads(gzip.decompress(raw))


def event_classes() -> dict[str, str]:
    """Event class name -> its parent class ("" for ``Event``)."""
    return schema()["events"]


def is_event_class(name: str) -> bool:
    return name in schema()["events"]


def ancestors(name: str) -> list[str]:
    """``VmPoweredOnEvent`` -> [VmPoweredOnEvent, VmEvent, Event]."""
    chain = []
    events = schema()["events"]
    while name in events:
        chain.append(name)
        name = events.get(name, "")
    return chain


def fields(struct: str) -> list[tuple[str, str]]:
    """Flattened (field, type code) pairs of a struct, base-class fields first."""
    return [(f, t) for f, t in schema()["structs"][struct]]


def field_names(struct: str) -> list[str]:
    return [f for f, _ in schema()["structs"][struct]]


def has_struct(struct: str) -> bool:
    return struct in schema()["structs"]


def zero(code: str) -> Any:
    """The JSON that Go's encoding/json writes for the zero value of a type code."""
    if code.startswith(("*", "[]", "?", "R:")):
        return None
    if code.startswith("S:"):
        return zero_struct(code[2:])
    return {"s": "", "b": False, "i": 0, "f": 0, "t": GO_ZERO_TIME}[code]


def zero_struct(struct: str) -> dict[str, Any]:
    return {f: zero(t) for f, t in schema()["structs"][struct]}


def struct_of(code: str) -> str | None:
    """The struct a type code points to (``*S:HostEventArgument`` -> HostEventArgument)."""
    bare = code.lstrip("*[]")
    return bare[2:] if bare.startswith("S:") else None
