"""``knotebook validate``: options, progress lines, the table, reports and the exit status.

The work is ``knotebook.validate.suite``; this module only talks to the terminal. Whatever
happens (a failing notebook, a function that exits, Ctrl-C), the table is printed and the
reports are written before the exit status: 0 all passed, 1 something failed, 130 interrupted.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click

from knotebook.cli.options import CONTEXT, Whole
from knotebook.errors import KnotebookError
from knotebook.events.envelopes import ENVELOPES
from knotebook.project import writable
from knotebook.validate import CACHE_DIR

if TYPE_CHECKING:
    from knotebook.validate.runner import RunResult

EXIT_INTERRUPTED = 130


@click.command(context_settings=CONTEXT)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("-j", "--jobs", type=Whole(1), help="Parallel kernels [default: CPUs].")
@click.option(
    "--events",
    "event_filter",
    help="Only these event ids or sample names, comma-separated (TaskEvent:error).",
)
@click.option("--all-samples", is_flag=True, help="Every packaged sample variant of each type.")
@click.option(
    "--envelope",
    type=click.Choice(("both", *ENVELOPES)),
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
@click.option("--no-cache", is_flag=True, help="Run everything, even what did not change.")
@click.option(
    "--cache-dir",
    default=CACHE_DIR,
    show_default=True,
    type=click.Path(path_type=Path),
    help="The result cache (CI restores it between builds).",
)
@click.option("--shard", metavar="I/N", help="Only this CI job's share: shard I of N.")
@click.option(
    "--merge",
    "merge_reports",
    is_flag=True,
    help="Run nothing: PATHS are --json reports (of shards) to merge into one table and reports.",
)
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
    no_cache: bool,
    cache_dir: Path,
    shard: str | None,
    merge_reports: bool,
    junit: Path | None,
    json_report: Path | None,
    output_dir: Path,
) -> None:
    """Run notebooks with papermill against every sample event they subscribe to.

    PATHS are notebooks or folders [default: notebooks/]. Each function notebook runs as
    written (as "Run All" would) and once per subscribed event type and envelope (each packaged
    variant with --all-samples); exploration notebooks run once. The notebooks are never
    modified: executed copies, with secret values masked, go to --output-dir. A run whose
    inputs did not change (cells, .env values, templates, knotebook, event, imported packages)
    is reported from the cache in --cache-dir. Exit status 0 only when everything passed,
    130 when interrupted (the table and reports are written first).

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
      knotebook validate --shard 2/3 --json build/shard-2.json     # one CI job of three
      knotebook validate --merge build/shard-*.json --junit build/junit.xml --json build/all.json
    """
    from knotebook import events
    from knotebook import validate as validation
    from knotebook.validate import progress as tracking
    from knotebook.validate import reports
    from knotebook.validate.shard import parse

    # a report or a folder that cannot be written fails now, not after every kernel ran
    for report, option in ((junit, "--junit"), (json_report, "--json")):
        if report is not None:
            writable.check_file(report, option)
    if merge_reports:
        if not paths:
            raise click.UsageError("--merge needs the --json reports to merge")
        finish(reports.merge(paths), junit, json_report)
        return
    if not no_run:
        writable.check_folder(output_dir, "--output-dir")
    options = validation.Options(
        output_root=output_dir,
        envelope=envelope,
        event_filter=tuple(e.strip() for e in (event_filter or "").split(",") if e.strip()),
        all_samples=all_samples,
        allow_hosts=allow_hosts,
        cache_dir=None if no_cache else cache_dir,
    )
    for wanted in options.event_filter:  # a typo is a usage error, not a row per notebook
        events.resolve(wanted.split(":", 1)[0])
    if shard:
        try:
            parsed = parse(shard)
        except KnotebookError as exc:  # a malformed option: a usage error (exit 2)
            raise click.UsageError(str(exc), click.get_current_context()) from None
        options.shard = (parsed.index, parsed.count)
    if jobs:
        options.jobs = jobs
    lock = threading.Lock()
    tracker = tracking.Tracker()

    def progress(result: validation.RunResult) -> None:
        with lock:
            ok = click.style(f"{'ok':>6}", fg="green")
            status = ok if result.ok else click.style("FAILED", fg="red")
            took = "cached" if result.cached else f"{result.seconds:.1f} s"
            click.echo(f"{status}  {result.label}  ({took})  {tracker.tick()}")
            if not result.ok:
                click.echo(f"        {result.error}")
                if result.output:
                    click.echo(f"        executed copy: {result.output}")
            for method, url, body in result.requests:
                shown = body if len(body) <= 200 else body[:200] + "..."
                click.echo(f"        stand-in took: {method} {url} {shown}".rstrip())

    try:
        results = validation.validate(
            list(paths) or [Path("notebooks")],
            options,
            progress,
            run=not no_run,
            contract=contract,
            check_export=check_export,
            say=click.echo,
            expect=tracker.add,
        )
    except validation.Interrupted as stopped:
        click.echo("\nInterrupted: the table shows what finished.", err=True)
        finish(stopped.results, junit, json_report, interrupted=True)
        return
    except KeyboardInterrupt:
        click.echo("\nInterrupted before any notebook ran.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if not results:
        click.echo(f"Shard {shard}: no notebooks (more shards than notebooks)")
    finish(results, junit, json_report, empty_ok=bool(shard))


def finish(
    results: list[RunResult],
    junit: Path | None,
    json_report: Path | None,
    *,
    interrupted: bool = False,
    empty_ok: bool = False,
) -> None:
    """The table, the slowest runs, the reports, the summary line, the exit status."""
    from knotebook.validate import progress as tracking
    from knotebook.validate import reports

    if not results and not empty_ok:
        raise KnotebookError("nothing to validate")
    click.echo()
    click.echo(reports.table(results))
    slow = tracking.slowest(results, min(5, len(results) // 2))
    if slow:
        click.echo("Slowest:")
        for result in slow:
            click.echo(f"  {result.seconds:5.1f} s  {result.label}")
    for target in reports.write(results, junit_path=junit, json_path=json_report):
        click.echo(f"Wrote {target}")
    click.echo(tracking.summary(results))
    if interrupted:
        sys.exit(EXIT_INTERRUPTED)
    if any(not r.ok for r in results):
        sys.exit(1)
