"""The notebook contract of knotebook.events: resolve, sample, types, triggers, HTTP renderings."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http_event

from knotebook import events
from knotebook.errors import KnotebookError, UnknownEventError


def test_resolve_accepts_ids_any_case_and_tanzu_types():
    assert events.resolve("VmCreatedEvent") == "VmCreatedEvent"
    assert events.resolve("vmcreatedevent") == "VmCreatedEvent"
    assert events.resolve("com.vmware.vsphere.VmCreatedEvent.v0") == "VmCreatedEvent"
    assert events.resolve("com.vmware.vsphere.VmCreatedEvent") == "VmCreatedEvent"
    assert (
        events.resolve("com.vmware.vsphere.com.vmware.sso.LoginFailure.v0")
        == "com.vmware.sso.LoginFailure"
    )
    assert events.resolve("com.vmware.sso.loginfailure") == "com.vmware.sso.LoginFailure"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("VmCreatedEvnt", "VmCreatedEvent"), ("LoginFailure", "com.vmware.sso.LoginFailure")],
)
def test_unknown_names_suggest_the_right_id(typed, expected):
    with pytest.raises(UnknownEventError) as info:
        events.resolve(typed)
    assert info.value.suggestions[0] == expected
    assert f"did you mean {expected}" in str(info.value)


def test_router_type_is_not_an_event_id():
    with pytest.raises(UnknownEventError, match="router type"):
        events.resolve("com.vmware.event.router/event")


def test_unknown_name_without_lookalikes_has_no_suggestions():
    with pytest.raises(UnknownEventError) as info:
        events.resolve("zzzz")
    assert info.value.suggestions == []


def test_sample_is_deterministic_and_seedable():
    a = events.sample("VmPoweredOnEvent", vm_name="web-01")
    b = events.sample("VmPoweredOnEvent", vm_name="web-01")
    assert a.get_attributes() == b.get_attributes()
    assert a.get_data() == b.get_data()
    c = events.sample("VmPoweredOnEvent", vm_name="web-01", seed=7)
    assert c.get_data()["Key"] != a.get_data()["Key"]
    assert c.get_id() == str(c.get_data()["Key"])
    r1 = events.sample("VmPoweredOnEvent", envelope="router", seed=3)
    r2 = events.sample("VmPoweredOnEvent", envelope="router", seed=3)
    r3 = events.sample("VmPoweredOnEvent", envelope="router", seed=4)
    assert r1.get_id() == r2.get_id() != r3.get_id()
    assert uuid.UUID(r1.get_id()).version == 4


def test_tanzu_envelope_matches_veba_08():
    event = events.sample("VmPoweredOnEvent", vm_name="web-01", host="esx-9.lab")
    data = event.get_data()
    attrs = event.get_attributes()
    assert event.get_type() == "com.vmware.vsphere.VmPoweredOnEvent.v0"
    assert event.get_id() == str(data["Key"])
    assert attrs["source"] == "https://vcsa.example.local/sdk"
    assert attrs["datacontenttype"] == "application/json"
    assert "subject" not in attrs
    assert event.get_extension("eventclass") == "event"
    assert event.get_extension("vsphereapiversion") == "8.0.2.0"
    assert data["Vm"]["Name"] == "web-01" and data["Host"]["Name"] == "esx-9.lab"
    assert "web-01" in data["FullFormattedMessage"]


def test_router_envelope_matches_veba_07():
    event = events.sample("com.vmware.sso.LoginFailure", envelope="router")
    attrs = event.get_attributes()
    assert attrs["type"] == "com.vmware.event.router/eventex"
    assert attrs["subject"] == "com.vmware.sso.LoginFailure"
    assert "eventclass" not in attrs
    assert attrs["vsphereapiversion"]


def test_time_equals_created_time_string():
    event = events.sample("VmPoweredOffEvent", time="2024-05-01T08:00:00.5Z")
    assert event.get_data()["CreatedTime"] == "2024-05-01T08:00:00.5Z"
    assert event.get_time() == datetime(2024, 5, 1, 8, 0, 0, 500000, tzinfo=UTC)
    headers, _ = events.to_binary(event)
    assert headers["ce-time"] == "2024-05-01T08:00:00.5Z"


def test_bad_envelope_and_knob_are_user_errors():
    with pytest.raises(KnotebookError, match="envelope"):
        events.sample("VmPoweredOnEvent", envelope="xml")
    with pytest.raises(KnotebookError, match="knob"):
        events.sample("VmPoweredOnEvent", vmname="x")


def test_ce_type_trigger_attributes_and_eventclass():
    assert events.ce_type("VmPoweredOffEvent") == "com.vmware.vsphere.VmPoweredOffEvent.v0"
    assert events.ce_type("VmPoweredOffEvent", "router") == "com.vmware.event.router/event"
    assert events.trigger_attributes("vmpoweredoffevent") == {
        "type": "com.vmware.vsphere.VmPoweredOffEvent.v0"
    }
    assert events.trigger_attributes("com.vmware.sso.LoginFailure", "router") == {
        "type": "com.vmware.event.router/eventex",
        "subject": "com.vmware.sso.LoginFailure",
    }
    assert events.eventclass("VmPoweredOffEvent") == "event"
    assert events.eventclass("com.vmware.cis.tagging.attach") == "eventex"
    assert events.eventclass("com.vmware.vc.vcp.FtFailoverEvent") == "extendedevent"
    with pytest.raises(KnotebookError):
        events.ce_type("VmPoweredOffEvent", "openfaas")


def test_binary_rendering_is_what_the_broker_sends():
    event = events.sample("DrsVmPoweredOnEvent")
    headers, body = events.to_binary(event)
    assert headers["Content-Type"] == "application/json"
    assert headers["ce-type"] == "com.vmware.vsphere.DrsVmPoweredOnEvent.v0"
    assert "ce-datacontenttype" not in headers
    assert json.loads(body) == event.get_data()
    assert body.startswith(b'{\n  "Key": ')
    assert events.to_binary(event) == (headers, body)
    parsed = from_http_event(HTTPMessage(headers, body))
    assert parsed.get_attributes() == event.get_attributes()
    assert parsed.get_data() == event.get_data()


def test_structured_rendering_round_trips_and_is_stable():
    event = events.sample("VmReconfiguredEvent", envelope="router", seed=1)
    body = events.to_structured(event)
    assert body.endswith(b"}\n")
    doc = json.loads(body)
    assert list(doc)[:4] == ["specversion", "id", "source", "type"]
    assert list(doc)[-1] == "data"
    parsed = from_http_event(HTTPMessage({"Content-Type": "application/cloudevents+json"}, body))
    assert parsed.get_attributes() == event.get_attributes()
    assert parsed.get_data() == event.get_data()
    assert (
        events.to_structured(events.sample("VmReconfiguredEvent", envelope="router", seed=1))
        == body
    )


def test_header_values_are_percent_encoded():
    event = events.sample("VmPoweredOnEvent", envelope="router")
    event.get_attributes()["subject"] = "Vm Power € on"
    headers, body = events.to_binary(event)
    assert headers["ce-subject"] == "Vm%20Power%20%E2%82%AC%20on"
    assert from_http_event(HTTPMessage(headers, body)).get_subject() == "Vm Power € on"


def test_overrides_set_payload_paths():
    event = events.sample("VmPoweredOnEvent", overrides={"Vm.Name": "db-7", "Key": 42})
    assert event.get_data()["Vm"]["Name"] == "db-7"
    assert event.get_id() == "42"
