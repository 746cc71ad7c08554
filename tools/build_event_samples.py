"""Build ``samples/*.json`` and ``negative.json`` (dev tool, called by ``build_event_data.py``).

Real captures come from ``shared/reference/veba-samples`` (VEBA repo test payloads, see its
MANIFEST.tsv); each keeps its provenance and the list of edits made to it. The rest of the
veba.md §6 set is synthesized by ``knotebook.events.synth`` and then hand-tuned below.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from knotebook.events import envelopes, govmomi, synth
from knotebook.events.classes import task_info
from knotebook.events.knobs import set_path
from knotebook.events.world import World

VEBA = "vmware-samples/vcenter-event-broker-appliance"

# (reference file, event id, variant, description, edits {path: value}, notes)
CAPTURES: list[tuple[str, str, str, str, dict[str, Any], list[str]]] = [
    (
        "data-only/VmPoweredOffEvent.json",
        "VmPoweredOffEvent",
        "default",
        "A VM powered off by a user (VEBA kn-ps-echo test payload).",
        {},
        [],
    ),
    (
        "data-only/DrsVmPoweredOnEvent.json",
        "DrsVmPoweredOnEvent",
        "default",
        "DRS powered on a VM in a cluster (VEBA kn-pcli-tag test payload).",
        {"Vm.Name": "K8s-User-Group-Test"},
        ["Vm.Name was the placeholder REPLACE-ME: set to the name in FullFormattedMessage"],
    ),
    (
        "data-only/VmRemovedEvent.json",
        "VmRemovedEvent",
        "default",
        "A VM deleted from inventory (VEBA kn-ps-email test payload).",
        {},
        [],
    ),
    (
        "data-only/VmMigratedEvent.json",
        "VmMigratedEvent",
        "default",
        "vMotion to another host, same vSAN datastore (VEBA kn-pcli-telegram test payload).",
        {},
        [],
    ),
    (
        "router-structured/VmReconfiguredEvent.json",
        "VmReconfiguredEvent",
        "default",
        "Memory hot-add turned off; full 2020 ConfigSpec with nulls (VEBA pagerduty valid-event).",
        {},
        ["taken from the data member of a router-era structured CloudEvent"],
    ),
    (
        "data-only/VmReconfiguredEvent-portgroup.json",
        "VmReconfiguredEvent",
        "portgroup",
        "A NIC moved to another distributed port group: DeviceChange edit (VEBA kn-pcli-pg-check).",
        {"Vm.Name": "tinycore-2", "Vm.Vm.Value": "vm-2073"},
        ["Vm.Name and Vm.Vm.Value were REPLACE-ME: name from FullFormattedMessage, id invented"],
    ),
    (
        "data-only/DVPortgroupReconfiguredEvent.json",
        "DVPortgroupReconfiguredEvent",
        "default",
        "Teaming policy change on a distributed port group (VEBA kn-pcli-vds-pg-config).",
        {"Net.Name": "DPortGroup", "Dvs.Name": "HomeLab-VDS"},
        ["Net.Name was REPLACE-ME: set from FullFormattedMessage", "Dvs.Name was REPLACE-ME"],
    ),
    (
        "data-only/DvsReconfiguredEvent-INVALID-JSON.json",
        "DvsReconfiguredEvent",
        "default",
        "MTU change on a distributed switch (VEBA kn-pcli-template, repaired).",
        {"Dvs.Name": "dvsTest", "ConfigSpec.MaxMtu": 1500},
        [
            "the capture is invalid JSON (MaxMtu: REPLACE-ME): MaxMtu set to 1500 per the message",
            "Dvs.Name was REPLACE-ME: set from FullFormattedMessage",
        ],
    ),
    (
        "data-only/EnteredMaintenanceModeEvent.json",
        "EnteredMaintenanceModeEvent",
        "default",
        "A host entered maintenance mode (VEBA kn-pcli-hostmaint-alarms).",
        {"Host.Host.Value": "host-58"},
        ["Host.Host.Value was REPLACE-ME: id invented"],
    ),
    (
        "data-only/ExitMaintenanceModeEvent.json",
        "ExitMaintenanceModeEvent",
        "default",
        "A host exited maintenance mode (VEBA kn-pcli-hostmaint-alarms).",
        {"Host.Host.Value": "host-58"},
        ["Host.Host.Value was REPLACE-ME: id invented"],
    ),
    (
        "data-only/AlarmStatusChangedEvent-datastore.json",
        "AlarmStatusChangedEvent",
        "default",
        "Datastore usage alarm Gray -> Yellow (VEBA kn-pcli-datastore-usage-email).",
        {
            "FullFormattedMessage": "Alarm 'Datastore usage on disk' on ProdDatastore1 "
            "changed from Gray to Yellow"
        },
        ["message typo ProdDatstore1 fixed to the datastore name"],
    ),
    (
        "data-only/AlarmStatusChangedEvent-alarminfo.json",
        "AlarmStatusChangedEvent",
        "alarminfo",
        "As enriched by embano1/vsphere-alarm-server (AlarmInfo is NOT sent by VEBA itself).",
        {},
        ["AlarmInfo added by a Knative Sequence step, kept only in this variant"],
    ),
    (
        "data-only/TaskEvent-snapshot.json",
        "TaskEvent",
        "default",
        "CreateSnapshot_Task queued (VEBA kn-ps-twillio-sms test payload).",
        {},
        [],
    ),
    (
        "data-only/TaskEvent-unregister.json",
        "TaskEvent",
        "unregister",
        "Folder.unregisterAndDestroy queued (VEBA kn-ps-vsphere-inv-slack).",
        {},
        [],
    ),
    (
        "data-only/TaskEvent-delete-rp.json",
        "TaskEvent",
        "delete-rp",
        "ResourcePool.destroy queued (VEBA kn-ps-vsphere-inv-slack).",
        {},
        [],
    ),
    (
        "data-only/EventEx-cis-tagging-attach.json",
        "com.vmware.cis.tagging.attach",
        "default",
        "A vSphere tag attached to a VM (VEBA kn-pcli-nsx-tag-sync).",
        {},
        ["keys put back in govmomi order (PowerShell had reordered them)"],
    ),
    (
        "data-only/EventEx-sso-LoginFailure.json",
        "com.vmware.sso.LoginFailure",
        "default",
        "A failed SSO login (VEBA kn-ps-zapier test payload).",
        {"Arguments.2.Value": "10.0.1.37"},
        [
            "userIp 10.0.1.337 (not an IP address) changed to 10.0.1.37 in userIp; "
            "the message and description keep the original text"
        ],
    ),
    (
        "data-only/EventEx-HA-ClusterFailoverActionCompleted.json",
        "com.vmware.vc.HA.ClusterFailoverActionCompletedEvent",
        "default",
        "vSphere HA finished restarting VMs; catalog says ExtendedEvent, VEBA delivers EventEx.",
        {},
        [],
    ),
    (
        "data-only/EventEx-applmgmt-backup-failed.json",
        "com.vmware.applmgmt.backup.job.failed.event",
        "default",
        "VCSA file-based backup failed; every entity argument is null (VEBA kn-ps-google-chat).",
        {},
        ["keys put back in govmomi order (PowerShell had reordered them)"],
    ),
]


def _manifest(reference: Path) -> dict[str, tuple[str, str]]:
    with open(reference / "veba-samples" / "MANIFEST.tsv", encoding="utf-8") as fh:
        return {r["file"]: (r["commit"], r["path"]) for r in csv.DictReader(fh, delimiter="\t")}


def _govmomi_order(data: dict[str, Any]) -> dict[str, Any]:
    """Reorder top-level keys as Go would write them for the payload's class."""
    cls = {"eventex": "EventEx", "extendedevent": "ExtendedEvent"}.get(
        envelopes.payload_class(data), ""
    )
    if not cls:
        return data
    order = govmomi.field_names(cls)
    return {k: data[k] for k in order if k in data} | {
        k: v for k, v in data.items() if k not in order
    }


