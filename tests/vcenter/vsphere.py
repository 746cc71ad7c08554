"""pyVmomi helpers for the tests: find inventory, run tasks, create and clone VMs."""

from __future__ import annotations

import time
from typing import Any

from pyVmomi import vim


def wait(task: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while task.info.state not in ("success", "error"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"task {task.info.key} still {task.info.state}")
        time.sleep(0.02)
    if task.info.state == "error":
        raise RuntimeError(task.info.error.msg)
    return task.info.result


def find(si: Any, kind: type, name: str | None = None) -> Any:
    view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [kind], True)
    try:
        for obj in view.view:
            if name is None or obj.name == name:
                return obj
    finally:
        view.Destroy()
    raise LookupError(f"no {kind.__name__} {name}")


def create_vm(si: Any, name: str) -> Any:
    """A new VM in the first datacenter's first cluster (posts VmCreatedEvent)."""
    dc = find(si, vim.Datacenter)
    cluster = find(si, vim.ClusterComputeResource)
    datastore = find(si, vim.Datastore)
    spec = vim.vm.ConfigSpec(
        name=name,
        guestId="otherGuest",
        numCPUs=1,
        memoryMB=64,
        files=vim.vm.FileInfo(vmPathName=f"[{datastore.name}]"),
    )
    return wait(dc.vmFolder.CreateVM_Task(config=spec, pool=cluster.resourcePool))


def clone_vm(si: Any, vm: Any, name: str) -> Any:
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(), powerOn=False, template=False)
    return wait(vm.CloneVM_Task(folder=vm.parent, name=name, spec=spec))


def custom_value(si: Any, vm: Any, field: str) -> str | None:
    keys = {f.key for f in si.content.customFieldsManager.field if f.name == field}
    return next((v.value for v in vm.customValue if v.key in keys), None)
