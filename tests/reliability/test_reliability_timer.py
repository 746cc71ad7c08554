"""The handler timeout under the asyncio worker: one timer serves many requests and still cuts
each hung call at its own deadline. Driven in-process through ASGI, in the main thread, as
gunicorn's worker calls it, so the timing is deterministic."""

import asyncio
import json
import os
import signal
import time

import pytest
from reliability_support import export

from knotebook import delivery, events, inkernel


@pytest.fixture
def app(tmp_path):
    bundle = export(tmp_path)
    alarm = signal.getsignal(signal.SIGALRM)
    os.environ["KNOTEBOOK_TIMEOUT_SECONDS"] = "1"
    try:
        yield inkernel.load_handler((bundle / "handler.py").read_text(), "reliability").app
    finally:
        del os.environ["KNOTEBOOK_TIMEOUT_SECONDS"]
        signal.setitimer(signal.ITIMER_REAL, 0)  # the worker keeps its timer armed: not here
        signal.signal(signal.SIGALRM, alarm)


def call(app, **data):
    """(status, body) of one event POSTed to the app through ASGI."""
    sample = events.sample("VmCreatedEvent")
    headers, _ = delivery.encode(sample, "binary")
    body = json.dumps({**sample.get_data(), **data}).encode()
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    sent = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], sent[1]["body"]


def test_a_timer_armed_by_an_earlier_event_cuts_a_later_hang_at_its_own_deadline(app):
    assert call(app)[0] == 204  # arms the 1 s timer and leaves it armed
    assert signal.getitimer(signal.ITIMER_REAL)[0] > 0
    time.sleep(0.5)
    started = time.monotonic()
    status, body = call(app, action="sleep", seconds=10)
    took = time.monotonic() - started
    assert status == 504, body
    assert json.loads(body)["error"] == "handler did not finish within 1 s"
    assert 0.95 < took < 1.5, took  # not at the earlier event's deadline (0.5 s in)


def test_a_timer_left_armed_after_the_last_event_cuts_nothing(app):
    assert call(app)[0] == 204
    time.sleep(1.3)  # the timer fires while no call runs
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # ... and is not re-armed
    assert call(app)[0] == 204