def _load_capture(reference: Path, file: str) -> dict[str, Any]:
    text = (reference / "veba-samples" / file).read_text("utf-8")
    if "REPLACE-ME," in text:  # DvsReconfiguredEvent: "MaxMtu": REPLACE-ME, (invalid JSON)
        text = text.replace('"MaxMtu": REPLACE-ME,', '"MaxMtu": 0,')
    doc = json.loads(text)
    return doc["data"] if "specversion" in doc else doc


def _synth(
    event_id: str, tweak: Callable[[dict[str, Any], World], None] | None = None, **knobs: Any
) -> dict[str, Any]:
    data = synth.synthesize(event_id, **knobs)
    if tweak:
        tweak(data, World.make(event_id, **knobs))
    return data


def _task_success(data: dict[str, Any], w: World) -> None:
    folder = ("vm", {"Type": "Folder", "Value": w.ids["folder"]})
    data["Info"] = task_info(
        w, name="CreateVM_Task", description_id="Folder.createVm", entity=folder, state="success"
    )
    data["Info"]["Result"] = {"Type": "VirtualMachine", "Value": w.ids["vm"]}
    data["Info"]["Progress"] = 100
    data["FullFormattedMessage"] = "Task: Create virtual machine"


def _task_error(data: dict[str, Any], w: World) -> None:
    fault = {
        "Fault": {"FaultCause": None, "FaultMessage": None},
        "LocalizedMessage": "The available Memory resources in the parent resource pool are "
        "insufficient for the operation.",
    }
    data["Info"] = task_info(
        w,
        name="PowerOnVM_Task",
        description_id="VirtualMachine.powerOn",
        entity=w.object("vm"),
        state="error",
        error=fault,
    )
    data["FullFormattedMessage"] = "Task: Power On virtual machine"


