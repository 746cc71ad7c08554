"""The cut of a hung function: SIGALRM raises ``Deadline`` inside it, the request gets 504.

Each server worker runs the function in its main thread, one event at a time (the uvicorn worker
calls it inline from its event loop; the sync worker per request), so a per-request SIGALRM can
cut what the server cannot: gunicorn's --timeout only kills a worker that has been silent that
long, and takes the whole process (and its warm imports) down. The alarm raises inside the
function instead, even in time.sleep(), a blocking socket read or a runaway regex (C code that
holds the GIL but checks for signals), and the worker keeps serving.
Under a threaded worker (gthread) requests do not run in the main thread: no cut there.
"""

from __future__ import annotations

import signal
import threading
import time
from types import FrameType

try:  # signal.getsignal maps the handler to an enum (~2 µs); the C function is ~30x faster
    from _signal import getsignal  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - not CPython
    from signal import getsignal

MAIN = threading.main_thread().ident
_deadline: list[float | None] = [None]  # when the main thread's work must end (monotonic)
_fires = [0.0]  # when the armed timer goes off; 0.0 if none is armed
_available = [False]


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
    """Cut the main thread's work after ``seconds``. The timer is set only when ours is not due
    before this deadline: under load one setitimer() serves many requests. Code that took
    SIGALRM or its timer over (signal.alarm, a library timing a call) is undone here."""
    now = time.monotonic()
    deadline = now + seconds
    _deadline[0] = deadline
    if getsignal(signal.SIGALRM) is not _on_alarm:
        signal.signal(signal.SIGALRM, _on_alarm)
    fires = _fires[0]
    if fires and fires <= deadline:
        left = signal.getitimer(signal.ITIMER_REAL)[0]
        if left and now + left <= fires + 0.01:
            return  # our timer is still set, and goes off before this deadline
    _fires[0] = deadline
    signal.setitimer(signal.ITIMER_REAL, seconds)


def disarm(keep_timer: bool = False) -> None:
    """End the cut. ``keep_timer`` leaves the timer armed (it stops when it fires with nothing
    to cut): only for a server process whose SIGALRM is this module's for good; anywhere else
    (a test client, a notebook kernel) a timer outliving the call could fire on another handler."""
    _deadline[0] = None
    if keep_timer:  # the timer stays: it must not go off on a handler the function left behind
        if _fires[0] and getsignal(signal.SIGALRM) is not _on_alarm:
            signal.signal(signal.SIGALRM, _on_alarm)  # (SIG_DFL would end the worker)
    elif _fires[0]:
        _fires[0] = 0.0
        signal.setitimer(signal.ITIMER_REAL, 0)
