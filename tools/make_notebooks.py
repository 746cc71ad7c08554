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
        md("""
## Ship it

```bash
knotebook validate notebooks/vm_created.ipynb   # papermill runs this notebook
knotebook export notebooks/vm_created.ipynb     # export/vm-created/: handler.py, k8s/, ...
knotebook try export/vm-created                 # gunicorn + the test event, binary and structured
```
"""),
    ]


NOTEBOOKS = {"vm_created.ipynb": vm_created}


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
