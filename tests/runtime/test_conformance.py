"""CloudEvents 1.0.2 (spec.md, bindings/http-protocol-binding.md, formats/json-format.md) and
0.3, clause by clause, against the echo function served by its exported bundle.

Each test names the clause it checks. The echo function replies with the attributes, the Python
type of the data and the data it received (bytes as base64), so a test sees exactly what a
function cell would see.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from urllib.parse import urlsplit

import pytest
from runtime_support import REQUIRED, b64, binary, echo, echo_bundle, request, structured

from knotebook.runtime import limits

__all__ = ["echo", "echo_bundle"]  # fixtures
MODES = ("binary", "structured")
EURO = "Euro € 😀"


def send(url, mode, attributes, data=None, content_type=None, raw=None):
    """POST one event: ``data`` is bytes for binary mode, a JSON value for structured mode."""
    if mode == "binary":
        headers, body = binary(attributes, raw if raw is not None else data or b"", content_type)
    else:
        envelope = dict(attributes)
        if content_type is not None:
            envelope["datacontenttype"] = content_type
        if data is not None:
            envelope["data"] = data
        headers, body = structured(envelope)
    return request(url, headers, body)


# -- spec.md 3.1 / 3.1.1: required context attributes ------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["id", "source", "type", "specversion"])
def test_a_missing_required_attribute_is_400(echo, mode, name):
    attributes = {k: v for k, v in REQUIRED.items() if k != name}
    answer = send(echo, mode, attributes)
    assert answer.status == 400
    assert f"'{name}'" in answer.reason


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["id", "source", "type"])
def test_an_empty_required_attribute_is_400(echo, mode, name):
    """spec.md 3.1.1: id, source, type "MUST be a non-empty string"."""
    answer = send(echo, mode, {**REQUIRED, name: ""})
    assert answer.status == 400
    assert f"'{name}'" in answer.reason and "non-empty" in answer.reason


@pytest.mark.parametrize("value", [42, True, None, ["a"]])
def test_a_required_attribute_of_another_json_type_is_400_in_structured_mode(echo, value):
    """json-format 2.2: String attributes are JSON strings (null means absent: missing)."""
    answer = send(echo, "structured", {**REQUIRED, "id": value})
    assert answer.status == 400
    assert "'id'" in answer.reason


@pytest.mark.parametrize("mode", MODES)
def test_an_unknown_specversion_is_400(echo, mode):
    answer = send(echo, mode, {**REQUIRED, "specversion": "2.0"})
    assert answer.status == 400
    assert "unsupported specversion '2.0'" in answer.reason


# -- spec.md 3.1.2: optional attributes --------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_attributes_arrive_exactly_as_sent_and_nothing_is_invented(echo, mode):
    """No time, no datacontenttype, no id is added when none was sent."""
    echoed = send(echo, mode, {**REQUIRED, "subject": "vm-42"}).echo
    assert echoed["attributes"] == {**REQUIRED, "subject": "vm-42"}
    assert echoed["kind"] == "NoneType"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["subject", "dataschema"])
def test_an_empty_optional_string_attribute_is_400(echo, mode, name):
    """spec.md 3.1.2: subject and dataschema, if present, MUST be non-empty."""
    answer = send(echo, mode, {**REQUIRED, name: ""})
    assert answer.status == 400
    assert f"'{name}'" in answer.reason


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "value", ["2024-01-17T13:02:05.426999Z", "2024-01-17T13:02:05+02:00", "2024-01-17t13:02:05z"]
)
def test_an_rfc3339_time_is_accepted(echo, mode, value):
    echoed = send(echo, mode, {**REQUIRED, "time": value}).echo
    assert echoed["attributes"]["time"].startswith("2024-01-17T")


@pytest.mark.parametrize("mode", MODES)
def test_a_time_with_nanoseconds_as_go_writes_it_is_accepted(echo, mode):
    echoed = send(echo, mode, {**REQUIRED, "time": "2024-03-01T10:15:30.200000001Z"}).echo
    assert echoed["attributes"]["time"] == "2024-03-01T10:15:30.200000+00:00"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2024-01-17",
        "2024-01-17 13:02:05Z",
        "2024-01-17T13:02:05",
        "2024-13-01T00:00:00Z",
    ],
)
def test_a_time_that_is_not_rfc3339_is_400(echo, mode, value):
    answer = send(echo, mode, {**REQUIRED, "time": value})
    assert answer.status == 400
    assert "'time'" in answer.reason


# -- spec.md 3.1.4 / json-format 2.2: extension attributes --------------------------------------
@pytest.mark.parametrize(
    ("mode", "name"),
    # binary: header names are case-insensitive (ce-Bad is 'bad'), and gunicorn drops header
    # names with "_" before the app sees them
    [
        ("binary", "bad-name"),
        ("structured", "Bad"),
        ("structured", "bad-name"),
        ("structured", "bad_name"),
    ],
)
def test_an_attribute_name_other_than_lower_case_letters_and_digits_is_400(echo, mode, name):
    answer = send(echo, mode, {**REQUIRED, name: "x"})
    assert answer.status == 400
    assert "attribute name" in answer.reason


def test_extensions_keep_their_json_types_in_structured_mode(echo):
    extensions = {"eventclass": "event", "retries": 3, "replayed": False, "negative": -7}
    echoed = send(echo, "structured", {**REQUIRED, **extensions}).echo
    assert echoed["attributes"] == {**REQUIRED, **extensions}


def test_extensions_are_strings_in_binary_mode(echo):
    """http-protocol-binding 3.1.3: every attribute value is carried as a header string."""
    echoed = send(echo, "binary", {**REQUIRED, "retries": "3", "replayed": "false"}).echo
    assert echoed["attributes"]["retries"] == "3"
    assert echoed["attributes"]["replayed"] == "false"


@pytest.mark.parametrize("value", [1.5, {"a": 1}, [1], 2**31])
def test_an_extension_outside_the_type_system_is_400(echo, value):
    """json-format 2.2: Boolean, Integer (32-bit), String, Binary, URI..., nothing else."""
    answer = send(echo, "structured", {**REQUIRED, "weight": value})
    assert answer.status == 400
    assert "'weight'" in answer.reason


def test_a_null_attribute_is_unset(echo):
    """json-format 2.4? "null" values: an attribute with a JSON null is treated as absent."""
    echoed = send(echo, "structured", {**REQUIRED, "subject": None, "time": None}).echo
    assert echoed["attributes"] == REQUIRED


# -- spec.md 0.3 ---------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_specversion_0_3_is_accepted_with_schemaurl(echo, mode):
    attributes = {**REQUIRED, "specversion": "0.3", "schemaurl": "https://example.com/s.json"}
    echoed = send(
        echo, mode, attributes, content_type="application/json", data={"a": 1}, raw=b'{"a": 1}'
    ).echo
    assert echoed["attributes"]["specversion"] == "0.3"
    assert echoed["attributes"]["schemaurl"] == "https://example.com/s.json"
    assert echoed["class"] == "cloudevents.core.v03.event"
    assert echoed["data"] == {"a": 1}


def test_specversion_0_3_datacontentencoding_base64_gives_bytes(echo):
    envelope = {
        **REQUIRED,
        "specversion": "0.3",
        "datacontenttype": "application/octet-stream",
        "datacontentencoding": "base64",
        "data": b64(b"\x00\x01{}"),
    }
    echoed = request(echo, *structured(envelope)).echo
    assert echoed["kind"] == "bytes" and echoed["data"] == b64(b"\x00\x01{}")


# -- http-protocol-binding 3: content modes --------------------------------------------------------
def test_the_mode_is_chosen_by_content_type_structured_wins_over_ce_headers(echo):
    """3.2: a structured message may carry ce- headers; the body is the event."""
    headers, body = structured({**REQUIRED, "data": {"a": 1}})
    headers["ce-id"] = "from-a-header"
    echoed = request(echo, headers, body).echo
    assert echoed["attributes"]["id"] == REQUIRED["id"]
    assert echoed["data"] == {"a": 1}


def test_a_batch_is_415(echo):
    """3.3: batched mode is not supported here (Knative never sends it)."""
    answer = request(echo, {"Content-Type": "application/cloudevents-batch+json"}, b"[]")
    assert answer.status == 415
    assert "batch" in answer.reason


@pytest.mark.parametrize("media", ["application/cloudevents+xml", "application/cloudevents+avro"])
def test_a_structured_format_other_than_json_is_415(echo, media):
    answer = request(echo, {"Content-Type": media}, b"<event/>")
    assert answer.status == 415
    assert media in answer.reason


@pytest.mark.parametrize("body", [b"[]", b"[{}]", b'"event"'])
def test_a_structured_body_that_is_not_a_json_object_is_400(echo, body):
    answer = request(echo, {"Content-Type": "application/cloudevents+json"}, body)
    assert answer.status == 400
    assert "must be a JSON object" in answer.reason


# -- http-protocol-binding 3.1: binary mode --------------------------------------------------------
def test_binary_content_type_is_the_datacontenttype_with_its_parameters(echo):
    """3.1.1: the Content-Type header value, verbatim."""
    echoed = send(
        echo, "binary", REQUIRED, raw=b"{}", content_type="application/json; charset=utf-8"
    ).echo
    assert echoed["attributes"]["datacontenttype"] == "application/json; charset=utf-8"


def test_a_ce_datacontenttype_header_is_400_in_binary_mode(echo):
    """3.1.1: "a ce-datacontenttype header MUST NOT be present"."""
    answer = send(echo, "binary", {**REQUIRED, "datacontenttype": "application/json"}, raw=b"{}")
    assert answer.status == 400
    assert "ce-datacontenttype" in answer.reason


def test_ce_header_names_are_case_insensitive(echo):
    """3.1.3: header names are case-insensitive (RFC 7230); attribute names are lower case."""
    headers = {f"CE-{k.upper()}": v for k, v in REQUIRED.items()}
    echoed = request(echo, headers).echo
    assert echoed["attributes"] == REQUIRED


@pytest.mark.parametrize(
    ("sent", "received"),
    [
        ("Euro%20%E2%82%AC%20%F0%9F%98%80", EURO),  # the binding's own example
        ("Euro%20%e2%82%ac%20%f0%9f%98%80", EURO),  # lower-case hex MUST be accepted
        ("%41%42C", "ABC"),  # unnecessarily encoded characters MUST be accepted
        ("100%2541", "100%41"),  # decoded exactly once
        ('"quoted value"', "quoted value"),  # an RFC 7230 quoted-string is unquoted first
    ],
)
def test_header_values_are_percent_decoded_once_as_utf8(echo, sent, received):
    """3.1.3.2: receivers decode percent-encoded UTF-8, exactly once."""
    echoed = send(echo, "binary", {**REQUIRED, "subject": sent}).echo
    assert echoed["attributes"]["subject"] == received


def test_raw_utf8_header_bytes_as_knative_relays_them_are_decoded(echo):
    """Knative's Go SDK writes non-ASCII from a structured event raw: decode it as UTF-8."""
    echoed = send(echo, "binary", {**REQUIRED, "subject": EURO.encode("utf-8")}).echo
    assert echoed["attributes"]["subject"] == EURO


