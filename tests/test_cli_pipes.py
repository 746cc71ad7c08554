"""A reader that stops early (`knotebook ... | head -1`) ends the command quietly."""

import os
import subprocess

import pytest
from conftest import KNOTEBOOK


def run_into_closed_pipe(*args: str, cwd) -> subprocess.CompletedProcess[str]:
    """Run with stdout a pipe nobody reads any more, as after `| head -1` has exited."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [KNOTEBOOK, *args],
            cwd=cwd,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    finally:
        os.close(write)


def test_events_samples_into_a_closed_pipe_is_quiet(tmp_path):
    proc = run_into_closed_pipe("events", "samples", cwd=tmp_path)
    assert proc.stderr == ""
    assert proc.returncode == 1  # as Python and click do on EPIPE: the output is incomplete


@pytest.mark.slow
def test_export_into_a_closed_pipe_is_quiet(project):
    proc = run_into_closed_pipe("export", "notebooks/vm_created.ipynb", "--force", cwd=project)
    assert proc.stderr == ""
    assert (project / "export" / "vm-created" / "handler.py").is_file()
