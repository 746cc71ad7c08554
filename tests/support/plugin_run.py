"""Run ``pytest --knotebook`` on notebooks of a project, as a user's CI would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def pytest_knotebook(project: Path, *notebooks: str) -> subprocess.CompletedProcess[str]:
    """``python -m pytest --knotebook NOTEBOOKS -v --knotebook-envelope tanzu`` in ``project``."""
    return subprocess.run(
        [
            sys.executable, "-m", "pytest", "--knotebook", *notebooks, "-v",
            "-p", "no:cacheprovider", "--knotebook-envelope", "tanzu",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
