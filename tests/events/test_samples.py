"""Packaged samples: real govmomi JSON shape, provenance, the veba.md §6 set, knobs."""

from __future__ import annotations

import re
from typing import Any

import pytest

from knotebook import events
from knotebook.errors import KnotebookError
from knotebook.events import envelopes, govmomi, samples

BASE = [
    "Key",
    "ChainId",
    "CreatedTime",
    "UserName",
    "Datacenter",
    "ComputeResource",
    "Host",
    "Vm",
    "Ds",
    "Net",
    "Dvs",
    "FullFormattedMessage",
    "ChangeTag",
]
INNER = {
    "Datacenter": "Datacenter",
    "ComputeResource": "ComputeResource",
    "Host": "Host",
    "Vm": "Vm",
    "Ds": "Datastore",
    "Net": "Network",
    "Dvs": "Dvs",
}
PAYLOAD_CLASS = {"eventex": "EventEx", "extendedevent": "ExtendedEvent"}
SECTION_6 = [
    "VmCreatedEvent",
    "VmClonedEvent",
    "VmRegisteredEvent",
    "VmDeployedEvent",
    "VmRemovedEvent",
    "VmRenamedEvent",
    "VmBeingCreatedEvent",
    "VmPoweredOnEvent",
    "DrsVmPoweredOnEvent",
    "VmPoweredOffEvent",
    "VmStartingEvent",
    "VmStoppingEvent",
    "VmSuspendedEvent",
    "VmGuestShutdownEvent",
    "VmReconfiguredEvent",
    "VmReconfiguredEvent:portgroup",
    "DVPortgroupReconfiguredEvent",
    "VmMigratedEvent",
    "DrsVmMigratedEvent",
    "EnteredMaintenanceModeEvent",
    "ExitMaintenanceModeEvent",
    "HostConnectionLostEvent",
    "AlarmStatusChangedEvent",
    "AlarmStatusChangedEvent:host",
    "DatastoreRenamedEvent",
    "DatastoreFileDeletedEvent",
    "TaskEvent",
    "TaskEvent:success",
    "TaskEvent:error",
    "com.vmware.cis.tagging.attach",
    "com.vmware.cis.tagging.detach",
    "com.vmware.sso.LoginFailure",
    "com.vmware.sso.LoginSuccess",
    "com.vmware.vc.HA.ClusterFailoverActionCompletedEvent",
    "com.vmware.applmgmt.backup.job.failed.event",
    "com.vmware.vc.VmDiskConsolidationNeeded",
    "UserLoginSessionEvent",
    "UserLogoutSessionEvent",
    "BadUsernameSessionEvent",
]
ALL = samples.packaged_samples()


def _class(sample: samples.PackagedSample) -> str:
    return PAYLOAD_CLASS.get(envelopes.payload_class(sample.data), sample.event_id)


