"""Turn what a user typed (id, CloudEvent type, any casing) into a catalog id, or suggest one."""

from __future__ import annotations

import difflib
from functools import cache

from knotebook.errors import UnknownEventError
from knotebook.events.registry import entries

TANZU_PREFIX = "com.vmware.vsphere."
TANZU_SUFFIX = ".v0"
ROUTER_PREFIX = "com.vmware.event.router/"


class RouterTypeError(UnknownEventError):
    """A VEBA 0.3-0.7 router ``type`` was given: it names a class of events, not one event."""

    def __init__(self, name: str) -> None:
        super().__init__(name, [])
        self.args = (
            f"{name!r} is a VEBA 0.7 router type (a whole class of events), not an event id; "
            "name the event by its router subject instead, e.g. VmPoweredOnEvent or "
            "com.vmware.sso.LoginFailure",
        )


@cache
def _lower_index() -> dict[str, str]:
    """Lower-cased id -> id; on a clash, the id present in the newest catalog wins."""
    index: dict[str, str] = {}
    for entry in entries().values():
        key = entry.id.lower()
        other = index.get(key)
        if other is None or entries()[other].versions < entry.versions:
            index[key] = entry.id
    return index


@cache
def _tail_index() -> dict[str, list[str]]:
    """Lower-cased last dotted segment -> ids (``loginfailure`` -> com.vmware.sso.LoginFailure)."""
    tails: dict[str, list[str]] = {}
    for event_id in entries():
        tails.setdefault(event_id.rsplit(".", 1)[-1].lower(), []).append(event_id)
    return tails


def _lookup(name: str) -> str | None:
    if name in entries():
        return name
    return _lower_index().get(name.lower())


def _strip_type(name: str) -> str | None:
    """``com.vmware.vsphere.<Id>.v0`` (or without ``.v0``, as old s4k samples wrote it) -> Id."""
    if name.lower().startswith(TANZU_PREFIX):
        inner = name[len(TANZU_PREFIX) :]
        if inner.lower().endswith(TANZU_SUFFIX):
            inner = inner[: -len(TANZU_SUFFIX)]
        return inner
    return None


def suggestions(name: str, limit: int = 5) -> list[str]:
    """Ids that look like ``name``: same last segment, then close spellings."""
    needle = (_strip_type(name) or name).strip()
    found: list[str] = []
    found += _tail_index().get(needle.lower(), [])
    found += _tail_index().get(needle.rsplit(".", 1)[-1].lower(), [])
    lower = _lower_index()
    for match in difflib.get_close_matches(needle.lower(), lower, n=limit, cutoff=0.75):
        found.append(lower[match])
    if len(found) < limit and len(needle) >= 4:
        low = needle.lower()
        found += [i for key, i in lower.items() if low in key][: limit - len(found)]
    return list(dict.fromkeys(found))[:limit]


def resolve(name: str) -> str:
    """The canonical catalog id for an id (any case), a router subject or a Tanzu type string."""
    text = name.strip()
    if found := _lookup(text):
        return found
    inner = _strip_type(text)
    if inner and (found := _lookup(inner)):
        return found
    if text.lower().startswith(ROUTER_PREFIX):
        raise RouterTypeError(text)
    raise UnknownEventError(name, suggestions(text))
