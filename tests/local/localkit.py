"""Helpers for the local-loop tests: one venv cache per session, real processes, their output."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
from conftest import KNOTEBOOK, SETTINGS, notebook_cells

from knotebook.local import process

_CACHE: list[str] = []


def session_cache() -> str:
    """KNOTEBOOK_CACHE_DIR for the whole test session: the venv is built once, fresh."""
    if not _CACHE:
        _CACHE.append(tempfile.mkdtemp(prefix="knotebook-test-cache-"))
        atexit.register(shutil.rmtree, _CACHE[0], ignore_errors=True)
        os.environ["KNOTEBOOK_CACHE_DIR"] = _CACHE[0]
    return _CACHE[0]


def write_function(
    project: Path, name: str, handler: str, events: tuple[str, ...] = ("VmCreatedEvent",)
) -> Path:
    settings = SETTINGS.format(name=name, events=list(events), envelope="tanzu")
    params = ('EVENT = "VmCreatedEvent"', ["parameters"])
    path = project / "notebooks" / f"{name}.ipynb"
    nbformat.write(notebook_cells(settings, params, handler), path)
    return path


class Proc:
    """A real ``knotebook`` process in its own session (as a shell job), output in files."""

    def __init__(
        self, *args: str, cwd: Path, cache: str | None = None, env: dict | None = None
    ) -> None:
        self.out = Path(tempfile.mkstemp(prefix="kn-out-")[1])
        self.err = Path(tempfile.mkstemp(prefix="kn-err-")[1])
        atexit.register(self.out.unlink, missing_ok=True)
        atexit.register(self.err.unlink, missing_ok=True)
        cache = cache or session_cache()
        env = {**os.environ, **(env or {}), "KNOTEBOOK_CACHE_DIR": cache, "PYTHONUNBUFFERED": "1"}
        self.started = time.monotonic()
        self.popen = subprocess.Popen(
            [KNOTEBOOK, *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.out.open("wb"),
            stderr=self.err.open("wb"),
            start_new_session=True,
        )

    @property
    def stdout(self) -> str:
        return self.out.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.err.read_text(errors="replace")

    def wait_for(
        self, text: str | Callable[[str], bool], timeout: float = 120.0, stream: str = "stdout"
    ) -> float:
        """Seconds since start when ``text`` appeared in the output."""
        check = text if callable(text) else (lambda out: text in out)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check(getattr(self, stream)):
                return time.monotonic() - self.started
            if self.popen.poll() is not None and not check(getattr(self, stream)):
                raise AssertionError(
                    f"exited {self.popen.returncode} before {text!r}:\n{self.stdout}\n{self.stderr}"
                )
            time.sleep(0.02)
        raise AssertionError(f"no {text!r} after {timeout} s:\n{self.stdout}\n{self.stderr}")

    def web_pids(self) -> list[int]:
        """The web process group (gunicorn master + workers) this knotebook process started."""
        pids = []
        for child in children(self.popen.pid):
            pids += process.group_pids(child)
        return pids

    def interrupt(self, sig: int = signal.SIGINT, timeout: float = 30.0) -> int:
        """Ctrl-C as a terminal sends it: to the foreground process group."""
        os.killpg(self.popen.pid, sig)
        return self.popen.wait(timeout)

    def kill(self) -> None:
        if self.popen.poll() is None:
            for pid in self.web_pids():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pids: list[int]) -> list[int]:
    left = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if state != "Z":
            left.append(pid)
    return left
