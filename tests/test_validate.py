"""knotebook validate: papermill runs notebooks against their events; failures point at the cell."""

import pytest
from conftest import run_knotebook

from knotebook import validate

SETTINGS = """# knotebook: settings
FUNCTION_NAME = "picky"
EVENT_TYPES = ["VmCreatedEvent", "AlarmStatusChangedEvent"]
"""
PARAMS = ('EVENT = "VmCreatedEvent"', ["parameters"])
PICKY = """# knotebook: function
def handler(event):
    if "AlarmStatusChanged" in event.get_type():
        raise ValueError("alarms are not handled")
"""
RUN = """from knotebook import events
handler(events.sample(EVENT))
"""


def test_good_notebook_passes_and_source_is_untouched(project, tmp_path):
    path = project / "notebooks" / "vm_created.ipynb"
    before = path.read_bytes()
    (result,) = validate.validate([path], tmp_path / "out")
    assert result.ok, result.error
    assert result.event == "VmCreatedEvent"
    assert result.output == tmp_path / "out" / "vm_created" / "VmCreatedEvent.ipynb"
    executed = result.output.read_text()
    assert '"injected-parameters"' in executed
    assert "created VM" in executed  # the handler's log line, captured by papermill
    assert path.read_bytes() == before


def test_each_subscribed_event_runs_and_only_the_failing_one_fails(write_notebook, tmp_path):
    path = write_notebook("picky.ipynb", SETTINGS, PARAMS, PICKY, RUN)
    before = path.read_bytes()
    results = validate.validate([path], tmp_path)
    assert [(r.event, r.ok) for r in results] == [
        ("VmCreatedEvent", True),
        ("AlarmStatusChangedEvent", False),
    ]
    error = results[1].error
    assert error.startswith("cell 5, line 2: handler(events.sample(EVENT)): ValueError")
    assert "alarms are not handled" in error
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("x = 1\ny = x / 0\n", "cell 4, line 2: y = x / 0: ZeroDivisionError: division by zero"),
        (
            "import not_a_module_xyz\n",
            "cell 4, line 1: import not_a_module_xyz: ModuleNotFoundError",
        ),
        ("def broken(:\n    pass\n", "cell 4, line 1: def broken(:: SyntaxError"),
    ],
)
def test_failure_names_the_cell_as_numbered_in_the_source(write_notebook, tmp_path, cell, expected):
    path = write_notebook("broken.ipynb", "a = 1", ("EVENT = 'x'", ["parameters"]), cell, "b = 2")
    (result,) = validate.validate([path], tmp_path)
    assert not result.ok
    assert result.error.startswith(expected), result.error
    assert result.output.is_file()


def test_cli_reports_progress_and_exits_1_on_failure(write_notebook, project):
    write_notebook("picky.ipynb", SETTINGS, PARAMS, PICKY, RUN)
    proc = run_knotebook("validate", "notebooks", cwd=project)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0] == "Validating 2 notebook(s) with papermill..."
    assert any(
        line.startswith("FAILED  notebooks/picky.ipynb [AlarmStatusChangedEvent]") for line in lines
    )
    assert any(
        line.startswith("    ok  notebooks/vm_created.ipynb [VmCreatedEvent]") for line in lines
    )
    assert lines[-1] == "2 passed, 1 failed"
    assert (project / "build" / "validate" / "picky" / "AlarmStatusChangedEvent.ipynb").is_file()


def test_cli_errors_for_missing_paths(project):
    proc = run_knotebook("validate", "notebooks/nope.ipynb", cwd=project)
    assert proc.returncode == 1
    assert proc.stderr == "Error: notebooks/nope.ipynb: no such notebook or folder\n"
