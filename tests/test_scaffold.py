"""`knotebook init` and `knotebook new`: a project and function notebooks that work as created."""

from __future__ import annotations

import json

import nbformat
import pytest
import yaml
from conftest import REPO, run_knotebook

from knotebook import notebook
from knotebook.export import exporter
from knotebook.project import templates
from knotebook.scaffold.workflow import PLACEHOLDER

pytestmark = pytest.mark.slow  # init/new and validate


def test_init_creates_the_layout_with_a_first_function(tmp_path, cli):
    result = cli("init", "demo", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    root = tmp_path / "demo"
    for name in templates.NAMES:
        assert (root / name).read_bytes() == (REPO / name).read_bytes(), name
    assert (root / "export").is_dir() and "export/" in (root / ".gitignore").read_text()
    assert "*.env" in (root / ".gitignore").read_text()
    assert "knotebook validate" in (root / "tests" / "test_notebooks.py").read_text()
    assert (root / "README.md").read_text().startswith("# demo\n")
    function = notebook.read(root / "notebooks" / "vm_created.ipynb")
    assert function.settings is not None
    assert function.settings.name == "vm-created"
    assert function.settings.event_types == ("VmCreatedEvent",)
    assert "cd demo" in result.output and "knotebook export notebooks/vm_created.ipynb" in (
        result.output
    )
    # The workflow installs the package: `pip install -e .` cannot work in a user's project.
    workflow = yaml.safe_load((root / ".github" / "workflows" / "knotebook.yml").read_text())
    install = [
        s["run"] for s in workflow["jobs"]["validate"]["steps"] if s.get("name") == "Install"
    ]
    # knotebook runs here from a checkout (PEP 610: a local folder): the workflow cannot install
    # that, so it takes the repository variable and init says CI needs --package SPEC
    assert install == [f"python -m pip install {PLACEHOLDER}"]
    assert "CI needs --package SPEC" in result.output


def test_init_never_overwrites(tmp_path, cli):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "Procfile").write_text("web: my own\n")
    result = cli("init", "mine", cwd=tmp_path)
    assert result.exit_code == 1
    assert "already holds Procfile" in result.output
    assert (tmp_path / "mine" / "Procfile").read_text() == "web: my own\n"
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["Procfile"]


def test_new_writes_a_notebook_that_exports(tmp_path, cli):
    assert cli("init", "demo", cwd=tmp_path).exit_code == 0
    root = tmp_path / "demo"
    result = cli("new", "vm-off", "--event", "VmPoweredOffEvent", cwd=root)
    assert result.exit_code == 0, result.output
    assert "Created notebooks/vm_off.ipynb: function vm-off for VmPoweredOffEvent" in result.output
    path = root / "notebooks" / "vm_off.ipynb"
    nb = nbformat.read(path, as_version=4)
    kinds = [c["source"].split("\n", 1)[0] for c in nb["cells"] if c["cell_type"] == "code"]
    assert kinds[0] == "# knotebook: settings" and "# knotebook: function" in kinds
    assert any("parameters" in c["metadata"].get("tags", []) for c in nb["cells"])
    assert nb["cells"][-1]["source"] == "%load_ext knotebook\n%knotebook invoke event"
    function = notebook.read(path)
    source = function.function_cells[0].source
    # The stub reads the fields VmPoweredOffEvent really has, never indexing a null entity.
    assert 'name_of(data.get("Vm"))' in source and 'data.get("Template")' in source
    assert '["' not in source
    bundle = exporter.export(path).directory
    assert bundle == root / "export" / "vm-off"
    event = json.loads((bundle / "testevent.json").read_text())
    assert event["type"] == "com.vmware.vsphere.VmPoweredOffEvent.v0"


def test_new_refuses_overwrites_typos_bad_names_and_taken_names(tmp_path, cli):
    assert cli("init", "demo", cwd=tmp_path).exit_code == 0
    root = tmp_path / "demo"
    typo = cli("new", "vm-off", "--event", "VmPoweredOfEvent", cwd=root)
    assert typo.exit_code == 1 and "did you mean VmPoweredOffEvent" in typo.output
    bad = cli("new", "Vm_Off", "--event", "VmPoweredOffEvent", cwd=root)
    assert bad.exit_code == 1 and "did you mean 'vm-off'?" in bad.output
    original = (root / "notebooks" / "vm_created.ipynb").read_bytes()
    again = cli("new", "vm-created", "--event", "VmPoweredOffEvent", cwd=root)
    assert again.exit_code == 1 and "exists" in again.output
    assert (root / "notebooks" / "vm_created.ipynb").read_bytes() == original
    (root / "notebooks" / "vm_created.ipynb").rename(root / "notebooks" / "first.ipynb")
    taken = cli("new", "vm-created", "--event", "VmPoweredOffEvent", cwd=root)
    assert taken.exit_code == 1 and "already exports FUNCTION_NAME 'vm-created'" in taken.output
    assert sorted(p.name for p in (root / "notebooks").iterdir()) == ["first.ipynb"]


def test_init_ci_installs_the_package_outside_knotebook_itself(tmp_path):
    proc = run_knotebook("init-ci", "--package", "knotebook @ git+https://x/k@v1", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / ".github" / "workflows" / "knotebook.yml").read_text()
    assert "python -m pip install 'knotebook @ git+https://x/k@v1'" in text
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "knotebook"\n')
    (tmp_path / "Procfile").write_text((REPO / "Procfile").read_text())
    forced = run_knotebook("init-ci", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert (
        "python -m pip install -e ." in (tmp_path / ".github/workflows/knotebook.yml").read_text()
    )


@pytest.mark.slow
def test_new_notebooks_validate_as_created(tmp_path, cli):
    assert (
        cli("init", "demo", "--event", "com.vmware.sso.LoginFailure", cwd=tmp_path).exit_code == 0
    )
    root = tmp_path / "demo"
    made = cli(
        "new", "relay", "--event", "AlarmStatusChangedEvent", "--event", "VmPoweredOffEvent",
        "--reply", "com.example.relay", "--envelope", "router", cwd=root,
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    proc = run_knotebook("validate", "--output-dir", str(tmp_path / "out"), cwd=root)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    # login_failure: 2 papermill runs (tanzu, router) + 3 contract checks (2 events, malformed);
    # relay: 4 runs (2 types x 2 envelopes) + 5 contract checks (4 events, malformed)
    assert proc.stdout.splitlines()[-1] == "14 passed, 0 failed"
