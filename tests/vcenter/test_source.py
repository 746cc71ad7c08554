"""`knotebook source`: live events POSTed as binary-mode CloudEvents, as VEBA's source does."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import KNOTEBOOK, run_knotebook
from pyVmomi import vim

from knotebook import vcenter
from knotebook.vcenter import source
from knotebook.vcenter.inventory import find, wait

pytestmark = pytest.mark.slow  # the vCenter simulator


class Sink(ThreadingHTTPServer):
    """A function stand-in that keeps every request; answers 500 to the first ``fail`` ones."""

    daemon_threads = True

    def __init__(self, fail: int = 0) -> None:
        super().__init__(("127.0.0.1", 0), _SinkHandler)
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.fail = fail

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class _SinkHandler(BaseHTTPRequestHandler):
    server: Sink

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = {k.lower(): v for k, v in self.headers.items()}  # case-insensitive
        self.server.received.append((headers, body))
        status = 500 if self.server.fail > 0 else 204
        self.server.fail -= 1
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = Sink()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_binary_mode_tanzu_envelope(vcsim, sink):
    si = vcsim.connect()
    wait(find(si, vim.VirtualMachine).PowerOffVM_Task())
    outcome = source.run(vcsim.credentials, sink.url, from_start=True, once=True, say=print)
    assert outcome.ok and outcome.delivered
    by_type = {h["ce-type"]: (h, b) for h, b in sink.received}
    headers, body = by_type["com.vmware.vsphere.VmPoweredOffEvent.v0"]
    data = json.loads(body)
    assert headers["content-type"] == "application/json"
    assert headers["ce-id"] == str(data["Key"]) and headers["ce-source"] == vcsim.url
    assert headers["ce-eventclass"] == "event" and headers["ce-vsphereapiversion"] == "6.5"
    assert "ce-subject" not in headers
    keys = [int(h["ce-id"]) for h, _ in sink.received]
    assert keys == sorted(keys) and len(keys) == len(set(keys))  # in order, once each


def test_router_envelope_and_retries(vcsim, sink):
    sink.fail = 2
    si = vcsim.connect()
    mark = vcenter.watermark(si)
    wait(find(si, vim.VirtualMachine).PowerOffVM_Task())
    feed = source.Feed.open(vcsim.credentials, watermark=mark)
    try:
        off = [e for e in feed.poll() if e._wsdlName == "VmPoweredOffEvent"]
        event = feed.cloudevent(off[-1], "router")
    finally:
        feed.close()
    result = source.deliver(sink.url, event, backoff=0.01)
    assert result.ok and len(sink.received) == 3  # two 500s, then delivered
    headers = sink.received[-1][0]
    assert headers["ce-type"] == "com.vmware.event.router/event"
    assert headers["ce-subject"] == "VmPoweredOffEvent"


def test_cli_once_from_the_environment(vcsim, sink, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **vcsim.env()}
    done = run_knotebook(
        "source",
        "--to",
        sink.url,
        "--from-start",
        "--once",
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "com.vmware.vsphere.DatacenterCreatedEvent.v0 id 1 -> 204" in done.stdout
    assert len(sink.received) >= 20


def test_cli_without_credentials_is_one_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = run_knotebook(
        "source",
        "--vcenter",
        "https://127.0.0.1:1/sdk",
        env=env,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: no vCenter credentials: set VCENTER_USER and VCENTER_PASSWORD "
        "(in the environment or a --credentials env file)"
    ]


def test_a_missing_credentials_file_is_one_line_naming_it(tmp_path):
    done = run_knotebook(
        "source",
        "--credentials",
        "missing.env",
        "--once",
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: cannot read the credentials file missing.env: No such file or directory"
    ]


def test_env_file_errors_name_a_line_only_when_there_is_one():
    from knotebook.errors import EnvFileError

    assert str(EnvFileError("a.env", 0, "No such file or directory")) == (
        "a.env: No such file or directory"
    )
    assert str(EnvFileError("a.env", 3, "FOO is set twice")) == "a.env:3: FOO is set twice"


def test_resume_neither_loses_nor_repeats(vcsim, sink, tmp_path):
    checkpoint = tmp_path / "source.json"
    first = source.run(
        vcsim.credentials, sink.url, once=True, checkpoint=checkpoint, say=lambda _: None
    )
    si = vcsim.connect()
    wait(find(si, vim.VirtualMachine).PowerOffVM_Task())  # happens while the source is down
    second = source.run(
        vcsim.credentials, sink.url, once=True, checkpoint=checkpoint, say=lambda _: None
    )
    keys = [int(headers["ce-id"]) for headers, _ in sink.received]
    assert (
        len(keys) == len(set(keys)) == len(first.delivered) + len(second.delivered)
    )  # nothing twice
    assert keys == list(range(keys[0], keys[-1] + 1))  # nothing missing
    assert "com.vmware.vsphere.VmPoweredOffEvent.v0" in {h["ce-type"] for h, _ in sink.received}


def _checkpointed(path: Path) -> int:
    return int(next(iter(json.loads(path.read_text()).values()))["key"])


def test_undelivered_events_are_not_checkpointed(vcsim, tmp_path, cli, project):
    """Issue: `--to http://127.0.0.1:1/` refused every event, yet the checkpoint moved past them."""
    (project / "vcsim.env").write_text("".join(f"{k}={v}\n" for k, v in vcsim.env().items()))
    args = ("source", "--credentials", "vcsim.env", "--to", "http://127.0.0.1:1/", "--once")
    first = cli(*args, "--resume", cwd=project)
    assert first.exit_code == 0, first.output
    checkpoint = project / "build" / "knotebook-source.json"
    before = _checkpointed(checkpoint)
    si = vcsim.connect()
    wait(find(si, vim.VirtualMachine).PowerOffVM_Task())
    undelivered = vcenter.watermark(si) - before
    refused = cli(*args, "--resume", cwd=project)
    assert refused.exit_code == 1
    assert "-> no answer" in refused.output
    assert _checkpointed(checkpoint) == before  # nothing was accepted: nothing is skipped
    summary = refused.output.splitlines()[-1]
    found = re.fullmatch(
        rf"0 events delivered, (\d+) events not delivered \(id {before + 1}: no answer\); "
        r"`--resume` sends them again",
        summary,
    )
    assert found and int(found[1]) >= undelivered, summary  # + the source's own login


def test_delivery_stops_at_the_first_refusal_and_resumes_there(vcsim, tmp_path):
    """A sink that answers 500 to everything, then recovers: each event arrives exactly once."""
    checkpoint = tmp_path / "source.json"
    source.run(
        vcsim.credentials, "http://127.0.0.1:9/", once=True, checkpoint=checkpoint, say=print
    )
    mark = _checkpointed(checkpoint)
    si = vcsim.connect()
    wait(find(si, vim.VirtualMachine).PowerOffVM_Task())
    waiting = vcenter.watermark(si)
    server = Sink(fail=10**6)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        down = source.run(
            vcsim.credentials, server.url, once=True, checkpoint=checkpoint, say=lambda _: None
        )
        assert not down.ok and down.failed is not None and down.failed.status == 500
        assert down.delivered == [] and down.pending >= waiting - mark
        assert {int(h["ce-id"]) for h, _ in server.received} == {mark + 1}  # stopped there
        assert _checkpointed(checkpoint) == mark
        server.fail, server.received = 0, []
        up = source.run(
            vcsim.credentials, server.url, once=True, checkpoint=checkpoint, say=lambda _: None
        )
    finally:
        server.shutdown()
        server.server_close()
    assert up.ok and len(up.delivered) >= down.pending  # + the logins since
    newest = _checkpointed(checkpoint)
    assert newest >= waiting
    assert [int(h["ce-id"]) for h, _ in server.received] == list(range(mark + 1, newest + 1))


def interrupt_when(ready: tuple[str, ...], args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run a following command, Ctrl-C it once a line starts with ``ready``; its output."""
    proc = subprocess.Popen(
        args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith(ready):
            break
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=60)
    return "".join(lines) + rest


