"""Writing generated files: atomically (a reader never sees half a file), never clobbering."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from knotebook.errors import KnotebookError


def write_atomic(
    path: Path, data: bytes | str, *, mode: int | None = 0o644, exclusive: bool = False
) -> None:
    """Replace ``path`` with ``data`` in one step.

    ``mode`` is the new file's permission bits (None: keep those of the file replaced).
    ``exclusive``: ``path`` must not exist yet; KnotebookError when it does, even when it
    appears meanwhile (the file is published with a hard link, which never overwrites).
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.chmod(tmp, mode)
        if exclusive:
            os.link(tmp, path)
        else:
            os.replace(tmp, path)
    except FileExistsError:
        raise KnotebookError(f"{path} exists; knotebook never overwrites it") from None
    finally:
        Path(tmp).unlink(missing_ok=True)