def _tag_detach(data: dict[str, Any], w: World) -> None:
    data["Arguments"] = [
        {"Key": "Tag", "Value": "env-prod"},
        {"Key": "Object", "Value": w.vm_name},
        {"Key": "User", "Value": w.user},
    ]
    data.update(ObjectId="", ObjectType="", ObjectName="", UserName=w.user, Severity="info")
    data["FullFormattedMessage"] = f"User {w.user} detached tag env-prod from object {w.vm_name}"


def _login_success(data: dict[str, Any], w: World) -> None:
    user = "devops@vsphere.local"
    data["UserName"] = user
    data["Arguments"] = [
        {"Key": "userName", "Value": user},
        {"Key": "description", "Value": f"User {user}@10.0.1.44 logged in with response code 200"},
        {"Key": "userIp", "Value": "10.0.1.44"},
        {"Key": "timestamp", "Value": "01/17/2024 13:02:05 GMT"},
        {"Key": "_sourcehost_", "Value": "vcsa.example.local"},
    ]
    data.update(Severity="info", ObjectId="", ObjectType="", ObjectName="")
    data["FullFormattedMessage"] = (
        f"User {user}@10.0.1.44 logged in with response code 200 at 01/17/2024 13:02:05 GMT in SSO"
    )


def _bad_username(data: dict[str, Any], w: World) -> None:
    data["UserName"] = "admin"
    data["FullFormattedMessage"] = f"Cannot login admin@{data['IpAddress']}"


# (event id, variant, description, tweak, knobs)
SYNTHETIC: list[tuple[str, str, str, Any, dict[str, Any]]] = [
    ("VmPoweredOnEvent", "default", "A VM powered on by a user (not by DRS).", None, {}),
    ("VmCreatedEvent", "default", "A new VM created (New Virtual Machine wizard).", None, {}),
    ("VmBeingCreatedEvent", "default", "VM creation started; ConfigSpec of the new VM.", None, {}),
    ("VmClonedEvent", "default", "A VM cloned from another VM (SourceVm).", None, {}),
    ("VmRegisteredEvent", "default", "An existing .vmx registered into inventory.", None, {}),
    ("VmDeployedEvent", "default", "A VM deployed from a template (SrcTemplate).", None, {}),
    ("VmRenamedEvent", "default", "A VM renamed (OldName/NewName).", None, {}),
    ("VmStartingEvent", "default", "A VM is starting (first event of a power-on).", None, {}),
    ("VmStoppingEvent", "default", "A VM is stopping.", None, {}),
    ("VmSuspendedEvent", "default", "A VM suspended.", None, {}),
    (
        "VmGuestShutdownEvent",
        "default",
        "Guest OS shutdown requested through VMware Tools.",
        None,
        {},
    ),
    ("DrsVmMigratedEvent", "default", "DRS load-balancing vMotion.", None, {}),
    ("HostConnectionLostEvent", "default", "A host stopped responding (Vm is null).", None, {}),
    ("AlarmStatusChangedEvent", "host", "Host alarm Green -> Red raised on the cluster.", None, {}),
    ("DatastoreRenamedEvent", "default", "A datastore renamed (OldName/NewName).", None, {}),
    ("DatastoreFileDeletedEvent", "default", "A file deleted from a datastore.", None, {}),
    ("TaskEvent", "success", "Folder.createVm finished successfully.", _task_success, {}),
    (
        "TaskEvent",
        "error",
        "VirtualMachine.powerOn failed: Info.Error is a LocalizedMethodFault.",
        _task_error,
        {},
    ),
    (
        "com.vmware.cis.tagging.detach",
        "default",
        "A vSphere tag detached from a VM.",
        _tag_detach,
        {},
    ),
    ("com.vmware.sso.LoginSuccess", "default", "A successful SSO login.", _login_success, {}),
    (
        "com.vmware.vc.VmDiskConsolidationNeeded",
        "default",
        "A true ExtendedEvent: ManagedObject + Data[] (not EventEx).",
        None,
        {},
    ),
    ("UserLoginSessionEvent", "default", "A vSphere Client login (all entities null).", None, {}),
    ("UserLogoutSessionEvent", "default", "A session logged out.", None, {}),
    ("BadUsernameSessionEvent", "default", "A login with an unknown user name.", _bad_username, {}),
]


