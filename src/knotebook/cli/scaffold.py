"""``knotebook init``, ``knotebook new`` and ``knotebook init-ci``: start a project, a function."""

from __future__ import annotations

from pathlib import Path

import click

from knotebook.cli.options import CONTEXT, Whole
from knotebook.errors import KnotebookError
from knotebook.events.envelopes import ENVELOPES
from knotebook.project import templates
from knotebook.project.files import write_atomic


def _next(steps: list[tuple[str, str]]) -> None:
    """Print the next commands, their comments aligned."""
    width = max(len(command) for command, _ in steps)
    click.echo("Next:")
    for command, why in steps:
        click.echo(f"  {command.ljust(width)}  # {why}" if why else f"  {command}")


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)


@click.command("init", context_settings=CONTEXT)
@click.argument("directory", default=".", type=click.Path(path_type=Path))
@click.option(
    "--event",
    default="VmCreatedEvent",
    show_default=True,
    help="vCenter event id of the first function notebook.",
)
@click.option("--name", help="FUNCTION_NAME of the first function [default: from the event].")
@click.option("--envelope", type=click.Choice(ENVELOPES), default="tanzu", show_default=True)
def init_command(directory: Path, event: str, name: str | None, envelope: str) -> None:
    """Create a knotebook project: notebooks/, templates, k8s/, tests/, CI and a first function.

    \b
    Examples:
      knotebook init demo
      knotebook init . --event VmPoweredOffEvent --name vm-off
    """
    from knotebook.scaffold import project, workflow

    made = project.create(directory, event=event, name=name, envelope=envelope)
    click.echo(f"Created the knotebook project {_shown(made.root)}/:")
    for rel in made.written:
        click.echo(f"  {rel}")
    note = workflow.install_for(made.root).note
    if note:
        click.echo(note)
    where = _shown(made.root)
    notebook = made.first.path.relative_to(made.root).as_posix()
    steps = [(f"cd {where}", "")] if where != "." else []
    steps += [
        (f"knotebook lab {notebook}", "edit the function in JupyterLab"),
        ("knotebook validate", "run every notebook with papermill"),
        (f"knotebook export {notebook}", f"write export/{made.first.name}/"),
        (f"knotebook try export/{made.first.name}", "serve it, send it its test event"),
        ("knotebook new NAME --event ID", "another function"),
    ]
    _next(steps)


@click.command("new", context_settings=CONTEXT)
@click.argument("name")
@click.option(
    "--event",
    "event_specs",
    multiple=True,
    required=True,
    help="vCenter event id to subscribe to (repeat for more).",
)
@click.option("--envelope", type=click.Choice(ENVELOPES), default="tanzu", show_default=True)
@click.option("--reply", metavar="TYPE", help="Reply with a CloudEvent of this type.")
@click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of the notebook [default: notebooks/ of the project].",
)
def new_command(
    name: str,
    event_specs: tuple[str, ...],
    envelope: str,
    reply: str | None,
    folder: Path | None,
) -> None:
    """Add a function notebook NAME for the given events, ready to validate and export.

    \b
    Examples:
      knotebook new vm-off --event VmPoweredOffEvent
      knotebook new vm-power --event VmPoweredOnEvent --event VmPoweredOffEvent
      knotebook new alarm-relay --event AlarmStatusChangedEvent --reply com.example.alarm
    """
    from knotebook.scaffold import function

    if folder is None:
        folder = templates.find(Path.cwd()).root / "notebooks"
    made = function.create(folder, name, list(event_specs), envelope=envelope, reply=reply)
    shown = _shown(made.path)
    click.echo(f"Created {shown}: function {made.name} for {', '.join(made.event_ids)}")
    _next(
        [
            (f"knotebook lab {shown}", "fill in the handler"),
            (f"knotebook validate {shown}", "run it with papermill"),
            (f"knotebook export {shown}", f"write export/{made.name}/"),
        ]
    )


@click.command("init-ci", context_settings=CONTEXT)
@click.option(
    "--path",
    default=Path(".github/workflows/knotebook.yml"),
    show_default=True,
    type=click.Path(path_type=Path),
)
@click.option(
    "--package",
    metavar="SPEC",
    help="What the workflow pip-installs (a git URL, a wheel in the repository) [default: what "
    "this knotebook was installed from, when CI can reach it; -e . in knotebook].",
)
@click.option(
    "--shards",
    type=Whole(1),
    default=1,
    show_default=True,
    help="Validate in N parallel jobs (a matrix of --shard I/N) and merge their reports.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing workflow.")
def init_ci(path: Path, package: str | None, shards: int, force: bool) -> None:
    """Write a GitHub Actions workflow that validates the notebooks on every push.

    The workflow restores knotebook's result cache between builds, so runs whose inputs did not
    change are reported from it. With --shards N, N jobs validate a share of the notebooks
    each and a last job merges their JUnit/JSON reports and caches.

    \b
    Examples:
      knotebook init-ci && git add .github/workflows/knotebook.yml
      knotebook init-ci --shards 4 --force
      knotebook init-ci --package 'knotebook @ git+https://github.com/example/knotebook@v0.1.0'
    """
    from knotebook.scaffold import workflow

    if path.exists() and not force:
        raise KnotebookError(f"{path} exists; re-run with --force to overwrite it")
    root = templates.find(Path.cwd()).root
    text = workflow.render(root, package, shards)
    try:
        write_atomic(path, text, exclusive=not force)  # never over a file made since the check
    except KnotebookError:
        raise KnotebookError(f"{path} exists; re-run with --force to overwrite it") from None
    except OSError as exc:
        raise KnotebookError(f"cannot write {path}: {exc.strerror}") from None
    what = f"{shards} validate --shard jobs, merged reports" if shards > 1 else "validate --junit"
    click.echo(f"Wrote {path}: install, cached {what}, --check-export, upload report")
    note = workflow.install_for(root, package).note
    if note:
        click.echo(note)
