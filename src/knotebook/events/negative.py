"""Raw HTTP requests a VEBA function must survive (veba.md §6 negative set), as test data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from knotebook.errors import KnotebookError


@dataclass(frozen=True)
class NegativeRequest:
    """A named raw request: headers + body bytes, whether a handler should accept it, and why."""

    name: str
    expect: str  # "accept" (valid CloudEvent, tricky payload) | "reject" (answer 4xx, not 5xx)
    note: str
    headers: dict[str, str]
    body: bytes


@cache
def _load() -> tuple[NegativeRequest, ...]:
    raw = resources.files("knotebook.events").joinpath("data/negative.json").read_text("utf-8")
    return tuple(
        NegativeRequest(d["name"], d["expect"], d["note"], d["headers"], d["body"].encode("utf-8"))
        for d in json.loads(raw)
    )


def negative_samples() -> list[NegativeRequest]:
    """Every negative request (router copy, XML body, camelCase keys, duplicates, ...)."""
    return [NegativeRequest(r.name, r.expect, r.note, dict(r.headers), r.body) for r in _load()]


def negative_sample(name: str) -> NegativeRequest:
    for request in negative_samples():
        if request.name == name:
            return request
    names = ", ".join(r.name for r in _load())
    raise KnotebookError(f"no negative sample {name!r}; known: {names}")
