"""Writing generated files: atomically (a reader never sees half a file), durably (fsynced
before it is published, so a crash cannot leave an empty checkpoint), never clobbering."""

from __future__ import annotations

import os
import secrets
from contextlib import suppress
from pathlib import Path

from knotebook.errors import KnotebookError


def write_atomic(
    path: Path, data: bytes | str, *, mode: int | None = None, exclusive: bool = False
) -> None:
    """Replace ``path`` with ``data`` in one step.

    ``mode``: the file's permission bits; None keeps those of the file replaced, and gives a
    new file the default of the umask (as ``open()`` would). ``exclusive``: ``path`` must not
    exist yet; KnotebookError when it does, even when it appears meanwhile (the file is
    published with a hard link, which never overwrites).
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode is None and not exclusive:
        with suppress(FileNotFoundError):
            mode = path.stat().st_mode & 0o777
    fd, tmp = _create(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            if mode is not None:
                os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        if exclusive:
            os.link(tmp, path)
        else:
            os.replace(tmp, path)
        _sync_dir(path.parent)
    except FileExistsError:
        raise KnotebookError(f"{path} exists; knotebook never overwrites it") from None
    finally:
        tmp.unlink(missing_ok=True)


def _create(path: Path) -> tuple[int, Path]:
    """A new temporary file beside ``path``, created with 0o666 so the umask applies
    (``tempfile.mkstemp`` always makes 0o600)."""
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue


def _sync_dir(folder: Path) -> None:
    """fsync the folder, so the new directory entry survives a crash too (POSIX only)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    with suppress(OSError):
        os.fsync(fd)
    os.close(fd)
