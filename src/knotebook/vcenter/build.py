"""Build the simulator launcher from Debian's govmomi, offline, once per launcher source.

Debian's ``golang-github-vmware-govmomi-dev`` ships govmomi's ``simulator`` package but drops
upstream's ``vcsim`` command; ``launcher/main.go`` (package data) is the small command that
serves it. It is built with ``GO111MODULE=off`` against ``/usr/share/gocode`` (no module proxy)
into ``<cache>/vcsim/<hash>/knotebook-vcsim``, atomically and under a lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path

from knotebook.errors import KnotebookError
from knotebook.project.cache import directory as cache_dir

GOCODE = Path(os.environ.get("KNOTEBOOK_GOCODE", "/usr/share/gocode"))
GOVMOMI = "github.com/vmware/govmomi"
PACKAGES = "golang-go golang-github-vmware-govmomi-dev"
BINARY = "knotebook-vcsim"
INSTALL_HINT = f"install them with: apt-get install {PACKAGES}"


def launcher_source() -> bytes:
    return resources.files("knotebook.vcenter").joinpath("launcher/main.go").read_bytes()


def go_command() -> str | None:
    """The ``go`` tool: on PATH, else where Debian's golang-go puts it."""
    found = shutil.which("go")
    if found:
        return found
    debian = Path("/usr/lib/go/bin/go")
    return str(debian) if debian.is_file() else None


def missing() -> str | None:
    """Why the launcher cannot be built here (None when it can)."""
    if go_command() is None:
        return f"the Go toolchain is not installed; {INSTALL_HINT}"
    if not (GOCODE / "src" / GOVMOMI / "simulator").is_dir():
        return f"govmomi's simulator sources are not in {GOCODE}; {INSTALL_HINT}"
    return None


def binary_path() -> Path:
    """Where the launcher for this source lives (it may not be built yet).

    The cache folder (``$KNOTEBOOK_CACHE_DIR``), else the user's cache when the launcher is
    already built there: it depends only on its source, so a fresh cache folder (tests, CI
    jobs) reuses it instead of building it again.
    """
    override = os.environ.get("KNOTEBOOK_VCSIM")
    if override:
        return Path(override)
    relative = Path("vcsim") / hashlib.sha256(launcher_source()).hexdigest()[:16] / BINARY
    target = cache_dir() / relative
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    shared = Path(base) / "knotebook" / relative
    return shared if not target.is_file() and shared.is_file() else target


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _dependencies(go: str, env: dict[str, str], src: Path) -> int:
    """How many packages the launcher needs (for the progress count); 0 when unknown."""
    result = subprocess.run(
        [go, "list", "-deps", "."], cwd=src, env=env, capture_output=True, text=True, check=False
    )
    return len(result.stdout.split()) if result.returncode == 0 else 0


def ensure(progress: Callable[[str], None] | None = None) -> Path:
    """The launcher binary, built first when missing (``progress`` gets one line per step)."""
    target = binary_path()
    if target.is_file():
        return target
    if os.environ.get("KNOTEBOOK_VCSIM"):
        raise KnotebookError(f"KNOTEBOOK_VCSIM names {target}, which does not exist")
    reason = missing()
    if reason:
        raise KnotebookError(f"cannot build the vCenter simulator: {reason}")
    say = progress or (lambda _line: None)
    with _locked(target.parent.parent):
        if target.is_file():  # built by someone else while we waited
            return target
        _build(target, say)
    return target


def _build(target: Path, say: Callable[[str], None]) -> None:
    go = go_command()
    assert go is not None
    started = time.monotonic()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="build-", dir=target.parent.parent) as tmp:
        gopath = Path(tmp) / "gopath"
        src = gopath / "src" / BINARY
        src.mkdir(parents=True)
        (src / "main.go").write_bytes(launcher_source())
        env = {
            **os.environ,
            "GO111MODULE": "off",
            "GOPATH": f"{gopath}:{GOCODE}",
            "GOFLAGS": "",
            "CGO_ENABLED": "0",
            "GOCACHE": str(Path(tmp) / "gocache"),  # ~150 MB, needed once: dropped after
        }
        total = _dependencies(go, env, src)
        say(
            f"Building the vCenter simulator from Debian's govmomi (first use; {total} packages,"
            " about a minute)"
        )
        out = Path(tmp) / BINARY
        proc = subprocess.Popen(
            [go, "build", "-v", "-trimpath", "-o", str(out), "."],
            cwd=src,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stderr is not None
        lines: list[str] = []
        last = 0.0
        for done, line in enumerate(proc.stderr, 1):
            lines.append(line.rstrip())
            now = time.monotonic()
            if now - last >= 2:
                say(f"  compiled {done}/{total or '?'} packages ({now - started:.0f} s)")
                last = now
        if proc.wait() != 0:
            errors = [x for x in lines if ":" in x] or lines or ["go build failed"]
            raise KnotebookError(f"building the vCenter simulator failed: {errors[-1]}")
        os.replace(out, target)
    say(f"Built {target} in {time.monotonic() - started:.0f} s")
