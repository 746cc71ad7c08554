"""The exported handler.py, served by its own Procfile command (gunicorn), over real HTTP."""

import json
import os
import signal
import time

import nbformat
import pytest
from conftest import make_project, notebook_cells

from knotebook import events
from knotebook.export import exporter
from knotebook.lab import inkernel
from knotebook.local import delivery, process

SETTINGS = """# knotebook: settings
FUNCTION_NAME = "contract"
EVENT_TYPES = ["VmCreatedEvent", "VmRenamedEvent", "VmRemovedEvent", "VmPoweredOnEvent"]
ENV_VARS = ["GREETING"]
"""
FUNCTION = """# knotebook: function
import logging
import os

from cloudevents.core.v1.event import CloudEvent

log = logging.getLogger("contract")


def handler(event):
    data = event.get_data()
    kind = event.get_type()
    if "VmRemovedEvent" in kind:
        raise RuntimeError("vCenter is unreachable")
    if "VmPoweredOnEvent" in kind:
        return {"not": "an event"}
    log.info("%s %s vm=%s", os.environ["GREETING"], kind, data["Vm"]["Name"])
    if "VmReconfiguredEvent" in kind:  # a header value HTTP cannot carry
        return CloudEvent(
            {"type": "t", "source": "s", "id": "1", "datacontenttype": "text/plain; x=\u20ac"},
            "x",
        )
    if "VmRenamedEvent" in kind:
        return CloudEvent(
            {
                "type": "com.example.vm.renamed.summary",
                "source": "knotebook/contract",
                "id": "reply-" + event.get_id(),
            },
            {"old": data["OldName"], "new": data["NewName"]},
        )
    return None
"""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("handler") / "project")
    path = project / "notebooks" / "contract.ipynb"
    nbformat.write(notebook_cells(SETTINGS, FUNCTION), path)
    path.with_suffix(".env").write_text("GREETING=hello\n")
    return exporter.export(path).directory


@pytest.fixture(scope="module")
def server(bundle):
    """handler:app served by the Procfile's command: gunicorn's uvicorn workers call it via ASGI."""
    with process.serve(bundle) as running:
        yield running


@pytest.fixture(scope="module")
def wsgi(bundle):
    """The same handler:app loaded in this process and called through WSGI (werkzeug's client)."""
    from werkzeug.test import Client

    alarm = signal.getsignal(signal.SIGALRM)
    os.environ["GREETING"] = "hello"
    try:
        module = inkernel.load_handler((bundle / "handler.py").read_text(), "contract")
        yield Client(module.app)
    finally:
        del os.environ["GREETING"]
        signal.signal(signal.SIGALRM, alarm)


def wait_for_log(server, text, timeout=10.0):
    """The log pump may lag behind the HTTP answer."""
    deadline = time.monotonic() + timeout
    while not any(text in line for line in server.logs):
        assert time.monotonic() < deadline, server.logs[-5:]
        time.sleep(0.01)


def post(server, headers, body):
    return delivery.post(server.url + "/", headers, body)


def reason(answer):
    assert answer.headers["Content-Type"] == "application/json"
    payload = json.loads(answer.body)
    assert payload["status"] == answer.status
    return payload["error"]


@pytest.mark.slow
@pytest.mark.parametrize("envelope", events.ENVELOPES)
@pytest.mark.parametrize("mode", delivery.MODES)
def test_event_is_handled_with_204_and_logged(server, envelope, mode):
    event = events.sample("VmCreatedEvent", envelope=envelope)
    answer = delivery.send(server.url, event, mode)
    assert answer.status == 204
    assert answer.body == b""
    vm = event.get_data()["Vm"]["Name"]
    line = f"INFO contract MainThread : hello {event.get_type()} vm={vm}"
    wait_for_log(server, line)


@pytest.mark.parametrize("mode", delivery.MODES)
def test_reply_cloudevent_is_returned_in_binary_mode(server, mode):
    event = events.sample("VmRenamedEvent")
    answer = delivery.send(server.url, event, mode)
    assert answer.status == 200
    assert answer.headers["ce-type"] == "com.example.vm.renamed.summary"
    assert answer.reply.get_id() == "reply-" + event.get_id()
    data = event.get_data()
    assert answer.reply.get_data() == {"old": data["OldName"], "new": data["NewName"]}


