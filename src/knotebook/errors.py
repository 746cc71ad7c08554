"""Exceptions for problems in the user's input: each carries a one-line message for the CLI."""

from __future__ import annotations


class KnotebookError(Exception):
    """Base class: the CLI prints ``str(err)`` on one line and exits 1, without a traceback."""


class NotebookError(KnotebookError):
    """A notebook is missing, unreadable or breaks the knotebook conventions."""


class UnknownEventError(KnotebookError):
    """An event type that is not in the vCenter catalog; carries "did you mean" suggestions."""

    def __init__(self, name: str, suggestions: list[str] | tuple[str, ...] = ()) -> None:
        self.name = name
        self.suggestions = list(suggestions)
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown vSphere event type {name!r}{hint}")


class EnvFileError(KnotebookError):
    """An env file line that kubectl, kustomize or docker would reject (file:line: reason)."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        self.path, self.line, self.reason = path, line, reason
        super().__init__(f"{path}:{line}: {reason}" if line else f"{path}: {reason}")  # 0: no line


class ExportError(KnotebookError):
    """The bundle cannot be written (permissions, edited files, missing packages...)."""


class ValidationFailed(KnotebookError):
    """A notebook raised while papermill executed it."""
