"""Why a function did not start: its own exception and the notebook cell it came from.

gunicorn answers a handler.py that raises on import with "Worker failed to boot"; the cause is
the traceback it logged before. This finds that traceback's exception and its last frame in
handler.py, and maps the line to the notebook cell through the export's cell markers (a line
outside every cell's span, such as one added by hand, is named as a line of handler.py).
"""

from __future__ import annotations

import re
from pathlib import Path

FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)')
# handler.py names the cell its code comes from: "# %% notebooks/x.ipynb cell 8" (or, in older
# exports, "# --- notebooks/x.ipynb, cell 8 ---"); the cell's own lines follow it.
MARKER = re.compile(r"^# (?:%% (?P<a>.+) cell (?P<c1>\d+)|--- (?P<b>.+), cell (?P<c2>\d+) ---)$")


def cell_of(handler: Path, line: int) -> str:
    """``notebooks/x.ipynb, cell 8, line 2`` for a line of handler.py inside a cell's marked span
    (from its ``# %%`` marker to the next ``# %%`` line); "" for any other line."""
    try:
        lines = handler.read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    if not 0 < line <= len(lines):
        return ""
    for number in range(line - 1, -1, -1):
        found = MARKER.match(lines[number])
        if found:
            notebook = found.group("a") or found.group("b")
            cell = found.group("c1") or found.group("c2")
            return f"{notebook}, cell {cell}, line {line - number - 1}"
        if lines[number].startswith("# %%"):  # another section ("# %% serve ..."): no cell's
            return ""
    return ""


def place(handler: Path, line: int) -> str:
    """The cell a line of handler.py comes from, else ``handler.py, line N`` (an edited file)."""
    return cell_of(handler, line) or f"{handler.name}, line {line}"


def _block(lines: list[str], handler: Path) -> tuple[str, str]:
    """(exception line, cell) of the traceback whose frames start ``lines``."""
    where = ""
    for text in lines:
        frame = FRAME.match(text)
        if frame:
            if Path(frame.group("file")).resolve() == handler:
                where = place(handler, int(frame.group("line")))
            continue
        if text and not text[0].isspace():
            return text.strip(), where
    return "", where


def explain(logs: list[str], bundle: Path) -> str:
    """The function's own exception from the web process's log, with its cell; "" if none.

    Of several tracebacks (the worker's, then the master's HaltServer), the last one that
    passes through handler.py: that is the function's."""
    handler = (bundle / "handler.py").resolve()
    found = [
        _block(logs[i + 1 :], handler)
        for i, text in enumerate(logs)
        if text.startswith("Traceback (most recent call")
    ]
    ours = [(exception, where) for exception, where in found if exception and where]
    if not ours:
        return ""
    exception, where = ours[-1]
    return f"{exception} ({where})"