def test_a_plain_run_keeps_the_checkpoint_for_resume(vcsim, sink, tmp_path, project):
    """Issue: Ctrl-C on a run without --resume kept no checkpoint; --resume then skipped events."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **vcsim.env()}
    plain = interrupt_when(("Following",), [KNOTEBOOK, "source", "--to", sink.url], project, env)
    assert "Stopped." in plain and "0 events delivered" in plain
    si = vcsim.connect()
    wait(find(si, vim.VirtualMachine).PowerOffVM_Task())  # while no source runs
    resumed = run_knotebook(
        "source",
        "--to",
        sink.url,
        "--once",
        "--resume",
        cwd=project,
        env=env,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "Resuming" in resumed.stdout
    assert "com.vmware.vsphere.VmPoweredOffEvent.v0" in {h["ce-type"] for h, _ in sink.received}


def test_resume_without_a_checkpoint_says_so(vcsim, sink, tmp_path):
    checkpoint = tmp_path / "source.json"
    said: list[str] = []
    source.run(vcsim.credentials, sink.url, once=True, checkpoint=checkpoint, say=said.append)
    assert said[0].startswith(f"No checkpoint for {vcsim.url} in {checkpoint}: starting with")
    assert _checkpointed(checkpoint) > 0  # a later --resume continues from here
    si = vcsim.connect()
    wait(find(si, vim.VirtualMachine).PowerOffVM_Task())
    said.clear()
    source.run(
        vcsim.credentials, sink.url, once=True, checkpoint=checkpoint, resume=False, say=said.append
    )
    assert said[0].startswith("Not resuming: events ") and "(--resume sends them)" in said[0]
