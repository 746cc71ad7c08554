"""Following a vCenter's event stream: complete, ordered, resumable from a Key watermark.

govmomi 0.24's simulator has two EventHistoryCollector bugs (``ReadNextEvents`` never returns
events that arrive after the collector was read to the end; a ``maxCount`` below the number of
events returns the wrong ones), so this polls ``QueryEvents(maxCount=1000)`` and keeps the
events whose Key is above the watermark, oldest first. Keys increase per vCenter.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cloudevents.core.v1.event import CloudEvent

from knotebook.errors import KnotebookError
from knotebook.project.files import write_atomic
from knotebook.vcenter import client, convert

PAGE = 1000


@dataclass
class Feed:
    """One vCenter session, its CloudEvent ``source`` and API version, and a Key watermark."""

    si: Any
    source: str
    api_version: str
    watermark: int = 0
    missed: int = 0  # polls whose whole page was new: older events may have been skipped

    @classmethod
    def open(cls, creds: client.Credentials, watermark: int | None = None) -> Feed:
        """Connect; without a watermark, start after the newest event (only new ones follow)."""
        si = client.connect(creds)
        feed = cls(si, convert.source_url(creds.url), str(si.content.about.apiVersion))
        feed.watermark = feed.latest_key() if watermark is None else watermark
        return feed

    def _query(self) -> list[Any]:
        from pyVmomi import vim

        spec = vim.event.EventFilterSpec(maxCount=PAGE)
        return list(self.si.content.eventManager.QueryEvents(spec) or [])

    def latest_key(self) -> int:
        return max((int(e.key) for e in self._query()), default=0)

    def poll(self) -> list[Any]:
        """The pyVmomi events above the watermark, oldest first; moves the watermark."""
        found = self._query()
        new = sorted((e for e in found if int(e.key) > self.watermark), key=lambda e: int(e.key))
        if new and len(new) == len(found) == PAGE and self.watermark:
            self.missed += 1
        if new:
            self.watermark = int(new[-1].key)
        return new

    def cloudevent(self, event: Any, envelope: str = "tanzu") -> CloudEvent:
        """The CloudEvent VEBA would deliver for a pyVmomi event."""
        return convert.to_cloudevent(
            convert.to_payload(event),
            convert.event_id(event),
            source=self.source,
            api_version=self.api_version,
            envelope=envelope,
        )

    def close(self) -> None:
        client.disconnect(self.si)


def follow(
    feed: Feed,
    *,
    interval: float = 1.0,
    stop: Callable[[], bool] = lambda: False,
    once: bool = False,
) -> Iterator[Any]:
    """Yield new pyVmomi events as they arrive (``once``: only what is there now)."""
    for batch in batches(feed, interval=interval, stop=stop, once=once):
        yield from batch


def batches(
    feed: Feed,
    *,
    interval: float = 1.0,
    stop: Callable[[], bool] = lambda: False,
    once: bool = False,
) -> Iterator[list[Any]]:
    """Yield each poll's new events (never empty), oldest first; ``once``: one poll only.

    Lowering ``feed.watermark`` between two batches reads those events again at the next poll.
    """
    while not stop():
        batch = feed.poll()
        if batch:
            yield batch
        if once:
            return
        deadline = time.monotonic() + interval
        while time.monotonic() < deadline and not stop():
            time.sleep(min(0.1, interval))


def captured(si: Any, after: int, *, source: str = "", envelope: str = "tanzu") -> list[CloudEvent]:
    """The events above Key ``after`` on a connected vCenter, as VEBA CloudEvents, oldest first.

    For notebooks: note ``watermark(si)`` before acting, then take what the action posted.
    """
    url = source or f"https://{si._stub.host}/sdk"
    feed = Feed(si, convert.source_url(url), str(si.content.about.apiVersion), after)
    return [feed.cloudevent(e, envelope) for e in feed.poll()]


def watermark(si: Any) -> int:
    """The newest event Key on a connected vCenter."""
    return Feed(si, "", "").latest_key()


@dataclass(frozen=True)
class Checkpoint:
    """The newest handled Key per vCenter, in a JSON file: ``{source: {"key", "updated"}}``."""

    path: Path

    def read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise KnotebookError(f"cannot read {self.path}: {exc}") from exc
        return data if isinstance(data, dict) else {}

    def save(self, source: str, key: int) -> None:
        state = self.read()
        state[source] = {"key": key, "updated": datetime.now(UTC).isoformat(timespec="seconds")}
        write_atomic(self.path, json.dumps(state, indent=2, sort_keys=True) + "\n")

    def start(
        self, feed: Feed, *, resume: bool, from_start: bool, say: Callable[[str], None]
    ) -> None:
        """Set the feed's watermark and save it at once, so a later run can continue from here.

        ``resume``: after the saved Key; without one (or after a new simulator), from the start
        (``from_start``) or with new events, and says so. Not ``resume``: from the start or now,
        naming the events a ``--resume`` would have sent.
        """
        saved = self.read().get(feed.source, {}).get("key")
        latest = feed.latest_key()
        begin = 0 if from_start else latest
        if saved is not None and int(saved) > latest:
            message = f"{feed.source} restarted its event keys (a new simulator?): starting anew"
        elif resume and saved is not None:
            begin = int(saved)
            message = f"Resuming {feed.source} after event {saved}"
        elif resume:
            where = "the oldest event it holds" if from_start else "its next event"
            message = f"No checkpoint for {feed.source} in {self.path}: starting with {where}"
        elif saved is not None and not from_start and int(saved) < latest:
            message = (
                f"Not resuming: events {int(saved) + 1}-{latest} since the last run are skipped "
                "(--resume sends them)"
            )
        else:
            message = ""
        feed.watermark = begin
        self.save(feed.source, begin)  # before saying so: a Ctrl-C after the message keeps it
        if message:
            say(message)
