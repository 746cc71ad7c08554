"""A handler stub over the real fields of the subscribed events, null-safe.

The fields come from the events' samples: vSphere entity arguments (``Vm``, ``Host``, ...: an
object with a ``Name``, or null), an EventEx's ``Arguments`` (``Key``/``Value`` pairs) and the
event-specific scalars. Every access tolerates null, because vCenter sends nulls freely.
"""

from __future__ import annotations

import json
import re
from typing import Any

from knotebook import events

# Fields every vCenter event carries: not worth a line each in a stub.
BASE = {"Key", "ChainId", "CreatedTime", "ChangeTag", "FullFormattedMessage", "UserName"}
# EventEx/ExtendedEvent bookkeeping: the id is in the CloudEvent type already.
SKIP = {"EventTypeId", "ObjectId", "ObjectType", "ObjectName", "Message", "Severity"}
# The entity arguments of vim.event.Event, in the order a log line reads well.
ENTITIES = ("Vm", "Host", "ComputeResource", "Datacenter", "Ds", "Net", "Dvs")


def snake(name: str) -> str:
    """``ComputeResource`` → ``compute_resource``; ``Ds`` → ``ds``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _is_entity(value: Any) -> bool:
    return isinstance(value, dict) and "Name" in value


def fields(event_ids: list[str]) -> tuple[list[str], list[str], bool]:
    """(entity fields, scalar fields, has Arguments) over the samples of ``event_ids``."""
    entities: list[str] = []
    scalars: list[str] = []
    arguments = False
    payloads = [events.sample(event_id).get_data() for event_id in event_ids]
    datas: list[dict[str, Any]] = [d for d in payloads if isinstance(d, dict)]
    for name in ENTITIES:
        if any(_is_entity(data.get(name)) for data in datas):
            entities.append(name)
    for data in datas:
        for name, value in data.items():
            if name in BASE or name in SKIP or name in ENTITIES:
                continue
            if name == "Arguments" and isinstance(value, list):
                arguments = True
            elif _is_entity(value):
                if name not in entities:
                    entities.append(name)
            elif value is not None and not isinstance(value, dict | list) and name not in scalars:
                scalars.append(name)
    return entities, scalars[:6], arguments


def function_cell(name: str, event_ids: list[str], reply: str | None) -> str:
    """The source of a ``# knotebook: function`` cell that handles ``event_ids``."""
    entities, scalars, arguments = fields(event_ids)
    lines = ["# knotebook: function", "import logging", ""]
    if reply:
        lines += ["from cloudevents.core.v1.event import CloudEvent", ""]
        lines += [f"REPLY_TYPE = {json.dumps(reply)}", ""]
    lines += [f"log = logging.getLogger({json.dumps(name)})", "", ""]
    lines += [
        "def name_of(entity):",
        '    """The Name of a vSphere entity argument (Vm, Host, ...), which may be null."""',
        '    return (entity or {}).get("Name")',
        "",
        "",
    ]
    if arguments:
        lines += [
            "def arguments(data):",
            '    """An EventEx\'s Arguments (a list of Key/Value pairs, or null) as a dict."""',
            '    return {a.get("Key"): a.get("Value") for a in data.get("Arguments") or [] if a}',
            "",
            "",
        ]
    handled = ", ".join(event_ids)
    lines += [
        "def handler(event):",
        f"    # {handled}: every field may be null, so nothing is indexed blindly.",
        "    data = event.get_data() or {}",
        "    fields = {",
    ]
    lines += [f'        "{snake(e)}": name_of(data.get("{e}")),' for e in entities]
    lines += [f'        "{snake(s)}": data.get("{s}"),' for s in scalars]
    if arguments:
        lines += ['        "arguments": arguments(data),']
    lines += [
        "    }",
        "    log.info(",
        '        "%s by %s: %s",',
        '        data.get("FullFormattedMessage") or event.get_type(),',
        '        data.get("UserName") or "unknown user",',
        "        fields,",
        "    )",
    ]
    if reply:
        lines += [
            "    attributes = {",
            '        "type": REPLY_TYPE,',
            f'        "source": "/functions/{name}",',
            '        "id": f"{event.get_id()}-reply",',
            "    }",
            "    return CloudEvent(attributes, fields)",
        ]
    else:
        lines += [
            "    # Return None (204) or a reply CloudEvent (200). For an event it cannot use:",
            "    # from knotebook.runtime import Reject, Retry; raise Reject(reason) answers 400",
            "    # (not retried); raise Retry(reason) answers 503 (Knative retries it).",
        ]
    return "\n".join(lines)
