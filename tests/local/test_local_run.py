"""knotebook run + invoke: real processes, a real venv, real HTTP; Ctrl-C leaves nothing behind."""

from __future__ import annotations

import json
import signal
import time

import pytest
from conftest import make_project, run_knotebook
from localkit import Proc, alive, session_cache, write_function

from knotebook import events, local
from knotebook.export.exporter import check_fresh
from knotebook.local import delivery, ports, runstate

pytestmark = pytest.mark.slow  # gunicorn processes and venvs

HANDLER = """# knotebook: function
import logging
import os

from cloudevents.core.v1.event import CloudEvent

log = logging.getLogger("echo")


def handler(event):
    attrs = event.get_attributes()
    name = event.get_data()["Vm"]["Name"]
    log.info(
        "got type=%s subject=%s vm=%s arrival=%s env1=%s service=%s leak=%s",
        event.get_type(), attrs.get("subject"), name, attrs.get("knativearrivaltime"),
        os.environ.get("ENV1"), os.environ.get("FROM_SERVICE"), os.environ.get("LEAK"),
    )
    if name == "boom":
        raise RuntimeError("vCenter is unreachable")
    if name == "reply":
        return CloudEvent(
            {"type": "com.example.echo.reply", "source": "knotebook/echo", "id": "r-1"},
            {"vm": name},
        )
    return None
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    session_cache()
    root = make_project(tmp_path_factory.mktemp("run") / "project")
    path = write_function(root, "echo", HANDLER)
    path.with_suffix(".env").write_text("ENV1=from-env-file\n")
    service = root / "k8s" / "service.yaml"  # the template: literal env for every export
    env = "          env:\n            - name: FROM_SERVICE\n              value: svc\n"
    service.write_text(
        service.read_text().replace("          envFrom:\n", env + "          envFrom:\n")
    )
    proc = run_knotebook("export", "notebooks/echo.ipynb", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert "FROM_SERVICE" in (root / "export" / "echo" / "k8s" / "service.yaml").read_text()
    return root


@pytest.fixture(scope="module")
def running(project):
    """``knotebook run export/echo``: the first start builds the session's venv."""
    port = ports.free_port()
    proc = Proc("run", "export/echo", "--port", str(port), cwd=project, env={"LEAK": "yes"})
    try:
        proc.wait_for(f"Serving echo at http://127.0.0.1:{port}/", timeout=300)
        yield proc
    finally:
        proc.kill()


@pytest.mark.parametrize("envelope", events.ENVELOPES)
@pytest.mark.parametrize("mode", delivery.MODES)
def test_invoke_reaches_the_function_run_started(project, running, envelope, mode):
    vm = f"vm-{envelope}-{mode}"
    proc = run_knotebook(
        "invoke",
        "--event",
        "VmCreatedEvent",
        "--envelope",
        envelope,
        "--mode",
        mode,
        "--set",
        f"Vm.Name={vm}",
        cwd=project,
    )
    assert proc.returncode == 0, proc.stderr
    kind = "com.vmware.vsphere.VmCreatedEvent.v0" if envelope == "tanzu" else "router/event"
    assert f"{mode:>10} " in proc.stdout
    assert kind in proc.stdout
    assert "-> 204 No Content (" in proc.stdout
    running.wait_for(f"vm={vm}", stream="stderr", timeout=10)
    line = next(x for x in running.stderr.splitlines() if f"vm={vm}" in x)
    subject = "VmCreatedEvent" if envelope == "router" else "None"
    assert f"subject={subject}" in line
    assert "env1=from-env-file" in line  # k8s/function.env was loaded
    assert "service=svc leak=None" in line  # the Service's env; not the caller's environment
    assert "arrival=20" in line and line.split("arrival=")[1][29:30] == "Z"  # nanoseconds


def test_invoke_sends_broker_headers_and_prints_the_reply(project, running):
    proc = run_knotebook("invoke", "echo", "-v", "--set", "Vm.Name=reply", cwd=project)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "> Prefer: reply" in out
    assert "> traceparent: 00-" in out
    assert "> ce-knativearrivaltime: " in out
    assert "-> 200 OK" in out
    reply = json.loads(out.split(" reply ", 1)[1].splitlines()[0])
    assert reply["type"] == "com.example.echo.reply"
    assert '{"vm": "reply"}' in out


def test_invoke_exits_1_on_a_500(project, running):
    proc = run_knotebook("invoke", "--set", "Vm.Name=boom", cwd=project)  # testevent.json
    assert proc.returncode == 1
    assert "-> 500 " in proc.stdout
    assert "handler raised RuntimeError" in proc.stdout


def test_invoke_with_an_explicit_url_and_event_file(project, running):
    url = runstate.find("echo", start=project)["url"]
    proc = run_knotebook(
        "invoke", url, "--event", "export/echo/testevent.json", "--mode", "structured", cwd=project
    )
    assert proc.returncode == 0, proc.stderr
    assert "structured com.vmware.vsphere.VmCreatedEvent.v0" in proc.stdout


