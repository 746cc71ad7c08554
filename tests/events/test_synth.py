"""The synthesizer: knobs, seeds, per-class fields, EventEx/ExtendedEvent scopes; --set paths."""

from __future__ import annotations

import pytest

from knotebook import events
from knotebook.errors import KnotebookError
from knotebook.events import classes, govmomi, knobs, synth


def test_same_arguments_same_payload_and_seed_changes_ids_only():
    a = events.synthesize("VmPoweredOnEvent", vm_name="app-1", seed=1)
    assert a == events.synthesize("VmPoweredOnEvent", vm_name="app-1", seed=1)
    b = events.synthesize("VmPoweredOnEvent", vm_name="app-1", seed=2)
    assert b["Key"] != a["Key"] and b["Vm"]["Vm"]["Value"] != a["Vm"]["Vm"]["Value"]
    assert b["Vm"]["Name"] == a["Vm"]["Name"] == "app-1"
    assert b["CreatedTime"] == a["CreatedTime"]


def test_knobs_reach_entities_message_and_time():
    data = events.synthesize(
        "VmPoweredOnEvent",
        vm_name="app-1",
        host="esx-3.lab",
        datacenter="DC-West",
        cluster="gold",
        user="LAB\\ops",
        time="2025-02-03T04:05:06.789Z",
    )
    assert data["Vm"]["Name"] == "app-1" and data["Host"]["Name"] == "esx-3.lab"
    assert data["Datacenter"]["Name"] == "DC-West" and data["ComputeResource"]["Name"] == "gold"
    assert data["UserName"] == "LAB\\ops"
    assert data["CreatedTime"] == "2025-02-03T04:05:06.789Z"
    assert data["FullFormattedMessage"] == "app-1 on esx-3.lab in DC-West is powered on"


def test_at_least_40_standard_classes_have_specific_rules():
    standard = [i for i in events.types() if events.catalog(search=i, kind="standard")]
    ruled = [i for i in classes.CLASS_RULES if i in standard]
    assert len(ruled) >= 40
    for event_id in ruled:  # every placeholder of every message template is filled
        data = events.synthesize(event_id)
        assert "{" not in data["FullFormattedMessage"], event_id
        assert list(data) == govmomi.field_names(event_id)


@pytest.mark.parametrize(
    ("event_id", "field", "check"),
    [
        ("VmClonedEvent", "SourceVm", lambda v: v["Vm"]["Type"] == "VirtualMachine"),
        ("VmMigratedEvent", "SourceHost", lambda v: v["Host"]["Type"] == "HostSystem"),
        ("VmBeingHotMigratedEvent", "DestHost", lambda v: v["Name"] == "esxi-02.example.local"),
        ("HostDisconnectedEvent", "Reason", lambda v: v == "userRequest"),
        ("VmReconfiguredEvent", "ConfigChanges", lambda v: "numCPU" in v["Modified"]),
        ("VmReconfiguredEvent", "ConfigSpec", lambda v: v["NumCPUs"] == 4 and "DeviceChange" in v),
        ("DvsReconfiguredEvent", "ConfigSpec", lambda v: "MaxMtu" in v),
        ("UserLoginSessionEvent", "IpAddress", lambda v: v.startswith("10.0.1.")),
        ("PermissionAddedEvent", "Role", lambda v: v["Name"] == "Admin"),
        (
            "CustomFieldValueChangedEvent",
            "Entity",
            lambda v: v["Entity"]["Type"] == "VirtualMachine",
        ),
        ("DatastoreFileDeletedEvent", "Datastore", lambda v: v["Datastore"]["Type"] == "Datastore"),
        ("VmFailedToPowerOnEvent", "Reason", lambda v: v["LocalizedMessage"]),
        (
            "TaskEvent",
            "Info",
            lambda v: v["Reason"] == {"UserName": "VSPHERE.LOCAL\\Administrator"},
        ),
        ("AlarmStatusChangedEvent", "From", lambda v: v == "green"),
    ],
)
def test_class_specific_fields(event_id, field, check):
    assert check(events.synthesize(event_id)[field])


def test_system_events_have_no_user():
    assert events.synthesize("AlarmStatusChangedEvent")["UserName"] == ""
    assert events.synthesize("HostConnectionLostEvent")["UserName"] == ""
    assert events.synthesize("VmPoweredOnEvent")["UserName"]


@pytest.mark.parametrize(
    ("event_id", "scope"),
    [
        ("com.vmware.sso.LoginFailure", ()),
        ("esx.problem.vmfs.heartbeat.timedout", ("dc", "host", "ds")),
        ("com.vmware.vc.HA.ClusterFailoverActionCompletedEvent", ("dc", "cluster")),
        ("com.vmware.vc.VmDiskConsolidationNeeded", ("dc", "cluster", "host", "vm")),
        ("com.vmware.pbm.profile.associate", ("dc",)),  # "com.vmware" is not a VM word
        ("VmPoweredOnEvent", ("dc", "cluster", "host", "vm")),
        ("DVPortgroupCreatedEvent", ("dc", "net", "dvs")),
        ("UserLoginSessionEvent", ()),
    ],
)
def test_scopes(event_id, scope):
    assert synth.scope_for(event_id, synth.event_class_for(event_id)) == scope


def test_eventex_object_fields_follow_scope():
    data = events.synthesize("esx.problem.vmfs.heartbeat.timedout", host="esx-9")
    assert data["ObjectType"] == "HostSystem" and data["ObjectName"] == "esx-9"
    assert data["ObjectId"] == data["Host"]["Host"]["Value"]
    assert data["Severity"] == "warning" or data["Severity"] == "error"
    assert {"Key": "_sourcehost_", "Value": "vcsa.example.local"} in data["Arguments"]


def test_unknown_knob_is_a_user_error():
    with pytest.raises(KnotebookError, match="unknown knob"):
        events.synthesize("VmPoweredOnEvent", color="red")
    with pytest.raises(KnotebookError, match="RFC 3339"):
        events.synthesize("VmPoweredOnEvent", time="yesterday")


def test_set_path_and_assignments():
    data = events.synthesize("VmPoweredOnEvent")
    knobs.set_path(data, "Ds.Name", "nfs-01")  # null entity becomes an object
    assert data["Ds"] == {"Name": "nfs-01"}
    assignments = knobs.parse_assignments(["Template=true", "Key=7", "Vm.Name=a=b", "X=null"])
    assert assignments == {"Template": True, "Key": 7, "Vm.Name": "a=b", "X": None}
    ex = events.synthesize("com.vmware.sso.LoginFailure")
    knobs.set_path(ex, "Arguments.0.Value", "x")
    assert ex["Arguments"][0]["Value"] == "x"
    with pytest.raises(KnotebookError, match="not an index"):
        knobs.set_path(ex, "Arguments.9.Value", "x")
    with pytest.raises(KnotebookError, match="Path=value"):
        knobs.parse_assignments(["Vm.Name"])
