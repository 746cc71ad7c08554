"""Issue 15, items 5-10: validation runs that stopped short or passed falsely."""

import json
import os
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import KNOTEBOOK, run_knotebook

from knotebook import validate
from knotebook.export import exporter
from knotebook.validate import Options
from tests.support.plugin_run import pytest_knotebook

pytestmark = pytest.mark.slow  # papermill kernels and served functions

PARAMS = ('EVENT = "VmCreatedEvent"', ["parameters"])


def settings(name: str, envelope: bool = True) -> str:
    text = f'# knotebook: settings\nFUNCTION_NAME = "{name}"\nEVENT_TYPES = ["VmCreatedEvent"]\n'
    return text + ('ENVELOPE = "tanzu"\n' if envelope else "")


def handler(body: str, imports: str = "") -> str:
    return f"# knotebook: function\n{imports}\n\ndef handler(event):\n    {body}\n"


def report_rows(project) -> dict[tuple[str, str], dict]:
    data = json.loads((project / "build" / "report.json").read_text())
    return {(r["notebook"], r["name"]): r for r in data["results"]}


def test_a_function_that_exits_and_a_bad_env_line_fail_their_rows_only(project, write_notebook):
    """Item 5: every notebook gets its row, and the reports are written."""
    write_notebook("quits.ipynb", settings("quits"), PARAMS, handler("sys.exit(1)", "import sys"))
    bad = write_notebook("badenv.ipynb", settings("badenv"), PARAMS, handler("return None"))
    bad.with_suffix(".env").write_text("ENV1 = spaces\n")
    proc = run_knotebook(
        "validate",
        "notebooks/quits.ipynb",
        "notebooks/badenv.ipynb",
        "notebooks/vm_created.ipynb",
        "--envelope",
        "tanzu",
        "--json",
        "build/report.json",
        "--junit",
        "build/junit.xml",
        cwd=project,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    rows = report_rows(project)
    quits = [r for (nb, _), r in rows.items() if nb == "notebooks/quits.ipynb"]
    assert any(r["check"] == "contract" and not r["ok"] for r in quits), quits
    badenv = [r for (nb, _), r in rows.items() if nb == "notebooks/badenv.ipynb"]
    assert badenv and not any(r["ok"] for r in badenv)
    assert all("badenv.env:1" in r["error"] for r in badenv), badenv
    good = [r for (nb, _), r in rows.items() if nb == "notebooks/vm_created.ipynb"]
    assert good and all(r["ok"] for r in good)
    assert len(ET.parse(project / "build" / "junit.xml").getroot().findall(".//testcase")) == len(
        rows
    )
    assert "| notebooks/quits.ipynb" in proc.stdout  # the table has every notebook


def _interrupt_when(args: list[str], project: Path, marker: Path) -> tuple[int, str]:
    """Run ``knotebook ARGS``; SIGINT once the notebook or handler has written ``marker`` (it is
    sleeping then); the exit status and stdout."""
    proc = subprocess.Popen(
        [KNOTEBOOK, *args],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + 240  # only catches a hang; busy CI machines are slow
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the marker never appeared"
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)  # a liveness bound, not a speed assert
    return proc.returncode, out


@pytest.mark.slow
def test_ctrl_c_stops_validate_prints_the_table_writes_reports_exits_130(project, write_notebook):
    """Item 6: interrupted rows are marked; what finished is reported."""
    marker = project / "sleeping"
    write_notebook(
        "slow.ipynb",
        ("EVENT = 'x'", ["parameters"]),
        f"import time\nopen({str(marker)!r}, 'w').close()\ntime.sleep(120)",
    )
    status, out = _interrupt_when(
        ["validate", "notebooks/slow.ipynb", "--json", "build/report.json"], project, marker
    )
    assert status == 130, out
    assert "| notebooks/slow.ipynb" in out and "FAIL" in out
    assert "interrupted" in out
    (row,) = report_rows(project).values()
    assert not row["ok"] and "interrupted" in row["error"]


@pytest.mark.slow
def test_ctrl_c_stops_try_with_a_slow_handler_and_shows_its_log(project, write_notebook):
    """Item 6, ``try``: no graceful wait for a handler that sleeps; the log is shown."""
    marker = project / "sleeping"
    path = write_notebook(
        "sleepy.ipynb",
        settings("sleepy"),
        PARAMS,
        handler(
            f'print("sleeping", flush=True)\n    open({str(marker)!r}, "w").close()\n'
            "    time.sleep(120)",
            "import time",
        ),
    )
    bundle = exporter.export(path).directory
    status, out = _interrupt_when(
        ["try", str(bundle), "--no-venv", "--mode", "binary"], project, marker
    )
    assert status == 130, out
    assert "Function log:" in out and "sleeping" in out


def test_events_for_a_type_the_notebook_does_not_subscribe_to_is_an_error(project):
    """Item 7: not "1 passed"."""
    proc = run_knotebook(
        "validate", "notebooks/vm_created.ipynb", "--events", "VmRemovedEvent", cwd=project
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith(
        "Error: --events VmRemovedEvent: no notebook subscribes to VmRemovedEvent "
        "(checked: notebooks/vm_created.ipynb); "
    )
    assert len(proc.stderr.splitlines()) == 1


def test_a_reply_of_the_functions_own_type_fails_as_a_reply_loop(project, write_notebook):
    """Item 8: the Broker would deliver it back to the function, forever."""
    body = (
        'return CloudEvent({"type": "com.vmware.vsphere.VmCreatedEvent.v0", "source": "/me", '
        '"id": "x"}, {"again": True})'
    )
    write_notebook(
        "echo.ipynb",
        settings("echo"),
        PARAMS,
        handler(body, "from cloudevents.core.v1.event import CloudEvent"),
    )
    proc = run_knotebook(
        "validate",
        "notebooks/echo.ipynb",
        "--envelope",
        "tanzu",
        "--json",
        "build/report.json",
        cwd=project,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    row = report_rows(project)[("notebooks/echo.ipynb", "contract: VmCreatedEvent (tanzu)")]
    assert not row["ok"]
    assert "reply loop" in row["error"] and "echo-vmcreatedevent" in row["error"]


def test_validation_runs_the_notebook_as_written_too(write_notebook, tmp_path):
    """Item 9: an injected ENVELOPE must not hide the NameError of "Run All"."""
    path = write_notebook(
        "noenvelope.ipynb",
        settings("noenvelope", envelope=False),
        PARAMS,
        handler("return None"),
        "from knotebook import events\nhandler(events.sample(EVENT, envelope=ENVELOPE))",
    )
    results = validate.validate([path], Options(output_root=tmp_path, envelope="tanzu"))
    by_name = {r.name: r for r in results}
    assert not by_name["as written (Run All)"].ok
    assert "NameError: name 'ENVELOPE' is not defined" in by_name["as written (Run All)"].error
    assert by_name["VmCreatedEvent (tanzu)"].ok


def test_a_notebook_whose_values_are_a_planned_run_runs_it_as_written(project, tmp_path):
    path = project / "notebooks" / "vm_created.ipynb"
    (written, *rest) = validate.plan(path)
    assert written.as_written and written.name == "VmCreatedEvent (tanzu)"
    assert written.parameters == {} and all(r.parameters for r in rest)


def test_pytest_plugin_runs_what_validate_runs_and_reports_bad_notebooks_as_items(
    project, write_notebook
):
    """Item 10: contract checks included; no collection error for a bad notebook."""
    (project / "notebooks" / "broken.ipynb").write_text("{not json")
    write_notebook("typo.ipynb", settings("typo").replace("EVENT_TYPES", "EVENT_TYPS"), PARAMS)
    write_notebook("dict.ipynb", settings("dict"), PARAMS, handler('return {"not": "an event"}'))
    proc = pytest_knotebook(
        project, "notebooks/broken.ipynb", "notebooks/typo.ipynb", "notebooks/dict.ipynb"
    )
    out = proc.stdout
    assert proc.returncode == 1, out
    assert "error" not in out.splitlines()[-1] and "Interrupted" not in out
    assert "notebooks/broken.ipynb::notebook FAILED" in out
    assert "notebooks/typo.ipynb::notebook FAILED" in out
    assert "notebooks/dict.ipynb::VmCreatedEvent (tanzu) PASSED" in out
    assert "notebooks/dict.ipynb::contract FAILED" in out
    assert "neither None nor a CloudEvent" in out
    assert "Traceback" not in out
