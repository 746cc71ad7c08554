"""The ``events`` click group: list, show, save, samples; errors and help examples."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from cloudevents.core.bindings.http import HTTPMessage, from_http_event

from knotebook.cli import main
from knotebook.cli.events import events_group
from knotebook.errors import KnotebookError, UnknownEventError


def run(*args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(events_group, list(args))
    return result.exit_code, result.output, result.exception


def test_list_covers_the_whole_catalog():
    code, out, _ = run("list")
    assert code == 0
    lines = [line for line in out.splitlines() if line and not line.endswith("event ids")]
    assert len(lines) == 2262


def test_list_filters_and_json():
    args = ["--kind", "eventex", "--vsphere", "8.0U3", "--search", "sso.Login", "--json"]
    _, out, _ = run("list", *args)
    rows = json.loads(out)
    assert {r["id"] for r in rows} >= {"com.vmware.sso.LoginFailure", "com.vmware.sso.LoginSuccess"}
    assert all(r["kind"] == "eventex" and "8.0u3" in r["versions"] for r in rows)
    assert run("list", "--kind", "bogus")[0] == 2
    assert run("list", "--vsphere", "5.5")[0] == 2


def test_show_structured_parses_back():
    code, out, _ = run("show", "vmpoweredonevent", "--vm-name", "web-01", "--seed", "3")
    assert code == 0
    event = from_http_event(
        HTTPMessage({"Content-Type": "application/cloudevents+json"}, out.encode())
    )
    assert event.get_type() == "com.vmware.vsphere.VmPoweredOnEvent.v0"
    assert event.get_data()["Vm"]["Name"] == "web-01"


def test_show_binary_router_with_set():
    args = ["--envelope", "router", "--mode", "binary", "--set", "Vm.Name=web-01"]
    code, out, _ = run(
        "show", "com.vmware.vsphere.VmCreatedEvent.v0", *args, "--set", "Template=true"
    )
    assert code == 0
    head, _, body = out.partition("\n\n")
    headers = dict(line.split(": ", 1) for line in head.splitlines())
    assert headers["ce-type"] == "com.vmware.event.router/event"
    assert headers["ce-subject"] == "VmCreatedEvent"
    assert headers["Content-Type"] == "application/json"
    data = json.loads(body)
    assert data["Vm"]["Name"] == "web-01" and data["Template"] is True


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [("VmCreatedEvnt", "VmCreatedEvent"), ("LoginFailure", "com.vmware.sso.LoginFailure")],
)
def test_show_unknown_id_raises_with_suggestions(typed, suggested):
    code, _, exc = run("show", typed)
    assert code == 1
    assert isinstance(exc, UnknownEventError) and exc.suggestions[0] == suggested


def test_show_variant_and_bad_set():
    code, out, _ = run("show", "TaskEvent", "--variant", "error")
    assert json.loads(out)["data"]["Info"]["State"] == "error"
    code, _, exc = run("show", "TaskEvent", "--set", "nonsense")
    assert code == 1 and isinstance(exc, KnotebookError)


def test_save_into_a_missing_folder_is_an_error_and_makes_no_folder(tmp_path):
    target = tmp_path / "nonexistent" / "dir" / "x.json"
    result = CliRunner().invoke(main, ["events", "save", "VmCreatedEvent", "-o", str(target)])
    assert result.exit_code == 1
    assert result.output == f"Error: cannot write {target}: no folder {target.parent}\n"
    assert not (tmp_path / "nonexistent").exists()


def test_save_structured_and_binary(tmp_path):
    target = tmp_path / "testevent.json"
    code, _, _ = run("save", "VmPoweredOffEvent", "-o", str(target))
    assert code == 0
    doc = json.loads(target.read_text())
    assert doc["type"] == "com.vmware.vsphere.VmPoweredOffEvent.v0" and doc["data"]["Key"]
    payload = tmp_path / "payload.json"
    run("save", "VmPoweredOffEvent", "--mode", "binary", "-o", str(payload))
    assert json.loads(payload.read_text()) == doc["data"]


def test_samples_lists_packaged_samples():
    code, out, _ = run("samples")
    assert code == 0
    assert "TaskEvent:error" in out and "capture" in out and "synth" in out


@pytest.mark.parametrize("command", ["list", "show", "save", "samples"])
def test_every_command_help_has_an_example(command):
    code, out, _ = run(command, "--help")
    assert code == 0
    assert (
        "Examples:" in out and f"knotebook events {command if command != 'samples' else ''}" in out
    )
