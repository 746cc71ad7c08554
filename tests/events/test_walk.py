"""Every catalog id, in both envelopes and both HTTP modes, is a valid CloudEvents 1.0 message."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http_event
from cloudevents.core.v1.event import CloudEvent

from knotebook import events
from knotebook.events import envelopes, govmomi, samples, synth
from knotebook.events.times import format_time

EXTENSION_NAME = re.compile(r"^[a-z0-9]+$")
STRUCTURED = {"Content-Type": "application/cloudevents+json"}


def _check(event_id: str, envelope: str, event: CloudEvent) -> None:
    attrs = event.get_attributes()
    data = event.get_data()
    assert attrs["specversion"] == "1.0"
    for name in ("id", "source", "type"):
        assert isinstance(attrs[name], str) and attrs[name], (event_id, name)
    assert all(EXTENSION_NAME.match(name) for name in attrs), attrs
    assert format_time(attrs["time"]) == data["CreatedTime"]
    assert attrs["datacontenttype"] == "application/json"
    if envelope == "tanzu":
        assert attrs["id"] == str(data["Key"])
        assert attrs["type"] == f"com.vmware.vsphere.{event_id}.v0"
        assert "subject" not in attrs
        assert attrs["eventclass"] == envelopes.payload_class(data) == events.eventclass(event_id)
        assert attrs["vsphereapiversion"] == "8.0.2.0"
    else:
        assert uuid.UUID(attrs["id"]).version == 4
        assert attrs["type"] == f"com.vmware.event.router/{envelopes.payload_class(data)}"
        assert attrs["subject"] == event_id
        assert "eventclass" not in attrs

    headers, body = events.to_binary(event)
    assert headers["ce-time"] == data["CreatedTime"]
    parsed = from_http_event(HTTPMessage(headers, body))
    assert parsed.get_attributes() == attrs, event_id
    assert parsed.get_data() == data, event_id

    structured = events.to_structured(event)
    assert json.loads(structured)["time"] == data["CreatedTime"]
    parsed = from_http_event(HTTPMessage(STRUCTURED, structured))
    assert parsed.get_attributes() == attrs, event_id
    assert parsed.get_data() == data, event_id


@pytest.mark.slow
def test_every_id_in_both_envelopes_and_both_modes_round_trips():
    ids = events.types()
    assert len(ids) >= 2200
    for event_id in ids:  # how long this takes: bench/local_bench.py (catalog_walk)
        for envelope in events.ENVELOPES:
            _check(event_id, envelope, events.sample(event_id, envelope=envelope))


def test_every_synthesized_payload_has_the_full_govmomi_shape():
    for event_id in events.types():
        data = events.synthesize(event_id)
        cls = synth.event_class_for(event_id)
        assert list(data) == govmomi.field_names(cls), event_id
        assert data["FullFormattedMessage"], event_id
        if cls == "EventEx":
            assert data["EventTypeId"] == event_id
            assert data["Severity"] in ("info", "warning", "error")
        elif cls == "ExtendedEvent":
            assert data["EventTypeId"] == event_id and data["ManagedObject"]["Value"]
            assert data["Message"]


def test_every_packaged_sample_wraps_and_round_trips():
    for sample in samples.packaged_samples():
        for envelope in events.ENVELOPES:
            event = events.sample(sample.event_id, envelope=envelope, variant=sample.variant)
            _check(sample.event_id, envelope, event)
