"""notebooks/vm_attr.ipynb: validated against a simulator that `knotebook validate` starts."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import REPO


@pytest.mark.slow
def test_validate_starts_a_simulator_for_the_act_back_notebook(cli, project, vcsim_binary):
    path = project / "notebooks" / "vm_attr.ipynb"
    shutil.copy2(REPO / "notebooks" / "vm_attr.ipynb", path)
    # a real vCenter in the env file: validation must not use it
    path.with_suffix(".env").write_text(
        "VCENTER_URL=https://vcsa.example.invalid/sdk\nVCENTER_USER=admin\n"
        "VCENTER_PASSWORD=s3cret-pass\nVCENTER_INSECURE=0\n"
    )
    report = project / "build" / "report.json"
    result = cli("validate", str(path), "--json", str(report), "-j", "1", cwd=project)
    assert result.exit_code == 0, result.output
    runs = json.loads(report.read_text())["results"]
    names = {r["name"] for r in runs}
    assert {"VmCreatedEvent (tanzu)", "VmClonedEvent (router)"} <= names
    assert "contract: VmClonedEvent (tanzu)" in names
    assert all(r["requests"] == [] for r in runs)  # pyVmomi went to the simulator, not a proxy
    executed = (
        project / "build" / "validate" / "notebooks" / "vm_attr" / "VmClonedEvent.tanzu.ipynb"
    ).read_text()
    assert "vm-creation-date" in executed and "vcsa.example.invalid" not in executed
