"""Strip outputs and execution counts from notebooks, for committing them clean."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nbformat

from knotebook import notebook


def cleaned(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook without outputs, execution counts or per-run metadata (in place)."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            for key in ("execution", "collapsed", "scrolled"):
                cell.metadata.pop(key, None)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
    return nb


def is_clean(path: Path) -> bool:
    nb = notebook.load(path)
    return nbformat.writes(cleaned(nb)) == nbformat.writes(notebook.load(path))


def clean(path: Path) -> bool:
    """Rewrite ``path`` without outputs, atomically; True when it changed."""
    original = path.read_text(encoding="utf-8")
    text = nbformat.writes(cleaned(notebook.load(path))) + "\n"
    if text == original or text.rstrip("\n") == original.rstrip("\n"):
        return False
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
