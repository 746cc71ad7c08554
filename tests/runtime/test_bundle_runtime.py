"""The runtime in the bundle: byte for byte the package's, hashed in .knotebook.json (a
drifted copy is caught), overridable by the project; handler.py is the notebook's code."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from runtime_support import ECHO, echo_bundle, export_echo

import knotebook.runtime
from knotebook.export import exporter, runtime_copy
from tests.support.knative_schema import load_yaml_documents, validate_documents

__all__ = ["echo_bundle"]
RUNTIME = Path(knotebook.runtime.__file__).parent
KUBECTL = shutil.which("kubectl")


def test_the_runtime_is_copied_byte_for_byte_as_a_namespace_portion(echo_bundle):
    copied = {p.name: p.read_bytes() for p in (echo_bundle / "knotebook" / "runtime").iterdir()}
    assert copied == {p.name: p.read_bytes() for p in RUNTIME.glob("*.py")}
    assert not (echo_bundle / "knotebook" / "__init__.py").exists()


def test_the_manifest_records_the_runtime_version_and_hash(echo_bundle):
    manifest = json.loads((echo_bundle / ".knotebook.json").read_text())
    files = {f"knotebook/runtime/{p.name}": p.read_bytes() for p in RUNTIME.glob("*.py")}
    assert manifest["runtime"] == {
        "version": knotebook.runtime.__version__,
        "sha256": runtime_copy.digest(files),
    }


def test_a_drifted_runtime_copy_is_caught_by_check_export(tmp_path):
    bundle = export_echo(tmp_path)
    notebook = bundle.parents[1] / "notebooks" / "echo.ipynb"
    assert exporter.check_fresh(notebook) == ""
    app = bundle / "knotebook" / "runtime" / "app.py"
    app.write_text(app.read_text() + "\n# edited\n")
    assert "knotebook/runtime/app.py" in exporter.check_fresh(notebook)


def test_a_project_can_override_the_runtime(tmp_path):
    bundle = export_echo(tmp_path)
    project = bundle.parents[1]
    shutil.copytree(RUNTIME, project / "runtime", ignore=shutil.ignore_patterns("__pycache__"))
    init = project / "runtime" / "__init__.py"
    init.write_text(init.read_text().replace('__version__ = "', '__version__ = "custom-'))
    result = exporter.export(project / "notebooks" / "echo.ipynb")
    copied = (result.directory / "knotebook" / "runtime" / "__init__.py").read_text()
    assert '__version__ = "custom-' in copied
    assert "knotebook/runtime/ custom-" in (result.directory / "handler.py").read_text()


def test_handler_py_is_the_notebooks_code_and_one_line_more(echo_bundle):
    handler = (echo_bundle / "handler.py").read_text()
    cell = ECHO.strip()
    assert cell in handler
    rest = handler.replace(cell, "")
    assert len(rest.splitlines()) <= 40
    assert "# %% notebooks/echo.ipynb cell 3" in handler
    assert handler.rstrip().endswith('app = knotebook.runtime.App(handler, name="echo")')


def test_a_traceback_line_leads_to_the_notebook_cell(tmp_path):
    """The 500 log names the handler.py line; the nearest '# %%' marker above it names the cell."""
    from werkzeug.test import Client

    from knotebook.lab import inkernel

    failing = ECHO.replace("    data = event.get_data()", "    data = event.get_data()\n    1 / 0")
    bundle = export_echo(tmp_path, failing)
    source = (bundle / "handler.py").read_text()
    module = inkernel.load_handler(source, "echo")
    app = module.app
    lines: list[str] = []
    app.log.handlers.append(_Collect(lines))
    try:
        answer = Client(app).post(
            "/", headers={"ce-id": "1", "ce-source": "s", "ce-type": "t", "ce-specversion": "1.0"}
        )
    finally:
        app.log.handlers.pop()
    assert answer.status_code == 500
    line = int(lines[0].rsplit("handler.py line ", 1)[1].rstrip(")"))
    above = source.splitlines()[: line - 1]
    assert source.splitlines()[line - 1].strip() == "1 / 0"
    marker = next(text for text in reversed(above) if text.startswith("# %% "))
    assert marker == "# %% notebooks/echo.ipynb cell 3"


class _Collect:
    level = 0

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def handle(self, record) -> None:
        self.lines.append(record.getMessage())


@pytest.mark.skipif(KUBECTL is None, reason="kubectl (with kustomize) not installed")
def test_service_triggers_and_secret_carry_the_veba_ui_label(echo_bundle):
    """VEBA's docs/kb/intro-functions.md: the UI shows what is labelled app: veba-ui."""
    rendered = subprocess.run(
        [KUBECTL, "kustomize", str(echo_bundle / "k8s")], capture_output=True, text=True, check=True
    ).stdout
    assert validate_documents(rendered) == []
    docs = load_yaml_documents(rendered)
    assert {d["kind"] for d in docs} == {"Service", "Trigger", "Secret"}
    for doc in docs:
        assert doc["metadata"]["labels"]["app"] == "veba-ui", doc["kind"]
    (service,) = (d for d in docs if d["kind"] == "Service")
    assert "labels" not in service["spec"]["template"].get("metadata", {})  # not the pods
