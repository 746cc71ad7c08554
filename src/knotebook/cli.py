"""The ``knotebook`` command line."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import click

from knotebook import __version__
from knotebook.errors import KnotebookError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Group(click.Group):
    """A click group that prints KnotebookError in one line and suggests close command names."""

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise click.UsageError(f"No such command '{name}'.{hint}", ctx)
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KnotebookError as exc:
            click.secho(f"Error: {exc}", fg="red", err=True)
            ctx.exit(1)


@click.group(cls=Group, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="knotebook")
def main() -> None:
    """Prototype vSphere event functions in Jupyter and ship them to Knative.

    \b
    Examples:
      knotebook validate notebooks/vm_created.ipynb   # run it with papermill
      knotebook export notebooks/vm_created.ipynb     # write export/vm-created/
      knotebook try export/vm-created                 # serve it, send its test event
      knotebook events show VmCreatedEvent            # look at a realistic event
    """


@main.command(context_settings=CONTEXT)
@click.argument("notebooks", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(path_type=Path),
    help="Folder that receives <function-name>/ [default: export/ of the project].",
)
@click.option("--force", is_flag=True, help="Overwrite generated files that were edited.")
def export(notebooks: tuple[Path, ...], output_dir: Path | None, force: bool) -> None:
    """Export function notebooks to bundles for `pack build` and `kubectl apply -k`.

    \b
    Examples:
      knotebook export notebooks/vm_created.ipynb
      knotebook export notebooks/*.ipynb --output-dir /tmp/bundles
    Also available as: jupyter nbconvert --to knotebook notebooks/vm_created.ipynb
    """
    from knotebook.exporter import export as export_notebook

    for path in notebooks:
        result = export_notebook(path, output_dir, force=force)
        summary = f"{len(result.written)} written, {len(result.unchanged)} unchanged"
        if result.removed:
            summary += f", {len(result.removed)} removed"
        click.echo(f"Exported {path} -> {result.directory}/ ({summary})")
        for name in result.written:
            click.echo(f"  {name}")


@main.command(context_settings=CONTEXT)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--output-dir",
    default=Path("build/validate"),
    show_default=True,
    type=click.Path(path_type=Path),
    help="Where the executed copies of the notebooks go.",
)
def validate(paths: tuple[Path, ...], output_dir: Path) -> None:
    """Execute notebooks with papermill against each event they subscribe to.

    PATHS are notebooks or folders [default: notebooks/]. The notebooks themselves are never
    modified; executed copies are written under --output-dir.

    \b
    Examples:
      knotebook validate
      knotebook validate notebooks/vm_created.ipynb
    """
    from knotebook import validate as validation

    targets = list(paths) or [Path("notebooks")]
    for target in targets:
        if not target.exists():
            raise KnotebookError(f"{target}: no such notebook or folder")
    notebooks = validation.discover(targets)
    if not notebooks:
        raise KnotebookError(f"no notebooks in {', '.join(map(str, targets))}")

    def progress(result: validation.RunResult) -> None:
        status = (
            click.style(f"{'ok':>6}", fg="green") if result.ok else click.style("FAILED", fg="red")
        )
        click.echo(f"{status}  {result.label}  ({result.seconds:.1f} s)")
        if not result.ok:
            click.echo(f"        {result.error}")
            click.echo(f"        executed copy: {result.output}")

    click.echo(f"Validating {len(notebooks)} notebook(s) with papermill...")
    results = validation.validate(notebooks, output_dir, progress)
    failed = [r for r in results if not r.ok]
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        sys.exit(1)


@main.command("try", context_settings=CONTEXT)
@click.argument("bundle", type=click.Path(path_type=Path, file_okay=False))
@click.option("--event", "event_spec", help="Event id or JSON file [default: testevent.json].")
@click.option("--envelope", type=click.Choice(["tanzu", "router"]), default="tanzu")
@click.option(
    "--mode", type=click.Choice(["binary", "structured", "both"]), default="both", show_default=True
)
def try_bundle(bundle: Path, event_spec: str | None, envelope: str, mode: str) -> None:
    """Start an exported bundle with its Procfile, send it an event, show replies and logs.

    \b
    Examples:
      knotebook try export/vm-created
      knotebook try export/vm-created --event VmClonedEvent --mode binary
    """
    from knotebook import delivery, runtime

    if not bundle.is_dir():
        raise KnotebookError(f"{bundle}: no such bundle; run knotebook export first")
    event = delivery.load_event(event_spec or str(bundle / "testevent.json"), envelope)
    modes = ["binary", "structured"] if mode == "both" else [mode]
    click.echo(f"Starting {bundle}: {runtime.web_command(bundle)}")
    server = runtime.start(bundle)
    failed = False
    try:
        click.echo(f"Listening on {server.url}")
        for each in modes:
            answer = delivery.send(server.url + "/", event, each)
            failed |= not answer.ok
            click.echo("\n".join(delivery.describe(each, event, answer)))
    finally:
        code = server.stop()
    click.echo("Function log:")
    for line in server.logs:
        click.echo(f"  {line}")
    click.echo(f"Stopped (exit {code}).")
    if failed:
        sys.exit(1)


def _register_commands() -> None:
    """Command groups that live beside the code they drive."""
    from knotebook.events.cli import events_group
    from knotebook.lab import lab_command
    from knotebook.local_cli import broker, dev, invoke, run

    main.add_command(events_group, "events")
    main.add_command(lab_command, "lab")
    for command in (run, invoke, dev, broker):
        main.add_command(command)


_register_commands()
