"""The sample notebooks: clean and regenerable, validated by `knotebook validate`, exportable."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess

import nbformat
import pytest
import yaml
from conftest import REPO, SAMPLES, VCENTER_SAMPLES, make_project, run_knotebook

from knotebook import notebook
from knotebook.export import exporter

pytestmark = pytest.mark.slow  # the sample notebooks in kernels

KUBECTL = shutil.which("kubectl")


def _generator():
    spec = importlib.util.spec_from_file_location(
        "make_notebooks", REPO / "tools/make_notebooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_notebooks_are_committed_clean_as_the_generator_writes_them():
    generator = _generator()
    assert sorted(generator.NOTEBOOKS) == sorted(SAMPLES + VCENTER_SAMPLES)
    for name, make in generator.NOTEBOOKS.items():
        path = REPO / "notebooks" / name
        assert path.read_text(encoding="utf-8") == generator.build(make()), (
            f"{name} differs from tools/make_notebooks.py: run it and commit the result"
        )
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for number, cell in enumerate(nb.cells, start=1):
            assert cell.id == f"cell-{number:02d}"
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, (name, number)
        assert nb.cells[0].cell_type == "markdown", f"{name}: starts without an explanation"


def test_vm_created_keeps_its_cells_and_ends_with_the_invoke_cell():
    function = notebook.read(REPO / "notebooks" / "vm_created.ipynb")
    assert [c.number for c in function.function_cells] == [8]
    assert "created VM %s on host" in function.function_cells[0].source
    nb = nbformat.read(REPO / "notebooks" / "vm_created.ipynb", as_version=4)
    assert nb.cells[-1].source == "%load_ext knotebook\n%knotebook invoke VmCreatedEvent"


@pytest.fixture(scope="module")
def validated(tmp_path_factory):
    """`knotebook validate notebooks/` in a scratch project, once for this module."""
    root = tmp_path_factory.mktemp("validate")
    project = make_project(root / "project")
    report = root / "report.json"
    proc = run_knotebook(
        "validate", "notebooks", "--output-dir", str(root / "out"), "--json", str(report),
        cwd=project,
    )  # fmt: skip
    return proc, json.loads(report.read_text()) if report.is_file() else {}, root / "out"


def test_every_sample_notebook_passes_knotebook_validate(validated):
    proc, report, _ = validated
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    runs = [r for r in report["results"] if r["check"] == "notebook"]
    assert {r["notebook"] for r in runs} == {f"notebooks/{name}" for name in SAMPLES}
    assert report["failed"] == 0 and all(r["ok"] for r in report["results"])


@pytest.mark.parametrize(
    ("name", "run", "expected"),
    [
        ("vm_created", "VmCreatedEvent.tanzu", "created VM web-01 on host esxi-01.example.local"),
        ("vm_created", "VmCreatedEvent.router", "com.vmware.event.router/event"),
        ("explore_events", "VmDeployedEvent.tanzu", "appeared (from template tpl-ubuntu-22.04)"),
        ("vm_reconfigured", "VmReconfiguredEvent.tanzu", "com.example.vsphere.vm.reconfigured"),
        ("login_audit", "UserLoginSessionEvent.router", '\\"outcome\\": \\"failure\\"'),
    ],
)
def test_the_invoke_cells_ran_under_papermill(validated, name, run, expected):
    _, _, out = validated
    executed = (out / "notebooks" / name / f"{run}.ipynb").read_text(encoding="utf-8")
    assert "knotebook-invoke" in executed  # the HTML output of %knotebook invoke
    assert expected in executed


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_notebook_exports_a_bundle_whose_k8s_renders(project, tmp_path, name):
    function = notebook.read(project / "notebooks" / name)
    assert function.settings is not None, f"{name} is not a function notebook"
    bundle = exporter.export(project / "notebooks" / name, tmp_path).directory
    compile((bundle / "handler.py").read_text(), str(bundle / "handler.py"), "exec")
    # The samples import only the standard library and the runtime (cloudevents): nothing added.
    requirements = (bundle / "requirements.txt").read_text()
    assert "Imported by the function cells" not in requirements
    if KUBECTL is None:
        pytest.skip("kubectl (with kustomize) not installed: k8s/ rendering not checked")
    proc = subprocess.run(
        [KUBECTL, "kustomize", str(bundle / "k8s")], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    docs = [d for d in yaml.safe_load_all(proc.stdout) if d]
    kinds = [d["kind"] for d in docs]
    assert kinds.count("Service") == 1 and kinds.count("Secret") == 1
    triggers = [d for d in docs if d["kind"] == "Trigger"]
    assert len(triggers) == len(function.settings.event_types)
    assert {d["metadata"]["namespace"] for d in docs} == {"vmware-functions"}
