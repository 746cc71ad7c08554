"""SIGTERM while requests are in flight: they finish, nothing is lost, exit status 0.

Knative (the kubelet) sends SIGTERM to the container's main process, then waits
terminationGracePeriodSeconds before SIGKILL; the Procfile's --graceful-timeout covers that.
Knative's preStop hook holds the SIGTERM until the queue-proxy has drained, so a request that
still arrives after it is rare; the worker may then serve it in full (and close the
connection afterwards) or refuse it before reading it, but never answer it half-way or with an
error.
"""

import http.client
import json
import threading
import time

import pytest
from reliability_support import export, post, serve, terminate_master, wait_for_log

from knotebook import events

pytestmark = pytest.mark.slow  # gunicorn SIGTERM


def test_sigterm_lets_in_flight_requests_finish_loses_nothing_and_exits_0(tmp_path):
    sample = events.sample("VmCreatedEvent")
    headers, _ = events.to_binary(sample)
    slow = json.dumps({**sample.get_data(), "action": "sleep", "seconds": 1.5}).encode()
    answers = {}

    def send(key, body):
        try:
            status, _, _ = post(server, headers, body, timeout=15)
            answers[key] = status
        except (OSError, http.client.HTTPException) as exc:
            answers[key] = type(exc).__name__

    with serve(export(tmp_path)) as server:
        in_flight = [threading.Thread(target=send, args=(i, slow)) for i in range(2)]
        for thread in in_flight:  # one per worker
            thread.start()
        wait_for_log(server, "sleeping 1.5 s", count=2)  # both workers are in the handler
        terminate_master(server)
        wait_for_log(server, "Handling signal: term")
        late = threading.Thread(target=send, args=("late", json.dumps(sample.get_data()).encode()))
        late.start()
        for thread in [*in_flight, late]:
            thread.join(20)
        assert server.process.wait(20) == 0
    assert answers[0] == answers[1] == 204, answers  # in flight when SIGTERM came: finished
    refused = ("ConnectionRefusedError", "ConnectionResetError", "RemoteDisconnected")
    if answers["late"] == 204:  # reached a worker before it began to drain: served in full
        # (uvicorn looks at its exit flag every 0.1 s; in that window the answer may still offer
        # keep-alive, and the idle connection is closed when the drain starts)
        handled = 3
    else:
        assert answers["late"] in refused, answers
        handled = 2
    assert sum("handled event" in line for line in server.logs) == handled
    assert any("Shutting down: Master" in line for line in server.logs)


@pytest.mark.slow
def test_sigterm_lets_an_event_longer_than_gunicorns_default_grace_finish(tmp_path):
    """gunicorn's default graceful_timeout is 30 s; gunicorn.conf.py gives 265 s (Knative's
    300 s grace less its 30 s drain, plus a margin): a 35 s event in flight still gets its 204."""
    sample = events.sample("VmCreatedEvent")
    headers, _ = events.to_binary(sample)
    slow = json.dumps({**sample.get_data(), "action": "sleep", "seconds": 35}).encode()
    answers = {}

    def send():
        try:
            answers["slow"] = post(server, headers, slow, timeout=60)[0]
        except (OSError, http.client.HTTPException) as exc:
            answers["slow"] = type(exc).__name__

    with serve(export(tmp_path)) as server:
        thread = threading.Thread(target=send)
        thread.start()
        wait_for_log(server, "sleeping 35 s")
        terminate_master(server)
        wait_for_log(server, "Handling signal: term")
        thread.join(60)
        assert server.process.wait(30) == 0
    assert answers["slow"] == 204, answers
    assert sum("handled event" in line for line in server.logs) == 1


@pytest.mark.slow
def test_a_function_running_past_half_the_worker_timeout_is_cut_not_killed(tmp_path):
    """gunicorn kills a worker silent for `timeout` (KNOTEBOOK_TIMEOUT_SECONDS + 20). The worker
    tells it it is alive from its event loop, which a running function blocks: a heartbeat only
    every timeout / 2 (uvicorn_worker's default) let a function started just before one run past
    `timeout` since the last. With KNOTEBOOK_TIMEOUT_SECONDS=25 (timeout 45 s, heartbeat every
    22.5 s by default), an event 21 s after boot that hangs is cut at 25 s: 504, no kill."""
    sample = events.sample("VmCreatedEvent")
    headers, _ = events.to_binary(sample)
    hang = json.dumps({**sample.get_data(), "action": "sleep", "seconds": 60}).encode()
    with serve(export(tmp_path), KNOTEBOOK_TIMEOUT_SECONDS="25") as server:
        wait_for_log(server, "Booting worker", count=2)
        time.sleep(21)
        status, _, body = post(server, headers, hang, timeout=40)
        assert status == 504, body
        assert not any("WORKER TIMEOUT" in line for line in server.logs)
