"""The CI side of validation: secrets masked, reports, contract check, export freshness, clean,
the workflow template and the pytest plugin."""

import json
import xml.etree.ElementTree as ET

import nbformat
import pytest
from conftest import run_knotebook

from knotebook import validate
from knotebook.export import exporter
from knotebook.notebook import clean
from knotebook.validate import Options, contract
from tests.support.plugin_run import pytest_knotebook

pytestmark = pytest.mark.slow  # papermill kernels, CLI processes

SECRET = "s3cr3t-Token-Value-42"
EXPORTED_SECRET = "another-Secret-from-function-env"
LEAKY = """# knotebook: settings
FUNCTION_NAME = "leaky"
EVENT_TYPES = ["VmCreatedEvent"]
ENV_VARS = ["API_TOKEN", "OTHER"]
ENVELOPE = "tanzu"
"""
LEAKY_HANDLER = """# knotebook: function
import os


def handler(event):
    print("token is", os.environ.get("API_TOKEN"))
"""
PRINTS = """import os
from knotebook import events
print(os.environ["API_TOKEN"])
print("and", "%s" % "another-Secret-" + "from-function-env")
handler(events.sample(EVENT, envelope=ENVELOPE))
raise RuntimeError("failed with " + os.environ["API_TOKEN"])
"""


def test_secret_values_never_land_in_build_or_reports(project, write_notebook):
    path = write_notebook(
        "leaky.ipynb", LEAKY, ('EVENT = "VmCreatedEvent"', ["parameters"]), LEAKY_HANDLER, PRINTS
    )
    path.with_suffix(".env").write_text(f"API_TOKEN={SECRET}\n")
    bundle = exporter.export(path).directory
    (bundle / "k8s" / "function.env").write_text(f"API_TOKEN={SECRET}\nOTHER={EXPORTED_SECRET}\n")
    before = path.read_bytes()
    proc = run_knotebook(
        "validate",
        "notebooks/leaky.ipynb",
        "--junit",
        "build/junit.xml",
        "--json",
        "build/report.json",
        cwd=project,
    )
    assert proc.returncode == 1  # the last cell raises
    assert SECRET not in proc.stdout + proc.stderr
    files = [p for p in (project / "build").rglob("*") if p.is_file()]
    assert len(files) >= 4  # two executed notebooks and two reports
    for file in files:
        text = file.read_text()
        assert SECRET not in text, file
        assert EXPORTED_SECRET not in text, file
    executed = (
        project / "build" / "validate" / "notebooks" / "leaky" / "VmCreatedEvent.tanzu.ipynb"
    ).read_text()
    assert "********" in executed
    assert "failed with ********" in (project / "build" / "report.json").read_text()
    assert path.read_bytes() == before


def test_junit_and_json_reports(project, write_notebook, tmp_path):
    write_notebook("bad.ipynb", "1 / 0")
    proc = run_knotebook(
        "validate",
        "notebooks/bad.ipynb",
        "notebooks/vm_created.ipynb",
        "--no-contract",
        "--envelope",
        "tanzu",
        "--junit",
        str(tmp_path / "j.xml"),
        "--json",
        str(tmp_path / "r.json"),
        cwd=project,
    )
    assert proc.returncode == 1
    suites = ET.parse(tmp_path / "j.xml").getroot()
    assert (suites.get("tests"), suites.get("failures")) == ("2", "1")
    cases = {(c.get("classname"), c.get("name")): c for c in suites.iter("testcase")}
    assert set(cases) == {
        ("notebooks/bad.ipynb", "run"),
        ("notebooks/vm_created.ipynb", "VmCreatedEvent (tanzu)"),
    }
    failure = cases[("notebooks/bad.ipynb", "run")].find("failure")
    assert failure.get("message") == "cell 2, line 1: 1 / 0: ZeroDivisionError: division by zero"
    report = json.loads((tmp_path / "r.json").read_text())
    assert (report["passed"], report["failed"]) == (1, 1)
    assert report["results"][0]["output"].endswith("build/validate/notebooks/bad/run.ipynb")


def test_contract_check_serves_the_export_and_flags_bad_replies(project, function_notebook):
    good = contract.check(project / "notebooks" / "vm_created.ipynb", Options())
    assert [(r.name, r.ok) for r in good] == [
        ("contract: VmCreatedEvent (tanzu)", True),
        ("contract: VmCreatedEvent (router)", True),
        ("contract: malformed requests get 4xx", True),
    ]
    handler = '# knotebook: function\ndef handler(event):\n    return {"done": True}\n'
    bad = contract.check(
        function_notebook(name="jsonreply", handler=handler), Options(envelope="tanzu")
    )
    assert not bad[0].ok
    assert bad[0].error == (
        'binary: 500: {"status": 500, "error": "handler returned neither None nor a CloudEvent"}'
        '; structured: 500: {"status": 500, "error": "handler returned neither None nor a '
        'CloudEvent"}'
    )
    assert bad[-1].ok  # malformed requests still get 4xx