def _morefs_ok(node: Any, path: str = "") -> list[str]:
    """Every {"Type", "Value"} object is a MoRef with two non-empty strings."""
    bad = []
    if isinstance(node, dict):
        is_moref = set(node) == {"Type", "Value"}
        if is_moref and not (isinstance(node["Type"], str) and node["Type"] and node["Value"]):
            bad.append(path)
        for key, value in node.items():
            bad += _morefs_ok(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            bad += _morefs_ok(value, f"{path}.{i}")
    return bad


def test_the_section_6_set_is_packaged():
    names = {s.name for s in ALL}
    assert set(SECTION_6) <= names
    assert len(ALL) >= 35


@pytest.mark.parametrize("sample", ALL, ids=lambda s: s.name)
def test_sample_has_govmomi_shape(sample):
    data = sample.data
    assert list(data)[: len(BASE)] == BASE
    assert isinstance(data["Key"], int) and isinstance(data["ChainId"], int)
    assert data["ChainId"] <= data["Key"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z", data["CreatedTime"])
    assert data["FullFormattedMessage"] and "REPLACE-ME" not in str(data)
    for field, inner in INNER.items():
        arg = data[field]
        assert arg is None or (set(arg) == {"Name", inner} and arg["Name"]), field
    assert _morefs_ok(data) == []
    names = govmomi.field_names(_class(sample))
    extra = [k for k in data if k not in names]
    assert extra == (["AlarmInfo"] if sample.variant == "alarminfo" else [])
    assert [k for k in data if k in names] == [k for k in names if k in data]  # Go field order
    if sample.provenance["kind"] == "synthesized":
        assert list(data) == names  # encoding/json writes every field
    assert not [k for k in data if k[:1].islower()]  # PascalCase, as VEBA 0.3-0.8 emits


@pytest.mark.parametrize("sample", ALL, ids=lambda s: s.name)
def test_sample_provenance(sample):
    prov = sample.provenance
    if prov["kind"] == "capture":
        assert prov["repo"] == "vmware-samples/vcenter-event-broker-appliance"
        assert re.fullmatch(r"[0-9a-f]{40}", prov["commit"])
        assert prov["path"].startswith("examples/")
    else:
        assert prov["kind"] == "synthesized" and "govmomi" in prov["shape"]
    assert sample.description


def test_class_specific_fields():
    def data(name: str, variant: str | None = None) -> dict[str, Any]:
        return samples.packaged(name, variant).data

    assert data("VmClonedEvent")["SourceVm"]["Vm"]["Type"] == "VirtualMachine"
    assert data("VmDeployedEvent")["SrcTemplate"]["Name"]
    renamed = data("VmRenamedEvent")
    assert renamed["OldName"] != renamed["NewName"] == renamed["Vm"]["Name"]
    migrated = data("DrsVmMigratedEvent")
    assert migrated["SourceHost"]["Name"] != migrated["Host"]["Name"]
    assert data("HostConnectionLostEvent")["Vm"] is None
    assert data("VmBeingCreatedEvent")["ConfigSpec"]["NumCPUs"] == 2
    for name, variant in (("AlarmStatusChangedEvent", None), ("AlarmStatusChangedEvent", "host")):
        alarm = data(name, variant)
        assert alarm["From"] in {"gray", "green", "yellow", "red"}
        assert alarm["To"] in {"gray", "green", "yellow", "red"}
        assert alarm["Alarm"]["Alarm"]["Type"] == "Alarm" and "AlarmInfo" not in alarm
    states = {v: data("TaskEvent", v)["Info"]["State"] for v in ("default", "success", "error")}
    assert states == {"default": "queued", "success": "success", "error": "error"}
    assert data("TaskEvent", "error")["Info"]["Error"]["LocalizedMessage"]
    assert data("TaskEvent", "success")["Info"]["DescriptionId"] == "Folder.createVm"
    login = data("UserLoginSessionEvent")
    assert login["IpAddress"] and login["SessionId"] and login["UserName"]
    assert all(login[k] is None for k in INNER)
    logout = data("UserLogoutSessionEvent")
    assert logout["CallCount"] > 0 and logout["LoginTime"] < logout["CreatedTime"]


def test_eventex_and_extendedevent_shapes():
    ex = samples.packaged("com.vmware.sso.LoginFailure").data
    assert envelopes.payload_class(ex) == "eventex"
    assert {"Key": "userIp", "Value": "10.0.1.37"} in ex["Arguments"]
    ha = samples.packaged("com.vmware.vc.HA.ClusterFailoverActionCompletedEvent").data
    assert ha["Severity"] == "info" and ha["ObjectType"] == "ClusterComputeResource"
    ext = samples.packaged("com.vmware.vc.VmDiskConsolidationNeeded").data
    assert envelopes.payload_class(ext) == "extendedevent"
    assert ext["ManagedObject"] == ext["Vm"]["Vm"]
    assert all(set(pair) == {"Key", "Value"} for pair in ext["Data"])
    assert events.eventclass("com.vmware.vc.VmDiskConsolidationNeeded") == "extendedevent"
    # listed as ExtendedEvent in the catalog, but VEBA delivers it as EventEx
    assert events.eventclass("com.vmware.vc.HA.ClusterFailoverActionCompletedEvent") == "eventex"
    assert (
        events.ce_type("com.vmware.vc.HA.ClusterFailoverActionCompletedEvent", "router")
        == "com.vmware.event.router/eventex"
    )


def test_sample_prefers_the_packaged_capture():
    event = events.sample("VmRemovedEvent")
    assert event.get_data() == samples.packaged("VmRemovedEvent").data
    assert event.get_id() == "2040013"
    assert event.get_data()["CreatedTime"] == "2021-04-23T20:21:02.277Z"
    variant = events.sample("VmReconfiguredEvent", variant="portgroup").get_data()
    assert variant["ConfigSpec"]["DeviceChange"][0]["Operation"] == "edit"
    synthesized = events.sample("VmRemovedEvent", synthesize=True).get_data()
    assert synthesized["Vm"]["Name"] == "web-01"


def test_knobs_rename_a_capture_everywhere():
    data = events.event_data("VmRemovedEvent", vm_name="db-01", host="esx-7", user="me@corp")
    assert data["Vm"]["Name"] == "db-01" and data["Host"]["Name"] == "esx-7"
    assert data["UserName"] == "me@corp"
    assert data["FullFormattedMessage"] == "Removed db-01 on esx-7 from Primp-Datacenter"
    task = events.event_data("TaskEvent", vm_name="db-01", time="2024-06-01T00:00:00Z")
    assert task["Info"]["EntityName"] == "db-01"
    assert task["CreatedTime"] == "2024-06-01T00:00:00Z"
    assert task["Info"]["QueueTime"] == "2024-06-01T00:00:00.000143Z"  # shifted with the event
    seeded = events.event_data("TaskEvent", seed=1)
    assert seeded["Key"] != task["Key"] and seeded["Key"] - seeded["ChainId"] == 0


def test_unknown_variant_is_a_user_error():
    with pytest.raises(KnotebookError, match="variant"):
        events.sample("TaskEvent", variant="nope")
    with pytest.raises(KnotebookError, match="no packaged sample"):
        events.sample("VmResettingEvent", variant="nope")
