"""The cut of a hung function: SIGALRM raises ``Deadline`` inside it, the request gets 504.

Each server worker runs the function in its main thread, one event at a time (the uvicorn worker
calls it inline from its event loop; the sync worker per request), so a per-request SIGALRM can
cut what the server cannot: gunicorn's --timeout only kills a worker that has been silent that
long, and takes the whole process (and its warm imports) down. The alarm raises inside the
function instead, even in time.sleep(), a blocking socket read or a runaway regex (C code that
holds the GIL but checks for signals), and the worker keeps serving. Under a threaded worker
(gthread) requests do not run in the main thread: no cut there.

The alarm is the process's interval timer (ITIMER_REAL), set only when none is due before the
new deadline: under load one setitimer() serves many events, and arming is otherwise a store.
In a server process (``keep_timer``) a watchdog thread backs it up: code in the function that
cancels or reuses the one ITIMER_REAL (signal.alarm, a library timing a call) would silence
the timer, so the thread sends SIGALRM itself once a deadline has passed. It sleeps until the
current deadline, or for one timeout while nothing runs (work armed later ends later still).
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
_fires = [0.0]  # when the armed timer goes off; 0.0 if none is armed
_available = [False]
_lock = threading.Lock()  # the watchdog's check-and-send against disarm()
GRACE = 0.1  # the watchdog's alarm comes this long after the timer's, which should have cut


class Deadline(BaseException):
    """Raised by the alarm: a BaseException, so the function's ``except Exception`` misses it."""


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    _fires[0] = 0.0
    deadline = _deadline[0]
    if deadline is None:
        return  # armed for work that has finished: nothing to cut
    left = deadline - time.monotonic()
    if left > 0:  # armed for earlier work: wait for this one's deadline
        _fires[0] = deadline
        signal.setitimer(signal.ITIMER_REAL, left)
        return
    _deadline[0] = None
    raise Deadline


class _Watchdog(threading.Thread):
    """Sends SIGALRM to the main thread once its work's deadline has passed."""

    def __init__(self, idle: float, until: float) -> None:
        super().__init__(name="knotebook-timeout", daemon=True)
        self.wake = threading.Event()
        self.idle = idle  # how long to sleep while nothing runs: the shortest timeout armed
        self.until = until  # when this thread next looks at the deadline

    def run(self) -> None:
        while True:
            self.until = float("inf")  # an arm() from now on wakes this thread if it is earlier
            deadline, now = _deadline[0], time.monotonic()
            if _fires[0] and _fires[0] < now - 1:  # the timer did not go off: someone took it
                _fires[0] = 0.0  # the next arm() sets it again
            if deadline is None:
                wait = self.idle
            elif deadline + GRACE > now:
                wait = deadline + GRACE - now
            else:
                with _lock:  # disarm() cannot slip in between: no alarm after the work ended
                    if _deadline[0] is deadline and getsignal(signal.SIGALRM) is _on_alarm:
                        signal.pthread_kill(MAIN, signal.SIGALRM)
                wait = 0.05  # again while it is not handled yet (C code that does not check)
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


def arm(seconds: float, keep_timer: bool = False) -> None:
    """Cut the main thread's work after ``seconds``. Code that took SIGALRM over is undone.
    ``keep_timer``: a server process, whose SIGALRM is this module's for good (see disarm)."""
    deadline = time.monotonic() + seconds
    _deadline[0] = deadline
    if getsignal(signal.SIGALRM) is not _on_alarm:
        signal.signal(signal.SIGALRM, _on_alarm)
    # elsewhere (a kernel, a test) the timer is checked each time: no watchdog runs there
    if not _fires[0] or _fires[0] > deadline or not (keep_timer or _timer_set()):
        _fires[0] = deadline
        signal.setitimer(signal.ITIMER_REAL, seconds)
    if keep_timer:
        watchdog = _watchdog[0]
        if watchdog is None:
            watchdog = _watchdog[0] = _Watchdog(seconds, deadline)
            watchdog.start()
        elif deadline < watchdog.until:  # a shorter timeout than the one it sleeps through
            watchdog.idle = min(watchdog.idle, seconds)
            watchdog.wake.set()


def _timer_set() -> bool:
    return bool(signal.getitimer(signal.ITIMER_REAL)[0])


def disarm(keep_timer: bool = False) -> None:
    """End the cut. ``keep_timer`` leaves the timer armed (it stops when it fires with nothing
    to cut): only for a server process whose SIGALRM is this module's for good; anywhere else
    (a test client, a notebook kernel) a timer outliving the call could fire on another handler."""
    with _lock:
        _deadline[0] = None
    if not keep_timer and _fires[0]:
        _fires[0] = 0.0
        signal.setitimer(signal.ITIMER_REAL, 0)
