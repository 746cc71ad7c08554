"""The ``knotebook`` command line."""

from __future__ import annotations

import difflib
import os
import sys
from pathlib import Path
from typing import Any

# jsonschema imports rfc3987_syntax when it is installed (jupyter-events asks for it), and that
# compiles three Earley parsers at import: about 3 s before nbformat can load, for IRI formats
# no notebook uses. The CLI goes without it: `knotebook export` drops from ~3.8 s to ~0.8 s.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

import click  # noqa: E402

from knotebook import __version__  # noqa: E402
from knotebook.cli.options import (  # noqa: E402
    CONTEXT,
    envelope_option,
    mode_option,
    no_venv_option,
    say,
    set_option,
)
from knotebook.errors import KnotebookError  # noqa: E402
from knotebook.local.delivery import MODES  # noqa: E402


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
        except (
            click.ClickException,
            click.exceptions.Exit,
            click.Abort,
            KeyboardInterrupt,
            BrokenPipeError,
        ):
            raise
        except Exception as exc:
            if os.environ.get("KNOTEBOOK_DEBUG"):
                raise
            first = (str(exc).splitlines() or [""])[0]
            click.secho(
                f"Error: internal error {type(exc).__name__}: {first} "
                "(a knotebook bug; KNOTEBOOK_DEBUG=1 shows the traceback)",
                fg="red",
                err=True,
            )
            ctx.exit(1)

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """Usage errors in one line too: what was wrong, and where the help is (exit 2)."""
        run: Any = super().main  # click's overloads cannot take *args; the call is the same
        if not standalone_mode:
            return run(*args, standalone_mode=False, **kwargs)
        try:
            result = run(*args, standalone_mode=False, **kwargs)
            sys.stdout.flush()
        except BrokenPipeError:
            # The reader went away (`knotebook validate | head -1`): stop quietly, as the Python
            # docs advise for SIGPIPE; stdout points at devnull so the exit flush cannot fail.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except click.exceptions.NoArgsIsHelpError as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            where = f" (see {exc.ctx.command_path} --help)" if exc.ctx else ""
            click.secho(f"Error: {exc.format_message()}{where}", fg="red", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.secho(f"Error: {exc.format_message()}", fg="red", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(130)
        sys.exit(result if isinstance(result, int) else 0)


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

    NOTEBOOKS are notebooks or folders (their function notebooks). A notebook that cannot be
    exported is reported and the others still are; the exit status is then 1.

    \b
    Examples:
      knotebook export notebooks/vm_created.ipynb
      knotebook export notebooks/ --output-dir /tmp/bundles
    Also available as: jupyter nbconvert --to knotebook notebooks/vm_created.ipynb
    """
    from knotebook.export.batch import Outcome, export_all

    def report(outcome: Outcome) -> None:
        result = outcome.result
        if outcome.error:
            click.secho(f"Error: {outcome.error}", fg="red", err=True)
        elif result is not None:
            summary = f"{len(result.written)} written, {len(result.unchanged)} unchanged"
            if result.removed:
                summary += f", {len(result.removed)} removed"
            click.echo(f"Exported {outcome.path} -> {result.directory}/ ({summary})")
            for name in result.written:
                click.echo(f"  {name}")

    outcomes = export_all(notebooks, output_dir, force=force, report=report)
    if all(o.skipped for o in outcomes):
        raise KnotebookError(f"no function notebooks in {', '.join(map(str, notebooks))}")
    if any(o.error for o in outcomes):
        sys.exit(1)


@main.command(context_settings=CONTEXT)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--check", is_flag=True, help="Only report notebooks with outputs; exit 1 if any.")
def clean(paths: tuple[Path, ...], check: bool) -> None:
    """Strip outputs and execution counts from notebooks, for committing them.

    PATHS are notebooks or folders [default: notebooks/].

    \b
    Examples:
      knotebook clean notebooks/
      knotebook clean --check notebooks/      # in CI: fail when a notebook has outputs
    """
    from knotebook.notebook import clean as cleaning
    from knotebook.validate.runner import discover

    dirty = []
    found = discover(list(paths) or [Path("notebooks")])
    for path in found:
        if check:
            if not cleaning.is_clean(path):
                dirty.append(path)
                click.echo(f"has outputs: {path}")
        elif cleaning.clean(path):
            dirty.append(path)
            click.echo(f"cleaned {path}")
    if check and dirty:
        raise KnotebookError(f"{len(dirty)} notebook(s) have outputs; run knotebook clean")
    clean_count = len(found) - len(dirty)
    if clean_count:
        noun = "notebook" if clean_count == 1 else "notebooks"
        click.echo(f"{clean_count} {noun} {'already ' if dirty or not check else ''}clean")


@main.command("try", context_settings=CONTEXT)
@click.argument("bundle", metavar="BUNDLE|NOTEBOOK", type=click.Path(path_type=Path))
@click.option("--event", "event_spec", help="Event id or JSON file [default: testevent.json].")
@envelope_option("tanzu = VEBA >= 0.8, router = VEBA 0.3-0.7.")
@mode_option("both", "HTTP content mode(s) to send in.", both=True)
@set_option
@no_venv_option
def try_bundle(
    bundle: Path,
    event_spec: str | None,
    envelope: str,
    mode: str,
    assignments: tuple[str, ...],
    no_venv: bool,
) -> None:
    """Start an exported bundle with its Procfile, send it an event, show replies and logs.

    A notebook is exported first. The function listens on 127.0.0.1 only; values from
    k8s/function.env are masked in what is shown. The bundle runs in a virtual environment made
    from its own requirements.txt (cached by its hash, as knotebook run does), so a missing or
    conflicting package shows here.

    \b
    Examples:
      knotebook try export/vm-created
      knotebook try notebooks/vm_created.ipynb
      knotebook try export/vm-created --event VmClonedEvent --mode binary
      knotebook try export/vm-created --set Vm.Name=db-7
    """
    from knotebook.events.knobs import parse_assignments
    from knotebook.local.trial import try_bundle as run_trial

    trial = run_trial(
        bundle,
        event=event_spec,
        envelope=envelope,
        modes=MODES if mode == "both" else (mode,),
        overrides=parse_assignments(assignments),
        isolated=not no_venv,
        show=click.echo,
        progress=say,
    )
    if trial.interrupted:
        sys.exit(130)
    if not trial.ok:
        sys.exit(1)


def _register_commands() -> None:
    """Command groups that live beside the code they drive."""
    from knotebook.cli.events import events_group
    from knotebook.cli.lab import lab_command
    from knotebook.cli.local import broker, dev, invoke, run
    from knotebook.cli.scaffold import init_ci, init_command, new_command
    from knotebook.cli.validation import validate
    from knotebook.cli.vcenter import record_command, source_command, vcsim_command

    events_group.add_command(record_command, "record")
    main.add_command(events_group, "events")
    main.add_command(lab_command, "lab")
    main.add_command(validate)
    for command in (init_command, new_command, init_ci):
        main.add_command(command)
    for command in (run, invoke, dev, broker, vcsim_command, source_command):
        main.add_command(command)


_register_commands()
