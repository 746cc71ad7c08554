"""Run an exported bundle locally the way the buildpack launcher does: the Procfile's ``web``
command under ``bash -c``, with ``PORT`` and ``k8s/function.env`` in the environment.

With ``venv`` (see ``knotebook.local.venvs``) the command runs isolated, with that venv's ``bin``
first on ``PATH`` as the buildpack's layer would be; without it, with this interpreter's ``bin``."""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from knotebook.errors import KnotebookError
from knotebook.local import bootfail
from knotebook.local.ports import free_port, port_free
from knotebook.local.service import service_env
from knotebook.project import envfile, secret_files
from knotebook.project.procfile import web_command as procfile_web_command
from knotebook.runtime.responses import INSTANCE_HEADER

# The launcher's shell, resolved from knotebook's own PATH: a function.env that sets PATH
# (PATH=/nope) changes what the web command finds, not whether it can start at all.
BASH = shutil.which("bash") or "/bin/bash"

# The all-interfaces address in a web command's bind option: gunicorn's --bind/-b HOST:PORT
# (the Procfile's), uvicorn's or functions-framework's --host HOST.
WILDCARD_BIND = re.compile(
    r"""(?P<opt>(?:--bind[= ]|-b\s*)["']?)(?:0\.0\.0\.0|\[::\])?(?=:)"""
    r"""|(?P<hostopt>--host[= ]["']?)(?:0\.0\.0\.0|::)(?=["'\s]|$)"""
)
LOCAL_HOST = "127.0.0.1"
WILDCARDS = ("0.0.0.0", "::", "[::]", "")
BIND_OPTION = re.compile(r"(?:^|\s)(?:--bind\b|-b)")


def web_command(bundle: Path) -> str:
    """The ``web:`` command of the bundle's Procfile."""
    procfile = bundle / "Procfile"
    try:
        text = procfile.read_text(encoding="utf-8")
    except OSError:
        raise KnotebookError(f"{procfile}: no Procfile; is {bundle} an exported bundle?") from None
    command = procfile_web_command(text)
    if command is None:
        raise KnotebookError(f"{procfile}: no 'web:' line")
    return command


def local_command(command: str, host: str = LOCAL_HOST) -> str:
    """The web command bound to ``host`` instead of all interfaces: on a laptop, with the
    function's secrets loaded, only this machine reaches it unless the user opens it up."""
    address = f"[{host}]" if ":" in host and not host.startswith("[") else host

    def bind(match: re.Match[str]) -> str:
        return (match.group("opt") or match.group("hostopt")) + (
            address if match.group("opt") else host
        )

    bound = WILDCARD_BIND.sub(bind, command)
    if bound.split(None, 1)[:1] == ["gunicorn"] and not BIND_OPTION.search(bound):
        # gunicorn.conf.py binds 0.0.0.0:$PORT; a --bind on the command line takes precedence
        bound = bound.replace("gunicorn", f'gunicorn --bind "{address}:$PORT"', 1)
    return bound


def group_pids(pgid: int) -> list[int]:
    """Live processes of a process group: the web process and its workers.

    By group rather than psutil's ``children()``: a worker whose master was killed is
    re-parented to init, out of the tree, but stays in the group (and ``stop`` kills the group).
    """
    found = []
    for proc in psutil.process_iter(["status"]):
        with suppress(psutil.Error, OSError):
            if os.getpgid(proc.pid) == pgid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(proc.pid)
    return sorted(found)


