"""What ``knotebook validate`` runs: notebooks × sample events × envelopes, and their results.

Every function notebook runs once as written (top to bottom, as "Run All" in Jupyter would,
nothing injected) and once per sample event of each type it subscribes to, in both VEBA
envelopes, the event injected through its parameters cell; an exploration notebook runs once.
``execute`` runs them, ``scheduler`` spreads them over kernels, ``cache`` skips what did not
change, ``shard`` splits them between CI jobs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from knotebook import events, notebook
from knotebook.errors import KnotebookError
from knotebook.project import envfile
from knotebook.project.paths import project_root

ENVELOPE_CHOICES = ("both", *events.ENVELOPES)
AS_WRITTEN = "as written (Run All)"
OWN_VALUE = re.compile(r"""(?m)^(EVENT|ENVELOPE)\s*=\s*(['"])([^'"\n]*)\2\s*(?:#.*)?$""")


@dataclass(frozen=True)
class Run:
    """One planned execution: a notebook and the event injected into its parameters cell."""

    notebook: Path
    event: str | None = None  # a sample name: "TaskEvent" or "TaskEvent:error"
    envelope: str | None = None
    # True: nothing injected, the notebook's own values are the event and envelope ("Run All")
    as_written: bool = False

    @property
    def name(self) -> str:
        if self.event is None:
            return AS_WRITTEN if self.as_written else "run"
        return f"{self.event} ({self.envelope})" if self.envelope else self.event

    @property
    def parameters(self) -> dict[str, object]:
        """What papermill injects after the parameters cell (nothing for a run as written)."""
        injected: dict[str, object] = {}
        if self.as_written:
            return injected
        if self.event is not None:
            injected["EVENT"] = self.event
        if self.envelope is not None:
            injected["ENVELOPE"] = self.envelope
        return injected

    @property
    def slug(self) -> str:
        if self.event is None and self.as_written:
            return "as-written"
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", self.name.replace(" (", ".").rstrip(")"))


@dataclass(frozen=True)
class RunResult:
    """The outcome of one check: a papermill run, a contract check or an export check."""

    notebook: Path
    name: str
    ok: bool
    seconds: float
    output: Path | None = None
    error: str = ""
    check: str = "notebook"  # "notebook" | "contract" | "export"
    requests: tuple[tuple[str, str, str], ...] = ()  # (method, url, body) the stand-in took
    cached: bool = False  # reported from the result cache: nothing it depends on changed

    @property
    def label(self) -> str:
        return f"{self.notebook} [{self.name}]"


@dataclass
class Options:
    """What to run, and where the executed copies go."""

    output_root: Path = Path("build/validate")
    envelope: str = "both"
    event_filter: tuple[str, ...] = ()
    all_samples: bool = False
    allow_hosts: tuple[str, ...] = ()  # real endpoints the HTTP stand-in lets through
    cache_dir: Path | None = None  # the result cache (None: every run runs)
    shard: tuple[int, int] | None = None  # (I, N): this CI job's share, 1-based
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)


def discover(paths: Iterable[Path]) -> list[Path]:
    """Notebooks named directly or found (sorted) in the given folders; checkpoints skipped.

    A notebook named twice (``notebooks notebooks/x.ipynb``) is listed once, where first met.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        if not path.exists():
            raise KnotebookError(f"{path}: no such notebook or folder")
        if path.is_dir():
            listed = [
                p for p in sorted(path.rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts
            ]
        else:
            listed = [path]
        for notebook_path in listed:
            if notebook_path.resolve() not in seen:
                seen.add(notebook_path.resolve())
                found.append(notebook_path)
    return found


def executed_copy(output_root: Path, notebook_path: Path, run: Run) -> Path:
    """Where one run's executed copy goes: ``<output_root>/<notebook, relative to the project
    root, without .ipynb>/<run>.ipynb``, so same-named notebooks of two folders never share."""
    resolved = notebook_path.resolve()
    try:
        relative = resolved.relative_to(project_root(resolved.parent))
    except ValueError:
        relative = Path(resolved.name)
    return output_root / relative.with_suffix("") / f"{run.slug}.ipynb"


def own_values(nb: object) -> dict[str, str]:
    """``EVENT`` and ``ENVELOPE`` as the notebook's own cells set them (literal top-level
    assignments, the last one wins): what a "Run All" in Jupyter runs against."""
    found: dict[str, str] = {}
    for cell in getattr(nb, "cells", []):
        if cell.get("cell_type") == "code":
            for match in OWN_VALUE.finditer(cell.get("source", "")):
                found[match.group(1)] = match.group(3)
    return found


def plan(path: Path, options: Options | None = None) -> list[Run]:
    """The runs of one notebook: its subscribed types × sample variants × envelopes.

    A function notebook also runs as written, nothing injected: the planned run with its own
    ``EVENT`` and ``ENVELOPE`` runs that way, or an extra run does when none has them. Injected
    values must not hide a notebook that fails on "Run All" (say, one that never sets ENVELOPE).
    """
    options = options or Options()
    nb = notebook.load(path)
    function = notebook.from_node(nb, path)
    if function.settings is None:
        return [Run(path)]
    types = function.settings.event_types
    if options.event_filter:
        wanted = {events.resolve(e.split(":", 1)[0]) for e in options.event_filter}
        types = tuple(t for t in types if t in wanted)
    if options.envelope == "both":
        envelopes: tuple[str, ...] = events.ENVELOPES
    else:
        envelopes = (options.envelope,)
    runs: list[Run] = []
    for event_id in types:
        names = events.sample_names(event_id) if options.all_samples else [event_id]
        picked = [
            n
            for n in options.event_filter
            if ":" in n and events.resolve(n.split(":", 1)[0]) == event_id
        ]
        for name in picked or names:
            runs.extend(Run(path, name, envelope) for envelope in envelopes)
    own = own_values(nb)
    mine = Run(path, own.get("EVENT"), own.get("ENVELOPE"))
    if mine in runs:
        runs[runs.index(mine)] = replace(mine, as_written=True)
    elif not options.event_filter:
        runs.insert(0, Run(path, as_written=True))
    return runs


def notebook_env(path: Path) -> dict[str, str]:
    """Values from ``<notebook>.env`` beside the notebook: the kernel's extra environment."""
    return envfile.of_notebook(path)
