"""``knotebook lab``'s server: JupyterLab never outlives the call, signal handlers come back."""

from __future__ import annotations

import signal

import psutil
import pytest

from knotebook.errors import KnotebookError
from knotebook.lab import server


@pytest.mark.slow
def test_a_startup_timeout_ends_jupyterlab_and_restores_the_signal_handlers(tmp_path):
    before = {child.pid for child in psutil.Process().children()}
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with pytest.raises(KnotebookError, match="did not answer"):
        server.serve(tmp_path, None, 0.01, lambda _line: None)
    left = [c for c in psutil.Process().children() if c.pid not in before]
    assert left == []  # neither running nor an unreaped zombie
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == handlers
