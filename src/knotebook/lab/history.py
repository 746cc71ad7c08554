"""What ran in the kernel, and which saved notebook it belongs to.

IPython's input history (and the cell ids JupyterLab sends) says which marked cells ran, in
what order; ``locate`` finds the notebook file they came from.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knotebook import notebook
from knotebook.errors import NotebookError

SIMILAR = 0.5  # a kernel run belongs to the saved cell it resembles at least this much
KINDS = ("settings", "function")


@dataclass(frozen=True)
class CellRun:
    """One execution of a marked cell in the kernel: ``In[count]`` and its raw source."""

    count: int
    source: str
    cell_id: str | None = None


@dataclass
class KernelHistory:
    """Marked cells the kernel ran: from its input history, and by JupyterLab cell id."""

    runs: list[CellRun] = field(default_factory=list)

    @classmethod
    def from_inputs(
        cls, raw_inputs: list[str], recorded: Mapping[int, CellRun] | None = None
    ) -> KernelHistory:
        """``raw_inputs[n]`` is the source of ``In[n]``; ``recorded`` the runs seen with their
        JupyterLab cell id (by execution count), which take precedence."""
        recorded = recorded or {}
        runs = {
            number: recorded.get(number, CellRun(number, source))
            for number, source in enumerate(raw_inputs)
            if notebook.cell_kind(source or "") in KINDS
        }
        for number, run in recorded.items():  # runs not in this history (a reset, ...)
            runs.setdefault(number, run)
        return cls([runs[number] for number in sorted(runs)])

    def of_kind(self, kind: str) -> list[CellRun]:
        return [r for r in self.runs if notebook.cell_kind(r.source) == kind]


def _existing(candidate: str | os.PathLike[str] | None, cwd: Path) -> Path | None:
    if not candidate:
        return None
    path = Path(candidate).expanduser()
    options = [path] if path.is_absolute() else [cwd / path, *(p / path for p in cwd.parents)]
    for option in options:
        if option.suffix == ".ipynb" and option.is_file():
            return option
    return None


def function_name(source: str) -> str | None:
    for line in source.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == "FUNCTION_NAME":
            return value.split("#", 1)[0].strip().strip("'\"")
    return None


def locate(
    user_ns: Mapping[str, Any],
    history: KernelHistory,
    explicit: str | os.PathLike[str] | None = None,
    cwd: Path | None = None,
) -> tuple[Path | None, str]:
    """The notebook this kernel runs, and how it was found (for the report).

    In order: ``--notebook``; VS Code's ``__vsc_ipynb_file__``; Jupyter Server's ``__session__``
    (``JPY_SESSION_NAME``); ``KNOTEBOOK_NOTEBOOK``; else the one notebook in the working folder
    whose settings cell names the same FUNCTION_NAME as the settings cell the kernel ran
    (papermill runs the kernel in the notebook's folder and tells it nothing else).
    """
    cwd = cwd or Path.cwd()
    if explicit:
        found = _existing(explicit, cwd)
        if found is None:
            raise NotebookError(f"{explicit}: no such notebook")
        return found, "--notebook"
    for label, value in (
        ("VS Code", user_ns.get("__vsc_ipynb_file__")),
        ("Jupyter session", user_ns.get("__session__") or os.environ.get("JPY_SESSION_NAME")),
        ("KNOTEBOOK_NOTEBOOK", os.environ.get("KNOTEBOOK_NOTEBOOK")),
    ):
        found = _existing(value if isinstance(value, str) else None, cwd)
        if found is not None:
            return found, label
    settings = history.of_kind("settings")
    name = function_name(settings[-1].source) if settings else None
    if name:
        matches = []
        for candidate in sorted(cwd.glob("*.ipynb")):
            try:
                nb = notebook.load(candidate)
            except NotebookError:
                continue
            if any(
                c.cell_type == "code"
                and notebook.cell_kind(c.source) == "settings"
                and function_name(c.source) == name
                for c in nb.cells
            ):
                matches.append(candidate)
        if len(matches) == 1:
            return matches[0], f"the notebook in {cwd} with FUNCTION_NAME {name!r}"
    return None, "none found"
