"""Per-class knowledge for the most used Standard vSphere event classes: messages, special fields.

Each rule may override the inventory scope, fill class-specific fields with realistic values,
and give the ``FullFormattedMessage`` template vCenter uses (``{vm}``, ``{host}``, ``{dc}``,
``{cluster}``, ``{ds}``, ``{user}`` and any top-level string field such as ``{OldName}``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from knotebook.events import govmomi
from knotebook.events.times import format_time
from knotebook.events.world import World, moref

Fill = Callable[[dict[str, Any], World], None]


@dataclass(frozen=True)
class ClassRule:
    message: str
    fill: Fill | None = None
    scope: tuple[str, ...] | None = None


def _name(data: dict[str, Any], field: str) -> str:
    arg = data.get(field)
    return arg.get("Name", "") if isinstance(arg, dict) else ""


def message_for(event_id: str, data: dict[str, Any], description: str) -> str:
    """The FullFormattedMessage for an event from its class template or its catalog text."""
    rule = CLASS_RULES.get(event_id)
    if rule is None:
        return description or event_id
    names = {k: v for k, v in data.items() if isinstance(v, str | int)}
    names.update(
        vm=_name(data, "Vm"),
        host=_name(data, "Host"),
        dc=_name(data, "Datacenter"),
        cluster=_name(data, "ComputeResource"),
        ds=_name(data, "Ds"),
        net=_name(data, "Net"),
        dvs=_name(data, "Dvs"),
        user=data.get("UserName", ""),
    )
    for field in (
        "SourceHost",
        "DestHost",
        "SourceVm",
        "SrcTemplate",
        "FailedHost",
        "Alarm",
        "Entity",
        "Datastore",
        "Role",
        "ScheduledTask",
        "ConflictedVm",
    ):
        names[field] = _name(data, field)
    return rule.message.format_map(names)


# --- fills -------------------------------------------------------------------------------------


def _config_spec(**values: Any) -> dict[str, Any]:
    spec = govmomi.zero_struct("VirtualMachineConfigSpec")
    spec.update(values)
    return spec


def _vm_reconfigured(data: dict[str, Any], w: World) -> None:
    data["ConfigSpec"] = _config_spec(
        ChangeVersion=format_time(w.created - timedelta(minutes=20)),
        CreateDate="1970-01-01T00:00:00Z",
        NumCPUs=4,
        MemoryMB=8192,
    )
    data["ConfigChanges"] = {
        "Modified": "config.hardware.numCPU: 2 -> 4; \n\n"
        "config.hardware.memoryMB: 4096 -> 8192; \n\n",
        "Added": "",
        "Deleted": "",
    }


def _vm_being_created(data: dict[str, Any], w: World) -> None:
    files = govmomi.zero_struct("VirtualMachineFileInfo")
    files["VmPathName"] = f"[{w.datastore}]"
    data["ConfigSpec"] = _config_spec(
        Name=w.vm_name,
        GuestId="ubuntu64Guest",
        NumCPUs=2,
        NumCoresPerSocket=1,
        MemoryMB=4096,
        Files=files,
        Version="vmx-21",
        Firmware="efi",
        CreateDate="1970-01-01T00:00:00Z",
    )


def task_info(
    w: World,
    *,
    name: str,
    description_id: str,
    entity: tuple[str, dict[str, str]],
    state: str = "queued",
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A govmomi TaskInfo as VEBA serializes it inside a TaskEvent."""
    info = govmomi.zero_struct("TaskInfo")
    queued = w.created
    info.update(
        Key=w.ids["task"],
        Task=moref("Task", w.ids["task"]),
        Description=None,
        Name=name,
        DescriptionId=description_id,
        Entity=entity[1],
        EntityName=entity[0],
        Locked=None,
        State=state,
        Cancelled=False,
        Cancelable=state in ("queued", "running"),
        Error=error,
        Result=None,
        Progress=0,
        Reason={"UserName": w.user},
        QueueTime=format_time(queued),
        StartTime=None if state == "queued" else format_time(queued + timedelta(milliseconds=9)),
        CompleteTime=(
            format_time(queued + timedelta(seconds=3, microseconds=418253))
            if state in ("success", "error")
            else None
        ),
    )
    return info


def _task(data: dict[str, Any], w: World) -> None:
    data["Info"] = task_info(
        w,
        name="CreateSnapshot_Task",
        description_id="VirtualMachine.createSnapshot",
        entity=w.object("vm"),
    )


