"""Test events: events.load(test/testevent.json), testevent.json follows EVENT, TEST_EVENTS,
try --set."""

from __future__ import annotations

import json

import pytest
from conftest import HANDLER, run_knotebook

from knotebook import events
from knotebook.errors import KnotebookError, NotebookError
from knotebook.export import exporter

# The shape of VEBA's examples/knative/python/kn-py-echo/test/testevent.json (tanzu envelope).
VEBA_TESTEVENT = {
    "id": "08179137-b8e0-4973-b05f-8f212bf5003b",
    "source": "https://10.0.0.1:443/sdk",
    "specversion": "1.0",
    "eventclass": "event",
    "type": "com.vmware.vsphere.VmPoweredOffEvent.v0",
    "time": "2020-02-11T21:29:54.9052539Z",
    "data": {
        "Key": 9902,
        "CreatedTime": "2020-02-11T21:28:23.677595Z",
        "UserName": "VSPHERE.LOCAL\\Administrator",
        "Vm": {"Name": "test-01", "Vm": {"Type": "VirtualMachine", "Value": "vm-56"}},
        "Host": None,
    },
    "datacontenttype": "application/json",
}


def test_load_reads_a_veba_testevent_in_either_envelope(tmp_path):
    path = tmp_path / "test" / "testevent.json"
    path.parent.mkdir()
    path.write_text(json.dumps(VEBA_TESTEVENT))
    event = events.load(path)
    assert event.get_type() == "com.vmware.vsphere.VmPoweredOffEvent.v0"
    assert event.get_id() == VEBA_TESTEVENT["id"] and event.get_data()["Vm"]["Name"] == "test-01"
    router = events.load(path, envelope="router")
    assert router.get_type() == "com.vmware.event.router/event"
    assert router.get_attributes()["subject"] == "VmPoweredOffEvent"
    assert events.load(path, overrides={"Vm.Name": "db-7"}).get_data()["Vm"]["Name"] == "db-7"
    # A router CloudEvent back to tanzu.
    saved = tmp_path / "router.json"
    saved.write_bytes(events.to_structured(router))
    assert events.load(saved, envelope="tanzu").get_type().endswith("VmPoweredOffEvent.v0")


def test_load_reads_data_alone_with_its_event_id(tmp_path):
    path = tmp_path / "payload.json"
    path.write_text(json.dumps(VEBA_TESTEVENT["data"]))
    with pytest.raises(KnotebookError, match="pass event='VmPoweredOffEvent'"):
        events.load(path)
    event = events.load(path, event="VmPoweredOffEvent", envelope="router")
    assert event.get_attributes()["subject"] == "VmPoweredOffEvent"
    assert event.get_data()["Key"] == 9902


def _picky(write_notebook, event: str, extra: str = ""):
    settings = (
        '# knotebook: settings\nFUNCTION_NAME = "picky"\n'
        f'EVENT_TYPES = ["VmCreatedEvent", "AlarmStatusChangedEvent"]\n{extra}'
    )
    return write_notebook("picky.ipynb", settings, (f'EVENT = "{event}"', ["parameters"]), HANDLER)


def test_testevent_json_follows_the_notebooks_event(write_notebook):
    path = _picky(write_notebook, "AlarmStatusChangedEvent:host")
    bundle = exporter.export(path).directory
    event = json.loads((bundle / "testevent.json").read_text())
    expected = events.sample("AlarmStatusChangedEvent:host")
    assert event["type"] == "com.vmware.vsphere.AlarmStatusChangedEvent.v0"
    assert event["data"] == json.loads(events.to_structured(expected))["data"]
    assert not (bundle / "test").exists()


def test_test_events_all_writes_every_sample_of_every_subscribed_type(write_notebook):
    path = _picky(write_notebook, "VmCreatedEvent", 'TEST_EVENTS = "all"\n')
    bundle = exporter.export(path).directory
    assert sorted(p.name for p in (bundle / "test").iterdir()) == [
        "AlarmStatusChangedEvent-alarminfo.json",
        "AlarmStatusChangedEvent-host.json",
        "AlarmStatusChangedEvent.json",
        "VmCreatedEvent.json",
    ]
    assert json.loads((bundle / "testevent.json").read_text())["type"].endswith("VmCreatedEvent.v0")


def test_test_events_are_checked_with_the_cell_and_line(write_notebook):
    path = _picky(write_notebook, "VmCreatedEvent", 'TEST_EVENTS = ["VmPoweredOffEvent"]\n')
    with pytest.raises(NotebookError, match=r"cell 2, line 4: TEST_EVENTS: VmPoweredOffEvent is"):
        exporter.export(path)


NAMES = """# knotebook: function
import logging


def handler(event):
    logging.getLogger("names").warning("VM %s", event.get_data()["Vm"]["Name"])
"""


@pytest.mark.slow
def test_try_set_changes_the_test_event(project, function_notebook):
    function_notebook(handler=NAMES)
    proc = run_knotebook(
        "try", "notebooks/fn-test.ipynb", "--no-venv", "--mode", "binary",
        "--set", "Vm.Name=db-7", cwd=project,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "-> 204 No Content" in proc.stdout and "VM db-7" in proc.stdout
