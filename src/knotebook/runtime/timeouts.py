"""The cut of a hung function: SIGALRM raises ``Deadline`` inside it, the request gets 504.

Each server worker runs the function in its main thread, one event at a time (the uvicorn worker
calls it inline from its event loop; the sync worker per request), so a per-request SIGALRM can
cut what the server cannot: gunicorn's --timeout only kills a worker that has been silent that
long, and takes the whole process (and its warm imports) down. The alarm raises inside the
function instead, even in time.sleep() or a blocking socket read, and the worker keeps serving.
Under a threaded worker (gthread) requests do not run in the main thread: no cut there.

The alarm is sent by a watchdog thread, not an interval timer (setitimer): arming is then a store
of the deadline, no system call per event, and code in the function that cancels or reuses the
process's one ITIMER_REAL (signal.alarm, a library timing a call) cannot disable the cut. The
thread sleeps until the current deadline, or for one timeout while nothing runs (work armed
later ends later still), so it wakes rarely.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from types import FrameType

try:  # signal.getsignal maps the handler to an enum (~2 µs); the C function is ~30x faster
    from _signal import getsignal  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - not CPython
    from signal import getsignal

MAIN: int = threading.main_thread().ident  # type: ignore[assignment]  # started: an int
_deadline: list[float | None] = [None]  # when the main thread's work must end (monotonic)
_available = [False]


class Deadline(BaseException):
    """Raised by the alarm: a BaseException, so the function's ``except Exception`` misses it."""


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    deadline = _deadline[0]
    if deadline is None or deadline > time.monotonic():
        return  # sent for work that has finished (or not ours): nothing to cut
    _deadline[0] = None
    raise Deadline


class _Watchdog(threading.Thread):
    """Sends SIGALRM to the main thread once its work's deadline has passed."""

    def __init__(self) -> None:
        super().__init__(name="knotebook-timeout", daemon=True)
        self.wake = threading.Event()
        self.until = float("inf")  # when this thread next looks at the deadline
        self.idle = 1.0  # how long to sleep while nothing runs: the last timeout armed

    def run(self) -> None:
        while True:
            deadline, now = _deadline[0], time.monotonic()
            if deadline is None:
                wait = self.idle
            elif deadline > now:
                wait = deadline - now
            else:
                # the main thread holds or waits for the GIL, so the check and the kill are one
                # step for it: the alarm reaches our handler, for the deadline it was sent for
                if _deadline[0] is deadline and getsignal(signal.SIGALRM) is _on_alarm:
                    signal.pthread_kill(MAIN, signal.SIGALRM)
                wait = 0.05  # again while it is not handled yet (the thread is deep in C code)
            self.until = time.monotonic() + wait
            self.wake.wait(wait)
            self.wake.clear()


_watchdog: list[_Watchdog | None] = [None]
os.register_at_fork(after_in_child=lambda: _watchdog.__setitem__(0, None))  # threads stay behind


def install() -> bool:
    """Take SIGALRM (from the main thread only); False where the cut is not available."""
    try:
        signal.signal(signal.SIGALRM, _on_alarm)
        _available[0] = True
    except (ValueError, AttributeError):  # not the main thread, or no SIGALRM
        pass
    return _available[0]


def here() -> bool:
    """Can work on this thread be cut?"""
    return _available[0] and threading.get_ident() == MAIN


def arm(seconds: float) -> None:
    """Cut the main thread's work after ``seconds``. Code that took SIGALRM over is undone."""
    deadline = time.monotonic() + seconds
    _deadline[0] = deadline
    if getsignal(signal.SIGALRM) is not _on_alarm:
        signal.signal(signal.SIGALRM, _on_alarm)
    watchdog = _watchdog[0]
    if watchdog is None:
        watchdog = _watchdog[0] = _Watchdog()
        watchdog.idle, watchdog.until = seconds, deadline
        watchdog.start()
    elif deadline < watchdog.until:  # a shorter timeout than the one it sleeps through (rare)
        watchdog.idle, watchdog.until = seconds, deadline
        watchdog.wake.set()


def disarm() -> None:
    """End the cut: nothing is sent after this, even if the deadline passes."""
    _deadline[0] = None