@dataclass
class Server:
    """A running bundle: its URL, process and the log lines it printed so far."""

    url: str
    process: subprocess.Popen[bytes]
    logs: list[str] = field(default_factory=list)
    bundle: Path | None = None
    pump: threading.Thread | None = field(default=None, repr=False)
    instance: str = ""  # KNOTEBOOK_INSTANCE: the nonce its /healthz echoes

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM (as Knative sends it), then SIGKILL after ``timeout``; returns the exit code.

        The group is signalled only while its leader is unreaped (a zombie keeps its pid, the
        group's id, from being reused) or while the group still has members."""
        pid = self.process.pid
        if self.process.returncode is None:
            with suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            nudge = time.monotonic() + 1.0
            while not self._exited() and time.monotonic() < deadline:
                time.sleep(0.02)
                if time.monotonic() >= nudge:  # a worker still booting can miss the first one
                    self._nudge_workers(pid)
                    nudge += 1.0
            if not self._exited():
                with suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
            # whatever the group still holds (workers of a master that was killed) goes too
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            self.process.wait()
        elif group_pids(pid):  # reaped earlier: its id stays the group's only while one lives
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        if self.pump is not None:
            self.pump.join(2)  # so ``logs`` holds every line the process wrote
        if self.process.stdout is not None and (self.pump is None or not self.pump.is_alive()):
            self.process.stdout.close()
        return self.process.returncode

    @staticmethod
    def _nudge_workers(pgid: int) -> None:
        """SIGTERM again to the workers (not the master): one that was still starting when the
        first arrived never saw it and would hold the master's graceful shutdown open."""
        for worker in group_pids(pgid):
            if worker != pgid:
                with suppress(ProcessLookupError):
                    os.kill(worker, signal.SIGTERM)

    def _exited(self) -> bool:
        """The leader has exited, left unreaped (``WNOWAIT``) until the group is killed."""
        if self.process.returncode is not None:
            return True
        try:
            found = os.waitid(os.P_PID, self.process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:  # reaped elsewhere
            return True
        return found is not None

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def __repr__(self) -> str:
        code = self.process.poll()
        state = "running" if code is None else f"exited {code}"
        return f"<Server {self.url}/ pid={self.process.pid} {state}, {len(self.logs)} log lines>"


def _pump(stream, logs: list[str], echo: bool | str) -> None:
    prefix = f"{echo} | " if isinstance(echo, str) else ""
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip("\n")
        logs.append(line)
        if echo:
            # one write per line: print() writes the text and the newline separately, and the
            # broker's own lines (other threads) would land between them
            sys.stderr.write(f"{prefix}{line}\n")
            sys.stderr.flush()


def ready(url: str, instance: str) -> bool:
    """``GET /healthz`` answers 200 from the process started with ``instance``: an answer
    echoing another nonce comes from another function that got the same port."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host.strip("[]"), int(port), timeout=1)
    try:
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        echoed = response.getheader(INSTANCE_HEADER)
        return response.status == 200 and echoed in (None, instance)
    except OSError:
        return False
    finally:
        conn.close()


# gunicorn's line when its port is taken (it retries for ~5 s before giving up)
BIND_FAILED = re.compile(r"Connection in use|Address already in use")


# What an isolated run keeps from the caller's environment: what a container also has (PATH,
# HOME, locale, time zone, temp dir) and what a developer machine may need to reach the network
# (CA bundles, proxies). Anything else must come from k8s/function.env, as in the cluster.
PASSTHROUGH = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "LANG",
        "LANGUAGE",
        "TZ",
        "TMPDIR",
        "TERM",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "REQUESTS_CA_BUNDLE",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "no_proxy",
    }
)


def environment(
    bundle: Path,
    port: int,
    venv: Path | None = None,
    extra: dict[str, str] | None = None,
    override: dict[str, str] | None = None,
) -> dict[str, str]:
    """The web process's environment: ``k8s/function.env`` (strict), PORT, Knative's K_*.

    Without ``venv``: on top of ours. With ``venv`` (isolated, as in a container): only the
    ``PASSTHROUGH`` variables of ours, then the Service's literal ``env`` (``service_env``, for
    every start), ``extra``, the env
    file, PORT and K_*.
    """
    env_path = bundle / "k8s" / "function.env"
    values = {**secret_files.read(bundle), **(envfile.read(env_path) if env_path.is_file() else {})}
    if venv is None:
        base = dict(os.environ)
    else:
        base = {k: v for k, v in os.environ.items() if k in PASSTHROUGH or k.startswith("LC_")}
    env = {**base, **service_env(bundle), **(extra or {}), **values, **(override or {})}
    env.update(PORT=str(port), PYTHONUNBUFFERED="1")
    service = bundle.resolve().name
    env.update(K_SERVICE=service, K_CONFIGURATION=service, K_REVISION=f"{service}-00001")
    path = env.get("PATH", os.defpath).split(os.pathsep)
    if venv is None:
        # The buildpack puts the installed packages on PATH; here that is this interpreter's bin.
        path.insert(0, str(Path(sys.executable).parent))
    else:
        # Isolated: the bundle's venv only; not the venv knotebook itself may run from.
        outer = os.environ.get("VIRTUAL_ENV")
        if outer:
            path = [p for p in path if Path(p) != Path(outer) / "bin"]
        path = [p for p in path if Path(p) != Path(sys.executable).parent]
        path.insert(0, str(venv / "bin"))
        env["VIRTUAL_ENV"] = str(venv)
        env["PYTHONNOUSERSITE"] = "1"
    env["PATH"] = os.pathsep.join(p for p in path if p)
    return env


class PortTaken(KnotebookError):
    """The web process could not bind its port (another process took it first)."""


def start(bundle: Path, *, port: int | None = None, **kwargs: Any) -> Server:
    """``_start`` on ``port``, or on a free port: a port another process takes between
    ``free_port()`` and the bind (functions started at once) is replaced by another one."""
    for attempt in range(3):
        try:
            return _start(Path(bundle), port=port or free_port(), **kwargs)
        except PortTaken:
            if port or attempt == 2:
                raise
    raise AssertionError("unreachable")


def _start(
    bundle: Path,
    *,
    port: int,
    echo: bool | str = False,
    timeout: float = 30.0,
    venv: Path | None = None,
    extra_env: dict[str, str] | None = None,
    override_env: dict[str, str] | None = None,
    host: str = LOCAL_HOST,
) -> Server:
    """Start the bundle's web process and wait until ``GET /healthz`` answers 200.

    ``venv``: run with that virtual environment (``knotebook.local.venvs.ensure``) instead of this
    interpreter's packages, and an environment like a container's (``environment``);
    ``extra_env``: more variables (the Service's literal ``env`` is always set); ``override_env``:
    variables that win over k8s/function.env too (validation's stand-ins). ``echo``: copy
    the process's output to stderr as it comes (a string: with that prefix, e.g. the
    function's name when several run at once). ``host``: the address it listens on (the
    Procfile's all-interfaces bind is rewritten; ``0.0.0.0`` keeps it open).
    """
    command = local_command(web_command(bundle), host)
    if not port_free(port, host):
        raise PortTaken(f"port {port} on {host} is in use; pick another with --port")
    env = environment(bundle, port, venv, extra_env, override_env)
    instance = env["KNOTEBOOK_INSTANCE"] = secrets.token_hex(8)
    if host not in WILDCARDS and re.match(r"\s*(?:exec\s+)?gunicorn\b", command):
        # gunicorn.conf.py binds 0.0.0.0 (right in a container); GUNICORN_CMD_ARGS overrides
        # the config file (a --bind on the command line was rewritten above)
        address = f"[{host}]" if ":" in host else host
        extra = f"--bind {address}:{port}"
        env["GUNICORN_CMD_ARGS"] = f"{env.get('GUNICORN_CMD_ARGS', '')} {extra}".strip()
    process = subprocess.Popen(
        [BASH, "-c", command],
        cwd=bundle,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    reach = LOCAL_HOST if host in WILDCARDS else host
    reach = f"[{reach}]" if ":" in reach and not reach.startswith("[") else reach
    server = Server(f"http://{reach}:{port}", process, bundle=bundle, instance=instance)
    server.pump = threading.Thread(
        target=_pump, args=(process.stdout, server.logs, echo), daemon=True
    )
    server.pump.start()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                time.sleep(0.1)  # let the pump collect the last lines
                if server.pump is not None:
                    server.pump.join(2)
                cause = bootfail.explain(server.logs, bundle)
                if cause:
                    raise KnotebookError(f"{bundle}: the function failed to start: {cause}")
                tail = " | ".join(server.logs[-3:]) or "no output"
                raise KnotebookError(
                    f"{bundle}: web process exited with {process.returncode}: {tail}"
                )
            if any(BIND_FAILED.search(line) for line in server.logs):
                raise PortTaken(f"port {port} on {host} is in use; pick another with --port")
            if ready(server.url, instance):
                return server
            time.sleep(0.05)
    except BaseException:  # Ctrl-C while starting: leave nothing behind
        server.stop()
        raise
    server.stop()
    raise KnotebookError(f"{bundle}: web process not ready on {server.url} after {timeout:.0f} s")


@contextmanager
def serve(bundle: Path, **kwargs) -> Iterator[Server]:
    """``start`` as a context manager that always stops the process."""
    server = start(bundle, **kwargs)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises KeyboardInterrupt like Ctrl-C, so cleanup code runs."""

    def interrupt(_signum, _frame):
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
