"""knotebook dev: a save re-exports, restarts on the same URL and re-sends the last event."""

from __future__ import annotations

import re
import signal
import subprocess
import threading
import time

import nbformat
import pytest
from conftest import make_project, run_knotebook
from localkit import Proc, alive, session_cache, write_function

from knotebook import local
from knotebook.local import ports, process

pytestmark = pytest.mark.slow  # knotebook dev restarts gunicorn

HANDLER = """# knotebook: function
import logging

log = logging.getLogger("live")


def handler(event):
    log.info("{version} got vm=%s", event.get_data()["Vm"]["Name"])
"""


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    session_cache()
    root = make_project(tmp_path_factory.mktemp("dev") / "project")
    notebook = write_function(root, "live", HANDLER.format(version="v1"))
    port = ports.free_port()
    proc = Proc("dev", "notebooks/live.ipynb", "--port", str(port), cwd=root)
    try:
        proc.wait_for(f"Serving live at http://127.0.0.1:{port}/", timeout=300)
        proc.wait_for("-> 204 No Content")
        proc.root, proc.notebook, proc.port = root, notebook, port
        yield proc
    finally:
        proc.kill()


def save(notebook, handler: str, extra: str | None = None) -> float:
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[3].source = handler
    if extra is not None:
        nb.cells.append(nbformat.v4.new_code_cell(extra))
    nbformat.write(nb, notebook)
    return time.monotonic()


def restarts(output: str) -> list[float]:
    return [float(x) for x in re.findall(r"Restarted in ([\d.]+) s", output)]


def test_first_start_sends_the_test_event(session):
    assert "binary com.vmware.vsphere.VmCreatedEvent.v0 id=3849947 -> 204 No Content" in (
        session.stdout
    )
    session.wait_for("v1 got vm=web-01", stream="stderr")


def test_a_save_restarts_and_resends_the_last_invoked_event(session):
    # How fast: bench/local_bench.py measures save -> serving again.
    proc = run_knotebook("invoke", "--set", "Vm.Name=web-77", cwd=session.root)
    assert proc.returncode == 0, proc.stderr
    session.wait_for("v1 got vm=web-77", stream="stderr")
    save(session.notebook, HANDLER.format(version="v2"))
    session.wait_for(lambda out: len(restarts(out)) == 1, timeout=20)
    session.wait_for("v2 got vm=web-77", stream="stderr", timeout=10)  # the last event again
    assert f"http://127.0.0.1:{session.port}" in session.stdout  # same URL as before


def test_a_save_that_leaves_the_bundle_alone_restarts_nothing(session):
    before = len(restarts(session.stdout))
    save(session.notebook, HANDLER.format(version="v2"), extra="1 + 1  # exploration")
    session.wait_for("Bundle unchanged", timeout=10)
    assert len(restarts(session.stdout)) == before


def test_a_broken_save_is_reported_and_the_next_good_one_recovers(session):
    save(session.notebook, "# knotebook: function\ndef handler(event):\n    %timeit 1\n")
    session.wait_for(lambda out: "Error: " in out and "IPython syntax" in out, timeout=10)
    assert session.popen.poll() is None  # still watching
    before = len(restarts(session.stdout))
    save(session.notebook, HANDLER.format(version="v3"))
    session.wait_for(lambda out: len(restarts(out)) == before + 1, timeout=20)
    session.wait_for("v3 got vm=web-77", stream="stderr", timeout=10)


def test_a_save_of_invalid_json_is_reported_and_watching_goes_on(session):
    """Mid-edit in a text editor: the notebook is not JSON yet; the next save fixes it."""
    nb = nbformat.read(session.notebook, as_version=4)
    nb.cells[3].source = HANDLER.format(version="v4")
    fixed = nbformat.writes(nb)
    session.notebook.write_text(fixed[: len(fixed) // 2])
    session.wait_for(lambda out: "invalid JSON" in out, timeout=10)
    assert session.popen.poll() is None  # a save can fix it: still watching
    before = len(restarts(session.stdout))
    session.notebook.write_text(fixed)
    session.wait_for(lambda out: len(restarts(out)) == before + 1, timeout=20)
    session.wait_for("v4 got vm=web-77", stream="stderr", timeout=10)


def test_ctrl_c_stops_dev_and_its_function(session):
    pids = session.web_pids()
    assert pids
    assert session.interrupt() == 0
    assert session.stdout.rstrip().endswith("Stopped (exit 0).")
    deadline = time.monotonic() + 5
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive(pids) == []


def test_dev_started_on_invalid_json_waits_for_the_save_that_fixes_it(tmp_path):
    root = make_project(tmp_path / "project")
    notebook = write_function(root, "late", HANDLER.format(version="v1"))
    good = notebook.read_text()
    notebook.write_text(good[:200])
    port = ports.free_port()
    proc = Proc("dev", "notebooks/late.ipynb", "--port", str(port), "--no-venv", cwd=root)
    try:
        proc.wait_for(lambda out: "not a notebook: invalid JSON" in out, timeout=60)
        assert proc.popen.poll() is None
        notebook.write_text(good)
        proc.wait_for("-> 204 No Content", timeout=60)  # served once a save fixed it
    finally:
        proc.kill()


def test_python_api_dev_session_in_the_background(tmp_path):
    session_cache()
    root = make_project(tmp_path / "project")
    notebook = write_function(root, "bg", HANDLER.format(version="v1"))
    lines: list[str] = []
    session = local.dev(notebook, port=ports.free_port(), say=lines.append, echo=False)
    try:
        assert [a.status for a in session.answers] == [204]
        pid = session.server.process.pid
        save(notebook, HANDLER.format(version="v2"))
        deadline = time.monotonic() + 20
        while not session.restarts and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(session.restarts) == 1
        assert [a.status for a in session.answers] == [204, 204]
        deadline = time.monotonic() + 10  # the log pump may lag behind the HTTP answer
        while not any("v2 got vm=web-01" in x for x in session.server.logs):
            assert time.monotonic() < deadline, session.server.logs
            time.sleep(0.05)
        last = session.server.process.pid
        assert last != pid
    finally:
        assert session.stop() == 0
    assert alive(process.group_pids(pid) + process.group_pids(last)) == []
    assert any(line.startswith("Restarted in ") for line in lines)


def test_stop_while_a_save_is_starting_the_function_leaves_nothing_running(tmp_path, monkeypatch):
    """The watcher thread may still be in process.start when stop() gives up joining it: the
    server it starts then must be stopped, not assigned to the session afterwards."""
    project = make_project(tmp_path / "p")
    dev = local.DevSession(project / "notebooks" / "vm_created.ipynb", isolated=False)
    started: list[process.Server] = []
    entered = threading.Event()

    def slow_start(bundle, **_kwargs):  # a real process, started once stop() has begun
        entered.set()
        assert dev._stopping.wait(10)
        popen = subprocess.Popen(
            [process.BASH, "-c", "exec sleep 60"], stdout=subprocess.PIPE, start_new_session=True
        )
        started.append(process.Server("http://127.0.0.1:1", popen))
        return started[-1]

    monkeypatch.setattr(process, "start", slow_start)
    building = threading.Thread(target=dev._build, kwargs={"first": True})
    building.start()
    assert entered.wait(60)
    dev.stop()
    building.join(10)
    assert dev.server is None
    assert [s.process.poll() for s in started] == [-signal.SIGTERM]
