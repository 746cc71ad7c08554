"""Small pyVmomi helpers for notebooks and tests: find objects, wait for tasks, make VMs.

>>> vm = inventory.create_vm(si, "web-01")        # posts VmCreatedEvent (among others)
>>> inventory.custom_values(si, vm)                # {"vm-owner": "user", ...}
"""

from __future__ import annotations

import time
from typing import Any

from knotebook.errors import KnotebookError


def wait(task: Any, timeout: float = 60.0) -> Any:
    """The result of a vCenter task, once it succeeded (KnotebookError when it failed)."""
    deadline = time.monotonic() + timeout
    while task.info.state not in ("success", "error"):
        if time.monotonic() > deadline:
            raise KnotebookError(f"task {task.info.key} still {task.info.state} after {timeout} s")
        time.sleep(0.02)
    if task.info.state == "error":
        raise KnotebookError(f"task {task.info.key} failed: {task.info.error.msg}")
    return task.info.result


def find(si: Any, kind: Any, name: str | None = None) -> Any:
    """The first managed object of a type (``vim.VirtualMachine``...), or the one named so."""
    view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [kind], True)
    try:
        for obj in view.view:
            if name is None or obj.name == name:
                return obj
    finally:
        view.Destroy()
    raise KnotebookError(f"no {kind._wsdlName} {name or ''} in {si.content.about.name}".strip())


def vm_by_moref(si: Any, moref: str) -> Any:
    """The VM with this MoRef value (``vm-57``), as an event's ``Vm.Vm.Value`` names it."""
    from pyVmomi import vim

    return vim.VirtualMachine(moref, si._stub)


def create_vm(si: Any, name: str, *, cpus: int = 1, memory_mb: int = 64) -> Any:
    """A new VM in the first datacenter, cluster and datastore (posts VmCreatedEvent)."""
    from pyVmomi import vim

    datacenter = find(si, vim.Datacenter)
    cluster = find(si, vim.ClusterComputeResource)
    datastore = find(si, vim.Datastore)
    spec = vim.vm.ConfigSpec(
        name=name,
        guestId="otherGuest",
        numCPUs=cpus,
        memoryMB=memory_mb,
        files=vim.vm.FileInfo(vmPathName=f"[{datastore.name}]"),
    )
    return wait(datacenter.vmFolder.CreateVM_Task(config=spec, pool=cluster.resourcePool))


def clone_vm(si: Any, vm: Any, name: str) -> Any:
    """A clone of ``vm`` beside it (posts VmClonedEvent)."""
    from pyVmomi import vim

    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(), powerOn=False, template=False)
    return wait(vm.CloneVM_Task(folder=vm.parent, name=name, spec=spec))


def custom_values(si: Any, entity: Any) -> dict[str, str]:
    """An entity's custom attributes by name."""
    names = {f.key: f.name for f in si.content.customFieldsManager.field or []}
    return {names.get(v.key, str(v.key)): v.value for v in entity.customValue or []}
