"""Validation: papermill runs of every notebook × event × envelope, the contract check, reports."""

from knotebook.validate.runner import (
    ENVELOPE_CHOICES,
    NotebookRunner,
    Options,
    Run,
    RunResult,
    describe_failure,
    discover,
    notebook_env,
    plan,
    run_all,
)
from knotebook.validate.suite import validate

__all__ = [
    "ENVELOPE_CHOICES",
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