def _alarm_status(data: dict[str, Any], w: World) -> None:
    data["Source"] = {
        "Name": w.cluster,
        "Entity": moref("ClusterComputeResource", w.ids["cluster"]),
    }
    data["From"], data["To"] = "green", "red"


def _alarm_cleared(data: dict[str, Any], w: World) -> None:
    data["From"] = "red"


def _set(**values: Any) -> Fill:
    def fill(data: dict[str, Any], _w: World) -> None:
        data.update(values)

    return fill


def _renamed(kind: str) -> Fill:
    def fill(data: dict[str, Any], w: World) -> None:
        current = {"vm": w.vm_name, "ds": w.datastore, "dc": w.datacenter, "net": "pg-app-100"}
        data["NewName"] = current[kind]
        data["OldName"] = f"{current[kind]}-old" if kind != "ds" else "datastore1 (1)"

    return fill


def _logout(data: dict[str, Any], w: World) -> None:
    data["CallCount"] = 412
    data["LoginTime"] = format_time(w.created - timedelta(hours=1, minutes=7, seconds=12))


def _session_terminated(data: dict[str, Any], w: World) -> None:
    data["TerminatedUsername"] = "VSPHERE.LOCAL\\svc-backup"


def _permission(data: dict[str, Any], w: World) -> None:
    data["Entity"] = w.entity_arg("vm")


def _role_added(data: dict[str, Any], w: World) -> None:
    data["Role"] = {"RoleId": 1103, "Name": "vm-operator"}
    data["PrivilegeList"] = [
        "System.Anonymous",
        "System.View",
        "System.Read",
        "VirtualMachine.Interact.PowerOn",
        "VirtualMachine.Interact.PowerOff",
    ]


def _custom_field(data: dict[str, Any], w: World) -> None:
    data["Entity"] = w.entity_arg("vm")
    data.update(FieldKey=101, Name="owner", Value="team-web", PrevState="")


def _datastore(data: dict[str, Any], w: World) -> None:
    data["Datastore"] = w.ds_arg()


def _both(first: Fill, second: Fill) -> Fill:
    def fill(data: dict[str, Any], w: World) -> None:
        first(data, w)
        second(data, w)

    return fill


def _failed(message: str) -> Fill:
    def fill(data: dict[str, Any], _w: World) -> None:
        data["Reason"] = {
            "Fault": {"FaultCause": None, "FaultMessage": None},
            "LocalizedMessage": message,
        }

    return fill


# --- the rules ---------------------------------------------------------------------------------

