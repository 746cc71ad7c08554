"""Synthesize a govmomi-shaped vSphere event (a ``dict``) for any catalog id.

Standard ids become their govmomi class with every field present (nulls included); fields are
filled by type (``*HostEventArgument`` -> a host, ``ChangesInfoEventArgument`` -> a diff, ...),
by name (``IpAddress``, ``OldName`` ...), then by the per-class rules of ``classes.py``.
EventEx and ExtendedEvent ids get the generic ``EventEx``/``ExtendedEvent`` shape.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from knotebook.events import govmomi, registry
from knotebook.events.classes import CLASS_RULES, message_for
from knotebook.events.times import format_time
from knotebook.events.world import World, moref

BASE_FIELDS = frozenset(
    [
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
)

# scope: which inventory objects an event is about (drives the base Event entity arguments)
SCOPE_BY_FAMILY = {
    "VmEvent": ("dc", "cluster", "host", "vm"),
    "TaskEvent": ("dc", "cluster", "host", "vm"),
    "HostEvent": ("dc", "cluster", "host"),
    "ClusterEvent": ("dc", "cluster"),
    "ResourcePoolEvent": ("dc", "cluster"),
    "DatastoreEvent": ("dc", "ds"),
    "DvsEvent": ("dc", "dvs"),
    "DVPortgroupEvent": ("dc", "net", "dvs"),
    "AlarmEvent": ("dc", "host"),
    "ScheduledTaskEvent": ("dc", "vm"),
    "DatacenterEvent": ("dc",),
    "ProfileEvent": ("dc",),
    "TemplateUpgradeEvent": ("dc",),
    "UpgradeEvent": (),
    "SessionEvent": (),
    "LicenseEvent": (),
    "AuthorizationEvent": (),
    "CustomFieldEvent": (),
    "GeneralEvent": (),
    "EventEx": (),
}
# segments of an EventEx/ExtendedEvent id -> main object ("word*" matches a segment prefix)
ID_SCOPES = (
    ("sso cis applmgmt authz license* login* session* vcha vpxd", ()),
    ("datastore* ds storage* vmfs* nfs* scsi* vvol*", ("dc", "host", "ds")),
    ("vm* virtualmachine* vmotion* guest* snapshot*", ("dc", "cluster", "host", "vm")),
    ("ha das* drs* cluster* vsan* dpm hcl*", ("dc", "cluster")),
    ("esx* host* vob net hardware* eam", ("dc", "cluster", "host")),
)
# events vCenter raises itself (no user): UserName is ""
SYSTEM_EVENTS = frozenset(
    [
        "HostConnectionLostEvent",
        "DasHostFailedEvent",
        "VmGuestOSCrashedEvent",
        "DrsVmMigratedEvent",
        "ClusterStatusChangedEvent",
        "VmDisconnectedEvent",
    ]
)
FAILURE_WORDS = ("fail", "error", "lost", "problem", "crash", "corrupt", "down", "unreachable")
WARNING_WORDS = ("warn", "degraded", "exceed", "expir", "low", "insufficient", "timeout")


def event_class_for(event_id: str) -> str:
    """The govmomi struct a catalog id is serialized from."""
    kind = registry.get(event_id).kind
    if kind == "eventex":
        return "EventEx"
    if kind == "extendedevent":
        return "ExtendedEvent"
    return event_id


def scope_for(event_id: str, cls: str) -> tuple[str, ...]:
    if cls not in ("EventEx", "ExtendedEvent"):
        rule = CLASS_RULES.get(event_id)
        if rule is not None and rule.scope is not None:
            return rule.scope
        for ancestor in govmomi.ancestors(cls):
            if ancestor in SCOPE_BY_FAMILY:
                return SCOPE_BY_FAMILY[ancestor]
        return ("dc",)
    segments = event_id.lower().removeprefix("com.vmware.").split(".")
    for words, scope in ID_SCOPES:
        for word in words.split():
            if any(s.startswith(word[:-1]) if word[-1] == "*" else s == word for s in segments):
                return scope
    return ("dc",)


def severity_for(event_id: str, description: str) -> str:
    text = f"{event_id} {description}".lower()
    if any(w in text for w in FAILURE_WORDS):
        return "error"
    if any(w in text for w in WARNING_WORDS):
        return "warning"
    return "info"


def _arg(struct: str, field: str, world: World, scope: tuple[str, ...]) -> Any:
    """A realistic EventArgument value for a struct-typed field (None = keep the zero value)."""
    second = field.startswith(("Source", "Src", "Dest", "Failed", "Conflict", "Prev", "Old"))
    rng = world.rng
    match struct:
        case "VmEventArgument":
            if field == "SrcTemplate":
                return world.vm_arg("tpl-ubuntu-22.04", second=True)
            return world.vm_arg(f"{world.vm_name}-src" if second else None, second=second)
        case "HostEventArgument":
            return world.host_arg(second=second)
        case "DatacenterEventArgument":
            return world.dc_arg()
        case "ComputeResourceEventArgument":
            return world.cluster_arg()
        case "DatastoreEventArgument":
            return world.ds_arg()
        case "NetworkEventArgument":
            return world.net_arg()
        case "DvsEventArgument":
            return world.dvs_arg()
        case "ManagedEntityEventArgument":
            main = next((s for s in ("vm", "host", "ds", "net", "cluster") if s in scope), "dc")
            return world.entity_arg(main)
        case "AlarmEventArgument":
            return {
                "Name": "Host connection and power state",
                "Alarm": moref("Alarm", world.ids["alarm"]),
            }
        case "FolderEventArgument":
            return {
                "Name": "Discovered virtual machine",
                "Folder": moref("Folder", world.ids["folder"]),
            }
        case "ResourcePoolEventArgument":
            name = "Resources" if field == "Parent" else "rp-apps"
            return {"Name": name, "ResourcePool": moref("ResourcePool", world.ids["pool"])}
        case "RoleEventArgument":
            return {"RoleId": -1, "Name": "Admin"}
        case "ScheduledTaskEventArgument":
            ref = moref("ScheduledTask", f"schedule-{rng.randint(100, 999)}")
            return {"Name": "Nightly snapshot", "ScheduledTask": ref}
        case "ProfileEventArgument":
            ref = moref("HostProfile", f"hostprofile-{rng.randint(1, 99)}")
            return {"Profile": ref, "Name": "baseline-host-profile"}
        case "ChangesInfoEventArgument":
            return {
                "Modified": "config.memoryHotAddEnabled: false -> true; \n\n",
                "Added": "",
                "Deleted": "",
            }
        case "LocalizedMethodFault":
            return {
                "Fault": {"FaultCause": None, "FaultMessage": None},
                "LocalizedMessage": "The operation is not allowed in the current state.",
            }
    return None


def _by_name(field: str, code: str, world: World) -> Any:
    """Values for well-known scalar field names (None = keep the zero value)."""
    rng = world.rng
    if code == "t":
        return world.time
    if code == "*t":
        return world.time if field != "LoginTime" else None
    table: dict[str, Any] = {
        "IpAddress": f"10.0.1.{rng.randint(10, 250)}",
        "UserAgent": "Mozilla/5.0 (X11; Linux x86_64) vSphere-Client/8.0.2",
        "Locale": "en",
        "SessionId": "52" + "".join(rng.choice("0123456789abcdef") for _ in range(30)),
        "OldName": f"{world.vm_name}-old",
        "NewName": world.vm_name,
        "Mac": "00:50:56:97:6f:a8",
        "OldMac": "00:50:56:97:6f:a8",
        "NewMac": "00:50:56:97:11:2c",
        "Adapter": "Network adapter 1",
        "Principal": "VSPHERE.LOCAL\\devops",
        "Version": "vmx-21",
        "PortKey": str(rng.randint(1, 200)),
        "TargetFile": f"[{world.datastore}] {world.vm_name}/{world.vm_name}.vmdk",
        "SourceFile": f"[{world.datastore}] {world.vm_name}/{world.vm_name}-old.vmdk",
        "SourceOfOperation": "vpxd",
        "Succeeded": True,
        "OldUuid": "564d1b2e-7c1a-9f3e-2b4d-8a1e3c5f7d90",
        "NewUuid": "564d1b2e-7c1a-9f3e-2b4d-8a1e3c5f7d91",
        "DestName": world.vm_name,
        "Disk": "Hard disk 1",
        "Propagate": True,
        "Value": "",
    }
    return table.get(field)


def synthesize(event_id: str, **knobs: Any) -> dict[str, Any]:
    """A complete govmomi-shaped event for a catalog id (knobs: see ``world.KNOBS``)."""
    entry = registry.get(event_id)
    cls = event_class_for(event_id)
    world = World.make(event_id, **knobs)
    scope = scope_for(event_id, cls)
    data = govmomi.zero_struct(cls)
    key, chain = world.key()
    data.update(Key=key, ChainId=chain, CreatedTime=world.time)
    system = cls in ("EventEx", "ExtendedEvent") or "AlarmEvent" in govmomi.ancestors(cls)
    data["UserName"] = "" if system or event_id in SYSTEM_EVENTS else world.user
    args = {
        "dc": ("Datacenter", world.dc_arg),
        "cluster": ("ComputeResource", world.cluster_arg),
        "host": ("Host", world.host_arg),
        "vm": ("Vm", world.vm_arg),
        "ds": ("Ds", world.ds_arg),
        "net": ("Net", world.net_arg),
        "dvs": ("Dvs", world.dvs_arg),
    }
    for name in scope:
        field, make = args[name]
        data[field] = make()

    if cls == "EventEx":
        _fill_eventex(data, entry, world, scope)
    elif cls == "ExtendedEvent":
        _fill_extended(data, entry, world, scope)
    else:
        for field, code in govmomi.fields(cls):
            if field in BASE_FIELDS:
                continue
            struct = govmomi.struct_of(code)
            if struct == "LocalizedMethodFault" and code.startswith("*"):
                continue  # optional faults stay null unless a class rule sets one
            value = _arg(struct, field, world, scope) if struct else None
            if value is None and not struct:
                value = _by_name(field, code, world)
            if value is not None:
                data[field] = value
    rule = CLASS_RULES.get(event_id)
    if rule and rule.fill:
        rule.fill(data, world)
    data["FullFormattedMessage"] = message_for(event_id, data, entry.description)
    return data


def _main_object(world: World, scope: tuple[str, ...]) -> tuple[str, str, str]:
    """(ObjectId, ObjectType, ObjectName) of the most specific object in scope, or empty."""
    for name in ("vm", "host", "ds", "cluster", "dc"):
        if name in scope:
            label, ref = world.object(name)
            return ref["Value"], ref["Type"], label
    return "", "", ""


def _fill_eventex(
    data: dict[str, Any], entry: registry.CatalogEntry, world: World, scope: tuple[str, ...]
) -> None:
    object_id, object_type, object_name = _main_object(world, scope)
    arguments = []
    if object_name:
        arguments.append({"Key": "objectName", "Value": object_name})
    arguments.append({"Key": "_sourcehost_", "Value": "vcsa.example.local"})
    data.update(
        EventTypeId=entry.id,
        Severity=severity_for(entry.id, entry.description),
        Message="",
        Arguments=arguments,
        ObjectId=object_id,
        ObjectType=object_type,
        ObjectName=object_name,
        Fault=None,
    )
    if not scope:
        data["UserName"] = world.user


def _fill_extended(
    data: dict[str, Any], entry: registry.CatalogEntry, world: World, scope: tuple[str, ...]
) -> None:
    object_id, object_type, object_name = _main_object(world, scope)
    if not object_id:  # an ExtendedEvent always names a managed object: the root folder then
        object_id, object_type, object_name = "group-d1", "Folder", "Datacenters"
    data.update(
        Message=entry.description or entry.id,
        EventTypeId=entry.id,
        ManagedObject=moref(object_type, object_id),
        Data=[
            {"Key": "objectName", "Value": object_name},
            {"Key": "timestamp", "Value": format_time(world.created - timedelta(seconds=1))},
        ],
    )
