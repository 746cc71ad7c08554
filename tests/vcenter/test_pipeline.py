"""The whole VEBA pipeline on one machine: simulator -> local source -> broker -> function."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from knotebook import vcenter
from knotebook.export.exporter import export
from knotebook.local.broker import Broker
from knotebook.project import envfile
from knotebook.vcenter import source
from knotebook.vcenter.inventory import create_vm, custom_values

from .shapes import assert_veba_shape

pytestmark = pytest.mark.slow  # simulator, source, broker, function

REPO = Path(__file__).resolve().parents[2]
CREATED = "com.vmware.vsphere.VmCreatedEvent.v0"


@pytest.mark.slow
def test_creating_a_vm_runs_the_act_back_function(tmp_path, vcsim):
    bundle = export(REPO / "notebooks" / "vm_attr.ipynb", tmp_path / "export").directory
    (bundle / "k8s" / "function.env").write_text(envfile.render(vcsim.env()))
    hub = Broker.for_bundles([bundle], isolated=False).start()
    following, stop = threading.Event(), threading.Event()
    sent = source.Outcome()

    def run_source() -> None:
        source.run(
            vcsim.credentials,
            hub.url,
            interval=0.1,
            say=lambda line: following.set(),
            stop=stop.is_set,
            outcome=sent,
        )

    thread = threading.Thread(target=run_source, daemon=True)
    thread.start()
    try:
        assert following.wait(30), "the source did not start"
        si = vcsim.connect()
        mark = vcenter.watermark(si)
        vm = create_vm(si, "pipeline-01")
        deadline = time.monotonic() + 60
        while "vm-owner" not in custom_values(si, vm) and time.monotonic() < deadline:
            time.sleep(0.1)
        values = custom_values(si, vm)
    finally:
        stop.set()
        thread.join(30)
        hub.stop()
    assert values.get("vm-owner") == "user", values

    # the event the function got is the one the simulator posted, in VEBA's exact shape
    captured = next(
        e
        for e in vcenter.captured(si, mark)
        if e.get_type() == CREATED and e.get_data()["Vm"]["Name"] == "pipeline-01"
    )
    delivered = [
        record
        for record in hub.history
        if record.event.type == CREATED and json.loads(record.event.data)["Vm"]["Name"] == vm.name
    ]
    assert len(delivered) == 1 and delivered[0].dispatches[0].delivered
    got = delivered[0].event
    assert json.loads(got.data) == captured.get_data()
    for name in ("id", "source", "type", "eventclass", "vsphereapiversion"):
        assert got.attributes[name] == captured.get_attributes()[name], name
    assert got.attributes["id"] == str(captured.get_data()["Key"])
    assert values["vm-creation-date"] == captured.get_data()["CreatedTime"]
    assert_veba_shape(json.loads(got.data), "VmCreatedEvent")
    assert sent.ok and sent.delivered
