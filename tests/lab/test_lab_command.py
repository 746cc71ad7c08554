"""`knotebook lab`: the command line, its errors, and the jupyter command it runs."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_knotebook

from knotebook.lab import server
from knotebook.local import ports


def test_it_runs_this_environments_jupyter_on_localhost_on_the_folder(tmp_path):
    command = server.jupyter_command(tmp_path, 8899)
    assert command[0] == str(Path(sys.executable).parent / "jupyter")
    assert command[1] == "lab"
    assert "--ServerApp.ip=127.0.0.1" in command and "--no-browser" in command
    assert f"--ServerApp.root_dir={tmp_path}" in command
    assert "--ServerApp.port=8899" in command and "--ServerApp.port_retries=0" in command
    assert not any("token" in part.lower() for part in command)  # never on the command line


@pytest.mark.slow
def test_jupyter_lsp_does_not_list_the_language_servers_it_did_not_find(tmp_path):
    port = ports.free_port()
    command = [str(Path(sys.executable).parent / "knotebook"), "lab", str(tmp_path)]
    lab = subprocess.Popen(
        [*command, "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert lab.stdout is not None
        for line in lab.stdout:
            if "JupyterLab is running" in line:
                break
    finally:
        lab.terminate()
        _out, err = lab.communicate(timeout=60)
    assert "jupyter_lsp" in err  # the extension loaded, and said nothing more
    assert "Skipped non-installed server" not in err


def test_url_carries_the_token_and_the_notebook():
    assert server.lab_url(8888, "abc") == "http://127.0.0.1:8888/lab?token=abc"
    assert server.lab_url(8888, "abc", "vm_created.ipynb") == (
        "http://127.0.0.1:8888/lab/tree/vm_created.ipynb?token=abc"
    )


def test_a_busy_port_is_refused_and_the_default_moves_on():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        busy = sock.getsockname()[1]
        assert not ports.port_free(busy, server.HOST)
        assert server.choose_port(None) != busy


@pytest.mark.slow
def test_errors_are_one_line(tmp_path):
    proc = run_knotebook("lab", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip().endswith(
        "notebooks: no such folder; run from the project root (make lab)"
    ), proc.stderr
    proc = run_knotebook("lab", "missing.ipynb", cwd=tmp_path)
    assert proc.returncode == 1 and "missing.ipynb: no such notebook" in proc.stderr
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        (tmp_path / "notebooks").mkdir()
        port = str(sock.getsockname()[1])
        proc = run_knotebook("lab", "--port", port, cwd=tmp_path)
    assert proc.returncode == 1 and f"port {port} on 127.0.0.1 is in use" in proc.stderr
