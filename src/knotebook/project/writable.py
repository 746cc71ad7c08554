"""Fail before long work when its outputs could not be written (not after: nothing lost)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from knotebook.errors import KnotebookError


def check_folder(folder: Path, what: str) -> None:
    """Files can be created in ``folder`` (made later by its writer, as ``mkdir -p`` would).

    KnotebookError naming ``what`` (the option, e.g. ``--output-dir``) when they cannot.
    """
    _check(folder, folder, what)


def check_file(path: Path, what: str) -> None:
    """``path`` can be written: its folder takes files and it is not a folder itself."""
    if path.is_dir():
        raise KnotebookError(f"{what} {path}: is a folder, not a file")
    _check(path.parent, path, what)


def _check(folder: Path, named: Path, what: str) -> None:
    # Only trying tells (permission bits say nothing for root, nor about /proc or read-only
    # mounts): a probe file is created and removed in the nearest folder that exists, and no
    # folder is made.
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        if not existing.is_dir():
            raise NotADirectoryError(20, f"{existing} is a file")
        fd, probe = tempfile.mkstemp(prefix=".knotebook-probe.", dir=existing)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise KnotebookError(f"{what} {named}: cannot write there ({reason})") from None
