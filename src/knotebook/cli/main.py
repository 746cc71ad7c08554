"""The ``knotebook`` command line."""

from __future__ import annotations

import difflib
import os
import sys
import threading
from pathlib import Path
from typing import Any

# jsonschema imports rfc3987_syntax when it is installed (jupyter-events asks for it), and that
# compiles three Earley parsers at import: about 3 s before nbformat can load, for IRI formats
# no notebook uses. The CLI goes without it: `knotebook export` drops from ~3.8 s to ~0.8 s.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

import click  # noqa: E402

from knotebook import __version__  # noqa: E402
from knotebook.cli.options import CONTEXT  # noqa: E402
from knotebook.errors import KnotebookError  # noqa: E402


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
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
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
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Parallel kernels [default: CPUs].")
@click.option(
    "--events",
    "event_filter",
    help="Only these event ids or sample names, comma-separated (TaskEvent:error).",
)
@click.option("--all-samples", is_flag=True, help="Every packaged sample variant of each type.")
@click.option(
    "--envelope",
    type=click.Choice(["both", "tanzu", "router"]),
    default="both",
    show_default=True,
    help="VEBA envelope(s) of the injected events.",
)
@click.option(
    "--contract/--no-contract",
    default=True,
    show_default=True,
    help="Also serve each exported function and POST its events (binary and structured).",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="HOST",
    help="Let HTTP(S) to this host (or *.pattern) through to the real service.",
)
@click.option("--check-export", is_flag=True, help="Fail when export/ is missing or stale.")
@click.option("--no-run", is_flag=True, help="Skip executing notebooks (with --check-export).")
@click.option("--junit", type=click.Path(path_type=Path), help="Write a JUnit XML report.")
@click.option("--json", "json_report", type=click.Path(path_type=Path), help="Write a JSON report.")
@click.option(
    "--output-dir",
    default=Path("build/validate"),
    show_default=True,
    type=click.Path(path_type=Path),
    help="Where the executed copies of the notebooks go.",
)
def validate(
    paths: tuple[Path, ...],
    jobs: int | None,
    event_filter: str | None,
    all_samples: bool,
    envelope: str,
    contract: bool,
    allow_hosts: tuple[str, ...],
    check_export: bool,
    no_run: bool,
    junit: Path | None,
    json_report: Path | None,
    output_dir: Path,
) -> None:
    """Run notebooks with papermill against every sample event they subscribe to.

    PATHS are notebooks or folders [default: notebooks/]. Each function notebook runs once per
    subscribed event type and envelope (each packaged variant with --all-samples); exploration
    notebooks run once. The notebooks are never modified: executed copies, with secret values
    masked, go to --output-dir. Exit status 0 only when everything passed.

    No request leaves the machine unless --allow-host lets it: the notebooks' and the served
    functions' HTTP(S) goes to a local stand-in that records it (shown under each run, and in
    --json) and answers 200 "ok". A notebook with VCENTER = "simulator" gets its own vCenter
    simulator, in VCENTER_URL, VCENTER_USER, VCENTER_PASSWORD and VCENTER_INSECURE.

    \b
    Examples:
      knotebook validate
      knotebook validate notebooks/vm_created.ipynb --envelope tanzu -j 4
      knotebook validate --all-samples --junit build/junit.xml --json build/report.json
      knotebook validate --check-export --no-run
    """
    from knotebook import validate as validation
    from knotebook.validate import reports

    options = validation.Options(
        output_root=output_dir,
        envelope=envelope,
        event_filter=tuple(e.strip() for e in (event_filter or "").split(",") if e.strip()),
        all_samples=all_samples,
        allow_hosts=allow_hosts,
    )
    if jobs:
        options.jobs = jobs
    lock = threading.Lock()

    def progress(result: validation.RunResult) -> None:
        with lock:
            ok = click.style(f"{'ok':>6}", fg="green")
            status = ok if result.ok else click.style("FAILED", fg="red")
            click.echo(f"{status}  {result.label}  ({result.seconds:.1f} s)")
            if not result.ok:
                click.echo(f"        {result.error}")
                if result.output:
                    click.echo(f"        executed copy: {result.output}")
            for method, url, body in result.requests:
                shown = body if len(body) <= 200 else body[:200] + "..."
                click.echo(f"        stand-in took: {method} {url} {shown}".rstrip())

    results = validation.validate(
        list(paths) or [Path("notebooks")],
        options,
        progress,
        run=not no_run,
        contract=contract,
        check_export=check_export,
        say=click.echo,
    )
    click.echo()
    click.echo(reports.table(results))
    for target in reports.write(results, junit_path=junit, json_path=json_report):
        click.echo(f"Wrote {target}")
    failed = [r for r in results if not r.ok]
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
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
    for path in discover(list(paths) or [Path("notebooks")]):
        if check:
            if not cleaning.is_clean(path):
                dirty.append(path)
                click.echo(f"has outputs: {path}")
        elif cleaning.clean(path):
            click.echo(f"cleaned {path}")
    if check and dirty:
        raise KnotebookError(f"{len(dirty)} notebook(s) have outputs; run knotebook clean")