def test_handler_exception_is_500_with_one_log_line_naming_the_event(server):
    event = events.sample("VmRemovedEvent")
    answer = delivery.send(server.url, event)
    assert answer.status == 500
    assert reason(answer) == "handler raised RuntimeError"
    wait_for_log(server, "handler failed")
    failures = [line for line in server.logs if "handler failed" in line]
    assert len(failures) == 1
    assert f"id={event.get_id()} type={event.get_type()}" in failures[0]
    assert "RuntimeError: vCenter is unreachable" in failures[0]
    assert not any("Traceback" in line for line in server.logs)
    assert delivery.send(server.url, events.sample("VmCreatedEvent")).status == 204  # still serving


def test_a_reply_that_cannot_go_on_the_wire_is_a_json_500_naming_the_event(server):
    event = events.sample("VmReconfiguredEvent")
    answer = delivery.send(server.url, event)
    assert answer.status == 500
    assert reason(answer) == "reply CloudEvent cannot be sent (UnicodeEncodeError)"
    wait_for_log(server, f"reply to event id={event.get_id()} type={event.get_type()} cannot")


def test_non_event_return_value_is_a_500_not_a_body_the_broker_rejects(server):
    answer = delivery.send(server.url, events.sample("VmPoweredOnEvent"))
    assert answer.status == 500
    assert "neither None nor a CloudEvent" in reason(answer)


def binary_headers(**overrides):
    headers, body = events.to_binary(events.sample("VmCreatedEvent"))
    headers.update(overrides)
    return {k: v for k, v in headers.items() if v is not None}, body


