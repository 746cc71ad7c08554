"""Validation: papermill runs of every notebook × event × envelope, the contract check, reports.

The names below load on first use, so that planning, the result cache and reports (all a
``knotebook validate`` with nothing changed needs) do not import papermill and jupyter_client.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

CACHE_DIR = Path("build/knotebook-cache")  # the result cache's default folder (here: no imports)

if TYPE_CHECKING:
    from knotebook.validate.execute import NotebookRunner, describe_failure
    from knotebook.validate.interrupt import Interrupted
    from knotebook.validate.runner import (
        ENVELOPE_CHOICES,
        Options,
        Run,
        RunResult,
        discover,
        notebook_env,
        plan,
    )
    from knotebook.validate.scheduler import run_all
    from knotebook.validate.suite import validate

_WHERE = {
    "ENVELOPE_CHOICES": "runner",
    "Options": "runner",
    "Run": "runner",
    "RunResult": "runner",
    "discover": "runner",
    "notebook_env": "runner",
    "plan": "runner",
    "NotebookRunner": "execute",
    "describe_failure": "execute",
    "Interrupted": "interrupt",
    "run_all": "scheduler",
    "validate": "suite",
}
__all__ = [
    "ENVELOPE_CHOICES",
    "Interrupted",
    "NotebookRunner",
    "Options",
    "Run",
    "RunResult",
    "describe_failure",
    "discover",
    "notebook_env",
    "plan",
    "run_all",
    "validate",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'knotebook.validate' has no attribute {name!r}")
    return getattr(importlib.import_module(f"knotebook.validate.{_WHERE[name]}"), name)
