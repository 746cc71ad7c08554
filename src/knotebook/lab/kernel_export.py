"""``%knotebook export``: the kernel's cells exported like ``knotebook export`` would the saved
notebook, with a diff against the previous export.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from knotebook.export import exporter, guard
from knotebook.lab.kernelfn import CellOrigin, KernelFunction

SECRET_FILES = (exporter.ENV_FILE,)
MAX_DIFF_LINES = 400


@dataclass
class ExportReport:
    """What an export from the kernel wrote (or would write), and how files changed."""

    directory: Path
    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]
    diffs: dict[str, str]
    origins: tuple[CellOrigin, ...]
    label: str
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    def headline(self) -> str:
        verb = "would write" if self.dry_run else "wrote"
        text = f"{self.directory}/: {verb} {len(self.written)} file(s)"
        text += f", {len(self.unchanged)} unchanged"
        return text + (f", removed {len(self.removed)}" if self.removed else "")

    def source_line(self) -> str:
        cells = "; ".join(o.describe() for o in self.origins if o.kind == "function")
        return f"from {self.label}: {cells}"

    def __str__(self) -> str:
        lines = [self.headline(), self.source_line()]
        lines += [f"note: {n}" for n in self.notes]
        for name in self.written:
            lines.append(f"  {'new' if name not in self.diffs else 'changed'}  {name}")
        lines += [f"  removed  {name}" for name in self.removed]
        lines += [diff.rstrip("\n") for diff in self.diffs.values()]
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        items = "".join(
            f"<li><code>{escape(n)}</code> {'changed' if n in self.diffs else 'new'}</li>"
            for n in self.written
        )
        items += "".join(f"<li><code>{escape(n)}</code> removed</li>" for n in self.removed)
        diffs = "".join(
            f"<details><summary>diff {escape(name)}</summary><pre>{escape(diff)}</pre></details>"
            for name, diff in self.diffs.items()
        )
        notes = "".join(f"<p><b>note:</b> {escape(n)}</p>" for n in self.notes)
        return (
            f"<div class='knotebook-export'><p><b>{escape(self.headline())}</b></p>"
            f"<p>{escape(self.source_line())}</p>{notes}<ul>{items}</ul>{diffs}</div>"
        )


def _diff(name: str, old: bytes, new: bytes) -> str:
    if name in SECRET_FILES:
        return f"--- {name}\n+++ {name}\n(values not shown: they are secrets)\n"
    try:
        a, b = old.decode("utf-8").splitlines(True), new.decode("utf-8").splitlines(True)
    except UnicodeDecodeError:
        return f"--- {name}\n+++ {name}\n(binary files differ)\n"
    lines = list(difflib.unified_diff(a, b, f"previous/{name}", f"now/{name}", n=2))
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... {len(lines) - MAX_DIFF_LINES} more lines\n"]
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def export(
    kf: KernelFunction,
    output_dir: str | os.PathLike | None = None,
    *,
    force: bool = False,
    dry_run: bool = False,
) -> ExportReport:
    """Export the kernel's cells like ``knotebook export`` would the saved notebook."""
    files = exporter.render(kf.function, kf.root, kf.label)
    base = Path(output_dir) if output_dir is not None else kf.root / "export"
    directory = base / kf.name
    env = exporter.env_file(kf.function)
    decision = guard.env_decision(directory, env[0], from_notebook=env[1], force=force)
    planned = dict(files)
    if decision.write is not None:
        planned[exporter.ENV_FILE] = decision.write
    before = {
        name: (directory / name).read_bytes() for name in planned if (directory / name).is_file()
    }
    notes = list(kf.notes)
    if kf.unsaved:
        notes.append(
            "exported the cells as run in the kernel, which differ from the saved notebook: "
            "save it, or `knotebook export` will write the saved version"
        )
    if dry_run:
        written = tuple(sorted(n for n in planned if before.get(n) != planned[n]))
        unchanged = tuple(sorted(n for n in planned if before.get(n) == planned[n]))
        removed: tuple[str, ...] = ()
    else:
        result = exporter.export_function(
            kf.function, kf.root, directory, force=force, label=kf.label
        )
        written, unchanged, removed = result.written, result.unchanged, result.removed
    diffs = {
        name: _diff(name, before[name], planned[name])
        for name in written
        if name in before and name in planned
    }
    return ExportReport(
        directory, written, unchanged, removed, diffs, kf.origins, kf.label, dry_run, notes
    )
