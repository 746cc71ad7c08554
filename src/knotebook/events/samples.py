"""Packaged realistic sample events (adapted VEBA captures and curated synthetics) and knobs.

Each ``data/samples/<Id>[__<variant>].json`` is ``{"event_id", "variant", "description",
"provenance": {...}, "data": {...govmomi JSON...}}``; the first file of an id is its default.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from knotebook.errors import KnotebookError

SEPARATOR = "__"


@dataclass(frozen=True)
class PackagedSample:
    """One packaged sample: its catalog id, variant name, provenance and govmomi payload."""

    event_id: str
    variant: str
    description: str
    provenance: dict[str, Any]
    data: dict[str, Any]

    @property
    def name(self) -> str:
        return self.event_id if self.variant == "default" else f"{self.event_id}:{self.variant}"


@cache
def _index() -> dict[str, dict[str, PackagedSample]]:
    """event id -> variant -> sample (all files are small; parsed once on first use)."""
    folder = resources.files("knotebook.events").joinpath("data/samples")
    out: dict[str, dict[str, PackagedSample]] = {}
    if not folder.is_dir():
        return out
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".json"):
            continue
        doc = json.loads(item.read_text("utf-8"))
        sample = PackagedSample(
            doc["event_id"],
            doc.get("variant", "default"),
            doc.get("description", ""),
            doc.get("provenance", {}),
            doc["data"],
        )
        out.setdefault(sample.event_id, {})[sample.variant] = sample
    for variants in out.values():  # "default" first
        if "default" in variants:
            variants.update({"default": variants.pop("default"), **variants})
    return out


def packaged_samples() -> list[PackagedSample]:
    """Every packaged sample, default variant first within an id."""
    return [s for variants in _index().values() for s in variants.values()]


def variants(event_id: str) -> list[str]:
    return list(_index().get(event_id, {}))


def packaged(event_id: str, variant: str | None = None) -> PackagedSample | None:
    """The packaged sample for an id (its default variant unless named), None if there is none."""
    found = _index().get(event_id)
    if not found:
        if variant not in (None, "default"):
            raise KnotebookError(f"{event_id} has no packaged sample variants")
        return None
    if variant is None:
        return found.get("default") or next(iter(found.values()))
    if variant not in found:
        raise KnotebookError(
            f"{event_id} has no sample variant {variant!r}; known: {', '.join(found)}"
        )
    return found[variant]


def copy_data(sample: PackagedSample) -> dict[str, Any]:
    return copy.deepcopy(sample.data)