R = ClassRule
CLASS_RULES: dict[str, ClassRule] = {
    # VM power
    "VmPoweredOnEvent": R("{vm} on {host} in {dc} is powered on"),
    "VmPoweredOffEvent": R("{vm} on {host} in {dc} is powered off"),
    "DrsVmPoweredOnEvent": R("DRS powered on {vm} on {host} in {dc}"),
    "VmStartingEvent": R("{vm} on {host} in {dc} is starting"),
    "VmStoppingEvent": R("{vm} on {host} in {dc} is stopping"),
    "VmSuspendedEvent": R("{vm} on {host} in {dc} is suspended"),
    "VmSuspendingEvent": R("{vm} on {host} in {dc} is being suspended"),
    "VmResumingEvent": R("{vm} on {host} in {dc} is resumed"),
    "VmResettingEvent": R("{vm} on {host} in {dc} is reset"),
    "VmGuestShutdownEvent": R("Guest OS shut down for {vm} on {host} in {dc}"),
    "VmGuestRebootEvent": R("Guest OS reboot for {vm} on {host} in {dc}"),
    "VmGuestStandbyEvent": R("Guest OS standby for {vm} on {host} in {dc}"),
    "VmFailedToPowerOnEvent": R(
        "Cannot power on {vm} on {host} in {dc}. Insufficient resources",
        _failed("Insufficient resources to satisfy configured failover level for vSphere HA."),
    ),
    "VmFailedToPowerOffEvent": R(
        "Cannot power off {vm} on {host} in {dc}",
        _failed("The attempted operation cannot be performed in the current state (Powered off)."),
    ),
    # VM lifecycle
    "VmCreatedEvent": R("Created virtual machine {vm} on {host} in {dc}"),
    "VmBeingCreatedEvent": R("Creating {vm} on {host}, {cluster} in {dc}", _vm_being_created),
    "VmClonedEvent": R("Clone of {SourceVm} completed"),
    "VmBeingClonedEvent": R("Cloning {vm} on host {host} in {dc} to {DestName} on host {DestHost}"),
    "VmDeployedEvent": R("Template {SrcTemplate} deployed to {vm} on host {host}"),
    "VmBeingDeployedEvent": R("Deploying {vm} on host {host} in {dc} from template {SrcTemplate}"),
    "VmRegisteredEvent": R("Registered {vm} on {host} in {dc}"),
    "VmRemovedEvent": R("Removed {vm} on {host} from {dc}"),
    "VmRenamedEvent": R("Renamed {OldName} to {NewName} in {dc}", _renamed("vm")),
    "VmReconfiguredEvent": R(
        "Reconfigured {vm} on {host} in {dc}.  \n \nModified:  \n \n"
        "config.hardware.numCPU: 2 -> 4; \n\nconfig.hardware.memoryMB: 4096 -> 8192; \n\n"
        " Added:  \n \n Deleted:  \n \n",
        _vm_reconfigured,
    ),
    "VmConnectedEvent": R("Virtual machine {vm} is connected"),
    "VmDisconnectedEvent": R("{vm} on host {host} in {dc} is disconnected"),
    "VmMacChangedEvent": R(
        "Virtual machine {vm} has a MAC address changed from {OldMac} to {NewMac}"
    ),
    "VmMacAssignedEvent": R("New MAC address ({Mac}) assigned to adapter {Adapter} for {vm}"),
    "VmUuidChangedEvent": R("Changed BIOS UUID of {vm} from {OldUuid} to {NewUuid}"),
    "VmGuestOSCrashedEvent": R("{vm} on {host}: Guest operating system has crashed."),
    "VmUpgradeCompleteEvent": R(
        "Virtual machine compatibility for {vm} on {host} in {dc} is upgraded to {Version}"
    ),
    # migration
    "VmMigratedEvent": R(
        "Virtual machine {vm} was migrated from host {SourceHost}, {ds} in {dc} "
        "to {host}, {ds} in {dc}",
        scope=("dc", "cluster", "host", "vm", "ds"),
    ),
    "DrsVmMigratedEvent": R(
        "DRS migrated {vm} from {SourceHost} to {host} in cluster {cluster} in {dc}",
        scope=("dc", "cluster", "host", "vm", "ds"),
    ),
    "VmRelocatedEvent": R("Completed the relocation of the virtual machine {vm}"),
    "VmBeingHotMigratedEvent": R(
        "Migrating {vm} from {host}, {ds} to {DestHost}, {ds} in {dc}",
        scope=("dc", "cluster", "host", "vm", "ds"),
    ),
    "VmEmigratingEvent": R("Migrating {vm} off host {host} in {dc}"),
    # host
    "HostConnectedEvent": R("Connected to {host} in {dc}"),
    "HostDisconnectedEvent": R(
        "Disconnected from {host} in {dc}. Reason: User requested", _set(Reason="userRequest")
    ),
    "HostConnectionLostEvent": R("Host {host} in {dc} is not responding"),
    "HostReconnectionFailedEvent": R("Cannot reconnect to {host} in {dc}"),
    "EnteringMaintenanceModeEvent": R("Host {host} in {dc} has started to enter maintenance mode"),
    "EnteredMaintenanceModeEvent": R("Host {host} in {dc} has entered maintenance mode"),
    "ExitMaintenanceModeEvent": R("Host {host} in {dc} has exited maintenance mode"),
    "HostAddedEvent": R("Added host {host} to datacenter {dc}"),
    "HostRemovedEvent": R("Removed host {host} in {dc}"),
    "HostShutdownEvent": R(
        "Shut down of {host} in {dc}: Maintenance window", _set(Reason="Maintenance window")
    ),
    "HostIpChangedEvent": R(
        "IP address of the host {host} changed from {OldIP} to {NewIP}",
        _set(OldIP="192.168.30.5", NewIP="192.168.30.15"),
    ),
    "DasHostFailedEvent": R(
        "A possible host failure has been detected by HA on {FailedHost} in "
        "cluster {cluster} in {dc}"
    ),
    # cluster
    "ClusterCreatedEvent": R("Created cluster {cluster} in {dc}"),
    "ClusterReconfiguredEvent": R("Reconfigured cluster {cluster} in datacenter {dc}"),
    "ClusterStatusChangedEvent": R(
        "Configuration status on cluster {cluster} changed from {OldStatus} to {NewStatus} in {dc}",
        _set(OldStatus="green", NewStatus="yellow"),
    ),
    "DrsEnabledEvent": R(
        "Enabled DRS on {cluster} with automation level {Behavior} in {dc}",
        _set(Behavior="fullyAutomated"),
    ),
    # alarms
    "AlarmStatusChangedEvent": R(
        "Alarm '{Alarm}' on {Entity} changed from Green to Red", _alarm_status
    ),
    "AlarmCreatedEvent": R("Created alarm '{Alarm}' on {Entity}"),
    "AlarmRemovedEvent": R("Removed alarm '{Alarm}' on {Entity}"),
    "AlarmReconfiguredEvent": R("Reconfigured alarm '{Alarm}' on {Entity}."),
    "AlarmAcknowledgedEvent": R("Acknowledged alarm '{Alarm}' on {Entity}"),
    "AlarmClearedEvent": R("Manually cleared alarm '{Alarm}' on {Entity} from Red", _alarm_cleared),
    "AlarmActionTriggeredEvent": R("Alarm '{Alarm}' on {Entity} triggered an action"),
    # datastore
    "DatastoreRenamedEvent": R(
        "Renamed datastore from {OldName} to {NewName} in {dc}",
        _both(_datastore, _renamed("ds")),
    ),
    "DatastoreFileDeletedEvent": R(
        "Deletion of file or directory {TargetFile} from {Datastore} was initiated", _datastore
    ),
    "DatastoreFileCopiedEvent": R(
        "Copy of file or directory {SourceFile} to {TargetFile} was initiated", _datastore
    ),
    "DatastoreFileMovedEvent": R(
        "Move of file or directory {SourceFile} to {TargetFile} was initiated", _datastore
    ),
    "DatastoreDestroyedEvent": R("Removed unconfigured datastore {Datastore}", _datastore),
    "DatastoreDiscoveredEvent": R(
        "Discovered datastore {Datastore} on {host} in {dc}", scope=("dc", "cluster", "host")
    ),
    # sessions and authorization
    "UserLoginSessionEvent": R("User {user}@{IpAddress} logged in as {UserAgent}"),
    "UserLogoutSessionEvent": R(
        "User {user}@{IpAddress} logged out (login time: {LoginTime}, "
        "number of API invocations: {CallCount}, user agent: {UserAgent})",
        _logout,
    ),
    "BadUsernameSessionEvent": R("Cannot login {user}@{IpAddress}"),
    "SessionTerminatedEvent": R(
        "A session for user '{TerminatedUsername}' has stopped", _session_terminated
    ),
    "PermissionAddedEvent": R(
        "Permission created for {Principal} on {Entity}, role is {Role}, propagation is Enabled",
        _permission,
    ),
    "PermissionRemovedEvent": R("Permission rule removed for {Principal} on {Entity}", _permission),
    "RoleAddedEvent": R("New role {Role} created", _role_added),
    "CustomFieldValueChangedEvent": R(
        "Changed custom field {Name} on {Entity} in {dc} to {Value}", _custom_field, scope=("dc",)
    ),
    # tasks and scheduled tasks
    "TaskEvent": R("Task: Create virtual machine snapshot", _task),
    "ScheduledTaskStartedEvent": R("Running task {ScheduledTask} on {Entity} in datacenter {dc}"),
    "ScheduledTaskCompletedEvent": R(
        "Task {ScheduledTask} on {Entity} in datacenter {dc} completed successfully"
    ),
    "ScheduledTaskFailedEvent": R(
        "Task {ScheduledTask} on {Entity} in datacenter {dc} cannot be completed",
        _failed("Cannot complete the operation."),
    ),
    # networking, pools, datacenters
    "DvsReconfiguredEvent": R("The vSphere Distributed Switch {dvs} in {dc} was reconfigured."),
    "DVPortgroupCreatedEvent": R("dvPort group {net} in {dc} was added to switch {dvs}."),
    "DVPortgroupReconfiguredEvent": R("dvPort group {net} in {dc} was reconfigured."),
    "DVPortgroupRenamedEvent": R(
        "dvPort group {OldName} in {dc} was renamed to {NewName}", _renamed("net")
    ),
    "DvsPortLinkUpEvent": R(
        "The dvPort {PortKey} link was up in the vSphere Distributed Switch {dvs} in {dc}"
    ),
    "DvsPortLinkDownEvent": R(
        "The dvPort {PortKey} link was down in the vSphere Distributed Switch {dvs} in {dc}"
    ),
    "ResourcePoolCreatedEvent": R(
        "Created resource pool rp-apps in compute-resource {cluster} in {dc}"
    ),
    "DatacenterCreatedEvent": R("Created datacenter {dc} in folder Datacenters"),
    "GeneralUserEvent": R("User logged event: {Message}", _set(Message="Maintenance started")),
}
