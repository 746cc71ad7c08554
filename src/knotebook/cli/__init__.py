"""The ``knotebook`` command line: one click group, each command a thin call into the API."""

from knotebook.cli.main import main

__all__ = ["main"]
