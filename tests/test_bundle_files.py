"""Helper modules next to the notebook and FILES travel with the bundle; bad ones are refused."""

from __future__ import annotations

import importlib.metadata

import pytest
from conftest import run_knotebook

from knotebook.errors import ExportError, NotebookError
from knotebook.export import exporter

USES_HELPER = """# knotebook: function
import logging

import vcenter

log = logging.getLogger("vm-attr")


def handler(event):
    log.warning("%s / %s", vcenter.describe(event.get_data()), vcenter.template())
"""
HELPER = '''"""Helpers, as VEBA's kn-py-vm-attr keeps its vcenter.py beside handler.py."""
from pathlib import Path

import yaml

from tags import tag_of


def describe(data):
    return tag_of((data.get("Vm") or {}).get("Name"))


def template():
    here = Path(__file__).resolve().parent
    return yaml.safe_load((here / "templates" / "attr.yaml").read_text())["attribute"]
'''


def _notebook(write_notebook, extra: str = "", handler: str = USES_HELPER):
    settings = (
        '# knotebook: settings\nFUNCTION_NAME = "vm-attr"\nEVENT_TYPES = ["VmCreatedEvent"]\n'
        + extra
    )
    params = ('EVENT = "VmCreatedEvent"', ["parameters"])
    return write_notebook("vm_attr.ipynb", settings, params, handler)


@pytest.fixture
def helpers(project):
    notebooks = project / "notebooks"
    (notebooks / "vcenter.py").write_text(HELPER)
    (notebooks / "tags.py").write_text("def tag_of(name):\n    return f'tag:{name}'\n")
    (notebooks / "templates").mkdir()
    (notebooks / "templates" / "attr.yaml").write_text("attribute: owner\n")
    return notebooks


@pytest.mark.slow
def test_helpers_and_files_are_bundled_and_run(project, write_notebook, helpers):
    path = _notebook(write_notebook, 'FILES = ["templates/*.yaml"]\n')
    bundle = exporter.export(path).directory
    assert (bundle / "vcenter.py").read_text() == HELPER
    assert (bundle / "tags.py").is_file()  # a helper of a helper
    assert (bundle / "templates" / "attr.yaml").read_text() == "attribute: owner\n"
    version = importlib.metadata.version("PyYAML")
    assert (
        f"PyYAML=={version}  # import yaml, vcenter.py\n"
        in (bundle / "requirements.txt").read_text()
    )
    proc = run_knotebook("try", "export/vm-attr", "--no-venv", "--mode", "binary", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "tag:web-01 / owner" in proc.stdout


def test_a_helper_importing_notebook_tooling_is_refused(write_notebook, helpers):
    (helpers / "tags.py").write_text("import IPython\n\ndef tag_of(name):\n    return name\n")
    with pytest.raises(ExportError, match=r"tags.py, line 1: the helper module imports 'IPython'"):
        exporter.export(_notebook(write_notebook, 'FILES = ["templates/*.yaml"]\n'))


def test_a_helper_named_like_the_bundles_own_module_is_refused(write_notebook, helpers):
    (helpers / "handler.py").write_text("X = 1\n")
    uses = USES_HELPER.replace("import vcenter\n", "import vcenter\nimport handler\n")
    with pytest.raises(ExportError, match=r"cell 4, line 5: handler next to the notebook cannot"):
        exporter.export(_notebook(write_notebook, 'FILES = ["templates/*.yaml"]\n', uses))


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ('["nothing/*.json"]', r"cell 2, line 4: FILES: 'nothing/\*.json' matches no file"),
        ('["../secrets.json"]', r"cell 2, line 4: FILES: '../secrets.json' must be a glob inside"),
        ("[1]", r"cell 2, line 4: FILES must be a list of globs"),
    ],
)
def test_bad_files_name_the_cell_and_line(write_notebook, helpers, files, message):
    with pytest.raises(NotebookError, match=message):
        exporter.export(_notebook(write_notebook, f"FILES = {files}\n"))


def test_files_cannot_replace_a_generated_file(write_notebook, helpers):
    (helpers / "Procfile").write_text("web: mine\n")
    with pytest.raises(ExportError, match=r"Procfile \(a helper module or FILES\) would replace"):
        exporter.export(_notebook(write_notebook, 'FILES = ["Procfile"]\n'))
