"""The vCenter event catalog: every event id of vSphere 6.7U3 → 8.0U3, loaded lazily."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import cache
from importlib import resources

from knotebook.errors import KnotebookError

VERSIONS = ("6.7u3", "7.0u1", "7.0u2", "7.0u3", "8.0", "8.0u1", "8.0u2", "8.0u3")
KINDS = ("standard", "eventex", "extendedevent")
SOURCE = "lamw/vcenter-event-mapping@4a17f52aa69a28b360aa63be3a9470001e5eb714"


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One catalog row: the event id, its catalog kind, description and vSphere versions."""

    id: str
    kind: str  # "standard" | "eventex" | "extendedevent" (as the newest catalog lists it)
    description: str
    versions: tuple[str, ...]

    @property
    def first_seen(self) -> str:
        return self.versions[0]

    @property
    def last_seen(self) -> str:
        return self.versions[-1]

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "description": self.description,
            "versions": list(self.versions),
        }


def _versions(mask: int) -> tuple[str, ...]:
    return tuple(v for bit, v in enumerate(VERSIONS) if mask >> bit & 1)


@cache
def entries() -> dict[str, CatalogEntry]:
    """All catalog entries by id, in case-insensitive id order (parsed once, on first use)."""
    raw = resources.files("knotebook.events").joinpath("data/catalog.tsv.gz").read_bytes()
    out: dict[str, CatalogEntry] = {}
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        event_id, kind, mask, desc = line.split("\t", 3)
        out[event_id] = CatalogEntry(event_id, kind, desc, _versions(int(mask, 16)))
    return out


def get(event_id: str) -> CatalogEntry:
    """The entry for an exact catalog id (KeyError if absent; use ``resolve`` for user input)."""
    return entries()[event_id]


def normalize_version(text: str) -> str:
    """Accept ``8.0u3``, ``8.0U3``, ``8.0 update 3``, ``8.0.3`` or ``8``; return a label."""
    t = text.strip().lower().replace("update", "u").replace(" ", "")
    if t.count(".") == 2:  # 8.0.3 -> 8.0u3 ; 8.0.0 -> 8.0
        major, minor, upd = t.split(".")
        t = f"{major}.{minor}" + (f"u{upd}" if upd not in ("", "0") else "")
    if t in ("8", "7", "6.7"):
        t = {"8": "8.0", "7": "7.0u1", "6.7": "6.7u3"}[t]
    if t in VERSIONS:
        return t
    raise KnotebookError(f"unknown vSphere version {text!r}; known: {', '.join(VERSIONS)}")


def catalog(
    search: str | None = None, kind: str | None = None, vsphere: str | None = None
) -> list[CatalogEntry]:
    """Catalog rows filtered by a case-insensitive text (id or description), kind and version."""
    if kind is not None:
        kind = kind.lower()
        if kind == "event":
            kind = "standard"
        if kind not in KINDS:
            raise KnotebookError(f"unknown event kind {kind!r}; use one of {', '.join(KINDS)}")
    version = normalize_version(vsphere) if vsphere else None
    needle = search.lower() if search else None
    rows = []
    for entry in entries().values():
        if kind and entry.kind != kind:
            continue
        if version and version not in entry.versions:
            continue
        if needle and needle not in entry.id.lower() and needle not in entry.description.lower():
            continue
        rows.append(entry)
    return rows


def types() -> list[str]:
    """Every catalog id, sorted case-insensitively."""
    return list(entries())