def test_check_export_names_missing_and_stale_bundles(project):
    path = project / "notebooks" / "vm_created.ipynb"
    assert exporter.check_fresh(path).startswith("not exported: run knotebook export")
    exporter.export(path)
    assert exporter.check_fresh(path) == ""
    nb = nbformat.read(path, as_version=4)
    nb.cells[7].source = nb.cells[7].source.replace("created VM", "made VM")
    nbformat.write(nb, path)
    assert "is stale" in exporter.check_fresh(path)
    proc = run_knotebook(
        "validate", "notebooks/vm_created.ipynb", "--check-export", "--no-run", cwd=project
    )
    assert proc.returncode == 1
    assert "FAILED  notebooks/vm_created.ipynb [export is current]" in proc.stdout
    exporter.export(path)
    (project / "export" / "vm-created" / "handler.py").write_text("# edited\n")
    assert "handler.py differs" in exporter.check_fresh(path)


def test_clean_strips_outputs_atomically_and_check_mode(project, tmp_path):
    path = project / "notebooks" / "vm_created.ipynb"
    original = path.read_bytes()
    (result, *_) = validate.validate([path], Options(output_root=tmp_path, envelope="tanzu"))
    executed = result.output
    dirty = project / "notebooks" / "dirty.ipynb"
    dirty.write_bytes(executed.read_bytes())
    proc = run_knotebook("clean", "--check", "notebooks", cwd=project)
    assert proc.returncode == 1
    assert "has outputs: notebooks/dirty.ipynb" in proc.stdout
    assert proc.stderr == "Error: 1 notebook(s) have outputs; run knotebook clean\n"
    assert clean.clean(dirty) is True
    assert clean.clean(dirty) is False
    stripped = nbformat.read(dirty, as_version=4)
    assert all(
        not c.get("outputs") and c.get("execution_count") is None
        for c in stripped.cells
        if c.cell_type == "code"
    )
    assert run_knotebook("clean", "--check", "notebooks", cwd=project).returncode == 0
    assert path.read_bytes() == original


def test_init_ci_writes_the_workflow_once(project):
    proc = run_knotebook("init-ci", cwd=project)
    assert proc.returncode == 0, proc.stderr
    workflow = (project / ".github" / "workflows" / "knotebook.yml").read_text()
    assert "knotebook validate notebooks/ --junit" in workflow
    assert "--check-export" in workflow
    assert "actions/upload-artifact" in workflow
    again = run_knotebook("init-ci", cwd=project)
    assert again.returncode == 1
    assert (
        again.stderr
        == "Error: .github/workflows/knotebook.yml exists; re-run with --force to overwrite it\n"
    )


def test_pytest_plugin_yields_one_test_per_notebook_run(project, write_notebook):
    write_notebook("bad.ipynb", "1 / 0")
    proc = pytest_knotebook(project, "notebooks/bad.ipynb", "notebooks/vm_created.ipynb")
    assert proc.returncode == 1
    assert "notebooks/bad.ipynb::run FAILED" in proc.stdout
    assert "notebooks/vm_created.ipynb::VmCreatedEvent (tanzu) PASSED" in proc.stdout
    assert "cell 2, line 1: 1 / 0: ZeroDivisionError" in proc.stdout
    assert "notebooks/vm_created.ipynb::contract PASSED" in proc.stdout
    assert "1 failed, 2 passed" in proc.stdout


def test_the_projects_own_workflow_is_the_template():
    from conftest import REPO

    from knotebook.scaffold import workflow

    assert (REPO / ".github" / "workflows" / "knotebook.yml").read_text() == workflow.render(REPO)


def test_a_broken_notebook_is_one_failed_row_and_the_others_still_run(project, write_notebook):
    (project / "notebooks" / "broken.ipynb").write_text("{not json")
    write_notebook("typo.ipynb", '# knotebook: settings\nFUNCTION_NAME = "x"\nEVENT_TYPE = []')
    proc = run_knotebook(
        "validate",
        "notebooks/broken.ipynb",
        "notebooks/typo.ipynb",
        "notebooks/vm_created.ipynb",
        "--envelope",
        "tanzu",
        "--no-contract",
        cwd=project,
    )
    assert proc.returncode == 1
    assert "FAILED  notebooks/broken.ipynb [notebook]" in proc.stdout
    assert "notebooks/broken.ipynb: not a notebook: invalid JSON at line 1" in proc.stdout
    assert "unknown setting EVENT_TYPE (did you mean EVENT_TYPES?)" in proc.stdout
    assert "    ok  notebooks/vm_created.ipynb [VmCreatedEvent (tanzu)]" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "1 passed, 2 failed"
    assert "Traceback" not in proc.stdout + proc.stderr
