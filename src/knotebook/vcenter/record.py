"""``knotebook events record``: save a vCenter's live events as the project's own samples.

Each event becomes ``events/<Id>__<vcenter>-<Key>.json`` in the project, in the packaged
samples' format (``event_id``, ``variant``, ``description``, ``provenance``, ``data``) with the
payload in VEBA's exact shape, so ``events.sample("VmPoweredOffEvent:vcsim-42")``,
``knotebook events samples`` and ``validate --all-samples`` use it like a packaged one.

``events/.checkpoint`` (JSON) keeps the newest recorded Key per vCenter. A sample is written
before the checkpoint moves, and its name depends only on the vCenter and Key, so a restart
after a crash rewrites at most the same file: nothing is lost, nothing is repeated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from knotebook.project.files import write_atomic
from knotebook.vcenter import client, convert
from knotebook.vcenter.follow import Checkpoint, Feed, follow

FOLDER = "events"
CHECKPOINT = ".checkpoint"
SEPARATOR = "__"


def vcenter_slug(source: str) -> str:
    """``https://vcsa.lab.local/sdk`` -> ``vcsa-lab-local``; the simulator is ``vcsim``."""
    parts = urlsplit(source)
    host = (parts.hostname or "vcenter").lower()
    if host in ("127.0.0.1", "localhost", "::1"):
        return "vcsim"
    return re.sub(r"[^a-z0-9]+", "-", host).strip("-") or "vcenter"


def sample_document(feed: Feed, event: Any) -> dict[str, Any]:
    """The sample file's content for one pyVmomi event."""
    payload = convert.to_payload(event)
    name = convert.event_id(event)
    return {
        "event_id": name,
        "variant": f"{vcenter_slug(feed.source)}-{payload['Key']}",
        "description": payload.get("FullFormattedMessage") or name,
        "provenance": {
            "kind": "recorded",
            "source": feed.source,
            "vsphereapiversion": feed.api_version,
            "recorded": datetime.now(UTC).isoformat(timespec="seconds"),
        },
        "data": payload,
    }


def write_sample(folder: Path, document: dict[str, Any]) -> Path:
    path = folder / f"{document['event_id']}{SEPARATOR}{document['variant']}.json"
    write_atomic(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return path


def record(
    creds: client.Credentials,
    folder: Path,
    *,
    once: bool = False,
    count: int | None = None,
    types: tuple[str, ...] = (),
    from_start: bool = False,
    interval: float = 1.0,
    say: Callable[[str], None] = print,
    stop: Callable[[], bool] = lambda: False,
    written: list[Path] | None = None,
) -> list[Path]:
    """Follow the vCenter and write each new event (of ``types``, if given) as a sample.

    Paths are appended to ``written`` as they are written (so Ctrl-C can still count them).
    """
    feed = Feed.open(creds, watermark=0)
    written = [] if written is None else written
    try:
        checkpoint = Checkpoint(folder / CHECKPOINT)
        checkpoint.start(feed, resume=True, from_start=from_start, say=say)
        wanted = {t.lower() for t in types}
        for event in follow(feed, interval=interval, once=once, stop=stop):
            document = sample_document(feed, event)
            if not wanted or document["event_id"].lower() in wanted:
                path = write_sample(folder, document)
                written.append(path)
                say(f"{document['event_id']}:{document['variant']}  {document['description']}")
            checkpoint.save(feed.source, int(event.key))
            if count is not None and len(written) >= count:
                break
        if feed.missed:
            say(f"warning: more than {1000} events arrived between two polls; some were skipped")
    finally:
        feed.close()
    return written
