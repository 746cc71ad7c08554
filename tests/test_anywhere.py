"""knotebook from a wheel, in an empty folder: init, new, validate, export, try.

The wheel is built once per session from this repository and installed into a new virtual
environment (pip's cache is reused; nothing but the package index is reached). The commands run in
a folder outside the repository with a PATH that holds only that environment and the system.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO

from knotebook.project import templates

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (built,) = out.glob("knotebook-*.whl")
    return built


@pytest.fixture(scope="session")
def installed(wheel, tmp_path_factory) -> Path:
    """A new venv with the wheel installed; returns its bin/ folder."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return venv / "bin"


def test_the_wheel_carries_the_templates_as_files(wheel):
    with zipfile.ZipFile(wheel) as zf:
        for name in templates.NAMES:
            data = zf.read(f"knotebook/project/skeleton/{name}")
            assert data == (REPO / name).read_bytes(), name


def test_init_new_validate_export_try_from_a_wheel_in_an_empty_folder(installed, tmp_path):
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{installed}{os.pathsep}/usr/bin:/bin"
    env["KNOTEBOOK_CACHE_DIR"] = str(tmp_path / "cache")

    def run(*args: str, cwd: Path) -> str:
        proc = subprocess.run(
            [str(installed / "knotebook"), *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, f"knotebook {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
        return proc.stdout

    run("init", "demo", cwd=work)
    demo = work / "demo"
    run("new", "vm-off", "--event", "VmPoweredOffEvent", cwd=demo)
    report = run("validate", cwd=demo)
    assert ", 0 failed" in report and "vm_off.ipynb" in report
    run("export", "notebooks/vm_off.ipynb", cwd=demo)
    answers = run("try", "export/vm-off", cwd=demo)
    assert "-> 204 No Content" in answers
    assert "K8s-User-Group-Test" in answers  # the function's log line
    # Nothing came from this repository: the package's own files were used.
    origin = subprocess.run(
        [str(installed / "python"), "-c", "import knotebook; print(knotebook.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(REPO) not in origin
