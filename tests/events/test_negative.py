"""The negative request set: each one really has the defect its name promises."""

from __future__ import annotations

import json

import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http_event

from knotebook import events
from knotebook.errors import KnotebookError

REQUESTS = {r.name: r for r in events.negative_samples()}


def test_the_section_6_negative_set_is_there():
    assert {
        "router-copy",
        "xml-body",
        "camelcase-keys",
        "duplicate-delivery-1",
        "duplicate-delivery-2",
        "all-null-entities",
        "structured-no-content-type",
        "invalid-json",
    } <= set(REQUESTS)
    assert all(r.expect in ("accept", "reject") and r.note for r in REQUESTS.values())
    assert all(isinstance(r.body, bytes) for r in REQUESTS.values())


def test_router_copy_is_a_valid_legacy_event():
    r = REQUESTS["router-copy"]
    event = from_http_event(HTTPMessage(r.headers, r.body))
    assert event.get_type() == "com.vmware.event.router/event"
    assert event.get_subject() == "VmPoweredOffEvent"
    assert event.get_extension("eventclass") is None


def test_xml_and_invalid_json_bodies_are_not_json():
    assert REQUESTS["xml-body"].headers["Content-Type"] == "application/xml"
    assert REQUESTS["xml-body"].body.startswith(b"<?xml")
    for name in ("xml-body", "invalid-json"):
        with pytest.raises(ValueError):
            json.loads(REQUESTS[name].body)


def test_camelcase_keys_drop_nulls():
    data = json.loads(REQUESTS["camelcase-keys"].body)
    assert "key" in data and "Key" not in data and "ds" not in data
    assert data["vm"]["vm"] == {"Type": "VirtualMachine", "Value": "vm-11099"}


def test_duplicates_share_source_and_id():
    a, b = REQUESTS["duplicate-delivery-1"], REQUESTS["duplicate-delivery-2"]
    assert (a.headers["ce-source"], a.headers["ce-id"]) == (
        b.headers["ce-source"],
        b.headers["ce-id"],
    )
    assert a.body == b.body
    assert a.headers["ce-knativearrivaltime"] != b.headers["ce-knativearrivaltime"]


def test_all_null_entities():
    data = json.loads(REQUESTS["all-null-entities"].body)
    assert all(data[k] is None for k in ("Datacenter", "ComputeResource", "Host", "Vm", "Ds"))


def test_structured_without_content_type_has_no_ce_headers():
    r = REQUESTS["structured-no-content-type"]
    assert r.headers == {}
    assert json.loads(r.body)["specversion"] == "1.0"


def test_returned_requests_are_copies_and_lookup_by_name():
    events.negative_samples()[0].headers["x"] = "y"
    assert "x" not in events.negative_sample("router-copy").headers
    with pytest.raises(KnotebookError, match="known"):
        events.negative_sample("nope")
