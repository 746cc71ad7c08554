"""The handler timeout under the server's worker: one timer serves many requests and still cuts
each hung call at its own deadline. Driven in-process through ASGI, in the main
thread, as the worker calls it, so the timing is deterministic."""

import asyncio
import json
import os
import signal
import threading
import time
from contextlib import contextmanager

import pytest
from reliability_support import export

from knotebook import events
from knotebook.lab import inkernel
from knotebook.local import delivery

pytestmark = pytest.mark.slow  # gunicorn, event timeouts


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return export(tmp_path_factory.mktemp("timer"))


@contextmanager
def loaded(bundle, **env):
    """handler.py's app, imported here with ``env``; SIGALRM and its timer restored after."""
    alarm = signal.getsignal(signal.SIGALRM)
    os.environ.update(env)
    try:
        yield inkernel.load_handler((bundle / "handler.py").read_text(), "reliability").app
    finally:
        for name in env:
            del os.environ[name]
        signal.setitimer(signal.ITIMER_REAL, 0)  # the worker keeps its timer armed: not here
        signal.signal(signal.SIGALRM, alarm)


@pytest.fixture
def app(bundle):
    with loaded(bundle, KNOTEBOOK_TIMEOUT_SECONDS="1") as app:
        yield app


def request(**data):
    """The ASGI scope and body of one event."""
    sample = events.sample("VmCreatedEvent")
    headers, _ = delivery.encode(sample, "binary")
    body = json.dumps({**sample.get_data(), **data}).encode()
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    return scope, body


async def answer(app, scope, receive):
    """(status, body) of the app's answer."""
    sent = []

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], sent[1]["body"]


def call(app, **data):
    """(status, body) of one event POSTed to the app through ASGI."""
    scope, body = request(**data)

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    return asyncio.run(answer(app, scope, receive))


def test_a_timer_armed_by_an_earlier_event_cuts_a_later_hang_at_its_own_deadline(app):
    assert call(app)[0] == 204  # arms the 1 s timer and leaves it armed
    assert signal.getitimer(signal.ITIMER_REAL)[0] > 0
    time.sleep(0.5)
    started = time.monotonic()
    status, body = call(app, action="sleep", seconds=10)
    took = time.monotonic() - started
    assert status == 504, body
    assert json.loads(body)["error"] == "handler did not finish within 1 s"
    # its own full second, not the earlier event's deadline (0.5 s in); the 504 says it was
    # cut (the handler sleeps 10 s). No upper bound: busy CI machines are slow.
    assert took > 0.95, took


def test_a_timer_left_armed_after_the_last_event_cuts_nothing(app):
    assert call(app)[0] == 204
    time.sleep(1.3)  # the timer fires while no call runs
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # ... and is not re-armed
    assert call(app)[0] == 204


def test_a_runaway_regex_is_cut(app):
    """C code that holds the GIL (the regex engine) but checks for signals: the timer's alarm
    reaches it (a thread could not: it would need the GIL to send anything)."""
    status, body = call(app, action="regex")  # uncut, it ends in about 25 s: 204
    assert status == 504, body


def test_a_handler_the_function_leaves_behind_is_replaced_while_the_timer_runs_on(app):
    """The worker keeps its timer armed between events; had the function left SIG_DFL (a
    "restore the default" cleanup) on SIGALRM, that timer would end the worker."""
    assert call(app, action="default-alarm")[0] == 204
    assert signal.getitimer(signal.ITIMER_REAL)[0] > 0
    assert signal.getsignal(signal.SIGALRM) is not signal.SIG_DFL
    assert call(app, action="sleep", seconds=10)[0] == 504


@pytest.mark.parametrize("action", ["steal-alarm", "cancel-alarm"])
def test_code_that_takes_the_alarm_over_does_not_disable_the_cut(app, action):
    assert call(app)[0] == 204  # the timer is armed
    assert call(app, action=action)[0] == 204  # the timer cancelled (and SIG_IGN installed)
    started = time.monotonic()
    status, body = call(app, action="sleep", seconds=10)
    assert status == 504, body
    assert time.monotonic() - started > 0.95  # the 504 (of a 10 s sleep) shows the cut


def test_a_body_that_arrived_while_another_function_blocked_the_loop_is_not_408(bundle):
    """The read timeout counts the client's time, not time the worker spent in a function."""
    with loaded(bundle, KNOTEBOOK_READ_TIMEOUT_SECONDS="1") as app:

        async def both():
            loop = asyncio.get_running_loop()
            arrived = loop.create_future()
            slow_scope, slow_body = request(action="sleep", seconds=2)
            waiting_scope, waiting_body = request()

            async def slow_receive():
                await asyncio.sleep(0.1)  # let the waiting request register its read first
                return {"type": "http.request", "body": slow_body, "more_body": False}

            async def waiting_receive():
                return await arrived

            def client():  # the body arrives 0.5 s in, while the loop is blocked
                time.sleep(0.5)
                message = {"type": "http.request", "body": waiting_body, "more_body": False}
                loop.call_soon_threadsafe(arrived.set_result, message)

            threading.Thread(target=client, daemon=True).start()
            return await asyncio.gather(
                answer(app, waiting_scope, waiting_receive),
                answer(app, slow_scope, slow_receive),
            )

        waiting, slow = asyncio.run(both())
    assert slow[0] == 204, slow
    assert waiting[0] == 204, waiting  # not 408: the body came 0.5 s after the headers


def test_a_read_that_really_stalls_is_cut_with_408(bundle):
    with loaded(bundle, KNOTEBOOK_READ_TIMEOUT_SECONDS="1") as app:
        scope, _ = request()

        async def never():
            await asyncio.sleep(30)

        started = time.monotonic()
        status, body = asyncio.run(answer(app, scope, never))
        assert status == 408, body
        assert time.monotonic() - started >= 1.0  # 408, not the 30 s wait: cut at the timeout
        status, body = asyncio.run(answer(app, scope, never))  # a new loop: the watch follows
        assert status == 408, body
