"""Trigger filter semantics and delivery timing, as knative/eventing implements them."""

from __future__ import annotations

import pytest

from knotebook import events
from knotebook.errors import KnotebookError
from knotebook.local import triggers
from knotebook.local.broker import Message
from knotebook.local.triggers import FAIL, NONE, PASS

TANZU = Message.from_event(events.sample("VmCreatedEvent")).attributes
ROUTER = Message.from_event(events.sample("VmCreatedEvent", envelope="router")).attributes


def trigger(spec: dict) -> triggers.Trigger:
    return triggers.from_document({"kind": "Trigger", "metadata": {"name": "t"}, "spec": spec})


@pytest.mark.parametrize(
    ("attributes", "event", "result"),
    [
        ({"type": "com.vmware.vsphere.VmCreatedEvent.v0"}, TANZU, PASS),
        ({"type": "com.vmware.vsphere.vmcreatedevent.v0"}, TANZU, FAIL),  # case-sensitive
        ({"type": "com.vmware.event.router/event", "subject": "VmCreatedEvent"}, ROUTER, PASS),
        ({"type": "com.vmware.event.router/event", "subject": "VmRemovedEvent"}, ROUTER, FAIL),
        ({"subject": ""}, ROUTER, PASS),  # "" = any value, but present
        ({"subject": ""}, TANZU, FAIL),  # tanzu events have no subject
        ({"eventclass": "event"}, TANZU, PASS),  # extensions are attributes too
        ({"eventclass": "event"}, ROUTER, FAIL),  # missing extension
        ({"time": "2024-01-17T13:02:05.426999Z"}, TANZU, PASS),
        ({}, TANZU, NONE),  # no filter: every event
    ],
)
def test_filter_attributes(attributes, event, result):
    assert trigger({"filter": {"attributes": attributes}}).evaluate(event) == result


@pytest.mark.parametrize(
    ("filters", "result"),
    [
        ([{"exact": {"type": "com.vmware.vsphere.VmCreatedEvent.v0"}}], PASS),
        ([{"exact": {"subject": "VmCreatedEvent"}}], FAIL),  # unset core attribute is ""
        ([{"prefix": {"type": "com.vmware.vsphere."}}], PASS),
        ([{"prefix": {"type": "com.vmware.event.router"}}], FAIL),
        ([{"suffix": {"type": "Event.v0"}}], PASS),
        ([{"suffix": {"eventclass": "ex"}}], FAIL),
        ([{"prefix": {"nothere": "x"}}], FAIL),
        ([{"not": {"exact": {"subject": "x"}}}], PASS),
        ([{"not": {"prefix": {"type": "com.vmware."}}}], FAIL),
        ([{"any": [{"exact": {"type": "a"}}, {"suffix": {"type": ".v0"}}]}], PASS),
        ([{"any": [{"exact": {"type": "a"}}, {"exact": {"type": "b"}}]}], FAIL),
        ([{"all": [{"prefix": {"type": "com."}}, {"exact": {"eventclass": "event"}}]}], PASS),
        ([{"all": [{"prefix": {"type": "com."}}, {"exact": {"eventclass": "x"}}]}], FAIL),
        ([{"prefix": {"type": "com."}}, {"exact": {"id": "nope"}}], FAIL),  # entries are ANDed
        ([{"exact": {"type": ""}}], NONE),  # empty value: no opinion, as Knative's webhook
    ],
)
def test_filters_dialects(filters, result):
    assert triggers.all_filter(filters, TANZU) == result


def test_filters_win_over_filter_and_cesql_is_refused():
    both = trigger(
        {
            "filter": {"attributes": {"type": "something-else"}},
            "filters": [{"prefix": {"type": "com.vmware.vsphere."}}],
        }
    )
    assert both.matches(TANZU)
    with pytest.raises(KnotebookError, match="cesql filters are not evaluated locally"):
        trigger({"filters": [{"cesql": "type LIKE 'com.%'"}]}).evaluate(TANZU)


@pytest.mark.parametrize(
    ("delivery", "waits"),
    [
        ({"retry": 3, "backoffPolicy": "exponential", "backoffDelay": "PT1S"}, [1, 2, 4]),
        ({"retry": 3, "backoffPolicy": "linear", "backoffDelay": "PT0.5S"}, [0, 0.5, 1.0]),
        ({"retry": 2}, [0, 0]),
    ],
)
def test_backoff_follows_go_retryablehttp(delivery, waits):
    plan = trigger({"delivery": delivery}).delivery
    assert plan.retry == len(waits)
    assert [plan.backoff(n) for n in range(plan.retry)] == waits


def test_no_delivery_gets_the_default_broker_config():
    plan = trigger({}).delivery
    assert (plan.retry, plan.policy, plan.delay) == (10, "exponential", 0.2)


@pytest.mark.parametrize(
    ("text", "seconds"), [("PT0.2S", 0.2), ("PT1M30S", 90), ("P1D", 86400), ("PT2H", 7200)]
)
def test_iso8601_durations(text, seconds):
    assert triggers.parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["5s", "PT", "P", "1S", "PT1.S"])
def test_go_durations_are_refused(text):
    with pytest.raises(KnotebookError, match="ISO 8601"):
        triggers.parse_duration(text)


def test_exported_trigger_yaml_loads(project, cli):
    assert cli("export", "notebooks/vm_created.ipynb", cwd=project).exit_code == 0
    [found] = triggers.load(project / "export" / "vm-created" / "k8s" / "trigger.yaml")
    assert found.name == "vm-created-vmcreatedevent"
    assert found.subscriber == "vm-created"
    assert found.filter == {"type": "com.vmware.vsphere.VmCreatedEvent.v0"}
    assert found.matches(TANZU) and not found.matches(ROUTER)
