"""The function as it is in the kernel now: the saved notebook with the cells as they ran."""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass, replace
from pathlib import Path

import nbformat

from knotebook import notebook
from knotebook.errors import NotebookError
from knotebook.export import exporter
from knotebook.lab.history import KINDS, SIMILAR, CellRun, KernelHistory, function_name
from knotebook.notebook.conventions import Cell, FunctionNotebook
from knotebook.project import envfile
from knotebook.project.paths import project_root


@dataclass(frozen=True)
class CellOrigin:
    """Where the exported source of one cell came from."""

    number: int
    kind: str
    run: CellRun | None  # None: never ran in this kernel, the saved source is used
    differs: bool = False  # the kernel's source differs from the saved notebook

    def describe(self) -> str:
        if self.run is None:
            return f"cell {self.number}: saved source (not run in this kernel)"
        text = f"cell {self.number}: as run in the kernel (In[{self.run.count}])"
        return text + (", not saved yet" if self.differs else "")


@dataclass(frozen=True)
class KernelFunction:
    """What export needs, built from the kernel's runs and the saved notebook."""

    function: FunctionNotebook
    root: Path
    label: str
    path: Path | None
    found_by: str
    origins: tuple[CellOrigin, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        assert self.function.settings is not None
        return self.function.settings.name

    @property
    def unsaved(self) -> bool:
        return any(o.differs for o in self.origins)

    def env(self) -> dict[str, str]:
        """The values of ``notebooks/<stem>.env``, as validate and export use them."""
        if self.path is None:
            return {}
        return envfile.of_notebook(self.path)


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _label(path: Path, root: Path) -> str:
    return exporter.notebook_label(path, root)


def from_kernel(
    history: KernelHistory,
    path: Path | None,
    found_by: str = "",
    cwd: Path | None = None,
) -> KernelFunction:
    """The function notebook with each marked cell replaced by its latest kernel run."""
    cwd = cwd or Path.cwd()
    if path is None:
        return _from_history_only(history, cwd, found_by)
    saved = notebook.load(path)
    live = copy.deepcopy(saved)
    origins: list[CellOrigin] = []
    notes: list[str] = []
    marked = {
        kind: [
            (number, cell)
            for number, cell in enumerate(live.cells, start=1)
            if cell.cell_type == "code" and notebook.cell_kind(cell.source) == kind
        ]
        for kind in KINDS
    }
    runs = {kind: history.of_kind(kind) for kind in KINDS}
    saved_name = next((function_name(c.source) for _, c in marked["settings"]), None)
    ran_name = function_name(runs["settings"][-1].source) if runs["settings"] else None
    if ran_name and saved_name and ran_name != saved_name:
        # This kernel ran another notebook's cells: none of them belong here.
        runs = {kind: [] for kind in KINDS}
        notes.append(
            f"this kernel ran the settings of {ran_name!r}, not of {path.name} "
            f"({saved_name!r}): using the saved cells of {path.name}"
        )
    for kind in KINDS:
        cells = marked[kind]
        latest: dict[int, CellRun] = {}
        for run in runs[kind]:
            by_id = [
                number for number, cell in cells if run.cell_id and cell.get("id") == run.cell_id
            ]
            if by_id:
                latest[by_id[0]] = run
                continue
            if not cells:
                continue
            if len(cells) == 1:
                best, score = cells[0][0], 1.0
            else:
                score, best = max((_ratio(run.source, c.source), n) for n, c in cells)
            if score >= SIMILAR:
                latest[best] = run
            else:
                notes.append(
                    f"In[{run.count}]: a {kind} cell run in this kernel that matches no cell of "
                    f"{path.name}; save the notebook to include it"
                )
        for number, cell in cells:
            kept = latest.get(number)
            differs = kept is not None and kept.source.strip() != cell.source.strip()
            if kept is not None:
                cell.source = kept.source
            origins.append(CellOrigin(number, kind, kept, differs))
    function = notebook.from_node(live, path)
    root = project_root(path.resolve().parent)
    origins.sort(key=lambda o: o.number)
    return KernelFunction(
        function, root, _label(path, root), path, found_by, tuple(origins), tuple(notes)
    )


def _from_history_only(history: KernelHistory, cwd: Path, found_by: str) -> KernelFunction:
    """No saved notebook: the latest settings run and one group per function cell run."""
    settings = history.of_kind("settings")
    if not settings:
        raise NotebookError(
            "cannot tell which notebook this kernel runs and it ran no '# knotebook: settings' "
            "cell; run the settings cell, or pass --notebook PATH"
        )
    groups: list[CellRun] = []
    for run in history.of_kind("function"):
        scores = [(_ratio(run.source, g.source), i) for i, g in enumerate(groups)]
        best = max(scores, default=(0.0, -1))
        if best[0] >= SIMILAR:
            groups[best[1]] = run
        else:
            groups.append(run)
    cells = [nbformat.v4.new_code_cell(settings[-1].source)]
    cells += [nbformat.v4.new_code_cell(g.source) for g in groups]
    label = "kernel history"
    function = notebook.from_node(nbformat.v4.new_notebook(cells=cells), Path(label))
    # Number the cells by their In[] execution counts: the only numbers the user can see.
    function = replace(
        function,
        function_cells=tuple(Cell(g.count, g.source) for g in groups),
    )
    origins = [CellOrigin(settings[-1].count, "settings", settings[-1])]
    origins += [CellOrigin(g.count, "function", g) for g in groups]
    return KernelFunction(
        function,
        project_root(cwd),
        label,
        None,
        found_by,
        tuple(origins),
        ("no saved notebook found: cells are numbered by In[] and taken from the kernel only",),
    )
