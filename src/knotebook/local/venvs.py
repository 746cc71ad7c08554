"""Isolated virtual environments for exported bundles, cached by the hash of requirements.txt.

A bundle's ``requirements.txt`` (plus the Python version) names one venv under
``$KNOTEBOOK_CACHE_DIR/venvs`` (default ``~/.cache/knotebook/venvs``). The first start builds it
(``python -m venv`` + ``pip install -r``, about 10 s); every later start of a bundle with the same
requirements reuses it at once.

Builds are atomic: the venv is built in its own folder ``<key>-<random>/`` and only then published
by atomically replacing the symlink ``<key>`` (venvs cannot be moved: their scripts hold absolute
paths). An interrupted build leaves no published venv; its folder is removed by the next build.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from knotebook.errors import KnotebookError
from knotebook.project import cache

# pip on some machines warns about every configured location it ignores: noise, not news
NOISE = ("is ignored", "DEPRECATION:", "[notice]")


cache_dir = cache.directory


def _base_python(python: str) -> str:
    """The interpreter behind ``python`` (a venv's python resolves to its base)."""
    if python == sys.executable:
        return os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    return os.path.realpath(python)


def key(requirements: bytes, python: str = sys.executable) -> str:
    """sha256 of the requirements and the interpreter (path + version), shortened to 16 hex."""
    if python == sys.executable:
        version = sys.version
    else:
        version = subprocess.run(
            [python, "-c", "import sys; print(sys.version)"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    digest = hashlib.sha256()
    for part in (requirements, _base_python(python).encode(), version.encode()):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def bin_dir(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


def cached(requirements: Path, *, python: str = sys.executable) -> Path | None:
    """The published venv for these requirements, or None when it must be built first."""
    link = cache_dir() / "venvs" / key(_read(requirements), python)
    return link if (bin_dir(link) / "python").exists() else None


def _read(requirements: Path) -> bytes:
    try:
        return requirements.read_bytes()
    except OSError as exc:
        raise KnotebookError(f"{requirements}: {exc.strerror or exc}") from None


def _quiet(output: str) -> str:
    lines = [line for line in output.splitlines() if not any(n in line for n in NOISE)]
    return "\n".join(lines[-15:])


def _run(args: list[str], what: str, progress: Callable[[str], None] | None = None) -> None:
    """Run pip (or venv); with ``progress``, its lines are shown as they come."""
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if progress and line.strip() and not any(n in line for n in NOISE):
            progress(f"  {line.rstrip()}")
    if proc.wait() != 0:
        detail = _quiet("".join(lines))
        last = detail.splitlines()[-1] if detail else f"exit {proc.returncode}"
        raise VenvError(f"{what} failed: {last}", detail)


class VenvError(KnotebookError):
    """Building the venv failed; ``detail`` holds pip's output without the noise."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


def _host_pip(python: str) -> bool:
    """Can this interpreter's pip install into another venv (``pip --python``, pip >= 22.3)?"""
    if python != sys.executable:
        return False
    try:
        import pip
    except ImportError:
        return False
    major, minor = (int(x) for x in pip.__version__.split(".")[:2])
    return (major, minor) >= (22, 3)


def _build(
    target: Path, requirements: Path, python: str, progress: Callable[[str], None] | None = None
) -> None:
    host_pip = _host_pip(python)
    venv_args = [python, "-m", "venv", str(target)]
    if host_pip:  # no ensurepip: installing pip into the venv costs ~5 s
        venv_args.insert(3, "--without-pip")
    _run(venv_args, f"{python} -m venv")
    venv_python = str(bin_dir(target) / "python")
    pip = [python, "-m", "pip", "--python", venv_python] if host_pip else [venv_python, "-m", "pip"]
    _run(
        [*pip, "install", "--disable-pip-version-check", "--no-input", "-r", str(requirements)],
        f"pip install -r {requirements}",
        progress,
    )


def ensure(
    requirements: str | Path,
    *,
    python: str = sys.executable,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """The venv for ``requirements`` (a path to requirements.txt): cached, or built now."""
    requirements = Path(requirements)
    name = key(_read(requirements), python)
    root = cache_dir() / "venvs"
    link = root / name
    if (bin_dir(link) / "python").exists():
        return link
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KnotebookError(f"cannot create the venv cache {root}: {exc.strerror}") from None
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build per key at a time; others wait and reuse it
        if (bin_dir(link) / "python").exists():
            return link
        for stale in root.glob(f"{name}-*"):  # interrupted builds: never published
            shutil.rmtree(stale, ignore_errors=True)
        if progress:
            progress(f"Creating a virtual environment for {requirements} (cached as {link})...")
        started = time.monotonic()
        target = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
        try:
            _build(target, requirements, python, progress)
            tmp_link = root / f".{name}.{os.getpid()}.link"
            with contextlib.suppress(FileNotFoundError):
                tmp_link.unlink()
            tmp_link.symlink_to(target.name)
            os.replace(tmp_link, link)  # atomic publish
            if progress:
                progress(f"Virtual environment ready ({time.monotonic() - started:.1f} s)")
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
    return link
