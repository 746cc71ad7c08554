"""The bundle's requirements.txt: one line per package; it resolves or export names the conflict."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, run_knotebook

from knotebook.errors import ExportError
from knotebook.export import exporter, requirements
from knotebook.local import venvs
from knotebook.notebook.cells import Requirement

pytestmark = pytest.mark.slow  # pip's resolver

BOTO = """# knotebook: function
import logging

import boto3

log = logging.getLogger("s3-audit")


def handler(event):
    log.info("boto3 %s", boto3.__version__)
"""
# The base requirements.txt the kit shipped before: every transitive package pinned.
OLD_BASE = """Flask==3.1.3
cloudevents==2.2.0
gunicorn==27.0.1
blinker==1.9.0
click==8.5.1
python-dateutil==4.0.0
"""


def test_an_import_the_base_already_lists_is_not_listed_twice():
    base = (REPO / "requirements.txt").read_text() + "PyYAML==6.0.2\n"
    extra = [
        Requirement("PyYAML", "6.0.3", "yaml", 4),
        Requirement("requests", "2.32.0", "requests", 5),
    ]
    text = requirements.compose(base, extra, "requirements.txt")
    names = [line.split("==")[0].lower() for line in text.splitlines() if "==" in line]
    assert names.count("pyyaml") == 1 and "PyYAML==6.0.2\n" in text
    assert "requests==2.32.0  # import requests, cell 5\n" in text


def test_a_package_listed_twice_in_the_base_is_an_error_with_the_line():
    base = (REPO / "requirements.txt").read_text() + "flask>=3\n"
    with pytest.raises(ExportError, match=r"requirements.txt:\d+: flask is already listed on line"):
        requirements.compose(base, [], "requirements.txt")


def test_the_base_requirements_pin_only_what_the_runtime_imports():
    lines = [
        line.split("==")[0]
        for line in (REPO / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    # uvicorn, uvicorn-worker, httptools, uvloop: the server under gunicorn
    # (knotebook/runtime/worker.py); orjson: the runtime's JSON parser (json when missing)
    assert lines == [
        "Flask",
        "cloudevents",
        "gunicorn",
        "uvicorn",
        "uvicorn-worker",
        "httptools",
        "uvloop",
        "orjson",
    ]


@pytest.fixture(scope="module")
def boto3_here(tmp_path_factory) -> dict[str, str]:
    """An environment in which boto3 is installed where knotebook exports (boto3 alone)."""
    site = tmp_path_factory.mktemp("boto3")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), "boto3"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {**os.environ, "PYTHONPATH": str(site)}


def _boto_project(project: Path, write_notebook) -> Path:
    settings = (
        '# knotebook: settings\nFUNCTION_NAME = "s3-audit"\nEVENT_TYPES = ["VmCreatedEvent"]\n'
    )
    return write_notebook(
        "s3_audit.ipynb", settings, ('EVENT = "VmCreatedEvent"', ["parameters"]), BOTO
    )


@pytest.mark.slow
def test_a_function_importing_boto3_exports_requirements_that_install(
    project, write_notebook, boto3_here, tmp_path
):
    _boto_project(project, write_notebook)
    env = {**boto3_here, "KNOTEBOOK_CACHE_DIR": str(tmp_path / "cache")}
    proc = run_knotebook("export", "notebooks/s3_audit.ipynb", cwd=project, env=env)
    assert proc.returncode == 0, proc.stderr
    bundle = project / "export" / "s3-audit"
    text = (bundle / "requirements.txt").read_text()
    assert "boto3==" in text and "# import boto3, cell 4" in text
    assert "python-dateutil==" not in text
    # The real install, as knotebook run and pack build do it.
    os.environ["KNOTEBOOK_CACHE_DIR"] = str(tmp_path / "cache")
    try:
        venv = venvs.ensure(bundle / "requirements.txt")
    finally:
        del os.environ["KNOTEBOOK_CACHE_DIR"]
    check = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import boto3, dateutil; print(dateutil.__version__)"],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0 and check.stdout.startswith("2."), check.stderr


@pytest.mark.slow
def test_a_base_pin_boto3_cannot_use_fails_export_naming_pin_import_and_change(
    project, write_notebook, boto3_here, tmp_path
):
    (project / "requirements.txt").write_text(OLD_BASE)
    _boto_project(project, write_notebook)
    env = {**boto3_here, "KNOTEBOOK_CACHE_DIR": str(tmp_path / "cache")}
    proc = run_knotebook("export", "notebooks/s3_audit.ipynb", cwd=project, env=env)
    assert proc.returncode == 1
    message = proc.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert "python-dateutil==4.0.0 (requirements.txt, line 6)" in message  # which pin, where
    assert "botocore" in message and "python-dateutil<3" in message  # who cannot use it
    assert "boto3==" in message and "import boto3 in cell 4" in message  # which import
    assert "Change: loosen or remove python-dateutil==4.0.0" in message  # what to change
    assert not (project / "export" / "s3-audit").exists()


def test_an_import_that_is_not_installed_names_its_package(function_notebook):
    handler = "# knotebook: function\nimport cbc_sdk\n\ndef handler(event):\n    pass\n"
    with pytest.raises(ExportError, match=r"pip install carbon-black-cloud-sdk"):
        exporter.export(function_notebook(handler=handler))


@pytest.mark.slow
def test_a_pin_with_no_release_fails_export_naming_it(project, function_notebook, monkeypatch):
    base = (REPO / "requirements.txt").read_text()
    (project / "requirements.txt").write_text(base + "requests==0.0.999\n")
    monkeypatch.setenv("KNOTEBOOK_CACHE_DIR", str(project / ".cache"))
    monkeypatch.chdir(project)
    line = len(base.splitlines()) + 1
    with pytest.raises(
        ExportError,
        match=rf"requests==0.0.999 \(requirements.txt, line {line}\) has no release for Python",
    ):
        exporter.export(function_notebook())
