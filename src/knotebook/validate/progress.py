"""Progress that stays useful at scale: done/total, an ETA, and the slowest runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from knotebook.validate.runner import RunResult


class Tracker:
    """Counts finished checks against the planned total; estimates the time left."""

    def __init__(self, total: int = 0) -> None:
        self.total = total
        self.done = 0
        self.started = time.monotonic()
        self.lock = threading.Lock()

    def add(self, count: int) -> None:
        with self.lock:
            self.total += count

    def tick(self) -> str:
        """Count one finished check; ``[done/total, ~Ns left]``."""
        with self.lock:
            self.done += 1
            done, total = self.done, max(self.total, self.done)
        elapsed = time.monotonic() - self.started
        if done >= total:
            return f"[{done}/{total}]"
        left = elapsed / done * (total - done)
        return f"[{done}/{total}, ~{left:.0f} s left]"


def slowest(results: Iterable[RunResult], count: int = 5) -> list[RunResult]:
    """The ``count`` slowest checks that ran (cached ones took no time here)."""
    ran = [r for r in results if not r.cached and r.seconds > 0]
    return sorted(ran, key=lambda r: -r.seconds)[:count]


def summary(results: list[RunResult]) -> str:
    """``N passed, M failed`` with the cached count, as the last line of a validate run."""
    failed = sum(1 for r in results if not r.ok)
    cached = sum(1 for r in results if r.cached)
    text = f"{len(results) - failed} passed, {failed} failed"
    return text + (f" ({cached} cached)" if cached else "")
