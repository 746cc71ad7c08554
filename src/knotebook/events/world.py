"""The imaginary inventory synthesized events talk about: names from knobs, ids from a seed."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from knotebook.events.times import DEFAULT_TIME, normalize

VCENTER = "vcsa.example.local"
DEFAULT_USER = "VSPHERE.LOCAL\\Administrator"
KNOBS = ("vm_name", "host", "datacenter", "cluster", "user", "datastore", "time", "seed")


def moref(kind: str, value: str) -> dict[str, str]:
    return {"Type": kind, "Value": value}


@dataclass
class World:
    """Names and managed-object ids for one synthesized event (deterministic for a seed)."""

    vm_name: str = "web-01"
    host: str = "esxi-01.example.local"
    datacenter: str = "dc-lab"
    cluster: str = "cluster-01"
    user: str = DEFAULT_USER
    datastore: str = "vsanDatastore"
    time: str = DEFAULT_TIME
    seed: int | str | None = None
    rng: random.Random = field(default_factory=random.Random, repr=False)
    ids: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def make(cls, salt: str, **knobs: Any) -> World:
        unknown = set(knobs) - set(KNOBS)
        if unknown:
            from knotebook.errors import KnotebookError

            raise KnotebookError(
                f"unknown knob(s) {', '.join(sorted(unknown))}; use {', '.join(KNOBS)}"
            )
        given = {k: v for k, v in knobs.items() if v is not None}
        if "time" in given:
            given["time"] = normalize(given["time"])
        world = cls(**given)
        world.rng = random.Random(f"{world.seed}|{salt}")
        rng = world.rng
        world.ids = {
            "datacenter": f"datacenter-{rng.randint(2, 60)}",
            "cluster": f"domain-c{rng.randint(7, 2000)}",
            "host": f"host-{rng.randint(10, 3000)}",
            "host2": f"host-{rng.randint(10, 3000)}",
            "vm": f"vm-{rng.randint(1000, 20000)}",
            "vm2": f"vm-{rng.randint(1000, 20000)}",
            "datastore": f"datastore-{rng.randint(10, 500)}",
            "network": f"dvportgroup-{rng.randint(1000, 9000)}",
            "dvs": f"dvs-{rng.randint(20, 8000)}",
            "folder": f"group-v{rng.randint(3, 400)}",
            "alarm": f"alarm-{rng.randint(1, 900)}",
            "pool": f"resgroup-{rng.randint(10, 20000)}",
            "task": f"task-{rng.randint(1000, 900000)}",
        }
        return world

    @property
    def created(self) -> datetime:
        from knotebook.events.times import parse_time

        return parse_time(self.time)

    @property
    def host2(self) -> str:
        first, dot, rest = self.host.partition(".")
        if first[-1:].isdigit():
            stem = first.rstrip("0123456789")
            num = int(first[len(stem) :]) + 1
            return f"{stem}{num:0{len(first) - len(stem)}d}{dot}{rest}"
        return f"{first}-b{dot}{rest}"

    def key(self) -> tuple[int, int]:
        """(Key, ChainId): vCenter keys are int32 and chains start a few keys earlier."""
        key = self.rng.randint(100_000, 9_999_999)
        return key, key - self.rng.choice((0, 0, 1, 2, 3, 13))

    # --- EventArguments (govmomi *XxxEventArgument) ---------------------------------------
    def dc_arg(self) -> dict[str, Any]:
        return {"Name": self.datacenter, "Datacenter": moref("Datacenter", self.ids["datacenter"])}

    def cluster_arg(self) -> dict[str, Any]:
        ref = moref("ClusterComputeResource", self.ids["cluster"])
        return {"Name": self.cluster, "ComputeResource": ref}

    def host_arg(self, second: bool = False) -> dict[str, Any]:
        name, ref = (self.host2, self.ids["host2"]) if second else (self.host, self.ids["host"])
        return {"Name": name, "Host": moref("HostSystem", ref)}

    def vm_arg(self, name: str | None = None, second: bool = False) -> dict[str, Any]:
        ref = self.ids["vm2" if second else "vm"]
        return {"Name": name or self.vm_name, "Vm": moref("VirtualMachine", ref)}

    def ds_arg(self) -> dict[str, Any]:
        return {"Name": self.datastore, "Datastore": moref("Datastore", self.ids["datastore"])}

    def net_arg(self) -> dict[str, Any]:
        ref = moref("DistributedVirtualPortgroup", self.ids["network"])
        return {"Name": "pg-app-100", "Network": ref}

    def dvs_arg(self) -> dict[str, Any]:
        ref = moref("VmwareDistributedVirtualSwitch", self.ids["dvs"])
        return {"Name": "dvs-lab", "Dvs": ref}

    def entity_arg(self, scope: str) -> dict[str, Any]:
        """A ManagedEntityEventArgument for the main object of a scope."""
        name, ref = self.object(scope)
        return {"Name": name, "Entity": ref}

    def object(self, scope: str) -> tuple[str, dict[str, str]]:
        """(name, MoRef) of the main object of a scope: vm, host, cluster, ds, dc, ..."""
        table = {
            "vm": (self.vm_name, moref("VirtualMachine", self.ids["vm"])),
            "host": (self.host, moref("HostSystem", self.ids["host"])),
            "cluster": (self.cluster, moref("ClusterComputeResource", self.ids["cluster"])),
            "ds": (self.datastore, moref("Datastore", self.ids["datastore"])),
            "net": ("pg-app-100", moref("DistributedVirtualPortgroup", self.ids["network"])),
            "dvs": ("dvs-lab", moref("VmwareDistributedVirtualSwitch", self.ids["dvs"])),
            "pool": ("rp-apps", moref("ResourcePool", self.ids["pool"])),
        }
        return table.get(scope, (self.datacenter, moref("Datacenter", self.ids["datacenter"])))
