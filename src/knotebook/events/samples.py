"""Packaged realistic sample events (adapted VEBA captures and curated synthetics) and knobs.

Each ``data/samples/<Id>[__<variant>].json`` is ``{"event_id", "variant", "description",
"provenance": {...}, "data": {...govmomi JSON...}}``; the first file of an id is its default.
The project's own samples (``events/`` at the project root, written by ``knotebook events
record``) come after the packaged ones, in the same format.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from knotebook.errors import KnotebookError
from knotebook.project.paths import project_root

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


PROJECT_FOLDER = "events"


def _load(folder: Any) -> dict[str, dict[str, PackagedSample]]:
    """event id -> variant -> sample, for the ``*.json`` sample files of a folder."""
    out: dict[str, dict[str, PackagedSample]] = {}
    if not folder.is_dir():
        return out
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".json") or item.name.startswith("."):
            continue
        try:
            doc = json.loads(item.read_text("utf-8"))
            sample = PackagedSample(
                doc["event_id"],
                doc.get("variant", "default"),
                doc.get("description", ""),
                doc.get("provenance", {}),
                doc["data"],
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise KnotebookError(f"{item}: not a sample file ({exc})") from exc
        out.setdefault(sample.event_id, {})[sample.variant] = sample
    for variants in out.values():  # "default" first
        if "default" in variants:
            variants.update({"default": variants.pop("default"), **variants})
    return out


@cache
def _packaged_index() -> dict[str, dict[str, PackagedSample]]:
    """The packaged samples (all files are small; parsed once on first use)."""
    return _load(resources.files("knotebook.events").joinpath("data/samples"))


@lru_cache(maxsize=4)
def _folder_index(folder: str, _mtime: int) -> dict[str, dict[str, PackagedSample]]:
    return _load(Path(folder))


def project_folder() -> Path:
    """The project's own samples (``knotebook events record`` writes them): ``events/``."""
    return project_root() / PROJECT_FOLDER


def _index() -> dict[str, dict[str, PackagedSample]]:
    """Packaged samples, then the project's own ones (a packaged name wins a clash)."""
    packaged_index = _packaged_index()
    folder = project_folder()
    try:
        mtime = folder.stat().st_mtime_ns
    except OSError:
        return packaged_index
    merged = {k: dict(v) for k, v in packaged_index.items()}
    for event_id, found in _folder_index(str(folder), mtime).items():
        variants_of = merged.setdefault(event_id, {})
        for variant, sample in found.items():
            variants_of.setdefault(variant, sample)
    return merged


def packaged_samples() -> list[PackagedSample]:
    """Every sample (packaged, then the project's), default variant first within an id."""
    return [s for variants in _index().values() for s in variants.values()]


def variants(event_id: str) -> list[str]:
    return list(_index().get(event_id, {}))


def packaged(event_id: str, variant: str | None = None) -> PackagedSample | None:
    """The sample for an id (its default variant unless named), None if there is none."""
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
