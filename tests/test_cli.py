"""The knotebook command line as a new user meets it: help with examples, one-line errors."""

import click
import pytest
from conftest import run_knotebook

from knotebook.cli import main


def all_commands(group=main, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


@pytest.mark.parametrize(
    "path", [()] + [p for p, _ in all_commands()], ids=lambda p: " ".join(p) or "knotebook"
)
def test_every_help_shows_an_example(cli, path):
    result = cli(*path, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output
    assert "knotebook " in result.output.split("Example", 1)[1]


def test_typo_in_a_command_suggests_the_right_one(cli):
    result = cli("exprot", "x.ipynb")
    assert result.exit_code == 2
    assert "No such command 'exprot'. Did you mean 'export'?" in result.output


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("export", "notebooks/missing.ipynb"),
            "Error: notebooks/missing.ipynb: no such notebook\n",
        ),
        (
            ("try", "export/nothing"),
            "Error: export/nothing: no such bundle or notebook; run knotebook export first\n",
        ),
        (
            ("try", "export/nothing", "--event", "VmCreatedEvnt"),
            "Error: export/nothing: no such bundle or notebook; run knotebook export first\n",
        ),
    ],
)
def test_user_errors_are_one_line_with_exit_1(project, args, message):
    proc = run_knotebook(*args, cwd=project)
    assert proc.returncode == 1
    assert proc.stderr == message
    assert proc.stdout == ""


@pytest.mark.slow
def test_unknown_event_type_in_a_notebook(project, function_notebook):
    function_notebook(name="typo", events=["VmCreatedEvnt"])
    proc = run_knotebook("export", "notebooks/typo.ipynb", cwd=project)
    assert proc.returncode == 1
    assert proc.stderr.startswith(
        "Error: notebooks/typo.ipynb: cell 2: EVENT_TYPES: unknown vSphere"
    )
    assert "did you mean VmCreatedEvent" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    assert not (project / "export").exists()


@pytest.mark.slow
def test_notebook_without_handler_cell_and_shell_escape(project, write_notebook):
    write_notebook(
        "nohandler.ipynb",
        '# knotebook: settings\nFUNCTION_NAME = "x"\nEVENT_TYPES = ["VmCreatedEvent"]',
    )
    proc = run_knotebook("export", "notebooks/nohandler.ipynb", cwd=project)
    assert (proc.returncode, proc.stderr.count("\n")) == (1, 1)
    assert "no function cell" in proc.stderr
    write_notebook(
        "pip.ipynb",
        '# knotebook: settings\nFUNCTION_NAME = "x"\nEVENT_TYPES = ["VmCreatedEvent"]',
        "# knotebook: function\n!pip install requests\ndef handler(event):\n    pass",
    )
    before = (project / "notebooks" / "pip.ipynb").read_bytes()
    proc = run_knotebook("export", "notebooks/pip.ipynb", cwd=project)
    assert (proc.returncode, proc.stderr.count("\n")) == (1, 1)
    assert "cell 3, line 2: '!pip install requests' is IPython syntax" in proc.stderr
    assert (project / "notebooks" / "pip.ipynb").read_bytes() == before


@pytest.mark.slow
def test_usage_errors_exit_2(project):
    proc = run_knotebook("export", cwd=project)
    assert proc.returncode == 2
    assert "Missing argument 'NOTEBOOKS...'" in proc.stderr


@pytest.mark.slow
def test_export_then_try_serves_the_bundle_with_its_procfile(project):
    proc = run_knotebook("export", "notebooks/vm_created.ipynb", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Exported notebooks/vm_created.ipynb -> ")
    proc = run_knotebook("try", "export/vm-created", cwd=project)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "    binary com.vmware.vsphere.VmCreatedEvent.v0 id=" in out
    assert "structured com.vmware.vsphere.VmCreatedEvent.v0 id=" in out
    assert out.count("-> 204 No Content") == 2
    assert out.count("INFO vm-created MainThread : ") == 2
    assert "created VM web-01 on host" in out
    assert "Stopped (exit 0)." in out


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.output.startswith("knotebook, version ")
