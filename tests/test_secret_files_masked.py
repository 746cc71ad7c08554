"""SECRET_FILES contents are secrets: masked wherever the function's environment is masked."""

import json

import pytest
from conftest import run_knotebook

pytestmark = pytest.mark.slow  # kernels and served functions

PASSWORD = "s3cr3t-Pa55word-from-file"
CONFIG = json.dumps({"vcenter_user": "svc", "vcenter_password": PASSWORD}, indent=2) + "\n"
SETTINGS = """# knotebook: settings
FUNCTION_NAME = "vm-attr"
EVENT_TYPES = ["VmCreatedEvent"]
ENVELOPE = "tanzu"
SECRET = "vcconfig-secret"
SECRET_FILES = {"VCCONFIG": "vcconfig.json"}
"""
HANDLER = """# knotebook: function
import logging
import os

log = logging.getLogger("vm-attr")


def handler(event):
    log.warning("config: %s", os.environ.get("VCCONFIG"))
"""
LEAK = """from knotebook import events
print(open("vcconfig.json").read())
print({"config": open("vcconfig.json").read()})
handler(events.sample(EVENT, envelope=ENVELOPE))
"""


@pytest.fixture
def leaky(project, write_notebook):
    (project / "notebooks" / "vcconfig.json").write_text(CONFIG)
    params = ('EVENT = "VmCreatedEvent"', ["parameters"])
    return write_notebook("vm_attr.ipynb", SETTINGS, params, HANDLER, LEAK)


def test_try_masks_the_secret_files_the_function_logs(project, leaky):
    proc = run_knotebook("try", "notebooks/vm_attr.ipynb", "--no-venv", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert "config: " in proc.stdout  # the function did log it
    assert PASSWORD not in proc.stdout + proc.stderr
    assert "********" in proc.stdout


def test_validate_masks_secret_files_in_output_and_executed_copies(project, leaky):
    proc = run_knotebook(
        "validate", "notebooks/vm_attr.ipynb", "--json", "build/r.json", cwd=project
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert PASSWORD not in proc.stdout + proc.stderr
    executed = [p for p in (project / "build").rglob("*") if p.is_file()]
    assert any(p.suffix == ".ipynb" for p in executed)
    for path in executed:
        assert PASSWORD not in path.read_text(errors="replace"), path
    copies = "".join(p.read_text() for p in (project / "build" / "validate").rglob("*.ipynb"))
    assert "********" in copies
