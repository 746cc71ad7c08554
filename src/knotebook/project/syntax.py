"""``ast.parse`` for every module of knotebook, one thread at a time.

CPython before 3.13 counts the AST constructor's recursion in state shared by the whole
interpreter, so two threads parsing at once (``knotebook validate`` runs notebooks on a thread
pool while the main thread checks exports) can fail with "SystemError: AST constructor recursion
depth mismatch" (python/cpython#106905). Parsing is fast; a lock costs nothing that matters.
"""

from __future__ import annotations

import ast
import threading

_lock = threading.Lock()


def parse(source: str, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse(source, filename)``; SyntaxError as ever."""
    with _lock:
        return ast.parse(source, filename)
