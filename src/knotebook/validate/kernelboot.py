"""The validation kernel's entry point: ``python -m knotebook.validate.kernelboot -f CONN``.

An ordinary ipykernel, with three differences that only change how fast it is ready:

- the modules named in ``KNOTEBOOK_PRELOAD`` (comma-separated) are imported before the kernel
  starts, while the validate process is busy with other notebooks, rather than inside the first
  run's cells;
- ``rfc3987_syntax`` is kept out, as the CLI does: jsonschema imports it when it is installed and
  it compiles three Earley parsers at import (about 1 s before nbformat, hence ``%load_ext
  knotebook``, can load), for IRI formats no notebook checks;
- ``debugpy`` is kept out: ipykernel then starts without its debugger (nobody attaches one to a
  validation run), which saves ~0.2 s of imports per kernel.

``reset()`` puts a used kernel back to the state a fresh one starts in, between two runs of a
notebook: user namespace, environment variables, working directory and logging handlers.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import sys
from dataclasses import dataclass


@dataclass
class _State:
    environ: dict[str, str]
    cwd: str
    level: int
    handlers: list[logging.Handler]


_saved: list[_State] = []


def snapshot() -> None:
    """Remember the fresh kernel's environment, cwd and root logging (before any run)."""
    root = logging.getLogger()
    _saved[:] = [_State(dict(os.environ), os.getcwd(), root.level, list(root.handlers))]


def reset() -> None:
    """``%reset -f`` plus what it leaves behind: loaded extensions, ``os.environ``, the cwd,
    root logging."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        shell.reset(new_session=False)
        # so that ``%load_ext knotebook`` loads as in a fresh kernel, without "already loaded"
        shell.extension_manager.loaded.clear()
    if not _saved:
        return
    state = _saved[0]
    os.environ.clear()
    os.environ.update(state.environ)
    os.chdir(state.cwd)
    root = logging.getLogger()
    root.setLevel(state.level)
    for handler in list(root.handlers):
        if handler not in state.handlers:
            root.removeHandler(handler)
    for handler in state.handlers:
        if handler not in root.handlers:
            root.addHandler(handler)


def main() -> None:
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    sys.modules.setdefault("debugpy", None)  # type: ignore[arg-type]
    for name in filter(None, os.environ.pop("KNOTEBOOK_PRELOAD", "").split(",")):
        with contextlib.suppress(Exception):  # the notebook's own import reports the problem
            importlib.import_module(name)
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