@pytest.mark.parametrize("sent", ["%C0%A0", "%FF", "%E2%82", "100%", "%zz"])
def test_invalid_percent_encoding_or_utf8_is_400(echo, sent):
    """3.1.3.2: an invalid UTF-8 sequence (e.g. the overlong %C0%A0) MUST be rejected."""
    answer = send(echo, "binary", {**REQUIRED, "subject": sent})
    assert answer.status == 400
    assert "ce-subject" in answer.reason


# -- http-protocol-binding 3.1.1 + json-format 3.1: what the function receives as data -----------
@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "text/json",
        "application/vnd.vmware+json",
        "APPLICATION/JSON; charset=utf-8",
    ],
)
def test_binary_json_data_is_parsed(echo, content_type):
    echoed = send(echo, "binary", REQUIRED, raw=b'{"Key": 1}', content_type=content_type).echo
    assert echoed["kind"] == "dict" and echoed["data"] == {"Key": 1}


@pytest.mark.parametrize(
    ("content_type", "body", "text"),
    [
        ("text/plain", b"hello", "hello"),
        ("text/plain; charset=iso-8859-1", "h\u00e9llo".encode("latin-1"), "h\u00e9llo"),
        ("text/plain; charset=utf-8", EURO.encode(), EURO),
        ("application/xml", b"<VmCreatedEvent/>", "<VmCreatedEvent/>"),
        ("application/atom+xml", b"<feed/>", "<feed/>"),
        ("text/plain", b"42", "42"),  # text that looks like JSON stays text
    ],
)
def test_binary_text_data_is_a_str_decoded_with_the_charset(echo, content_type, body, text):
    echoed = send(echo, "binary", REQUIRED, raw=body, content_type=content_type).echo
    assert echoed["kind"] == "str" and echoed["data"] == text