def _write(
    out: Path, event_id: str, variant: str, description: str, provenance: dict, data: dict[str, Any]
) -> Path:
    name = event_id if variant == "default" else f"{event_id}__{variant}"
    path = out / f"{name}.json"
    doc = {
        "event_id": event_id,
        "variant": variant,
        "description": description,
        "provenance": provenance,
        "data": data,
    }
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return path


def build_samples(reference: Path, out: Path) -> list[Path]:
    out.mkdir(exist_ok=True)
    for old in out.glob("*.json"):
        old.unlink()
    manifest = _manifest(reference)
    written = []
    for file, event_id, variant, description, edits, notes in CAPTURES:
        commit, path = manifest[file]
        data = _govmomi_order(_load_capture(reference, file))
        for field, value in edits.items():
            set_path(data, field, value, create=True)
        provenance = {
            "kind": "capture",
            "repo": VEBA,
            "commit": commit,
            "path": path,
            "changes": notes,
        }
        written.append(_write(out, event_id, variant, description, provenance, data))
    for event_id, variant, description, tweak, knobs in SYNTHETIC:
        data = _synth(event_id, tweak, **knobs)
        provenance = {
            "kind": "synthesized",
            "generator": "knotebook.events.synth",
            "shape": govmomi.schema()["source"],
        }
        written.append(_write(out, event_id, variant, description, provenance, data))
    return written


# --- negative / robustness requests ----------------------------------------------------------


def _camel(node: Any) -> Any:
    """govmomi >= v0.31 json tags: camelCase keys, omitempty (nulls, "", 0, false dropped)."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if value in (None, "", 0, False, [], {}) and value is not True:
                continue
            camel = key if key in ("Type", "Value") else key[:1].lower() + key[1:]
            out[camel] = _camel(value)
        return out
    if isinstance(node, list):
        return [_camel(v) for v in node]
    return node


def _xml(data: dict[str, Any]) -> str:
    """The XML body s4k sends when payloadEncoding is left at application/xml (inferred shape)."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', "<VmPoweredOffEvent>"]
    for key in ("Key", "ChainId", "CreatedTime", "UserName"):
        tag = key[:1].lower() + key[1:]
        parts.append(f"  <{tag}>{data[key]}</{tag}>".replace("\\\\", "\\"))
    for key, ref in (
        ("Datacenter", "Datacenter"),
        ("ComputeResource", "ComputeResource"),
        ("Host", "Host"),
        ("Vm", "Vm"),
    ):
        arg = data[key]
        tag, inner = key[:1].lower() + key[1:], ref[:1].lower() + ref[1:]
        parts.append(
            f"  <{tag}><name>{arg['Name']}</name>"
            f'<{inner} type="{arg[ref]["Type"]}">{arg[ref]["Value"]}</{inner}></{tag}>'
        )
    parts.append(f"  <fullFormattedMessage>{data['FullFormattedMessage']}</fullFormattedMessage>")
    parts.append("  <template>false</template>")
    parts.append("</VmPoweredOffEvent>")
    return "\n".join(parts) + "\n"


def _binary(event_id: str, data: dict[str, Any], envelope: str = "tanzu", **extra: str):
    headers, body = envelopes.to_binary(envelopes.wrap(data, event_id, envelope, seed="neg"))
    ct = headers.pop("Content-Type")
    headers.update(extra)
    headers["Content-Type"] = ct
    return headers, body.decode("utf-8")