MALFORMED = {
    "seed curl: structured body without Content-Type": (
        {"Content-Type": "application/x-www-form-urlencoded"},
        b'{"specversion": "1.0", "id": "1", "source": "s", "type": "t", "data": {}}',
        400,
        "application/cloudevents+json",
    ),
    "no ce headers, plain JSON": (
        {"Content-Type": "application/json"},
        b"{}",
        400,
        "not a CloudEvent",
    ),
    "binary without ce-id": (*binary_headers(**{"ce-id": None}), 400, "'id' is missing"),
    "binary with specversion 0.2": (  # 1.0 and 0.3 are accepted (tests/runtime/)
        *binary_headers(**{"ce-specversion": "0.2"}),
        400,
        "unsupported specversion",
    ),
    "binary with a bad time": (*binary_headers(**{"ce-time": "yesterday"}), 400, "RFC 3339"),
    "binary with invalid JSON data": (
        binary_headers()[0],
        b'{"Key": 1,',
        400,
        "not valid JSON",
    ),
    "binary with a non-UTF-8 header": (
        *binary_headers(**{"ce-subject": "%C0%A0"}),
        400,
        "not valid UTF-8",
    ),
    "binary with a bad extension name": (
        *binary_headers(**{"ce-bad-name": "x"}),
        400,
        "attribute name 'bad-name' is not valid",
    ),
    "structured, not JSON": (
        {"Content-Type": "application/cloudevents+json"},
        b"<xml/>",
        400,
        "not valid JSON",
    ),
    "structured, a JSON array": (
        {"Content-Type": "application/cloudevents+json"},
        b"[]",
        400,
        "must be a JSON object",
    ),
    "structured, missing source": (
        {"Content-Type": "application/cloudevents+json"},
        b'{"specversion": "1.0", "id": "1", "type": "t"}',
        400,
        "'source' is missing",
    ),
    "structured, datacontenttype not a string": (
        {"Content-Type": "application/cloudevents+json"},
        b'{"specversion": "1.0", "id": "1", "source": "s", "type": "t", "datacontenttype": 7}',
        400,
        "'datacontenttype' must be a non-empty string",
    ),
    "structured, bad data_base64": (
        {"Content-Type": "application/cloudevents+json"},
        b'{"specversion": "1.0", "id": "1", "source": "s", "type": "t", "data_base64": "@@"}',
        400,
        "not valid base64",
    ),
    "structured, non-UTF-8": (
        {"Content-Type": "application/cloudevents+json"},
        b'{"id": "\xff"}',
        400,
        "not UTF-8",
    ),
    "binary, JSON nested too deeply": (binary_headers()[0], b"[" * 200_000, 400, "not valid JSON"),
    "structured, JSON nested too deeply": (
        {"Content-Type": "application/cloudevents+json"},
        b"[" * 200_000,
        400,
        "nested too deeply",
    ),
    "batch": ({"Content-Type": "application/cloudevents-batch+json"}, b"[]", 415, "batched"),
    "other event format": (
        {"Content-Type": "application/cloudevents+avro"},
        b"x",
        415,
        "unsupported",
    ),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_requests_get_4xx_with_a_json_reason(server, case):
    headers, body, status, words = MALFORMED[case]
    answer = post(server, headers, body)
    assert answer.status == status
    assert words in reason(answer)


def wsgi_answer(wsgi, headers, body, method="POST", path="/"):
    response = wsgi.open(path, method=method, headers=headers, data=body)
    return response.status_code, dict(response.headers), response.get_data()


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_wsgi_and_asgi_give_the_same_answer_to_malformed_requests(server, wsgi, case):
    headers, body, _, _ = MALFORMED[case]
    answer = post(server, headers, body)
    assert wsgi_answer(wsgi, headers, body)[::2] == (answer.status, answer.body)


@pytest.mark.parametrize("kind", ["VmCreatedEvent", "VmRenamedEvent", "VmRemovedEvent"])
@pytest.mark.parametrize("mode", delivery.MODES)
def test_wsgi_and_asgi_give_the_same_answer_to_events(server, wsgi, kind, mode):
    headers, body = delivery.encode(events.sample(kind), mode)
    answer = post(server, headers, body)
    status, wsgi_headers, wsgi_body = wsgi_answer(wsgi, headers, body)
    assert (status, wsgi_body) == (answer.status, answer.body)

    def ce(headers):  # a reply's ce-time is stamped when the function builds it
        return {
            k.lower(): k.lower() == "ce-time" or v
            for k, v in headers.items()
            if k.lower()[:3] == "ce-"
        }

    assert ce(wsgi_headers) == ce(answer.headers)
    assert (kind == "VmRenamedEvent") == ("ce-id" in ce(answer.headers))


def test_an_in_process_call_leaves_no_timer_armed(wsgi):
    """A kernel or test process gets its own SIGALRM handler back after the call (inkernel does
    that); a timeout timer still armed would then fire on it, and SIG_DFL kills the process."""
    for kind in ("VmCreatedEvent", "VmRemovedEvent"):  # answered, and raised in the function
        headers, body = delivery.encode(events.sample(kind), "binary")
        assert wsgi_answer(wsgi, headers, body)[0] in (204, 500)
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/", 405), ("PUT", "/healthz", 405), ("GET", "/nope", 404), ("HEAD", "/healthz", 200)],
)
def test_routes_off_the_hot_path_answer_alike_through_flask(server, wsgi, method, path, status):
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    assert response.status == status
    assert wsgi_answer(wsgi, {}, b"", method, path)[::2] == (status, body)
    if status == 405:
        assert json.loads(body)["status"] == 405
        assert "POST" in response.getheader("Allow") or "GET" in response.getheader("Allow")


def test_packaged_negative_samples_get_4xx_or_reach_the_handler(server):
    samples = events.negative_samples()
    assert {s.expect for s in samples} == {"accept", "reject"}
    for sample in samples:
        answer = post(server, sample.headers, sample.body)
        if sample.expect == "reject":
            assert 400 <= answer.status < 500, (sample.name, answer.status, answer.body)
        else:  # a valid CloudEvent with a tricky payload: parsed, then up to the handler
            assert answer.status not in (400, 413, 415), (sample.name, answer.status, answer.body)


def test_other_methods_get_405_and_healthz_answers(server):
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.status == 405
    response.read()
    conn.request("GET", "/healthz")
    assert conn.getresponse().status == 200
    conn.close()


@pytest.mark.slow
def test_sigterm_stops_gunicorn_cleanly(tmp_path):
    project = make_project(tmp_path / "p")
    bundle = exporter.export(project / "notebooks" / "vm_created.ipynb").directory
    running = process.start(bundle)
    assert delivery.send(running.url, events.sample("VmCreatedEvent")).status == 204
    assert running.stop() == 0
    assert any("Shutting down: Master" in line for line in running.logs)