def test_invoke_without_a_running_function_is_a_one_line_error(tmp_path):
    proc = run_knotebook("invoke", "--event", "VmCreatedEvent", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith("Error: no function started by `knotebook run`")
    assert proc.stderr.count("\n") == 1


def test_second_run_of_an_unchanged_bundle_reuses_its_venv(project, running):
    # How fast it is ready: bench/local_bench.py (a measurement, not a limit asserted here).
    port = ports.free_port()
    second = Proc("run", "export/echo", "--port", str(port), cwd=project)
    try:
        second.wait_for("Serving echo at", timeout=60)
        assert "Creating a virtual environment" not in second.stdout  # cached by hash
        answer = delivery.send(f"http://127.0.0.1:{port}/", events.sample("VmCreatedEvent"))
        assert answer.status == 204
    finally:
        assert second.interrupt() == 0
    assert "Stopped (exit 0)." in second.stdout


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_stop_leaves_no_child_process(project, running, sig):
    port = ports.free_port()
    proc = Proc("run", "export/echo", "--port", str(port), cwd=project)
    proc.wait_for("Serving echo at", timeout=60)
    pids = proc.web_pids()
    assert len(pids) >= 2, pids  # gunicorn master + worker(s), in their own process group
    assert proc.interrupt(sig) == 0
    assert "Stopped (exit 0)." in proc.stdout
    deadline = time.monotonic() + 5
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive(pids) == []
    assert all(e["url"] != f"http://127.0.0.1:{port}" for e in runstate.running(project))


def test_run_a_notebook_exports_it_first(project):
    port = ports.free_port()
    notebook = project / "notebooks" / "echo.ipynb"
    said: list[str] = []
    server = local.run(notebook, port=port, progress=said.append)
    try:
        bundle = project / "export" / "echo"
        assert said[0].startswith(f"Exported {notebook} -> {bundle}/ (")
        assert server.bundle == bundle and server.url == f"http://127.0.0.1:{port}"
        assert check_fresh(notebook) == ""  # what runs is the notebook as saved now
        answer = local.invoke(server, "VmCreatedEvent", overrides={"Vm.Name": "api"})
        assert answer.status == 204
    finally:
        assert server.stop() == 0
    assert any("vm=api" in line for line in server.logs)
    assert str(server.process.args[-1]).startswith("gunicorn")


REJECTED = [
    ("ENV1 = VALUE1\n", "spaces around '=' in 'ENV1 = VALUE1'; write ENV1=VALUE1"),
    ("ENV1 =VALUE1\n", "spaces around '='"),
    ("export ENV1=x\n", "'export' prefix is not allowed"),
    ("1ENV=x\n", "invalid variable name '1ENV'"),
    ("ENV1\n", "expected KEY=VALUE, got 'ENV1'"),
    ("ENV1=a\nENV1=b\n", "ENV1 is set twice"),
    ("PORT=9000\n", "PORT is reserved by Knative"),
    ('ENV1="quoted"\n', "quotes around the value of ENV1"),
    ("ENV1=x\r\n", "Windows line ending"),
]


@pytest.mark.parametrize(("text", "reason"), REJECTED, ids=[r[1][:24] for r in REJECTED])
def test_env_file_lines_kubectl_rejects_are_errors_with_file_and_line(project, cli, text, reason):
    bundle = project / "export" / "echo"
    env = bundle / "k8s" / "function.env"
    original = env.read_bytes()
    env.write_bytes(b"# settings\n" + text.encode())
    try:
        result = cli("run", str(bundle), cwd=project)
    finally:
        env.write_bytes(original)
    assert result.exit_code == 1
    line = 3 if "twice" in reason else 2
    assert result.stderr == f"Error: {env}:{line}: " + result.stderr.split(f":{line}: ", 1)[1]
    assert reason in result.stderr
    assert result.stderr.count("\n") == 1


def test_ctrl_c_during_the_venv_build_leaves_no_half_venv(project, tmp_path):
    cache = tmp_path / "cache"
    proc = Proc(
        "run", "export/echo", "--port", str(ports.free_port()), cwd=project, cache=str(cache)
    )
    proc.wait_for("Creating a virtual environment", timeout=60)
    time.sleep(0.5)  # inside python -m venv / pip install
    assert proc.interrupt() == 130
    assert "Interrupted." in proc.stdout
    venvs = cache / "venvs"
    assert [p.name for p in venvs.iterdir() if not p.name.endswith(".lock")] == []


def test_invoke_sets_cloudevent_attributes(project, running):
    proc = run_knotebook(
        "invoke", "--event", "VmCreatedEvent", "--set", "Vm.Name=attrs", "--attr",
        "subject=Custom", "--attr", "time=2024-05-01T10:00:00Z", "-v", cwd=project,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "> ce-subject: Custom" in proc.stdout
    assert "> ce-time: 2024-05-01T10:00:00Z" in proc.stdout
    running.wait_for("subject=Custom vm=attrs", stream="stderr", timeout=10)
    proc = run_knotebook("invoke", "--attr", "id=", cwd=project)
    assert (proc.returncode, proc.stderr) == (
        1,
        "Error: --attr id: a required attribute cannot be removed\n",
    )
