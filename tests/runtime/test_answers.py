"""The answers a function chooses (knotebook.runtime.Reject, Retry, Accept): status, JSON reason,
one log line, the same through WSGI (test clients, the kernel) and ASGI (the Procfile's worker)."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from werkzeug.test import Client

from knotebook.local import delivery
from knotebook.runtime import Accept, App, Reject, Retry, retried

HEADERS = {"ce-id": "e-1", "ce-source": "s", "ce-type": "t", "ce-specversion": "1.0"}


def answer_with(outcome, caplog, returned=False):
    def handler(event):
        if isinstance(outcome, BaseException) and not returned:
            raise outcome
        return outcome

    app = App(handler, name="answers")
    with caplog.at_level(logging.INFO, logger="answers"):
        caplog.clear()
        response = Client(app).post("/", headers=HEADERS)
        wsgi = (response.status_code, dict(response.headers), response.get_data())
        lines = [r.getMessage() for r in caplog.records if r.name == "answers"]
        asgi = asyncio.run(_asgi(app))
    assert (wsgi[0], wsgi[2]) == asgi[::2]  # the same answer either way
    return wsgi[0], wsgi[1], json.loads(wsgi[2]) if wsgi[2] else None, lines


async def _asgi(app):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [(k.encode(), v.encode()) for k, v in HEADERS.items()],
    }
    await app(scope, receive, send)
    return sent[0]["status"], dict(sent[0]["headers"]), sent[1]["body"]


def test_reject_is_a_400_knative_does_not_retry(caplog):
    status, _, body, lines = answer_with(Reject("VM name missing"), caplog)
    assert (status, body) == (400, {"status": 400, "error": "VM name missing"})
    assert lines == ["handler answered 400 to event id=e-1 type=t: VM name missing"]
    assert not retried(status) and not delivery.retryable(status)


def test_reject_takes_another_4xx_that_is_not_retried(caplog):
    status, _, body, _ = answer_with(Reject("not JSON", status=415), caplog)
    assert (status, body["error"]) == (415, "not JSON")


@pytest.mark.parametrize("status", [404, 408, 409, 429, 500, 302])
def test_reject_refuses_a_status_knative_retries_or_that_is_not_4xx(status):
    with pytest.raises(ValueError, match="Reject takes a 4xx"):
        Reject("x", status=status)


def test_retry_is_a_503_knative_retries_with_retry_after(caplog):
    status, headers, body, lines = answer_with(Retry("vCenter is down", after=30), caplog)
    assert (status, body) == (503, {"status": 503, "error": "vCenter is down"})
    assert headers["retry-after"] == "30"
    assert lines == ["handler answered 503 to event id=e-1 type=t: vCenter is down"]
    assert retried(status) and delivery.retryable(status)


def test_retry_takes_429(caplog):
    status, headers, _, _ = answer_with(Retry("slow down", status=429), caplog)
    assert status == 429 and "retry-after" not in headers
    assert delivery.retryable(429)


@pytest.mark.parametrize("status", [400, 404, 200, 302])
def test_retry_refuses_a_status_that_is_not_5xx_or_429(status):
    with pytest.raises(ValueError, match="Retry takes a 5xx or 429"):
        Retry("x", status=status)


@pytest.mark.parametrize("how", ["raise", "return"])
def test_accept_is_a_202_with_a_reason(caplog, how):
    accepted = Accept("queued for the nightly job")
    status, _, body, lines = answer_with(accepted, caplog, returned=how == "return")
    assert (status, body) == (202, {"status": 202, "reason": "queued for the nightly job"})
    assert lines == ["handler answered 202 to event id=e-1 type=t: queued for the nightly job"]


def test_none_is_204_and_another_exception_is_500(caplog):
    assert answer_with(None, caplog)[0] == 204
    status, _, body, lines = answer_with(RuntimeError("boom"), caplog)
    assert (status, body["error"]) == (500, "handler raised RuntimeError")
    assert len(lines) == 1 and "RuntimeError: boom" in lines[0]


def test_the_runtime_and_the_local_broker_agree_on_what_knative_retries():
    for status in range(200, 600):
        assert retried(status) == delivery.retryable(status), status
