"""``knotebook source``: a local VSphereSource that POSTs a vCenter's events as CloudEvents.

Like sources-for-knative's VSphereSource in VEBA >= 0.8 (``--envelope tanzu``) or the VMware
Event Router of VEBA 0.3-0.7 (``--envelope router``): each new vCenter event becomes one
binary-mode CloudEvent (``ce-*`` headers, the govmomi JSON payload as the body), POSTed in
Key order to a broker (``knotebook broker``) or straight to a function. A failed delivery is
retried with backoff, then reported and skipped, as the adapter does.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cloudevents.core.v1.event import CloudEvent

from knotebook.events import envelopes
from knotebook.vcenter import client
from knotebook.vcenter.follow import Checkpoint, Feed, follow

DEFAULT_TO = "http://127.0.0.1:8080/"
RETRIES = 3


@dataclass
class Sent:
    """What happened to one event."""

    event: CloudEvent
    status: int  # HTTP status, 0 = no answer
    error: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def post(url: str, event: CloudEvent, timeout: float = 30.0) -> Sent:
    """POST one CloudEvent in binary mode; never raises for HTTP or network errors."""
    headers, body = envelopes.to_binary(event)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # a local target
    try:
        with opener.open(request, timeout=timeout) as answer:
            return Sent(event, answer.status)
    except urllib.error.HTTPError as exc:
        return Sent(event, exc.code, exc.reason or "")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Sent(event, 0, str(reason))


def deliver(url: str, event: CloudEvent, *, retries: int = RETRIES, backoff: float = 0.5) -> Sent:
    """POST with retries on no answer, 429 and 5xx (linear backoff)."""
    result = post(url, event)
    for attempt in range(1, retries + 1):
        if result.ok or (result.status and result.status != 429 and result.status < 500):
            break
        time.sleep(backoff * attempt)
        result = post(url, event)
    return result


def run(
    creds: client.Credentials,
    to: str = DEFAULT_TO,
    *,
    envelope: str = "tanzu",
    from_start: bool = False,
    once: bool = False,
    interval: float = 1.0,
    checkpoint: Path | None = None,
    say: Callable[[str], None] = print,
    stop: Callable[[], bool] = lambda: False,
) -> list[Sent]:
    """Stream new events (all retained ones with ``from_start``) to ``to`` until stopped.

    With a ``checkpoint`` file, a restart resumes after the last event handled before.
    """
    envelopes.check_envelope(envelope)
    feed = Feed.open(creds, watermark=0 if from_start else None)
    mark = Checkpoint(checkpoint) if checkpoint is not None else None
    results: list[Sent] = []
    try:
        if mark is not None:
            mark.resume(feed, from_start, say)
        say(f"Following {feed.source} (vSphere API {feed.api_version}) -> {to} [{envelope}]")
        for raw in follow(feed, interval=interval, once=once, stop=stop):
            event = feed.cloudevent(raw, envelope)
            result = deliver(to, event)
            results.append(result)
            outcome = str(result.status) if result.status else "no answer"
            if result.error:
                outcome += f" ({result.error})"
            say(f"{event.get_type()} id {event.get_id()} -> {outcome}")
            if mark is not None:  # delivered or given up on: VSphereSource moves on too
                mark.save(feed.source, int(raw.key))
    finally:
        feed.close()
    return results