@pytest.mark.parametrize(
    "content_type", ["application/octet-stream", "image/png", "application/x-protobuf"]
)
def test_binary_other_data_is_bytes_even_when_it_looks_like_json(echo, content_type):
    echoed = send(echo, "binary", REQUIRED, raw=b'{"a": 1}', content_type=content_type).echo
    assert echoed["kind"] == "bytes" and echoed["data"] == b64(b'{"a": 1}')


def test_binary_with_no_body_has_no_data(echo):
    echoed = send(echo, "binary", REQUIRED, raw=b"", content_type="application/json").echo
    assert echoed["kind"] == "NoneType"


@pytest.mark.parametrize("content_type", ["application/json", "application/cloudevents+json"])
def test_invalid_json_labelled_json_is_400(echo, content_type):
    if content_type == "application/json":
        answer = send(echo, "binary", REQUIRED, raw=b'{"Key": 1,', content_type=content_type)
    else:
        answer = request(echo, {"Content-Type": content_type}, b'{"id": 1,')
    assert answer.status == 400
    assert "not valid JSON" in answer.reason


def test_text_that_is_not_valid_in_its_charset_is_400(echo):
    answer = send(
        echo, "binary", REQUIRED, raw=b"\xff\xfe", content_type="text/plain; charset=utf-8"
    )
    assert answer.status == 400
    assert "utf-8" in answer.reason


