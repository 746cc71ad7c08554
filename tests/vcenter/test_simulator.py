"""The simulator: start/stop, login, and events converted to VEBA's exact payload shape."""

from __future__ import annotations

import gc
import socket
import warnings
from typing import Any
from urllib.parse import urlsplit

import pytest
from pyVmomi import vim

from knotebook import vcenter
from knotebook.errors import KnotebookError
from knotebook.events import samples
from knotebook.vcenter import client, convert
from knotebook.vcenter.inventory import clone_vm, create_vm, find, wait

from .shapes import assert_veba_shape


def test_start_connect_stop(vcsim_binary):
    sim = vcenter.start()
    try:
        assert sim.url.startswith("https://127.0.0.1:") and sim.url.endswith("/sdk")
        env = sim.env()
        assert env["VCENTER_URL"] == sim.url and env["VCENTER_INSECURE"] == "1"
        si = sim.connect()
        assert si.content.about.apiType == "VirtualCenter"
        assert find(si, vim.VirtualMachine).runtime.powerState == "poweredOn"
    finally:
        sim.stop()
    assert sim.process.poll() is not None


def test_port_in_use_is_one_line_error(vcsim_binary):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(KnotebookError, match=r"port \d+ is already in use"):
            vcenter.start(busy.getsockname()[1])


def test_wrong_password_is_one_line_error(vcsim):
    creds = client.Credentials(vcsim.url, vcsim.username, "wrong", insecure=True)
    gc.collect()  # earlier tests' garbage is not this test's
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with pytest.raises(KnotebookError, match="login failed"):
            client.connect(creds)
        gc.collect()  # the failed login's socket was left to the collector (an SSLSocket warning)
    to_simulator = f"'127.0.0.1', {urlsplit(vcsim.url).port})"
    leaked = [str(w.message) for w in caught if to_simulator in str(w.message)]
    assert leaked == []


def test_power_off_posts_veba_shaped_events(vcsim):
    si = vcsim.connect()
    mark = vcenter.watermark(si)
    vm = find(si, vim.VirtualMachine)
    wait(vm.PowerOffVM_Task())
    events = vcenter.captured(si, mark)
    types = [e.get_type() for e in events]
    assert types[-1] == "com.vmware.vsphere.VmPoweredOffEvent.v0"
    event = events[-1]
    data = event.get_data()
    attrs = event.get_attributes()
    assert attrs["id"] == str(data["Key"]) and attrs["source"] == vcsim.url
    assert attrs["eventclass"] == "event" and attrs["vsphereapiversion"] == "6.5"
    assert data["Vm"] == {"Name": vm.name, "Vm": {"Type": "VirtualMachine", "Value": vm._moId}}
    assert data["ChangeTag"] == "" and data["Ds"] is None
    assert_veba_shape(data, "VmPoweredOffEvent")
    assert [int(e.get_id()) for e in events] == sorted(int(e.get_id()) for e in events)


def test_create_and_clone_events_match_packaged_samples(vcsim):
    si = vcsim.connect()
    mark = vcenter.watermark(si)
    vm = create_vm(si, "web-01")
    clone_vm(si, vm, "web-02")
    by_type: dict[str, Any] = {}
    for event in vcenter.captured(si, mark):  # a clone also posts a VmCreatedEvent: keep the first
        by_type.setdefault(event.get_type(), event.get_data())
    created = by_type["com.vmware.vsphere.VmCreatedEvent.v0"]
    assert created["Vm"]["Name"] == "web-01"
    assert_veba_shape(created, "VmCreatedEvent")
    cloned = by_type["com.vmware.vsphere.VmClonedEvent.v0"]
    assert cloned["SourceVm"]["Name"] == "web-01"
    assert_veba_shape(cloned, "VmClonedEvent")


def test_router_envelope_and_reconfigure(vcsim):
    si = vcsim.connect()
    mark = vcenter.watermark(si)
    vm = find(si, vim.VirtualMachine)
    wait(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(numCPUs=4, memoryMB=2048)))
    events = vcenter.captured(si, mark, envelope="router")
    event = next(e for e in events if e.get_attributes().get("subject") == "VmReconfiguredEvent")
    assert event.get_type() == "com.vmware.event.router/event"
    spec = event.get_data()["ConfigSpec"]
    assert spec["NumCPUs"] == 4 and spec["MemoryMB"] == 2048
    packaged = samples.packaged("VmReconfiguredEvent")
    assert packaged is not None
    # the packaged sample is a capture from an older govmomi (60 ConfigSpec fields); the kit's
    # govmomi field lists are v0.30.2 (more fields): the capture's fields come in the same order
    captured_keys = [k for k in spec if k in packaged.data["ConfigSpec"]]
    assert captured_keys == list(packaged.data["ConfigSpec"])


def test_source_url_drops_user_info():
    assert convert.source_url("https://u@vcsa.lab:443/sdk") == "https://vcsa.lab:443/sdk"
    assert convert.source_url("vcsa.lab") == "https://vcsa.lab/sdk"
