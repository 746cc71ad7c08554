"""The bundle's web: line runs with and without a shell, in a venv holding only the bundle's
requirements (as in the image): the runtime comes from the bundle's knotebook/runtime/ copy."""

from __future__ import annotations

import os
import runpy
import shlex
import signal
import subprocess
import time
import urllib.request

import pytest
from runtime_support import REQUIRED, binary, echo_bundle, request

from knotebook.local import process, venvs
from knotebook.project.procfile import web_command

__all__ = ["echo_bundle"]


@pytest.fixture(scope="module")
def venv(echo_bundle):
    return venvs.ensure(echo_bundle / "requirements.txt")


def start(argv, bundle, venv, port):
    env = {
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
        "HOME": os.environ.get("HOME", "/tmp"),
        "PORT": str(port),
        "KNOTEBOOK_TIMEOUT_SECONDS": "30",
    }
    return subprocess.Popen(
        argv, cwd=bundle, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def wait_ready(url, proc, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read().decode()
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("not ready")


@pytest.mark.slow
@pytest.mark.parametrize("launcher", ["direct", "bash -c"])
def test_the_web_line_runs_with_and_without_a_shell(echo_bundle, venv, launcher):
    """Paketo's tiny stack and BP_DIRECT_PROCESS=true exec the line split into words (no
    ${PORT} expansion); Google's builders and Paketo's default run it under bash -c."""
    web = web_command((echo_bundle / "Procfile").read_text())
    assert web is not None
    argv = shlex.split(web) if launcher == "direct" else ["bash", "-c", web]
    port = process.free_port()
    proc = start(argv, echo_bundle, venv, port)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, proc)
        echoed = request(url, *binary(REQUIRED)).echo
        assert echoed["attributes"] == REQUIRED
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = proc.stdout.read().decode()
    assert "Using worker: knotebook.runtime.worker.UvicornWorker" in log
    assert f"Listening at: http://0.0.0.0:{port}" in log


@pytest.mark.slow
def test_the_bundles_venv_has_no_knotebook_so_the_runtime_is_the_bundles_copy(echo_bundle, venv):
    python = str(venv / "bin" / "python")
    outside = subprocess.run(
        [python, "-c", "import knotebook.runtime"], cwd="/", capture_output=True
    )
    assert outside.returncode != 0
    inside = subprocess.run(
        [python, "-c", "import knotebook.runtime as r; print(r.__file__)"],
        cwd=echo_bundle,
        capture_output=True,
        text=True,
    )
    assert inside.returncode == 0, inside.stderr
    assert inside.stdout.strip() == str(echo_bundle / "knotebook" / "runtime" / "__init__.py")


@pytest.mark.parametrize("timeout", [290, 120, 31])
def test_gunicorn_conf_fits_knatives_grace_period_and_keeps_connections(
    echo_bundle, monkeypatch, timeout
):
    """terminationGracePeriodSeconds = timeoutSeconds (300), the queue-proxy drains 30 s
    before SIGTERM, and reuses idle connections for up to 90 s (Go's default)."""
    monkeypatch.setenv("PORT", "9999")
    monkeypatch.setenv("KNOTEBOOK_TIMEOUT_SECONDS", str(timeout))
    conf = runpy.run_path(str(echo_bundle / "gunicorn.conf.py"))
    assert conf["bind"] == "0.0.0.0:9999"
    assert conf["worker_class"] == "knotebook.runtime.worker.UvicornWorker"
    assert conf["control_socket_disable"] is True
    drain, grace = 30, 300
    assert drain + conf["graceful_timeout"] < grace  # SIGKILL never cuts a drained shutdown
    assert conf["graceful_timeout"] >= timeout - drain  # the last event can still finish
    assert conf["timeout"] > timeout  # the runtime's own cut (504) answers first
    assert conf["keepalive"] > 90 and drain + conf["keepalive"] < grace


def test_gunicorn_conf_defaults_to_port_8080(echo_bundle, monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    monkeypatch.delenv("KNOTEBOOK_TIMEOUT_SECONDS", raising=False)
    conf = runpy.run_path(str(echo_bundle / "gunicorn.conf.py"))
    assert conf["bind"] == "0.0.0.0:8080"
    assert conf["graceful_timeout"] == 265


@pytest.mark.parametrize("value", ["abc", "0", "-5", "1.5"])
def test_a_bad_timeout_stops_gunicorn_with_one_line(echo_bundle, monkeypatch, value):
    """gunicorn prints a SystemExit's message alone (any other error from its config file comes
    with a traceback), and the container exits 1."""
    monkeypatch.setenv("KNOTEBOOK_TIMEOUT_SECONDS", value)
    with pytest.raises(SystemExit) as stopped:
        runpy.run_path(str(echo_bundle / "gunicorn.conf.py"))
    assert str(stopped.value) == (
        f"KNOTEBOOK_TIMEOUT_SECONDS={value!r}: expected a whole number of seconds, at least 1"
    )
