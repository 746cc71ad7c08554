"""Write the sample notebooks in notebooks/ (clean: no outputs, stable cell ids).

Run: .venv/bin/python tools/make_notebooks.py  (re-running gives identical files)
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1] / "notebooks"


def code(source: str, *tags: str):
    cell = new_code_cell(source.strip("\n"))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def md(source: str):
    return new_markdown_cell(source.strip("\n"))


INVOKE_MD = """
## Invoke the exported app, from here

`%knotebook invoke` renders `handler.py` from the function cells *as they ran in this kernel*
(edit a function cell, re-run it, invoke again: no save, no export), loads it, and posts the
event to `handler:app`, the app gunicorn serves, as the Broker would (binary mode;
`--mode structured`, `--envelope router`, `--set Vm.Name=db-7` vary it). You see the HTTP
status, the reply, the latency and the log lines. The function cells never need the extension.
"""


DATA_MD = """
## What `event.get_data()` returns: JSON, text (XML) or bytes

The runtime decodes the data by its content type (the `Content-Type` header in binary mode,
`datacontenttype` in structured mode), as the CloudEvents HTTP binding says:

| the data | `event.get_data()` |
| --- | --- |
| JSON: `application/json`, `text/json`, `*/*+json`; no `datacontenttype` (structured) | the parsed value: `dict`, `list`, `str`, number, `bool`, `None` |
| text: `text/*`, `application/xml`, `*/*+xml` | `str`, decoded with the Content-Type's charset (UTF-8 if none) |
| anything else, and `data_base64` always | `bytes` (a structured event's `data` string stays `str`) |
| no body, no `data` | `None` |

vCenter events arrive as JSON only because of the VSphereSource's `spec.payloadEncoding`. VEBA's
install sets it to `application/json` (the samples here); a Tanzu Sources (sources-for-knative)
`VSphereSource` you create yourself defaults to `application/xml`, and `handler` then gets the
XML as a `str`: `data.get(...)` raises, a `500` that Knative retries. Check yours:

```bash
kubectl get vspheresources -A -o custom-columns=NAME:.metadata.name,ENC:.spec.payloadEncoding
```

If it shows `application/xml`, set `payloadEncoding: application/json` on the source. If you
cannot, test the type in `handler` first: `bytes` → `json.loads(data)` (it takes bytes) or
`data.decode()`; a `str` of XML → `xml.etree.ElementTree.fromstring(data)` (camelCase elements:
`.findtext("vm/name")`), or `raise Reject("expected JSON")` (`from knotebook.runtime import
Reject`: a `400` that Knative does not retry).
"""  # noqa: E501

SEE_EXPLORE = """
`notebooks/explore_events.ipynb` ends with these cases run through the runtime's own parser.
"""


def vm_created():
    return [
        md("""
# VM created: who created which VM, where

The classic VEBA function. It reacts to `VmCreatedEvent`, logs who created which VM on which
host and datacenter, and reads a setting, `ENV1`, from its environment.

How this notebook is organised (the knotebook conventions):

* the **settings** cell (first line `# knotebook: settings`) names the function, the vCenter
  events it subscribes to and how it is deployed; knotebook reads it without running it;
* the **parameters** cell (tagged `parameters`) picks the sample event the notebook runs against;
  `knotebook validate` replaces it with each subscribed event;
* **function** cells (first line `# knotebook: function`) become `handler.py`; together they
  define `handler(event)`, which returns nothing (→ 204) or a reply CloudEvent;
* every other cell is exploration and is never exported.
"""),
        code("""
# knotebook: settings
FUNCTION_NAME = "vm-created"
EVENT_TYPES = ["VmCreatedEvent"]
ENVELOPE = "tanzu"  # "tanzu": VEBA 0.8+ (com.vmware.vsphere.<Id>.v0); "router": VEBA <= 0.7
MIN_SCALE = 1
MAX_SCALE = 1
ENV_VARS = ["ENV1"]
"""),
        code(
            """
EVENT = "VmCreatedEvent"  # the sample event this notebook runs against
""",
            "parameters",
        ),
        md("""
## A realistic event

`knotebook.events` makes the CloudEvent exactly as the Broker delivers it: the vCenter event in
govmomi's JSON shape (PascalCase keys, MoRefs, explicit nulls) inside the VEBA envelope.
"""),
        code("""
import logging

from knotebook import events

logging.basicConfig(
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s %(threadName)s : %(message)s",
    force=True,
)
event = events.sample(EVENT, envelope=ENVELOPE)
event.get_attributes()
"""),
        code("""
data = event.get_data()
{key: data[key] for key in ("UserName", "Vm", "Host", "Datacenter", "FullFormattedMessage")}
"""),
        md("""
## The function

Entities can be `null` in vSphere events, so the handler never indexes them blindly.
"""),
        code("""
# knotebook: function
import logging
import os

log = logging.getLogger("vm-created")


def name_of(entity):
    \"\"\"The Name of a vSphere entity argument, which may be null.\"\"\"
    return (entity or {}).get("Name") or "unknown"


def handler(event):
    \"\"\"Log who created which VM, where.\"\"\"
    data = event.get_data() or {}
    log.info(
        "%s created VM %s on host %s in datacenter %s (ENV1=%s)",
        data.get("UserName") or "unknown user",
        name_of(data.get("Vm")),
        name_of(data.get("Host")),
        name_of(data.get("Datacenter")),
        os.environ.get("ENV1") or "not set",
    )
"""),
        md("""
## Run it against the event

A function that returns `None` is answered with `204 No Content`.
"""),
        code("""
reply = handler(event)
assert reply is None
"""),
        md(DATA_MD + SEE_EXPLORE),
        md("""
## Ship it

```bash
knotebook validate notebooks/vm_created.ipynb   # papermill runs this notebook
knotebook export notebooks/vm_created.ipynb     # export/vm-created/: handler.py, Procfile, k8s/, ...
knotebook try export/vm-created                 # gunicorn + the test event, binary and structured
```
"""),  # noqa: E501
        md(INVOKE_MD),
        code("""
%load_ext knotebook
%knotebook invoke VmCreatedEvent
"""),
    ]


def explore_events():
    return [
        md("""
# Explore vSphere events

What reaches a VEBA function, before writing one: the catalog of vCenter event ids, a sample
in both envelopes, how the shapes of related events differ, and events made up for any id.
It ends with the function that comparison suggests.
"""),
        code("""
%load_ext knotebook
from knotebook import events
"""),
        md("""
## The catalog

Every event id vCenter 6.7U3 to 8.0U3 can emit: standard events (`VmCreatedEvent`), `EventEx`
and `ExtendedEvent` ids (`com.vmware.sso.LoginFailure`). Search by id or description, filter
by kind and by vSphere version.
"""),
        code("""
print(len(events.catalog()), "event ids")
[(e.id, e.kind, e.first_seen) for e in events.catalog(search="snapshot", kind="standard")]
"""),
        md("""
## One event, two envelopes

VEBA 0.8+ (`tanzu`) types each event `com.vmware.vsphere.<Id>.v0`; VEBA 0.7 and older
(`router`) use one type per event class and put the id in `subject`. The payload is the same.
With the extension loaded, an event displays as a table (the raw JSON is under the table).
"""),
        code("""
tanzu = events.sample("VmCreatedEvent")
router = events.sample("VmCreatedEvent", envelope="router")
{name: (tanzu.get_attributes().get(name), router.get_attributes().get(name))
 for name in ("type", "subject", "id", "eventclass", "vsphereapiversion")}
"""),
        code("""
tanzu
"""),
        md("""
## Compare shapes: which events mean "a new VM"?

`VmCreatedEvent` is not the only one: clones and deployments from templates raise their own
events, with one extra field each saying where the VM came from.
"""),
        code("""
created = events.sample("VmCreatedEvent").get_data()
NEW_VM = ["VmClonedEvent", "VmDeployedEvent", "VmRegisteredEvent"]
{event_id: sorted(set(events.sample(event_id).get_data()) - set(created)) for event_id in NEW_VM}
"""),
        code("""
cloned = events.sample("VmClonedEvent").get_data()
cloned["SourceVm"], events.sample("VmDeployedEvent").get_data()["SrcTemplate"]
"""),
        md("""
## Synthesize any event

Ids without a captured sample are synthesized from the govmomi types, every field present
(nulls included). Knobs name the inventory: `vm_name`, `host`, `datacenter`, `user`, ...
"""),
        code("""
events.sample("VmMacChangedEvent", vm_name="db-01", host="esxi-07.example.local")
"""),
        md("""
## The function this suggests

One function for every way a VM appears: one Trigger per event type, and a handler that reads
the extra field when there is one. `knotebook validate` runs this notebook once per type.
"""),
        code("""
# knotebook: settings
FUNCTION_NAME = "vm-provisioned"
EVENT_TYPES = ["VmCreatedEvent", "VmClonedEvent", "VmDeployedEvent"]
ENVELOPE = "tanzu"
"""),
        code(
            """
EVENT = "VmClonedEvent"  # the sample event this notebook runs against
""",
            "parameters",
        ),
        code("""
# knotebook: function
import logging

log = logging.getLogger("vm-provisioned")


def origin(data):
    for field, what in (("SourceVm", "clone of"), ("SrcTemplate", "from template")):
        if data.get(field):
            return f"{what} {data[field].get('Name')}"
    return "new"


def handler(event):
    data = event.get_data() or {}
    vm = (data.get("Vm") or {}).get("Name") or "unknown"
    log.info("VM %s appeared (%s), by %s", vm, origin(data), data.get("UserName") or "vCenter")
"""),
        code("""
%knotebook invoke
"""),
        md(DATA_MD),
        md("""
The same cases through the runtime's own parser, `parse_message` (what `handler` gets in the
bundle): the `VmCreatedEvent` sample as VEBA sends it and relabelled as opaque bytes, and the
kit's `xml-body` negative sample, a `VmPoweredOffEvent` as a VSphereSource left at
`application/xml` sends it (its element shape is inferred from Go's encoding/xml, not captured).
"""),
        code("""
import json
import xml.etree.ElementTree as ET

from knotebook.runtime.binding import parse_message

headers, body = events.to_binary(events.sample("VmCreatedEvent"))
opaque = {**headers, "Content-Type": "application/octet-stream"}
xml_body = events.negative_sample("xml-body")
delivered = {
    "application/json": parse_message(headers, body),
    "application/octet-stream": parse_message(opaque, body),
    "application/xml": parse_message(xml_body.headers, xml_body.body),
}
{content_type: type(sent.get_data()).__name__ for content_type, sent in delivered.items()}
"""),
        code("""
as_bytes = delivered["application/octet-stream"].get_data()
as_xml = delivered["application/xml"].get_data()
json.loads(as_bytes)["Vm"]["Name"], ET.fromstring(as_xml).findtext("vm/name")
"""),
    ]


def alarm_notify():
    return [
        md("""
# Alarm → webhook

When a vCenter alarm turns yellow or red (`AlarmStatusChangedEvent`), post a message to a
webhook (Slack-compatible JSON). The webhook URL and its token are secrets: they are declared
in `ENV_VARS`, their values go in `notebooks/alarm_notify.env` (git-ignored), and the export
turns them into a Kubernetes Secret.

The HTTP call lives in one small function, `post_json`, so the notebook can swap it for a
recorder: running or validating this notebook never touches the network.
"""),
        code("""
# knotebook: settings
FUNCTION_NAME = "alarm-notify"
EVENT_TYPES = ["AlarmStatusChangedEvent"]
ENVELOPE = "tanzu"
ENV_VARS = ["WEBHOOK_URL", "WEBHOOK_TOKEN"]
"""),
        code(
            """
EVENT = "AlarmStatusChangedEvent"
""",
            "parameters",
        ),
        md("""
## The event

`From` and `To` are lower-case (`gray`, `green`, `yellow`, `red`); the alarm and the entity
it fired on are name + MoRef pairs. A second sample fires on a host.
"""),
        code("""
%load_ext knotebook
from knotebook import events

event = events.sample(EVENT, envelope=ENVELOPE)
event
"""),
        code("""
host_alarm = events.sample("AlarmStatusChangedEvent", variant="host").get_data()
host_alarm["Alarm"]["Name"], host_alarm["Entity"]["Name"], host_alarm["From"], host_alarm["To"]
"""),
        md("""
## The function

Two function cells: the HTTP call, then the handler. Without `WEBHOOK_URL` the handler logs
what it would post and returns; an HTTP error raises, so Knative retries the event.
"""),
        code("""
# knotebook: function
import json
import urllib.request


def post_json(url, token, payload):
    # The only network call: POST payload as JSON, return the HTTP status.
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status
"""),
        code("""
# knotebook: function
import logging
import os

log = logging.getLogger("alarm-notify")
ICONS = {"yellow": ":warning:", "red": ":red_circle:"}


def message(data):
    alarm = (data.get("Alarm") or {}).get("Name") or "an alarm"
    entity = (data.get("Entity") or {}).get("Name") or "an object"
    old, new = data.get("From") or "?", data.get("To") or "?"
    return f"{ICONS.get(new, '')} {alarm} on {entity}: {old} -> {new}".strip()


def handler(event):
    data = event.get_data() or {}
    if data.get("To") not in ICONS:
        log.info("alarm %s is now %s: nothing to say", event.get_id(), data.get("To"))
        return
    payload = {"text": message(data)}
    url = os.environ.get("WEBHOOK_URL")
    if not url:
        log.warning("WEBHOOK_URL is not set; would post %s", json.dumps(payload))
        return
    status = post_json(url, os.environ.get("WEBHOOK_TOKEN", ""), payload)
    log.info("posted %r to the webhook: HTTP %s", payload["text"], status)
"""),
        md("""
## Run it with the HTTP call swapped for a recorder

This exploration cell replaces `post_json` in this kernel only, and sets the two variables for
the duration of the call. The exported `handler.py` keeps the real `post_json`.
"""),
        code("""
from unittest import mock

calls = []


def post_json(url, token, payload):  # recorder: nothing leaves this machine
    calls.append({"url": url, "token": token, "payload": payload})
    return 200


secrets = {"WEBHOOK_URL": "https://hooks.example.com/services/T0/B0", "WEBHOOK_TOKEN": "t0ken"}
with mock.patch.dict(os.environ, secrets):
    handler(event)
assert calls and calls[0]["payload"]["text"].endswith("gray -> yellow"), calls
calls
"""),
        md("""
`%knotebook invoke AlarmStatusChangedEvent` would run the exported app with the values of
`alarm_notify.env`, and so post for real when `WEBHOOK_URL` is set there.
"""),
    ]


def vm_reconfigured():
    return [
        md("""
# VM reconfigured: what changed?

`VmReconfiguredEvent` carries the whole `ConfigSpec` the client sent (about 60 keys, nearly
all null or zero) and `ConfigChanges`, vCenter's own text diff. This function turns them into
a short summary and replies with a CloudEvent of its own type, which the Broker publishes for
other functions to consume.
"""),
        code("""
# knotebook: settings
FUNCTION_NAME = "vm-reconfigured"
EVENT_TYPES = ["VmReconfiguredEvent"]
ENVELOPE = "tanzu"
"""),
        code(
            """
EVENT = "VmReconfiguredEvent"
""",
            "parameters",
        ),
        code("""
%load_ext knotebook
from knotebook import events

event = events.sample(EVENT, envelope=ENVELOPE)
spec = event.get_data()["ConfigSpec"]
print(len(spec), "ConfigSpec keys; set:", [k for k, v in spec.items() if v not in (None, 0, "")])
event.get_data()["ConfigChanges"]
"""),
        md("""
A second sample moves a NIC to another port group: `DeviceChange` holds the edited device
and `ConfigChanges.Modified` one `path: old -> new;` line per change.
"""),
        code("""
portgroup = events.sample("VmReconfiguredEvent", variant="portgroup", envelope=ENVELOPE)
changes = portgroup.get_data()["ConfigSpec"]["DeviceChange"]
[(c["Operation"], c["Device"]["DeviceInfo"]["Label"]) for c in changes]
"""),
        code("""
# knotebook: function
import re

from cloudevents.core.v1.event import CloudEvent

REPLY_TYPE = "com.example.vsphere.vm.reconfigured.summary"
CHANGE = re.compile(r"^(?P<path>[^:]+):\\s*(?P<old>.*?)\\s*->\\s*(?P<new>.*?);?$")


def changes(config_changes):
    # vCenter's text diff: 'path: old -> new; ' lines under Modified, Added, Deleted.
    found = []
    for kind in ("Modified", "Added", "Deleted"):
        for line in ((config_changes or {}).get(kind) or "").splitlines():
            line = line.strip().rstrip(";").strip()
            if not line:
                continue
            match = CHANGE.match(line)
            item = match.groupdict() if match else {"path": line}
            found.append({"kind": kind.lower(), **item})
    return found


def devices(spec):
    found = []
    for change in (spec or {}).get("DeviceChange") or []:
        info = (change.get("Device") or {}).get("DeviceInfo") or {}
        found.append({"operation": change.get("Operation"), "device": info.get("Label")})
    return found


def handler(event):
    data = event.get_data() or {}
    vm = (data.get("Vm") or {}).get("Name") or "unknown"
    summary = {
        "vm": vm,
        "user": data.get("UserName"),
        "changes": changes(data.get("ConfigChanges")),
        "devices": devices(data.get("ConfigSpec")),
    }
    attributes = {
        "type": REPLY_TYPE,
        "source": "/functions/vm-reconfigured",
        "id": f"{event.get_id()}-summary",
        "subject": vm,
    }
    return CloudEvent(attributes, summary)
"""),
        md("""
## The reply

The handler returns a CloudEvent: the app answers `200` with it in binary mode, and the Broker
publishes it. A Trigger on `com.example.vsphere.vm.reconfigured.summary` would receive it.
"""),
        code("""
reply = handler(portgroup)
assert reply.get_type() == REPLY_TYPE and reply.get_data()["devices"][0]["operation"] == "edit"
reply.get_data()
"""),
        code("""
%knotebook invoke portgroup
"""),
    ]


def login_audit():
    return [
        md("""
# Login audit: failed SSO logins and vCenter sessions

Two very different shapes, one audit line each:

* `com.vmware.sso.LoginFailure` is an **EventEx**: its details are in `Arguments`, a list of
  `Key`/`Value` pairs; its CloudEvent type has the doubled prefix
  `com.vmware.vsphere.com.vmware.sso.LoginFailure.v0`;
* `UserLoginSessionEvent` is a standard event with `IpAddress`, `UserAgent`, `SessionId`.
"""),
        code("""
# knotebook: settings
FUNCTION_NAME = "login-audit"
EVENT_TYPES = ["com.vmware.sso.LoginFailure", "UserLoginSessionEvent"]
ENVELOPE = "tanzu"
"""),
        code(
            """
EVENT = "com.vmware.sso.LoginFailure"
""",
            "parameters",
        ),
        code("""
%load_ext knotebook
from knotebook import events

failure = events.sample("com.vmware.sso.LoginFailure")
session = events.sample("UserLoginSessionEvent")
print(failure.get_type(), session.get_type(), sep="\\n")
failure.get_data()["Arguments"]
"""),
        code("""
{key: session.get_data()[key] for key in ("UserName", "IpAddress", "UserAgent", "SessionId")}
"""),
        code("""
# knotebook: function
import json
import logging

log = logging.getLogger("login-audit")


def arguments(data):
    # EventEx details: [{"Key": "userIp", "Value": "10.0.1.37"}, ...] -> {"userIp": ...}
    pairs = data.get("Arguments") or []
    return {a.get("Key"): a.get("Value") for a in pairs if isinstance(a, dict)}


def audit_record(data):
    if data.get("EventTypeId") == "com.vmware.sso.LoginFailure":
        args = arguments(data)
        return {
            "outcome": "failure",
            "user": args.get("userName") or data.get("UserName"),
            "ip": args.get("userIp"),
            "via": "sso",
            "at": data.get("CreatedTime"),
        }
    return {
        "outcome": "success",
        "user": data.get("UserName"),
        "ip": data.get("IpAddress"),
        "via": data.get("UserAgent"),
        "at": data.get("CreatedTime"),
    }


def handler(event):
    record = audit_record(event.get_data() or {})
    level = logging.WARNING if record["outcome"] == "failure" else logging.INFO
    log.log(level, "login %s", json.dumps(record, sort_keys=True))
"""),
        code("""
for sample in (failure, session, events.sample(EVENT, envelope=ENVELOPE)):
    handler(sample)
assert audit_record(failure.get_data())["ip"] == "10.0.1.37"
"""),
        md("""
The same function behind a VEBA 0.7 broker: the router envelope types every EventEx
`com.vmware.event.router/eventex` and puts the id in `subject` (set `ENVELOPE = "router"`
and the Triggers filter on both).
"""),
        code("""
%knotebook invoke com.vmware.sso.LoginFailure --envelope router
"""),
    ]


def vm_attr():
    return [
        md("""
# VM attributes: a function that acts back on vCenter

In the spirit of VEBA's `kn-py-vm-attr`: when a VM is created or cloned, the function sets two
custom attributes on it through pyVmomi, who created it (`vm-owner`) and when
(`vm-creation-date`). It logs in with `VCENTER_URL`, `VCENTER_USER`, `VCENTER_PASSWORD` and
`VCENTER_INSECURE`, from its secret once deployed.

Nothing here needs a real vCenter. `VCENTER = "simulator"` makes `knotebook validate` start
govmomi's vCenter simulator for this notebook and pass its login in those same variables; run
interactively, the notebook starts a simulator of its own. The notebook then creates a VM in
the simulator, takes the event the simulator *posted* (converted to exactly what VEBA
delivers), runs the handler on it and reads the attributes back.
"""),
        code("""
# knotebook: settings
FUNCTION_NAME = "vm-attr"
EVENT_TYPES = ["VmCreatedEvent", "VmClonedEvent"]
ENVELOPE = "tanzu"  # "tanzu": VEBA 0.8+ (com.vmware.vsphere.<Id>.v0); "router": VEBA <= 0.7
ENV_VARS = ["VCENTER_URL", "VCENTER_USER", "VCENTER_PASSWORD", "VCENTER_INSECURE"]
VCENTER = "simulator"  # knotebook validate starts a vCenter simulator for this notebook
"""),
        code(
            """
EVENT = "VmCreatedEvent"  # the kind of event this notebook provokes and handles
""",
            "parameters",
        ),
        md("""
## A vCenter to act on

Under `knotebook validate` the simulator's login is already in the environment; otherwise
this starts one (it stops at the end of the notebook, or with the kernel).
"""),
        code("""
import logging
import os

from knotebook import events, vcenter
from knotebook.vcenter import inventory

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", force=True)
own_simulator = None
if not os.environ.get("VCENTER_URL"):
    own_simulator = vcenter.start()
    os.environ.update(own_simulator.env())
si = vcenter.connect(vcenter.credentials())
si.content.about.fullName, os.environ["VCENTER_URL"]
"""),
        md("""
## Provoke the event, capture it

Create a VM (and clone it, for `VmClonedEvent`), then take what the simulator posted since:
`vcenter.captured` converts pyVmomi's events to VEBA's payload (govmomi JSON: PascalCase,
MoRefs as `{"Type", "Value"}`, explicit nulls) inside the envelope, as `knotebook source` and
`knotebook events record` do.
"""),
        code("""
mark = vcenter.watermark(si)
vm = inventory.create_vm(si, f"demo-{mark}")
if EVENT == "VmClonedEvent":
    vm = inventory.clone_vm(si, vm, f"demo-{mark}-clone")
wanted = events.trigger_attributes(EVENT, ENVELOPE)
captured = [
    e for e in vcenter.captured(si, mark, envelope=ENVELOPE)
    if all(e.get_attributes().get(k) == v for k, v in wanted.items())
]
event = captured[-1]
data = event.get_data()
assert data["Vm"]["Vm"]["Value"] == vm._moId
assert list(data) == list(events.event_data(EVENT)), "not VEBA's shape for this event"
{key: data[key] for key in ("Key", "UserName", "CreatedTime", "Vm", "FullFormattedMessage")}
"""),
        md("""
## The function

It looks the VM up by the MoRef in the event, defines the attributes on first use and sets
them. A VM that is already gone (or an event without one) is logged and acknowledged: a retry
would not help.
"""),
        code("""
# knotebook: function
import logging
import os
from urllib.parse import urlsplit

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

log = logging.getLogger("vm-attr")
OWNER, CREATED = "vm-owner", "vm-creation-date"


def connect():
    \"\"\"A vCenter session from the VCENTER_URL, _USER, _PASSWORD and _INSECURE variables.\"\"\"
    url = urlsplit(os.environ["VCENTER_URL"])
    return SmartConnect(
        host=url.hostname,
        port=url.port or 443,
        path=url.path or "/sdk",
        user=os.environ["VCENTER_USER"],
        pwd=os.environ["VCENTER_PASSWORD"],
        disableSslCertValidation=os.environ.get("VCENTER_INSECURE", "").lower() in ("1", "true"),
    )


def field_key(manager, name):
    \"\"\"The key of a VM custom attribute, defined on first use.\"\"\"
    for field in manager.field or []:
        if field.name == name:
            return field.key
    return manager.AddCustomFieldDef(name=name, moType=vim.VirtualMachine).key


def handler(event):
    \"\"\"Set vm-owner and vm-creation-date on the VM the event names.\"\"\"
    data = event.get_data() or {}
    moref = ((data.get("Vm") or {}).get("Vm") or {}).get("Value")
    if not moref:
        log.warning("event %s names no VM", event.get_id())
        return None
    si = connect()
    try:
        vm = vim.VirtualMachine(moref, si._stub)
        try:
            name = vm.name
        except vmodl.fault.ManagedObjectNotFound:
            log.warning("VM %s is gone; nothing to set", moref)
            return None
        manager = si.content.customFieldsManager
        owner = data.get("UserName") or "unknown"
        manager.SetField(entity=vm, key=field_key(manager, OWNER), value=owner)
        manager.SetField(entity=vm, key=field_key(manager, CREATED), value=data["CreatedTime"])
        log.info("%s (%s): %s=%s, %s=%s", name, moref, OWNER, owner, CREATED, data["CreatedTime"])
    finally:
        Disconnect(si)
    return None
"""),
        md("""
## Run it on the captured event, read the attributes back
"""),
        code("""
assert handler(event) is None
values = inventory.custom_values(si, vm)
assert values["vm-owner"] == data["UserName"], values
assert values["vm-creation-date"] == data["CreatedTime"], values
values
"""),
        code("""
vcenter.client.disconnect(si)
if own_simulator is not None:
    own_simulator.stop()
"""),
        md("""
## The whole pipeline on one machine

```bash
knotebook vcsim --env-file notebooks/vm_attr.env   # terminal 1: the simulator
knotebook export notebooks/vm_attr.ipynb           # function.env now holds its login
knotebook broker export/vm-attr                    # terminal 2
knotebook source --credentials notebooks/vm_attr.env   # terminal 3: VSphereSource
```
Create a VM in the simulator (pyVmomi, govc): the function sets its attributes.
"""),
    ]


NOTEBOOKS = {
    "explore_events.ipynb": explore_events,
    "vm_created.ipynb": vm_created,
    "alarm_notify.ipynb": alarm_notify,
    "vm_reconfigured.ipynb": vm_reconfigured,
    "login_audit.ipynb": login_audit,
    "vm_attr.ipynb": vm_attr,
}


def build(cells) -> str:
    nb = new_notebook(cells=cells)
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for number, cell in enumerate(nb.cells, start=1):
        cell.id = f"cell-{number:02d}"
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def main() -> int:
    for name, make in NOTEBOOKS.items():
        (ROOT / name).write_text(build(make()), encoding="utf-8")
        print(f"wrote notebooks/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
