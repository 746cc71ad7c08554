"""Show an event in Jupyter (key fields as a table, raw JSON in a <details>) or as plain text."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from cloudevents.core.v1.event import CloudEvent

from knotebook.events.envelopes import to_structured_dict

KEY_FIELDS = ("Key", "ChainId", "CreatedTime", "UserName", "FullFormattedMessage", "EventTypeId")
ENTITIES = ("Datacenter", "ComputeResource", "Host", "Vm", "Ds", "Net", "Dvs")


def summary(event: CloudEvent) -> list[tuple[str, str]]:
    """(label, text) rows: envelope attributes, then the payload fields people look at first."""
    doc = to_structured_dict(event)
    data = doc.pop("data", None)
    rows = [(name, str(value)) for name, value in doc.items()]
    if isinstance(data, dict):
        rows += [(f"data.{k}", str(data[k])) for k in KEY_FIELDS if data.get(k) not in (None, "")]
        info = data.get("Info")
        if isinstance(info, dict):  # TaskEvent: what functions branch on
            for k in ("DescriptionId", "State", "EntityName"):
                if info.get(k):
                    rows.append((f"data.Info.{k}", str(info[k])))
        for name in ENTITIES:
            arg = data.get(name)
            if isinstance(arg, dict):
                ref = next((v for v in arg.values() if isinstance(v, dict)), {})
                rows.append((f"data.{name}", f"{arg.get('Name', '')} ({ref.get('Value', '')})"))
    return rows


class EventView:
    """Wraps a CloudEvent for display: ``_repr_html_`` in notebooks, ``str`` elsewhere."""

    def __init__(self, event: CloudEvent) -> None:
        self.event = event

    def __getattr__(self, name: str) -> Any:  # behave like the event for get_* calls
        return getattr(self.event, name)

    def _json(self) -> str:
        return json.dumps(to_structured_dict(self.event), indent=2, ensure_ascii=False)

    def __str__(self) -> str:
        width = max(len(label) for label, _ in summary(self.event))
        return "\n".join(f"{label:<{width}}  {text}" for label, text in summary(self.event))

    def __repr__(self) -> str:
        return f"<vSphere event {self.event.get_type()} id={self.event.get_id()}>"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{escape(label)}</th>"
            f"<td style='text-align:left'>{escape(text)}</td></tr>"
            for label, text in summary(self.event)
        )
        return (
            f"<div class='knotebook-event'><table>{rows}</table>"
            f"<details><summary>raw CloudEvent (structured JSON)</summary>"
            f"<pre>{escape(self._json())}</pre></details></div>"
        )


def display_event(event: CloudEvent) -> None:
    """Show an event: rich HTML under IPython, plain text otherwise."""
    view = EventView(event)
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        print(view)
        return
    if get_ipython() is None:
        print(view)
    else:
        display(view)
