"""Property-based fuzzing of headers and bodies against the real gunicorn + handler.py.

Whatever arrives, a request that is not a usable CloudEvent gets a 4xx with a reason (never a
5xx, which Knative would retry), a usable one reaches the handler, and the worker survives.
"""

import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_support import export, post, serve, workers_booted

from knotebook import events

pytestmark = pytest.mark.slow  # hypothesis against a served function

FUNCTION = """# knotebook: function
import logging

log = logging.getLogger("fuzz")


def handler(event):
    log.info("handled %s %s", event.get_type(), type(event.get_data()).__name__)
"""
FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
SAMPLE = events.sample("VmCreatedEvent")
BINARY_HEADERS, BINARY_BODY = events.to_binary(SAMPLE)
STRUCTURED = json.loads(events.to_structured(SAMPLE))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve(export(tmp_path_factory.mktemp("fuzz"), name="fuzz", function=FUNCTION)) as running:
        yield running
    # after every example of every test in this module: still the two original workers
    assert workers_booted(running) == 2, running.logs[-20:]
    assert not any("Traceback" in line for line in running.logs), running.logs[-20:]


# Header values: printable latin-1 (what http.client can send), quotes and percent escapes.
header_values = st.one_of(
    st.text(
        st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"),
        max_size=40,
    ),
    st.sampled_from(['""', '"x"', "%", "%zz", "%C0%A0", "%E2%82%AC", "1.0", "0.3", " ", "\xe9"]),
).map(str.strip)
attribute_names = st.one_of(
    st.sampled_from(
        [
            "id",
            "source",
            "type",
            "specversion",
            "time",
            "subject",
            "dataschema",
            "datacontenttype",
            "data",
            "traceparent",
            "knativearrivaltime",
        ]
    ),
    st.text(string.ascii_letters + string.digits + "-", min_size=0, max_size=12),
)
content_types = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "text/plain",
            "text/json",
            "application/cloudevents+json",
            "application/cloudevents+json; charset=utf-8",
            "application/cloudevents-batch+json",
            "application/cloudevents+avro",
            "application/octet-stream",
            "application/x-www-form-urlencoded",
            "APPLICATION/JSON",
            "application/vnd.vmware+json",
            "",
            ";",
            "multipart/form-data; boundary=x",
        ]
    ),
    st.text(string.printable.strip(), max_size=30),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.just(BINARY_BODY).map(lambda b: b[: len(b) // 2]),  # truncated JSON
    st.just(BINARY_BODY),
)


def check(server, headers, body):
    status, answer_headers, answer = post(server, headers, body)
    assert status < 500, (status, headers, body[:200], answer[:300])
    if status >= 400:
        # a reason: JSON from handler.py, or gunicorn's own text for what never reaches it
        assert answer.strip(), (status, headers, body[:200])
        if answer_headers.get("Content-Type") == "application/json":
            payload = json.loads(answer)
            assert payload["status"] == status and payload["error"]
    else:
        assert status in (200, 204), (status, answer[:300])


@FUZZ
@given(
    drop=st.sets(st.sampled_from(sorted(BINARY_HEADERS))),
    extra=st.dictionaries(attribute_names, header_values, max_size=4),
    content_type=content_types,
    body=bodies,
)
def test_binary_mode_never_5xx(server, drop, extra, content_type, body):
    headers = {k: v for k, v in BINARY_HEADERS.items() if k not in drop and k != "Content-Type"}
    headers.update({f"ce-{name}": value for name, value in extra.items()})
    if content_type is not None:
        headers["Content-Type"] = content_type
    check(server, headers, body)


@FUZZ
@given(
    drop=st.sets(st.sampled_from(sorted(STRUCTURED))),
    extra=st.dictionaries(attribute_names, json_values, max_size=4),
    data=st.one_of(st.just(...), json_values, st.text(max_size=30)),
    content_type=st.sampled_from(
        ["application/cloudevents+json", "application/cloudevents+json; charset=utf-8"]
    ),
    garble=st.one_of(st.none(), st.binary(max_size=20)),
)
def test_structured_mode_never_5xx(server, drop, extra, data, content_type, garble):
    envelope = {k: v for k, v in STRUCTURED.items() if k not in drop}
    envelope.update(extra)
    if data is not ...:
        key = "data_base64" if isinstance(data, str) and len(data) % 2 else "data"
        envelope[key] = data
    body = json.dumps(envelope).encode()
    if garble is not None:
        body = body[: len(body) // 2] + garble
    check(server, {"Content-Type": content_type}, body)


@FUZZ
@given(
    content_type=content_types,
    body=bodies,
    headers=st.dictionaries(
        st.text(string.ascii_letters + "-_", min_size=1, max_size=15), header_values, max_size=5
    ),
)
def test_anything_posted_never_5xx(server, content_type, body, headers):
    if content_type is not None:
        headers["Content-Type"] = content_type
    headers.pop("Content-Length", None)
    headers.pop("Transfer-Encoding", None)
    check(server, headers, body)
