"""Strip outputs and execution counts from notebooks, for committing them clean."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearOutputPreprocessor

from knotebook import notebook
from knotebook.project.files import write_atomic

# Per-run cell metadata: the notebook UI's and papermill's. Tags and the rest stay.
RUN_METADATA = {"execution", "collapsed", "scrolled", "papermill"}


def cleaned(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook without outputs, execution counts or per-run metadata (in place)."""
    ClearOutputPreprocessor(remove_metadata_fields=RUN_METADATA).preprocess(nb, {})
    # nbconvert clears code cells only (and ClearMetadataPreprocessor keeps metadata by an
    # allow-list, which would drop kernelspec and tags); papermill also marks the notebook and
    # its markdown cells.
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
    write_atomic(path, text, mode=None)
    return True
