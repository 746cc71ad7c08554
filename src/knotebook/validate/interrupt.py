"""Ctrl-C during validation: the exception that carries every row, unfinished ones marked."""

from __future__ import annotations

from knotebook.validate.runner import RunResult

INTERRUPTED = "interrupted (Ctrl-C)"


class Interrupted(Exception):
    """Ctrl-C stopped validation; ``results`` holds every row, unfinished ones marked."""

    def __init__(self, results: list[RunResult]) -> None:
        super().__init__(INTERRUPTED)
        self.results = results
