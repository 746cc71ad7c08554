"""Starting a bundle's web process: identity-checked readiness, ports, cleanup."""

from __future__ import annotations

import signal
import subprocess

import psutil
import pytest
from conftest import make_project

from knotebook.export import exporter
from knotebook.local import ports, process


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("process") / "project")
    return exporter.export(project / "notebooks" / "vm_created.ipynb").directory


@pytest.fixture(scope="module")
def first(bundle):
    with process.serve(bundle) as running:
        yield running


@pytest.mark.slow
def test_healthz_of_another_instance_is_not_readiness(first):
    assert first.instance
    assert process.ready(first.url, first.instance)
    assert not process.ready(first.url, "another-instance")


@pytest.mark.slow
def test_a_port_taken_between_choice_and_bind_moves_to_another(bundle, first, monkeypatch):
    """Two functions started at once can be handed the same port: the second must not take
    the first's /healthz for its own, and must end up on a port of its own."""
    handed = iter([first.port])
    monkeypatch.setattr(process, "free_port", lambda: next(handed, None) or ports.free_port())
    monkeypatch.setattr(process, "port_free", lambda *_: True)  # the race: free when checked
    second = process.start(bundle)
    try:
        assert second.port != first.port
        assert second.process.pid != first.process.pid
        assert process.ready(second.url, second.instance)
        assert not process.ready(second.url, first.instance)
    finally:
        second.stop()


def _group(command: str) -> process.Server:
    """A real process group led by ``bash -c command``, output piped as ``start`` does."""
    popen = subprocess.Popen(
        [process.BASH, "-c", command],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process.Server("http://127.0.0.1:1", popen)


def test_stop_closes_the_output_pipe():
    server = _group("exec sleep 60")
    assert server.stop() == -signal.SIGTERM
    assert server.process.stdout is not None and server.process.stdout.closed


def test_stop_kills_a_worker_left_when_its_leader_was_already_reaped():
    server = _group("sleep 60 & echo $!; exit 0")
    assert server.process.stdout is not None
    worker = int(server.process.stdout.readline())
    left = psutil.Process(worker)
    server.process.wait()  # reaped before stop(), as start() does when the process exits
    server.stop()
    left.wait(timeout=5)  # psutil.TimeoutExpired if the worker outlived stop()


def test_stop_signals_no_group_once_the_leader_is_reaped_and_the_group_empty(monkeypatch):
    server = _group("exit 3")
    server.process.wait()
    signalled: list[int] = []
    monkeypatch.setattr(process.os, "killpg", lambda pgid, sig: signalled.append(pgid))
    assert server.stop() == 3
    assert signalled == []  # its id may belong to another group by now


def test_every_start_sets_the_services_literal_env(tmp_path):
    """run, try, dev, broker and validate all start through process.start: one place."""
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "service.yaml").write_text(
        "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: f}\n"
        "spec:\n  template:\n    spec:\n      containers:\n        - image: f\n"
        "          env:\n            - name: FROM_SERVICE\n              value: svc\n"
    )
    (tmp_path / "k8s" / "function.env").write_text("FROM_FILE=file\n")
    env = process.environment(tmp_path, 8080, venv=tmp_path / "venv")
    assert (env["FROM_SERVICE"], env["FROM_FILE"]) == ("svc", "file")
