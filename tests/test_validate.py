"""knotebook validate: papermill runs notebooks against their events; failures point at the cell."""

import pytest
from conftest import run_knotebook

from knotebook import validate
from knotebook.validate import Options, Run, contract

pytestmark = pytest.mark.slow  # papermill kernels

SETTINGS = """# knotebook: settings
FUNCTION_NAME = "picky"
EVENT_TYPES = ["VmCreatedEvent", "AlarmStatusChangedEvent"]
ENVELOPE = "tanzu"
"""
PARAMS = ('EVENT = "VmCreatedEvent"', ["parameters"])
PICKY = """# knotebook: function
def handler(event):
    if "AlarmStatusChanged" in (event.get_type() + str(event.get_subject())):
        raise ValueError("alarms are not handled")
"""
RUN = """from knotebook import events
handler(events.sample(EVENT, envelope=ENVELOPE))
"""


def test_plan_is_types_by_envelopes_and_samples(write_notebook):
    path = write_notebook("picky.ipynb", SETTINGS, PARAMS, PICKY, RUN)
    assert [r.name for r in validate.plan(path)] == [
        "VmCreatedEvent (tanzu)",
        "VmCreatedEvent (router)",
        "AlarmStatusChangedEvent (tanzu)",
        "AlarmStatusChangedEvent (router)",
    ]
    every = validate.plan(path, Options(envelope="tanzu", all_samples=True))
    assert [r.name for r in every] == [
        "VmCreatedEvent (tanzu)",
        "AlarmStatusChangedEvent (tanzu)",
        "AlarmStatusChangedEvent:alarminfo (tanzu)",
        "AlarmStatusChangedEvent:host (tanzu)",
    ]
    picked = validate.plan(
        path, Options(envelope="router", event_filter=("AlarmStatusChangedEvent:host",))
    )
    assert picked == [Run(path, "AlarmStatusChangedEvent:host", "router")]


def test_exploration_notebook_runs_once(write_notebook):
    path = write_notebook("explore.ipynb", "x = 1")
    assert validate.plan(path) == [Run(path)]


def test_good_notebook_passes_and_source_is_untouched(project, tmp_path):
    path = project / "notebooks" / "vm_created.ipynb"
    before = path.read_bytes()
    results = validate.validate([path], Options(output_root=tmp_path / "out"))
    assert [(r.name, r.ok) for r in results] == [
        ("VmCreatedEvent (tanzu)", True),
        ("VmCreatedEvent (router)", True),
    ], [r.error for r in results]
    assert (
        results[0].output
        == tmp_path / "out" / "notebooks" / "vm_created" / "VmCreatedEvent.tanzu.ipynb"
    )
    executed = results[1].output.read_text()
    assert '"injected-parameters"' in executed
    assert 'ENVELOPE = \\"router\\"' in executed
    assert "created VM" in executed  # the handler's log line, captured by papermill
    assert path.read_bytes() == before


def test_only_the_failing_event_fails(write_notebook, tmp_path):
    path = write_notebook("picky.ipynb", SETTINGS, PARAMS, PICKY, RUN)
    before = path.read_bytes()
    results = validate.validate([path], Options(output_root=tmp_path, envelope="tanzu"))
    assert [(r.name, r.ok) for r in results] == [
        ("VmCreatedEvent (tanzu)", True),
        ("AlarmStatusChangedEvent (tanzu)", False),
    ]
    error = results[1].error
    # the deepest notebook frame: the function cell's line, not the cell that called it
    assert error.startswith('cell 4, line 4: raise ValueError("alarms are not handled"): '), error
    assert "ValueError: alarms are not handled" in error
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
    (result,) = validate.validate([path], Options(output_root=tmp_path))
    assert not result.ok
    assert result.error.startswith(expected), result.error
    assert result.output.is_file()


def test_runs_sharing_a_kernel_do_not_see_each_others_names(write_notebook, tmp_path):
    settings = SETTINGS.replace("picky", "leaky")
    check = 'assert "LEAK" not in globals(), "state leaked from the previous run"'
    path = write_notebook(
        "leaky.ipynb",
        settings,
        PARAMS,
        PICKY.replace('raise ValueError("alarms are not handled")', "pass"),
        check,
        "LEAK = EVENT",
    )
    results = validate.validate([path], Options(output_root=tmp_path, jobs=1))
    assert len(results) == 4
    assert all(r.ok for r in results), [r.error for r in results]


def test_cli_reports_progress_table_and_exits_1_on_failure(write_notebook, project):
    write_notebook("picky.ipynb", SETTINGS, PARAMS, PICKY, RUN)
    proc = run_knotebook(
        "validate",
        "notebooks/picky.ipynb",
        "notebooks/vm_created.ipynb",
        "--envelope",
        "tanzu",
        "--no-contract",
        cwd=project,
    )
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0] == "Running 3 checks: 3 notebook runs with papermill..."
    assert "[3/3" in proc.stdout  # the progress counts the same checks
    assert any(
        line.startswith("FAILED  notebooks/picky.ipynb [AlarmStatusChangedEvent (tanzu)]")
        for line in lines
    )
    assert any(
        line.startswith("    ok  notebooks/vm_created.ipynb [VmCreatedEvent (tanzu)]")
        for line in lines
    )
    assert (
        "| notebooks/picky.ipynb      | AlarmStatusChangedEvent (tanzu) | FAIL   |" in proc.stdout
    )
    assert lines[-1] == "2 passed, 1 failed"
    executed = (
        project
        / "build"
        / "validate"
        / "notebooks"
        / "picky"
        / "AlarmStatusChangedEvent.tanzu.ipynb"
    )
    assert executed.is_file()


def test_cli_errors_for_missing_paths(project):
    proc = run_knotebook("validate", "notebooks/nope.ipynb", cwd=project)
    assert proc.returncode == 1
    assert proc.stderr == "Error: notebooks/nope.ipynb: no such notebook or folder\n"


DECLARED = """# knotebook: function
from knotebook.runtime import Reject, Retry


def handler(event):
    if "AlarmStatusChanged" in (event.get_type() + str(event.get_subject())):
        raise Reject("alarms are not handled here")
    if ((event.get_data() or {}).get("Vm") or {}).get("Name") == "busy":
        raise Retry("try later")
"""


def test_the_contract_accepts_a_declared_rejection_but_not_a_retry(write_notebook):
    path = write_notebook("picky.ipynb", SETTINGS, PARAMS, DECLARED)
    results = contract.check(path, Options(envelope="tanzu"))
    assert [(r.name, r.ok) for r in results] == [
        ("contract: VmCreatedEvent (tanzu)", True),
        ("contract: AlarmStatusChangedEvent (tanzu)", True),  # raise Reject: 400, not retried
        ("contract: malformed requests get 4xx", True),
    ], [r.error for r in results]
    busy = SETTINGS.replace('["VmCreatedEvent", "AlarmStatusChangedEvent"]', '["VmCreatedEvent"]')
    retrying = DECLARED.replace('== "busy"', '!= "busy"')
    path = write_notebook("busy.ipynb", busy, PARAMS, retrying)
    (result, _bad) = contract.check(path, Options(envelope="tanzu"))
    assert not result.ok and "503" in result.error
