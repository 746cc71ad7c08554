"""``knotebook events``: browse the vCenter catalog and print or save sample CloudEvents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from knotebook.cli.options import CONTEXT, envelope_option, mode_option, set_option
from knotebook.errors import KnotebookError
from knotebook.events import api, envelopes, registry, samples
from knotebook.events.knobs import parse_assignments
from knotebook.project.files import write_atomic


def _versions(entry: registry.CatalogEntry) -> str:
    """``6.7u3+`` when present from a version on, else the list."""
    first = registry.VERSIONS.index(entry.versions[0])
    if entry.versions == registry.VERSIONS[first:]:
        return f"{entry.versions[0]}+"
    return ",".join(entry.versions)


def _check_version(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return registry.normalize_version(value)
    except KnotebookError as exc:
        raise click.BadParameter(str(exc)) from exc


@click.group(
    "events",
    context_settings=CONTEXT,
    epilog="""\b
Examples:
  knotebook events list --search snapshot
  knotebook events show VmCreatedEvent --envelope router --mode binary
  knotebook events save AlarmStatusChangedEvent -o alarm.json
  knotebook events record --credentials vcsim.env   # your vCenter's events as samples""",
)
def events_group() -> None:
    """Browse the vCenter event catalog and produce realistic VEBA CloudEvents."""


@events_group.command(
    "list",
    epilog="""\b
Examples:
  knotebook events list --search poweredon
  knotebook events list --kind eventex --vsphere 8.0u3 --search com.vmware.sso
  knotebook events list --json > catalog.json
  knotebook events list --recorded            # what `knotebook events record` captured""",
)
@click.option("--search", metavar="TEXT", help="Case-insensitive text in the id or description.")
@click.option("--kind", type=click.Choice(registry.KINDS), help="Catalog kind.")
@click.option(
    "--vsphere",
    metavar="VERSION",
    callback=_check_version,
    help=f"Only ids present in this vSphere version ({', '.join(registry.VERSIONS)}).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the rows as a JSON array.")
@click.option(
    "--recorded", is_flag=True, help="Only ids with samples in the project's events/ folder."
)
def list_cmd(
    search: str | None, kind: str | None, vsphere: str | None, as_json: bool, recorded: bool
) -> None:
    """List vCenter event ids (all 8 catalogs from vSphere 6.7U3 to 8.0U3).

    Ids with samples recorded into the project (`knotebook events record`) say how many.
    """
    rows = registry.catalog(search=search, kind=kind, vsphere=vsphere)
    counts: dict[str, int] = {}
    for found in samples.packaged_samples():
        if found.provenance.get("kind") == "recorded":
            counts[found.event_id] = counts.get(found.event_id, 0) + 1
    if recorded:
        rows = [r for r in rows if r.id in counts]
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows], indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("no matching event ids", err=True)
        return
    width = min(max(len(r.id) for r in rows), 72)
    lines = [
        f"{r.id:<{width}}  {r.kind:<13}  {_versions(r):<11}  {r.description}"
        + (f" [{counts[r.id]} recorded]" if r.id in counts else "")
        for r in rows
    ]
    click.echo("\n".join(lines))
    click.echo(f"{len(rows)} event ids", err=True)


def _event_options(func: Any) -> Any:
    options = [
        envelope_option("tanzu = VEBA >= 0.8, router = VEBA 0.3-0.7."),
        set_option,
        click.option(
            "--variant", help="A packaged sample variant (see `knotebook events samples`)."
        ),
        click.option("--synthesize", is_flag=True, help="Ignore packaged samples; synthesize."),
        click.option("--vm-name", help="VM name."),
        click.option("--host", help="ESXi host name."),
        click.option("--datacenter", help="Datacenter name."),
        click.option("--cluster", help="Cluster name."),
        click.option("--user", help="UserName, e.g. VSPHERE.LOCAL\\Administrator."),
        click.option("--time", help="CreatedTime (RFC 3339), also the CloudEvent time."),
        click.option("--seed", help="Seed for Key, MoRef ids and the router UUID."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _build(event_id: str, opts: dict[str, Any]) -> Any:
    knobs = {
        k: opts.pop(k) for k in ("vm_name", "host", "datacenter", "cluster", "user", "time", "seed")
    }
    return api.sample(
        event_id,
        envelope=opts["envelope"],
        variant=opts["variant"],
        synthesize=opts["synthesize"],
        overrides=parse_assignments(opts["assignments"]),
        **knobs,
    )


@events_group.command(
    "show",
    epilog="""\b
Examples:
  knotebook events show VmPoweredOnEvent
  knotebook events show VmPoweredOnEvent --mode binary --set Vm.Name=web-01
  knotebook events show com.vmware.sso.LoginFailure --envelope router
  knotebook events show TaskEvent --variant error""",
)
@click.argument("event_id", metavar="ID")
@mode_option("structured", "structured: one JSON document; binary: headers + body.")
@_event_options
def show_cmd(event_id: str, mode: str, **opts: Any) -> None:
    """Print a sample CloudEvent for an event ID (an id, any case, or a Tanzu type)."""
    event = _build(event_id, opts)
    if mode == "binary":
        headers, body = envelopes.to_binary(event)
        click.echo(envelopes.render_binary(headers, body))
    else:
        click.echo(envelopes.to_structured(event).decode("utf-8"), nl=False)


@events_group.command(
    "save",
    epilog="""\b
Examples:
  knotebook events save VmPoweredOffEvent -o testevent.json
  knotebook events save VmPoweredOffEvent --mode binary -o payload.json
  curl -H 'Content-Type: application/cloudevents+json' --data-binary @test/testevent.json \\
       localhost:8080""",
)
@click.argument("event_id", metavar="ID")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="File to write.",
)
@mode_option("structured", "structured: the CloudEvent JSON; binary: the data only.")
@click.option("--force", is_flag=True, help="Overwrite FILE when it exists.")
@_event_options
def save_cmd(event_id: str, output: Path, mode: str, force: bool, **opts: Any) -> None:
    """Write a sample CloudEvent (or, with --mode binary, its data) to a JSON file.

    An existing file is not replaced unless --force is given."""
    event = _build(event_id, opts)
    if mode == "binary":
        payload = envelopes.to_binary(event)[1] + b"\n"
    else:
        payload = envelopes.to_structured(event)
    exists = f"{output} exists; choose another --output or re-run with --force"
    if output.exists() and not force:
        if output.is_file() and output.read_bytes() == payload:
            click.echo(f"{output} is already this event", err=True)
            return
        raise KnotebookError(exists)
    if not output.parent.is_dir():  # a typo in the folder makes no folders
        raise KnotebookError(f"cannot write {output}: no folder {output.parent}")
    try:
        # a reader never sees half an event; without --force, a file that appeared since the
        # check above is not replaced either
        write_atomic(output, payload, exclusive=not force)
    except KnotebookError:
        raise KnotebookError(exists) from None
    except OSError as exc:
        raise KnotebookError(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"wrote {output} ({event.get_type()}, id {event.get_id()})", err=True)


@events_group.command(
    "samples",
    epilog="""\b
Examples:
  knotebook events samples
  knotebook events show TaskEvent --variant error""",
)
def samples_cmd() -> None:
    """List the realistic samples: packaged (VEBA captures, curated synthetics), then recorded."""
    for s in samples.packaged_samples():
        kind = s.provenance.get("kind")
        origin = kind if kind in ("capture", "recorded") else "synth"
        click.echo(f"{s.name:<55}  {origin:<7}  {s.description}")
