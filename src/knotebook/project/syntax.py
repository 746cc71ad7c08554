"""``ast.parse`` for every module of knotebook, one thread at a time.

CPython before 3.13 counts the AST constructor's recursion in state shared by the whole
interpreter: a parse that another one interleaves with fails with "SystemError: AST constructor
recursion depth mismatch" (python/cpython#106905). The re-entrant case (a finalizer's warning
parsing tracebacks mid-parse) had its cause removed at the source (validate's pool threads
close their event loops); this lock covers the other, two of knotebook's threads parsing at once.
"""

from __future__ import annotations

import ast
import threading

_lock = threading.Lock()


def parse(source: str, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse(source, filename)``; SyntaxError as ever."""
    with _lock:
        return ast.parse(source, filename)
