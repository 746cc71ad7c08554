"""Events from JSON files, as VEBA's examples ship them (``test/testevent.json``).

``load`` reads either mode: a structured-mode CloudEvent (``specversion``, ``type``, ``data``...)
or the data alone (a binary-mode body: the vCenter event, as ``knotebook events save --mode
binary`` writes it). Either envelope: a tanzu or router CloudEvent is kept as it is, or re-wrapped
in the ``envelope`` asked for; data alone is wrapped (its event id from ``event=``, else from the
payload's ``EventTypeId``).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.v1.event import CloudEvent

from knotebook.errors import KnotebookError
from knotebook.events import envelopes, knobs
from knotebook.events.names import resolve
from knotebook.runtime import binding

TANZU_TYPE = re.compile(r"com\.vmware\.vsphere\.(?P<id>.+)\.v0\Z")


def event_id_of(event: BaseCloudEvent) -> str | None:
    """The vCenter event id a VEBA CloudEvent carries (tanzu: in the type; router: subject)."""
    match = TANZU_TYPE.match(event.get_type())
    if match:
        return match["id"]
    subject = event.get_attributes().get("subject")
    if subject:
        return str(subject)
    data = event.get_data()
    return str(data["EventTypeId"]) if isinstance(data, dict) and data.get("EventTypeId") else None


def load(
    path: str | Path,
    *,
    envelope: str | None = None,
    event: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> BaseCloudEvent:
    """The CloudEvent in ``path`` (structured mode, or data alone); see the module docstring."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KnotebookError(f"{path}: {exc.strerror}") from None
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise KnotebookError(f"{path}: not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise KnotebookError(f"{path}: expected a JSON object (a CloudEvent or an event's data)")
    if "specversion" in doc:
        try:
            loaded = binding.from_dict(doc)
        except binding.BadEvent as exc:
            raise KnotebookError(f"{path}: not a structured CloudEvent: {exc.reason}") from None
        data = loaded.get_data()
        name = event or event_id_of(loaded)
        if envelope is not None and isinstance(data, dict) and name:
            loaded = _rewrap(loaded, data, resolve(name), envelope)
    else:
        name = event or (str(doc["EventTypeId"]) if doc.get("EventTypeId") else None)
        if not name:
            raise KnotebookError(
                f"{path}: holds an event's data without its type; "
                "pass event='VmPoweredOffEvent' (or save the whole CloudEvent)"
            )
        loaded = envelopes.wrap(doc, resolve(name), envelope or "tanzu")
    if overrides:
        data = copy.deepcopy(loaded.get_data())
        if not isinstance(data, dict):
            raise KnotebookError(f"{path}: overrides need an event whose data is a JSON object")
        for key, value in overrides.items():
            knobs.set_path(data, key, value)
        loaded = CloudEvent(loaded.get_attributes(), data)
    return loaded


def _rewrap(
    event: BaseCloudEvent, data: dict[str, Any], event_id: str, envelope: str
) -> BaseCloudEvent:
    wanted = envelopes.check_envelope(envelope)
    is_tanzu = bool(TANZU_TYPE.match(event.get_type()))
    if (wanted == "tanzu") == is_tanzu:
        return event
    return envelopes.wrap(data, event_id, wanted)
