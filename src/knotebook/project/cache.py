"""knotebook's cache folder (bundle venvs, dependency resolutions)."""

from __future__ import annotations

import os
from pathlib import Path


def directory() -> Path:
    """``$KNOTEBOOK_CACHE_DIR``, else ``$XDG_CACHE_HOME/knotebook``, else ``~/.cache/knotebook``."""
    if os.environ.get("KNOTEBOOK_CACHE_DIR"):
        return Path(os.environ["KNOTEBOOK_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "knotebook"
