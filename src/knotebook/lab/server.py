"""``knotebook lab``: JupyterLab on the project's notebooks, with a kernel that has knotebook.

JupyterLab runs from this interpreter's environment (so its ``python3`` kernel is this Python,
with knotebook installed), bound to 127.0.0.1, opened on ``notebooks/``. The token comes from
``JUPYTER_TOKEN`` or is generated; it reaches Jupyter through the environment (not the command
line, where ``ps`` would show it), and the URL with the token is printed once the server answers.
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from knotebook.errors import KnotebookError
from knotebook.local.ports import free_port, port_free

HOST = "127.0.0.1"
DEFAULT_PORT = 8888
# The Python language servers jupyter-lsp can use for notebooks (python-lsp-server, jedi's).
PYTHON_LANGUAGE_SERVERS = ("pylsp", "jedi_language_server")


def choose_port(wanted: int | None) -> int:
    """``wanted`` if given (it must be free); else 8888 or the next free port above it."""
    if wanted:
        if not port_free(wanted, HOST):
            raise KnotebookError(f"port {wanted} on {HOST} is in use; pick another with --port")
        return wanted
    for port in range(DEFAULT_PORT, DEFAULT_PORT + 100):
        if port_free(port, HOST):
            return port
    return free_port(HOST)


def jupyter_command(folder: Path, port: int) -> list[str]:
    jupyter = Path(sys.executable).parent / "jupyter"
    if not jupyter.exists():
        raise KnotebookError(
            f"{jupyter} not found: JupyterLab is not installed in this environment "
            "(run `make setup`, or pip install jupyterlab)"
        )
    command = [
        str(jupyter),
        "lab",
        "--no-browser",
        f"--ServerApp.ip={HOST}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={folder}",
    ]
    if not any(importlib.util.find_spec(name) for name in PYTHON_LANGUAGE_SERVERS):
        # jupyter-lsp (a JupyterLab dependency) looks for some twenty language servers and logs
        # the names of all the missing ones; with no Python one installed there is none to find.
        command.append("--LanguageServerManager.autodetect=False")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI machines: bound to localhost anyway
    return command


def ready(port: int, token: str) -> bool:
    conn = http.client.HTTPConnection(HOST, port, timeout=1)
    try:
        conn.request("GET", "/api/status", headers={"Authorization": f"token {token}"})
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def lab_url(port: int, token: str, notebook: str | None = None) -> str:
    path = f"/lab/tree/{notebook}" if notebook else "/lab"
    return f"http://{HOST}:{port}{path}?token={token}"


def serve(target: Path, port: int | None, timeout: float, say: Callable[[str], None]) -> int:
    """Run JupyterLab on ``target`` (a folder or a notebook) until it exits; its exit status.

    ``say`` gets the progress and, once the server is ready, the URL with its token. Ctrl-C and
    SIGTERM reach JupyterLab, which shuts down; the caller's signal handlers are restored on
    return, and JupyterLab never outlives the call.
    """
    notebook = None
    if target.suffix == ".ipynb":
        if not target.is_file():
            raise KnotebookError(f"{target}: no such notebook")
        folder, notebook = target.parent, target.name
    else:
        folder = target
    if not folder.is_dir():
        raise KnotebookError(f"{folder}: no such folder; run from the project root (make lab)")
    folder = folder.resolve()
    port = choose_port(port)
    token = os.environ.get("JUPYTER_TOKEN") or secrets.token_hex(24)
    env = {
        **os.environ,
        "JUPYTER_TOKEN": token,
        # This environment's kernelspec (this Python) wins over a user-level "python3".
        "JUPYTER_PREFER_ENV_PATH": "1",
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    command = jupyter_command(folder, port)
    say(f"Starting JupyterLab on {folder} ({' '.join(command[:2])}) ...")
    process = subprocess.Popen(command, env=env)
    # Ctrl-C reaches JupyterLab directly (same process group): it asks, then shuts down.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN), signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, lambda *_: process.terminate())
    try:
        deadline = time.monotonic() + timeout
        while not ready(port, token):
            if process.poll() is not None:
                raise KnotebookError(f"JupyterLab exited with status {process.returncode}")
            if time.monotonic() > deadline:
                raise KnotebookError(f"JupyterLab did not answer on port {port} in {timeout:.0f} s")
            time.sleep(0.2)
        url = lab_url(port, token, notebook)
        bar = "-" * min(len(url), 100)
        print(
            f"\n{bar}\nJupyterLab is running on {folder} (localhost only). Open:\n\n    {url}\n\n"
            f"Press Ctrl-C twice to stop it.\n{bar}\n",
            flush=True,
        )
        return process.wait()
    finally:
        _end(process)
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])


def _end(process: subprocess.Popen[bytes]) -> None:
    """Terminate, give it 10 s to shut down, then kill; always reaped."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
