"""``knotebook source``: a local VSphereSource that POSTs a vCenter's events as CloudEvents.

Like sources-for-knative's VSphereSource in VEBA >= 0.8 (``--envelope tanzu``) or the VMware
Event Router of VEBA 0.3-0.7 (``--envelope router``): each new vCenter event becomes one
binary-mode CloudEvent (``ce-*`` headers, the govmomi JSON payload as the body), POSTed in
Key order to a broker (``knotebook broker``) or straight to a function. A failed delivery is
retried with backoff; if it still fails, delivery stops there (see ``run``): an event is never
checkpointed past unless the sink accepted it.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cloudevents.core.v1.event import CloudEvent

from knotebook.events import envelopes
from knotebook.vcenter import client
from knotebook.vcenter.follow import Checkpoint, Feed, batches

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


@dataclass
class Outcome:
    """What a run delivered so far (filled in as it goes, so Ctrl-C can still report it)."""

    delivered: list[Sent] = field(default_factory=list)
    failed: Sent | None = None  # the event delivery stopped at, until it is accepted
    pending: int = 0  # events read but not delivered: the failed one and those after it

    @property
    def ok(self) -> bool:
        return self.pending == 0


def run(
    creds: client.Credentials,
    to: str = DEFAULT_TO,
    *,
    envelope: str = "tanzu",
    from_start: bool = False,
    once: bool = False,
    interval: float = 1.0,
    checkpoint: Path | None = None,
    resume: bool = True,
    say: Callable[[str], None] = print,
    stop: Callable[[], bool] = lambda: False,
    outcome: Outcome | None = None,
) -> Outcome:
    """Stream new events (all retained ones with ``from_start``) to ``to`` until stopped.

    Delivery follows VSphereSource (sources-for-knative pkg/vsphere/adapter.go, ``sendEvents``
    and ``readEvents``): events go in Key order, a batch stops at the first event the sink does
    not accept (2xx, after our retries), and the checkpoint only ever records the last accepted
    event, so nothing after it is skipped. VSphereSource's collector has by then read past the
    rest of the batch, which it only replays after a restart; we read them again at the next
    poll (``once``: the run ends, reporting them as not delivered).
    A ``checkpoint`` file always records the last event delivered (from the start of the run on),
    so ``resume`` continues after it, whether the run before was a ``resume`` one or not.
    """
    envelopes.check_envelope(envelope)
    feed = Feed.open(creds, watermark=0 if from_start else None)
    mark = Checkpoint(checkpoint) if checkpoint is not None else None
    done = outcome if outcome is not None else Outcome()
    try:
        if mark is not None:
            mark.start(feed, resume=resume, from_start=from_start, say=say)
        say(f"Following {feed.source} (vSphere API {feed.api_version}) -> {to} [{envelope}]")
        for batch in batches(feed, interval=interval, once=once, stop=stop):
            done.pending = len(batch)
            for raw in batch:
                event = feed.cloudevent(raw, envelope)
                result = deliver(to, event)
                outcome_text = str(result.status) if result.status else "no answer"
                if result.error:
                    outcome_text += f" ({result.error})"
                say(f"{event.get_type()} id {event.get_id()} -> {outcome_text}")
                if not result.ok:
                    done.failed = result
                    feed.watermark = int(raw.key) - 1  # the next poll starts with this one again
                    break
                done.delivered.append(result)
                done.failed = None
                done.pending -= 1
                if mark is not None:
                    mark.save(feed.source, int(raw.key))
    finally:
        feed.close()
    return done