@main.command("try", context_settings=CONTEXT)
@click.argument("bundle", metavar="BUNDLE|NOTEBOOK", type=click.Path(path_type=Path))
@click.option("--event", "event_spec", help="Event id or JSON file [default: testevent.json].")
@click.option("--envelope", type=click.Choice(["tanzu", "router"]), default="tanzu")
@click.option(
    "--mode", type=click.Choice(["binary", "structured", "both"]), default="both", show_default=True
)
def try_bundle(bundle: Path, event_spec: str | None, envelope: str, mode: str) -> None:
    """Start an exported bundle with its Procfile, send it an event, show replies and logs.

    A notebook is exported first. The function listens on 127.0.0.1 only; values from
    k8s/function.env are masked in what is shown.

    \b
    Examples:
      knotebook try export/vm-created
      knotebook try notebooks/vm_created.ipynb
      knotebook try export/vm-created --event VmClonedEvent --mode binary
    """
    from knotebook.local import bundle_for, check_env, delivery, process
    from knotebook.validate.masking import MIN_LENGTH, mask_text

    bundle = bundle_for(bundle, progress=click.echo)
    secrets = sorted(
        (v for v in check_env(bundle).values() if len(v) >= MIN_LENGTH), key=len, reverse=True
    )

    def show(text: str) -> None:
        click.echo(mask_text(text, secrets))

    event = delivery.load_event(event_spec or str(bundle / "testevent.json"), envelope)
    modes = ["binary", "structured"] if mode == "both" else [mode]
    show(f"Starting {bundle}: {process.web_command(bundle)}")
    server = process.start(bundle)
    failed = False
    try:
        show(f"Listening on {server.url}")
        for each in modes:
            answer = delivery.send(server.url + "/", event, each)
            failed |= not answer.ok
            show("\n".join(delivery.describe(each, event, answer)))
    finally:
        code = server.stop()
    show("Function log:")
    for line in server.logs:
        show(f"  {line}")
    show(f"Stopped (exit {code}).")
    if failed:
        sys.exit(1)


def _register_commands() -> None:
    """Command groups that live beside the code they drive."""
    from knotebook.cli.events import events_group
    from knotebook.cli.lab import lab_command
    from knotebook.cli.local import broker, dev, invoke, run
    from knotebook.cli.scaffold import init_ci, init_command, new_command
    from knotebook.cli.vcenter import record_command, source_command, vcsim_command

    events_group.add_command(record_command, "record")
    main.add_command(events_group, "events")
    main.add_command(lab_command, "lab")
    for command in (init_command, new_command, init_ci):
        main.add_command(command)
    for command in (run, invoke, dev, broker, vcsim_command, source_command):
        main.add_command(command)


_register_commands()
