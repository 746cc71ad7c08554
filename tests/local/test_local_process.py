"""Starting a bundle's web process: identity-checked readiness, ports, cleanup."""

from __future__ import annotations

import pytest
from conftest import make_project

from knotebook.export import exporter
from knotebook.local import ports, process


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("process") / "project")
    return exporter.export(project / "notebooks" / "vm_created.ipynb").directory


@pytest.fixture(scope="module")
def first(bundle):
    with process.serve(bundle) as running:
        yield running


@pytest.mark.slow
def test_healthz_of_another_instance_is_not_readiness(first):
    assert first.instance
    assert process.ready(first.url, first.instance)
    assert not process.ready(first.url, "another-instance")


@pytest.mark.slow
def test_a_port_taken_between_choice_and_bind_moves_to_another(bundle, first, monkeypatch):
    """Two functions started at once can be handed the same port: the second must not take
    the first's /healthz for its own, and must end up on a port of its own."""
    handed = iter([first.port])
    monkeypatch.setattr(process, "free_port", lambda: next(handed, None) or ports.free_port())
    monkeypatch.setattr(process, "port_free", lambda *_: True)  # the race: free when checked
    second = process.start(bundle)
    try:
        assert second.port != first.port
        assert second.process.pid != first.process.pid
        assert process.ready(second.url, second.instance)
        assert not process.ready(second.url, first.instance)
    finally:
        second.stop()