def build_negative(reference: Path, path: Path) -> list[dict[str, Any]]:
    powered_off = _load_capture(reference, "data-only/VmPoweredOffEvent.json")
    backup = _govmomi_order(
        _load_capture(reference, "data-only/EventEx-applmgmt-backup-failed.json")
    )
    requests: list[dict[str, Any]] = []

    def add(name: str, expect: str, note: str, headers: dict[str, str], body: str) -> None:
        requests.append(
            {"name": name, "expect": expect, "note": note, "headers": headers, "body": body}
        )

    h, b = _binary("VmPoweredOffEvent", powered_off, "router")
    add(
        "router-copy",
        "accept",
        "The same event as VEBA 0.3-0.7 delivered it: type com.vmware.event.router/event, "
        "subject = class, UUID id, no eventclass. A Tanzu-only Trigger never matches it.",
        h,
        b,
    )
    h, _ = _binary("VmPoweredOffEvent", powered_off)
    h["Content-Type"] = "application/xml"
    add(
        "xml-body",
        "accept",
        "Tanzu Sources' default payloadEncoding: an XML body (camelCase elements, MoRefs as "
        "type attributes; shape inferred from encoding/xml). A valid CloudEvent: the function "
        "receives the XML as str (HTTP binding 3.1.1) and decides; a JSON-only handler raises "
        "Reject (400).",
        h,
        _xml(powered_off),
    )
    h, _ = _binary("VmPoweredOffEvent", powered_off)
    add(
        "camelcase-keys",
        "accept",
        "A source rebuilt on govmomi >= v0.31 (json tags): camelCase keys, nulls and zero "
        "values dropped. data['Vm']['Name'] raises KeyError.",
        h,
        json.dumps(_camel(powered_off), indent=2) + "\n",
    )
    h, b = _binary(
        "VmPoweredOffEvent",
        powered_off,
        **{"ce-knativearrivaltime": "2024-01-17T13:02:06.100000001Z"},
    )
    add(
        "duplicate-delivery-1",
        "accept",
        "First delivery. duplicate-delivery-2 repeats the same (source, id): dedupe on them.",
        h,
        b,
    )
    h2 = dict(h, **{"ce-knativearrivaltime": "2024-01-17T13:02:08.300000001Z"})
    add(
        "duplicate-delivery-2",
        "accept",
        "Redelivery (broker retry) of duplicate-delivery-1: same source and id.",
        h2,
        b,
    )
    h, b = _binary("com.vmware.applmgmt.backup.job.failed.event", backup)
    add(
        "all-null-entities",
        "accept",
        "A real EventEx whose Datacenter/ComputeResource/Host/Vm/Ds/Net/Dvs are all null: "
        "data['Vm']['Name'] raises TypeError.",
        h,
        b,
    )
    structured = envelopes.to_structured(
        envelopes.wrap(powered_off, "VmPoweredOffEvent", "tanzu")
    ).decode("utf-8")
    add(
        "structured-no-content-type",
        "reject",
        "A structured CloudEvent posted with no Content-Type and no ce-* headers. By the HTTP "
        "binding it is a binary-mode request missing every attribute: answer 400 and name "
        "application/cloudevents+json.",
        {},
        structured,
    )
    add(
        "structured-form-urlencoded",
        "reject",
        "What `curl -d@testevent.json` sends (the VEBA READMEs): a structured body labelled "
        "application/x-www-form-urlencoded.",
        {"Content-Type": "application/x-www-form-urlencoded"},
        structured,
    )
    text = (reference / "veba-samples/data-only/DvsReconfiguredEvent-INVALID-JSON.json").read_text()
    h, _ = _binary(
        "DvsReconfiguredEvent",
        _load_capture(reference, "data-only/DvsReconfiguredEvent-INVALID-JSON.json"),
    )
    add(
        "invalid-json",
        "reject",
        'VEBA kn-pcli-template test payload: "MaxMtu": REPLACE-ME is not JSON.',
        h,
        text,
    )
    missing = (reference / "veba-samples/router-structured/invalid-missing-source.json").read_text()
    add(
        "missing-source",
        "reject",
        "VEBA pagerduty invalid-event-1.json: structured event without source and specversion.",
        {"Content-Type": "application/cloudevents+json"},
        missing,
    )
    vro = (reference / "veba-samples/tanzu-structured/malformed-kn-py-vro.json").read_text()
    add(
        "specversion-0.3-mismatch",
        "accept",
        "VEBA kn-py-vro fixture: specversion 0.3, source /blah?stuff, type VmPoweredOffEvent "
        "but DrsVmPoweredOnEvent data. A valid CloudEvent 0.3: the function gets it; the "
        "mismatch is its to judge.",
        {"Content-Type": "application/cloudevents+json"},
        vro,
    )
    path.write_text(json.dumps(requests, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return requests
