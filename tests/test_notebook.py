"""The notebook conventions, read without executing the notebook."""

import pytest

from knotebook import notebook
from knotebook.errors import NotebookError

HANDLER = "# knotebook: function\ndef handler(event):\n    return None\n"


def test_sample_notebook_declares_its_function(project):
    fn = notebook.read(project / "notebooks" / "vm_created.ipynb")
    assert fn.is_function
    assert fn.settings.name == "vm-created"
    assert fn.settings.event_types == ("VmCreatedEvent",)
    assert fn.settings.envelope == "tanzu"
    assert (fn.settings.min_scale, fn.settings.max_scale) == (1, 1)
    assert fn.settings.env_vars == ("ENV1",)
    assert fn.parameters == {"EVENT": "VmCreatedEvent"}
    assert [c.number for c in fn.function_cells] == [8]
    assert fn.function_cells[0].source.startswith("# knotebook: function")


def test_event_types_are_resolved_to_catalog_ids(write_notebook):
    settings = (
        '# knotebook: settings\nFUNCTION_NAME = "x"\n'
        'EVENT_TYPES = ["vmcreatedevent", "com.vmware.vsphere.VmClonedEvent.v0", "VmCreatedEvent"]'
    )
    fn = notebook.read(write_notebook("x.ipynb", settings, HANDLER))
    assert fn.settings.event_types == ("VmCreatedEvent", "VmClonedEvent")


def test_exploration_notebook_has_no_settings(write_notebook):
    fn = notebook.read(write_notebook("explore.ipynb", "x = 1", ("EVENT = 'A'", ["parameters"])))
    assert not fn.is_function
    assert fn.parameters == {"EVENT": "A"}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            'FUNCTION_NAME = "x"\nEVENT_TYPE = ["VmCreatedEvent"]',
            "unknown setting EVENT_TYPE (did you mean EVENT_TYPES?)",
        ),
        ('FUNCTION_NAME = "x"', "missing setting EVENT_TYPES"),
        (
            'FUNCTION_NAME = "Bad_Name"\nEVENT_TYPES = ["VmCreatedEvent"]',
            "FUNCTION_NAME 'Bad_Name' must be lowercase",
        ),
        (
            'FUNCTION_NAME = "x"\nEVENT_TYPES = ["VmCreatedEvnt"]',
            "unknown vSphere event type 'VmCreatedEvnt'; did you mean VmCreatedEvent",
        ),
        ('FUNCTION_NAME = "x"\nEVENT_TYPES = []', "EVENT_TYPES is empty"),
        (
            'FUNCTION_NAME = "x"\nEVENT_TYPES = ["VmCreatedEvent"]\nENVELOPE = "v08"',
            "ENVELOPE must be 'tanzu'",
        ),
        (
            'FUNCTION_NAME = "x" + "y"\nEVENT_TYPES = ["VmCreatedEvent"]',
            "line 2: FUNCTION_NAME must be a plain value",
        ),
        (
            'FUNCTION_NAME = "x"\nEVENT_TYPES = ["VmCreatedEvent"]\nMIN_SCALE = 3\nMAX_SCALE = 2',
            "MAX_SCALE (2) is below MIN_SCALE (3)",
        ),
        (
            'FUNCTION_NAME = "x"\nEVENT_TYPES = ["VmCreatedEvent"]\nENV_VARS = ["PORT"]',
            "'PORT' is not a usable variable name",
        ),
    ],
)
def test_bad_settings_name_the_cell(write_notebook, settings, message):
    path = write_notebook("bad.ipynb", "# knotebook: settings\n" + settings, HANDLER)
    with pytest.raises(NotebookError) as info:
        notebook.read(path)
    assert f"{path}: cell 2" in str(info.value)
    assert message in str(info.value)


def test_every_problem_of_the_settings_cell_is_in_the_one_error(write_notebook):
    settings = 'FUNCTION_NAME = "x"\nEVENT_TYPE = ["VmCreatedEvent"]\nMAX_SCAL = 2\nENVELOPE = 1'
    path = write_notebook("typos.ipynb", "# knotebook: settings\n" + settings, HANDLER)
    with pytest.raises(NotebookError) as info:
        notebook.read(path)
    assert str(info.value) == (
        f"{path}: cell 2: unknown setting EVENT_TYPE (did you mean EVENT_TYPES?); "
        "unknown setting MAX_SCAL (did you mean MAX_SCALE?); "
        "ENVELOPE must be a string ('tanzu' (VEBA >= 0.8) or 'router' (VEBA <= 0.7))"
    )


def test_function_notebook_without_function_cells(write_notebook):
    path = write_notebook(
        "nofn.ipynb", '# knotebook: settings\nFUNCTION_NAME = "x"\nEVENT_TYPES = ["VmCreatedEvent"]'
    )
    with pytest.raises(NotebookError, match="no function cell"):
        notebook.read(path)


def test_function_cells_without_settings(write_notebook):
    with pytest.raises(
        NotebookError, match="cell 2: function cells need a '# knotebook: settings'"
    ):
        notebook.read(write_notebook("nosettings.ipynb", HANDLER))


def test_unknown_marker_is_reported(write_notebook):
    with pytest.raises(NotebookError, match="cell 2: unknown marker '# knotebook: fuction'"):
        notebook.read(write_notebook("typo.ipynb", "# knotebook: fuction\ndef handler(e): pass"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such notebook"),
        ("{not json", "invalid JSON at line 1"),
        ("[]", "no 'cells' list"),
    ],
)
def test_unreadable_notebooks(tmp_path, content, message):
    path = tmp_path / "x.ipynb"
    if content is not None:
        path.write_text(content)
    with pytest.raises(NotebookError, match=message):
        notebook.read(path)
