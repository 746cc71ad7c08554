"""Options whose value cannot work are usage errors (exit 2, one line), not hangs or tracebacks."""

from __future__ import annotations

import pytest
from conftest import run_knotebook


@pytest.mark.parametrize(
    "args",
    [
        ("invoke", "http://127.0.0.1:9/", "--timeout", "0"),
        ("lab", "--timeout", "0"),
        ("lab", "--timeout", "-1"),
    ],
)
def test_a_timeout_must_be_more_than_zero(tmp_path, args):
    done = run_knotebook(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert "Invalid value for '--timeout'" in done.stderr and "x>0" in done.stderr
    assert "Traceback" not in done.stderr
