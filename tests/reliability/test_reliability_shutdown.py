"""SIGTERM while requests are in flight: they finish, new ones are refused, exit status 0.

Knative (the kubelet) sends SIGTERM to the container's main process, then waits
terminationGracePeriodSeconds before SIGKILL; the Procfile's --graceful-timeout covers that.
"""

import http.client
import json
import threading

from reliability_support import export, post, serve, terminate_master, wait_for_log

from knotebook import events


def test_sigterm_lets_in_flight_requests_finish_refuses_new_ones_and_exits_0(tmp_path):
    sample = events.sample("VmCreatedEvent")
    headers, _ = events.to_binary(sample)
    slow = json.dumps({**sample.get_data(), "action": "sleep", "seconds": 1.5}).encode()
    answers = {}

    def send(key, body):
        try:
            answers[key] = post(server, headers, body, timeout=15)[0]
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
    assert answers["late"] in (
        "ConnectionRefusedError",
        "ConnectionResetError",
        "RemoteDisconnected",
        "BrokenPipeError",
    ), answers
    assert sum("handled event" in line for line in server.logs) == 2
    assert any("Shutting down: Master" in line for line in server.logs)
