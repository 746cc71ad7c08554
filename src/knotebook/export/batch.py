"""Export many notebooks at once: folders expand to their notebooks, one bad notebook does not
stop the others, and two notebooks that would write one bundle are both refused."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from knotebook import notebook
from knotebook.errors import KnotebookError
from knotebook.export import exporter


@dataclass(frozen=True)
class Outcome:
    """One notebook's export: its result, or the one-line reason it was not exported."""

    path: Path
    result: exporter.ExportResult | None = None
    error: str = ""
    skipped: bool = False  # an exploration notebook found in a folder: nothing to export


def expand(paths: Iterable[Path]) -> list[tuple[Path, bool]]:
    """(notebook, named directly) for each path; a folder gives its notebooks, sorted."""
    found: list[tuple[Path, bool]] = []
    for path in paths:
        if path.is_dir():
            found += [
                (p, False)
                for p in sorted(path.rglob("*.ipynb"))
                if ".ipynb_checkpoints" not in p.parts
            ]
        else:
            found.append((path, True))
    return found


def _names(paths: list[Path]) -> tuple[dict[Path, str], set[Path]]:
    """FUNCTION_NAME of each readable function notebook; the exploration notebooks."""
    names: dict[Path, str] = {}
    exploration: set[Path] = set()
    for path in paths:
        try:
            function = notebook.read(path)
        except KnotebookError:
            continue  # reported when it is exported
        if function.settings is not None:
            names[path] = function.settings.name
        elif not function.function_cells:
            exploration.add(path)
    return names, exploration


def export_all(
    paths: Iterable[Path],
    output_dir: Path | None = None,
    *,
    force: bool = False,
    report: Callable[[Outcome], None] = lambda outcome: None,
) -> list[Outcome]:
    """Export each notebook; every outcome is reported as it comes and returned."""
    targets = expand(paths)
    names, exploration = _names([p for p, _ in targets])
    owners: dict[str, list[Path]] = {}
    for path, name in names.items():
        owners.setdefault(name, []).append(path)
    outcomes = []
    for path, direct in targets:
        if not direct and path in exploration:
            outcome = Outcome(path, skipped=True)
        elif len(owners.get(names.get(path, ""), [])) > 1:
            others = ", ".join(str(p) for p in owners[names[path]] if p != path)
            outcome = Outcome(
                path,
                error=f"{path}: {others} has the same FUNCTION_NAME {names[path]!r}, and both "
                "would write one bundle; give one of them another FUNCTION_NAME",
            )
        else:
            try:
                outcome = Outcome(path, exporter.export(path, output_dir, force=force))
            except KnotebookError as exc:
                outcome = Outcome(path, error=str(exc))
        report(outcome)
        outcomes.append(outcome)
    return outcomes