@pytest.mark.parametrize("data", [{"Key": 1}, [1, 2], 42, True, None])
def test_structured_json_data_is_the_json_value(echo, data):
    """json-format 3.1.2: with a JSON (or no) datacontenttype, data is a JSON value."""
    echoed = send(echo, "structured", REQUIRED, data=data).echo
    assert echoed["data"] == data


def test_a_structured_data_string_stays_a_string_and_is_not_parsed_again(echo):
    """json-format 3.1.2: a JSON string "MUST NOT" be further deserialized as a JSON document."""
    echoed = send(
        echo, "structured", REQUIRED, data='{"a": 1}', content_type="application/json"
    ).echo
    assert echoed["kind"] == "str" and echoed["data"] == '{"a": 1}'


def test_structured_text_data_is_a_str(echo):
    echoed = send(echo, "structured", REQUIRED, data="<x/>", content_type="application/xml").echo
    assert echoed["kind"] == "str" and echoed["data"] == "<x/>"


def test_structured_non_json_data_that_is_not_a_string_is_400(echo):
    """json-format 3.1.2: it MAY fail when data is not a string for a non-JSON type."""
    answer = send(echo, "structured", REQUIRED, data={"a": 1}, content_type="text/plain")
    assert answer.status == 400
    assert "'data' must be a string" in answer.reason


@pytest.mark.parametrize("content_type", [None, "application/json", "application/octet-stream"])
def test_data_base64_is_bytes_and_never_parsed(echo, content_type):
    """json-format 3.1.2: data_base64 MUST be decoded into binary, whatever it looks like."""
    envelope = {**REQUIRED, "data_base64": b64(b'{"a": 1}')}
    if content_type:
        envelope["datacontenttype"] = content_type
    echoed = request(echo, *structured(envelope)).echo
    assert echoed["kind"] == "bytes" and echoed["data"] == b64(b'{"a": 1}')


def test_data_and_data_base64_together_are_400(echo):
    """json-format 3.1.1: the two members are mutually exclusive."""
    answer = request(echo, *structured({**REQUIRED, "data": {}, "data_base64": b64(b"x")}))
    assert answer.status == 400
    assert "both 'data' and 'data_base64'" in answer.reason


@pytest.mark.parametrize("value", ["@@", "YQ", 7])
def test_invalid_base64_is_400(echo, value):
    answer = request(echo, *structured({**REQUIRED, "data_base64": value}))
    assert answer.status == 400
    assert "data_base64" in answer.reason


def test_a_structured_body_that_is_not_utf8_is_400(echo):
    answer = request(echo, {"Content-Type": "application/cloudevents+json"}, b'{"id": "\xff"}')
    assert answer.status == 400
    assert "UTF-8" in answer.reason


# -- sizes -----------------------------------------------------------------------------------------
def test_an_event_with_1_mib_of_data_is_accepted_in_binary_mode(echo):
    data = bytes(range(256)) * 4096  # 1 MiB
    answer = send(echo, "binary", REQUIRED, raw=data, content_type="application/octet-stream")
    assert answer.echo["kind"] == "bytes"
    assert len(answer.echo["data"]) == len(b64(data))


def test_an_event_with_1_mib_of_data_is_accepted_in_structured_mode_as_base64(echo):
    data = bytes(range(256)) * 4096
    envelope = {**REQUIRED, "datacontenttype": "application/octet-stream", "data_base64": b64(data)}
    answer = request(echo, *structured(envelope))
    assert answer.echo["kind"] == "bytes"


