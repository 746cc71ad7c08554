"""govmomi's vCenter simulator (vcsim) on 127.0.0.1, for notebooks, tests and the CLI.

>>> from knotebook import vcenter
>>> with vcenter.simulator() as vc:          # builds the launcher on first use (~30 s)
...     si = vc.connect()                     # a pyVmomi ServiceInstance
...     vc.env()                              # VCENTER_URL, VCENTER_USER, VCENTER_PASSWORD, ...

The simulator serves https with a self-signed certificate (``VCENTER_INSECURE=1``), answers
as vCenter 6.5 (``vsphereapiversion`` 6.5) and posts real events for power operations, create,
clone and reconfigure. It stops with the ``with`` block, on ``stop()``, and by itself when the
process that started it goes away (it watches its stdin).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from knotebook.errors import KnotebookError
from knotebook.vcenter import build, client

READY_TIMEOUT = 30.0


@dataclass(frozen=True)
class Model:
    """Inventory size (govmomi's VPX model; names DC0, DC0_C0, DC0_C0_H0, DC0_C0_RP0_VM0...)."""

    datacenters: int = 1
    clusters: int = 1
    hosts: int = 3
    standalone_hosts: int = 1
    vms: int = 2
    datastores: int = 1

    def flags(self) -> list[str]:
        return [
            f"-dc={self.datacenters}",
            f"-cluster={self.clusters}",
            f"-host={self.hosts}",
            f"-standalone-host={self.standalone_hosts}",
            f"-vm={self.vms}",
            f"-ds={self.datastores}",
        ]


@dataclass
class Simulator:
    """A running simulator: its URL and login, and its process."""

    url: str
    username: str
    password: str
    process: subprocess.Popen[str] = field(repr=False)
    _sessions: list[Any] = field(default_factory=list, repr=False)
    _drainer: threading.Thread | None = field(default=None, repr=False)

    @property
    def credentials(self) -> client.Credentials:
        return client.Credentials(self.url, self.username, self.password, insecure=True)

    def env(self) -> dict[str, str]:
        """``VCENTER_URL``, ``VCENTER_USER``, ``VCENTER_PASSWORD``, ``VCENTER_INSECURE=1``."""
        return self.credentials.env()

    def connect(self) -> Any:
        """A pyVmomi ServiceInstance logged in to the simulator (logged out on stop)."""
        si = client.connect(self.credentials)
        self._sessions.append(si)
        return si

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """Log out, then stop the simulator (closing its stdin; SIGTERM, then SIGKILL)."""
        for si in self._sessions:
            client.disconnect(si)
        self._sessions.clear()
        with contextlib.suppress(OSError):
            if self.process.stdin:
                self.process.stdin.close()
        try:
            self.process.wait(timeout=timeout / 2)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout / 2)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._drainer is not None:  # it ends at the pipes' EOF, now that the process is gone
            self._drainer.join(timeout=2)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _first_line(process: subprocess.Popen[str], timeout: float) -> str | None:
    """The launcher's ready line, or None when it exits or says nothing in time."""
    box: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: box.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    return box[0] if box and box[0] else None


def start(
    port: int = 0,
    *,
    model: Model | None = None,
    username: str = "user",
    password: str = "pass",
    progress: Callable[[str], None] | None = None,
) -> Simulator:
    """Start a simulator on 127.0.0.1 (port 0 = any free port); build it first when missing."""
    from knotebook.local.ports import port_free

    if port and not port_free(port, "127.0.0.1"):  # before a first-use build, not after
        raise KnotebookError(
            f"the vCenter simulator did not start: port {port} is already in use "
            "(--port 0 takes any free one)"
        )
    binary = build.ensure(progress)
    command = [
        str(binary),
        "-stdin",
        f"-l=127.0.0.1:{port}",
        f"-username={username}",
        f"-password={password}",
        *(model or Model()).flags(),
    ]
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    except OSError as exc:
        raise KnotebookError(f"cannot start {binary}: {exc.strerror or exc}") from exc
    line = _first_line(process, READY_TIMEOUT)
    if line is None:
        if process.poll() is None:
            process.kill()
        process.wait()
        assert process.stderr is not None
        errors = [x.strip() for x in process.stderr.read().splitlines() if x.strip()]
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        reason = errors[0] if errors else f"no answer within {READY_TIMEOUT:.0f} s"
        if "address already in use" in reason:
            reason = f"port {port} is already in use (--port 0 takes any free one)"
        raise KnotebookError(f"the vCenter simulator did not start: {reason}")
    ready = json.loads(line)
    drainer = threading.Thread(target=_drain, args=(process,), daemon=True)
    drainer.start()
    return Simulator(ready["url"], ready["username"], ready["password"], process, _drainer=drainer)


def _drain(process: subprocess.Popen[str]) -> None:
    """Keep reading the launcher's output so it never blocks on a full pipe."""
    for stream in (process.stderr, process.stdout):
        if stream is not None:
            for _line in stream:
                pass


@contextlib.contextmanager
def simulator(port: int = 0, **kwargs: Any) -> Iterator[Simulator]:
    """``with simulator() as vc:`` a running simulator, stopped when the block ends."""
    sim = start(port, **kwargs)
    try:
        yield sim
    finally:
        sim.stop()
