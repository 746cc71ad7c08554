"""`knotebook events record`: live events saved as project samples, resumable, never repeated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import KNOTEBOOK, run_knotebook
from pyVmomi import vim

from knotebook import events
from knotebook.vcenter import record
from knotebook.vcenter.inventory import find, wait
from tests.vcenter.test_source import interrupt_when

pytestmark = pytest.mark.slow  # the vCenter simulator


def _record(cli, vcsim, project: Path, *args: str):
    env_file = project / "vcsim.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in vcsim.env().items()))
    return cli("events", "record", "--credentials", str(env_file), "--once", *args, cwd=project)


def test_record_writes_veba_samples_and_resumes(cli, project, vcsim):
    first = _record(cli, vcsim, project, "--from-start")
    assert first.exit_code == 0, first.output
    folder = project / "events"
    before = {p.name for p in folder.glob("*.json")}
    assert "DatacenterCreatedEvent__vcsim-1.json" in before

    si = vcsim.connect()
    vm = find(si, vim.VirtualMachine)
    wait(vm.PowerOffVM_Task())
    second = _record(cli, vcsim, project)
    assert second.exit_code == 0, second.output
    assert "Resuming" in second.output
    new = {p.name for p in folder.glob("*.json")} - before
    assert any(name.startswith("VmPoweredOffEvent__vcsim-") for name in new)
    keys = [json.loads((folder / n).read_text())["data"]["Key"] for n in new]
    assert min(keys) > max(
        json.loads((folder / n).read_text())["data"]["Key"] for n in before
    )  # nothing repeated, nothing lost: the keys continue
    third = _record(cli, vcsim, project, "--types", "VmPoweredOffEvent")
    assert third.exit_code == 0 and "0 samples written" in third.output

    doc = json.loads(next(folder.glob("VmPoweredOffEvent__*.json")).read_text())
    assert doc["provenance"]["kind"] == "recorded"
    assert doc["provenance"]["source"] == vcsim.url
    assert doc["data"]["Vm"]["Name"] == vm.name


def test_checkpoint_written_after_the_sample(tmp_path, vcsim):
    folder = tmp_path / "events"
    record.record(vcsim.credentials, folder, once=True, from_start=True, say=lambda _: None)
    state = json.loads((folder / record.CHECKPOINT).read_text())
    newest = max(json.loads(p.read_text())["data"]["Key"] for p in folder.glob("*.json"))
    assert state[vcsim.url]["key"] == newest


def test_recorded_samples_are_project_samples(cli, project, vcsim, monkeypatch):
    assert _record(cli, vcsim, project, "--from-start").exit_code == 0
    monkeypatch.chdir(project)
    names = events.sample_names("VmPoweredOnEvent")
    recorded = [n for n in names if n.startswith("VmPoweredOnEvent:vcsim-")]
    assert recorded and names[0] == "VmPoweredOnEvent"  # the packaged default stays first
    event = events.sample(recorded[0])
    assert event.get_attributes()["source"] == vcsim.url
    assert event.get_attributes()["vsphereapiversion"] == "6.5"
    listing = cli("events", "samples", cwd=project)
    assert recorded[0] in listing.output


SETTINGS = """# knotebook: settings
FUNCTION_NAME = "power-off-log"
EVENT_TYPES = ["VmPoweredOffEvent"]
"""
HANDLER = """# knotebook: function
import logging

log = logging.getLogger("power-off-log")


def handler(event):
    data = event.get_data()
    log.info("%s powered off (key %s)", data["Vm"]["Name"], data["Key"])
"""
CALL = """from knotebook import events

event = events.sample(EVENT, envelope=ENVELOPE)
handler(event)
print("ran on", event.get_attributes()["source"], event.get_data()["Vm"]["Name"])
"""


@pytest.mark.slow
def test_validate_uses_recorded_samples(cli, project, write_notebook, vcsim):
    si = vcsim.connect()
    vm = find(si, vim.VirtualMachine)
    wait(vm.PowerOffVM_Task())
    recorded = _record(cli, vcsim, project, "--from-start", "--types", "VmPoweredOffEvent")
    assert recorded.exit_code == 0 and "1 sample written\n" in recorded.output
    name = next((project / "events").glob("VmPoweredOffEvent__*.json")).stem.replace("__", ":")
    path = write_notebook(
        "power_off_log.ipynb",
        SETTINGS,
        ('EVENT = "VmPoweredOffEvent"\nENVELOPE = "tanzu"', ["parameters"]),
        HANDLER,
        CALL,
    )
    report = project / "build" / "report.json"
    args = ("validate", str(path), "--all-samples", "--envelope", "tanzu", "--json", str(report))
    result = cli(*args, "-j", "1", cwd=project)
    assert result.exit_code == 0, result.output
    names = [r["name"] for r in json.loads(report.read_text())["results"]]
    assert f"{name} (tanzu)" in names  # the papermill run of the recorded sample
    assert f"contract: {name} (tanzu)" in names  # and the served function got it too
    executed = project / "build" / "validate" / "notebooks" / "power_off_log"
    run = next(executed.glob(f"{name.replace(':', '_')}*.ipynb")).read_text()
    assert f"ran on {vcsim.url} {vm.name}" in run


def test_list_and_invoke_use_recorded_samples(cli, project, vcsim):
    assert _record(cli, vcsim, project, "--from-start").exit_code == 0
    listing = cli("events", "list", "--recorded", "--search", "VmPoweredOn", cwd=project)
    assert listing.exit_code == 0
    assert "VmPoweredOnEvent" in listing.output and "recorded]" in listing.output
    assert "DrsVmPoweredOnEvent" not in listing.output  # nothing recorded for it
    from knotebook.local import delivery

    name = next((project / "events").glob("VmPoweredOnEvent__*.json")).stem.replace("__", ":")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        event = delivery.load_event(name)
    assert event.get_attributes()["source"] == vcsim.url


def test_a_mistyped_type_is_one_line_with_a_suggestion(cli, project, vcsim):
    result = _record(cli, vcsim, project, "--types", "VmPoweredOfEvent")
    assert result.exit_code == 1
    assert "unknown vSphere event type 'VmPoweredOfEvent'; did you mean" in result.output
    assert not (project / "events").exists()


def test_ctrl_c_reports_and_keeps_the_checkpoint(project, vcsim, tmp_path):
    """A first run stopped before any event: the next run continues from where it started."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **vcsim.env()}
    stopped = interrupt_when(("No checkpoint",), [KNOTEBOOK, "events", "record"], project, env)
    assert "Stopped." in stopped and "0 samples written" in stopped, stopped
    assert (project / "events" / record.CHECKPOINT).is_file()
    si = vcsim.connect()
    wait(find(si, vim.VirtualMachine).PowerOffVM_Task())
    again = run_knotebook(
        "events",
        "record",
        "--once",
        "--types",
        "VmPoweredOffEvent",
        cwd=project,
        env=env,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    assert "Resuming" in again.stdout and "VmPoweredOffEvent:vcsim-" in again.stdout
    assert again.stderr.splitlines()[-1] == "1 sample written"  # not "1 samples"