@pytest.mark.parametrize("mode", MODES)
def test_a_body_over_the_limit_is_413(echo, mode):
    """Refused from its Content-Length before it is read (the body is not sent here: the
    server answers and closes, and a client still sending would get EPIPE)."""
    parts = urlsplit(echo)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    headers = binary(REQUIRED)[0] if mode == "binary" else structured(b"")[0]
    try:
        conn.putrequest("POST", "/")
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(limits.MAX_BODY_BYTES + 1))
        conn.endheaders()
        response = conn.getresponse()
        assert response.status == 413
        assert "over the limit" in json.loads(response.read())["error"]
    finally:
        conn.close()


def test_oversized_headers_are_refused_and_the_server_survives(echo):
    """A 64 KiB header line: the server answers 431 (gunicorn's 8190-byte limit, kept by the
    worker); the next event is served."""
    parts = urlsplit(echo)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        head = "".join(f"ce-{k}: {v}\r\n" for k, v in REQUIRED.items())
        sock.sendall(
            f"POST / HTTP/1.1\r\nHost: x\r\n{head}ce-subject: {'x' * 65536}\r\n"
            "Content-Length: 0\r\n\r\n".encode()
        )
        try:
            first = sock.recv(64)
        except ConnectionResetError:
            first = b""
    assert first.split()[1] == b"431", first
    assert send(echo, "binary", REQUIRED).status == 200


def raw_answer(echo: str, head: str) -> bytes:
    """The first bytes the server answers to a raw request head (no body)."""
    parts = urlsplit(echo)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head.encode())
        return sock.recv(200)


def test_a_request_target_over_gunicorns_limit_is_414(echo):
    head = f"POST /?{'q' * 5000} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
    answer = raw_answer(echo, head)
    assert answer.split()[1] == b"414", answer
    assert send(echo, "binary", REQUIRED).status == 200


def test_more_header_fields_than_gunicorns_limit_is_431(echo):
    fields = "".join(f"x-{i}: y\r\n" for i in range(101))
    answer = raw_answer(echo, f"POST / HTTP/1.1\r\nHost: x\r\n{fields}Content-Length: 0\r\n\r\n")
    assert answer.split()[1] == b"431", answer
    assert b"more than 100 header fields" in answer


def test_the_header_field_count_is_per_request_on_a_kept_alive_connection(echo):
    parts = urlsplit(echo)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers, body = binary(REQUIRED)
    extra = {f"x-{i}": "y" for i in range(60)}  # 60 + 60 > 100: only a count never reset fails
    try:
        for _ in range(2):
            conn.request("POST", "/", body=body, headers={**headers, **extra})
            response = conn.getresponse()
            response.read()
            assert response.status == 200
    finally:
        conn.close()


@pytest.mark.slow
def test_an_idle_connection_stays_open_for_the_queue_proxys_reuse(echo):
    """Knative's queue-proxy reuses an idle connection for up to 90 s: the server keeps it open
    (keep-alive 95 s), here past uvicorn's default of 5 s and gunicorn's of 2 s."""
    parts = urlsplit(echo)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers, body = binary(REQUIRED)
    try:
        for pause in (0, 6.5):
            time.sleep(pause)
            conn.request("POST", "/", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            assert response.status == 200
            assert response.getheader("connection") != "close"
        assert conn.sock is not None  # the same socket carried both: it was never closed
    finally:
        conn.close()


# -- the HTTP surface ----------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_methods_other_than_post_on_the_root_are_405(echo, method):
    answer = request(echo, {}, b"", method=method)
    assert answer.status == 405
    assert "POST" in answer.headers.get("allow", "")


def test_curl_d_at_testevent_json_gets_a_helpful_400(echo, echo_bundle):
    """The seed's README sent the structured event as a form: say how to send it."""
    body = (echo_bundle / "testevent.json").read_bytes()
    answer = request(echo, {"Content-Type": "application/x-www-form-urlencoded"}, body)
    assert answer.status == 400
    assert "Content-Type: application/cloudevents+json" in answer.reason


def test_a_reply_is_sent_in_binary_mode(echo):
    """http-protocol-binding 3.1: the reply's attributes are ce- headers, its data the body."""
    answer = send(echo, "binary", REQUIRED)
    assert answer.headers["ce-type"] == "echo" and answer.headers["ce-specversion"] == "1.0"
    assert answer.headers["content-type"] == "application/json"
    json.loads(answer.body)
