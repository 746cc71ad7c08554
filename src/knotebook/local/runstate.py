"""Which functions ``knotebook run`` / ``dev`` are serving, so ``knotebook invoke`` finds them.

State lives in ``build/knotebook-run.json`` of the project (``templates.find``: the folder
holding the project's templates at or above the current directory, else the current directory):
``{"functions": {url: {"name", "url", "pid", "bundle", "started", "last_event"}}}``.
Entries whose process is gone are ignored and pruned.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil

from knotebook.errors import KnotebookError
from knotebook.project.files import write_atomic
from knotebook.project.paths import project_root

FILE = "build/knotebook-run.json"


def state_path(start: Path | None = None) -> Path:
    return project_root(start) / FILE


def _alive(pid: int) -> bool:
    return bool(psutil.pid_exists(pid))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[dict[str, Any]]:
    """Read-modify-write the state under an exclusive lock; written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = _read(path)
        yield state
        state["functions"] = {
            url: entry for url, entry in state["functions"].items() if _alive(entry["pid"])
        }
        write_atomic(path, json.dumps(state, indent=2) + "\n")


def _read(path: Path) -> dict[str, Any]:
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return {"functions": {}}
    if not isinstance(state, dict) or not isinstance(state.get("functions"), dict):
        return {"functions": {}}
    return state


def record(name: str, url: str, bundle: Path, *, kind: str = "run", start: Path | None = None):
    """Note that this process serves ``name`` on ``url``."""
    with _locked(state_path(start)) as state:
        previous = state["functions"].get(url) or {}
        state["functions"][url] = {
            **previous,
            "name": name,
            "url": url,
            "pid": os.getpid(),
            "bundle": str(Path(bundle).resolve()),
            "kind": kind,
            "started": time.time(),
        }


def forget(url: str, start: Path | None = None) -> None:
    with contextlib.suppress(OSError), _locked(state_path(start)) as state:
        state["functions"].pop(url, None)


def running(start: Path | None = None) -> list[dict[str, Any]]:
    """Live entries, most recently started first."""
    state = _read(state_path(start))
    live = [e for e in state["functions"].values() if _alive(e.get("pid", 0))]
    return sorted(live, key=lambda e: e.get("started", 0), reverse=True)


def find(name: str | None = None, start: Path | None = None) -> dict[str, Any]:
    """The function to invoke: by name, else the one started last."""
    live = running(start)
    if name is not None:
        live = [e for e in live if e["name"] == name]
    if not live:
        what = f"no function named {name!r}" if name else "no function"
        raise KnotebookError(
            f"{what} started by `knotebook run` or `knotebook dev` is running "
            f"(looked in {state_path(start)}); start one or pass a URL"
        )
    return live[0]


def remember_event(url: str, event: dict[str, Any], start: Path | None = None) -> None:
    """Keep the last event sent to ``url`` (``knotebook dev`` re-sends it after a restart)."""
    if url not in _read(state_path(start))["functions"]:
        return
    with contextlib.suppress(OSError), _locked(state_path(start)) as state:
        entry = state["functions"].get(url)
        if entry is not None:
            entry["last_event"] = event


def last_event(url: str, start: Path | None = None) -> dict[str, Any] | None:
    entry = _read(state_path(start))["functions"].get(url)
    return entry.get("last_event") if entry else None
