"""One CloudEvents codec (knotebook.runtime.binding): what the event library renders, what the
local Broker forwards and what the exported function parses cannot drift apart."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import knotebook
from knotebook import events
from knotebook.local import delivery
from knotebook.local.broker import parse as broker_parse
from knotebook.runtime import binding

SRC = Path(knotebook.__file__).parent
SAMPLES = ["VmCreatedEvent", "com.vmware.sso.LoginFailure", "TaskEvent:error"]


def same(a, b):
    assert a.get_attributes() == b.get_attributes()
    assert a.get_data() == b.get_data()


@pytest.mark.parametrize("envelope", ["tanzu", "router"])
@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize("mode", delivery.MODES)
def test_the_library_renders_what_the_function_parses(name, envelope, mode):
    sample = events.sample(name, envelope=envelope)
    headers, body = delivery.encode(sample, mode)
    same(binding.parse_message(headers, body), sample)


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize("inbound", delivery.MODES)
@pytest.mark.parametrize("outbound", delivery.MODES)
def test_the_broker_forwards_what_it_received(name, inbound, outbound):
    sample = events.sample(name)
    message = broker_parse(*delivery.encode(sample, inbound, broker=False))
    same(binding.parse_message(*message.encode(outbound)), sample)


def test_the_broker_keeps_time_and_data_as_sent():
    """Knative's ingress does not decode the data or re-format the time: neither does ours."""
    headers = {
        "ce-specversion": "1.0",
        "ce-id": "1",
        "ce-source": "s",
        "ce-type": "t",
        "ce-time": "2024-03-01T10:15:30.200000001Z",
        "Content-Type": "application/json",
    }
    message = broker_parse(headers, b'{ "a" :1 }')
    assert message.attributes["time"] == "2024-03-01T10:15:30.200000001Z"
    assert message.encode("binary") == (
        {**headers, "Content-Type": "application/json"},
        b'{ "a" :1 }',
    )


def test_no_other_module_encodes_header_values_or_reads_the_json_format():
    """The duplicates are gone: percent-coding and JSON-format reading live in binding only."""
    pattern = re.compile(r"urllib.parse import.*quote|JSONFormat|from_http|_SAFE\b")
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.parent.name != "runtime" and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
