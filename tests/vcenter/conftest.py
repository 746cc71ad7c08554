"""The vCenter simulator for the tests (built once from Debian's govmomi; skips without it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from knotebook.vcenter import build
from knotebook.vcenter import vcsim as simulator


@pytest.fixture(scope="session")
def vcsim_binary() -> str:
    """The launcher, built on first use; skip only where the Debian packages are missing."""
    if not build.binary_path().is_file():
        reason = build.missing()
        if reason:
            pytest.skip(f"vCenter simulator unavailable: {reason}")
    return str(build.ensure(print))


@pytest.fixture
def vcsim(vcsim_binary: str) -> Iterator[simulator.Simulator]:
    """A fresh simulator per test (it starts in well under a second)."""
    with simulator.simulator() as sim:
        yield sim
