"""``knotebook vcsim``, ``knotebook events record`` and ``knotebook source``."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from knotebook.cli.options import CONTEXT, PORT, Seconds, Whole, envelope_option
from knotebook.errors import KnotebookError
from knotebook.project import paths
from knotebook.project.files import write_atomic
from knotebook.project.urls import check_url

DEFAULT_TO = "http://127.0.0.1:8800/"
SOURCE_CHECKPOINT = "build/knotebook-source.json"


def _say(message: str) -> None:
    click.echo(message, err=True)


def _vcenter_options(func: Any) -> Any:
    options = [
        click.option(
            "--vcenter",
            "url",
            metavar="URL",
            help="vCenter SDK URL, e.g. https://vcsa.lab.local/sdk [default: $VCENTER_URL].",
        ),
        click.option(
            "--credentials",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Env file with VCENTER_USER and VCENTER_PASSWORD [default: the environment].",
        ),
        click.option(
            "--insecure/--verify",
            default=None,
            help="Accept a self-signed certificate [default: $VCENTER_INSECURE].",
        ),
        click.option(
            "--from-start",
            is_flag=True,
            help="Begin with the events the vCenter still holds, not only new ones.",
        ),
        click.option("--once", is_flag=True, help="Take what is there now, then exit."),
        click.option(
            "--interval",
            type=Seconds(0.05, "a number of seconds"),
            default=1.0,
            show_default=True,
            help="Seconds between polls.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.command("vcsim", context_settings=CONTEXT)
@click.option(
    "--port",
    type=PORT,
    default=8989,
    show_default=True,
    help="Port (0: any free one).",
)
@click.option("--vms", type=Whole(0), default=2, show_default=True, help="VMs per pool.")
@click.option("--hosts", type=Whole(0), default=3, show_default=True, help="Per cluster.")
@click.option("--clusters", type=Whole(0), default=1, show_default=True, help="Per datacenter.")
@click.option(
    "--env-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write VCENTER_URL/USER/PASSWORD/INSECURE to this env file.",
)
@click.option("--build", "build_only", is_flag=True, help="Only build the simulator, then exit.")
def vcsim_command(
    port: int, vms: int, hosts: int, clusters: int, env_file: Path | None, build_only: bool
) -> None:
    """Run govmomi's vCenter simulator on 127.0.0.1 until Ctrl-C.

    The first use builds it from Debian's golang-go and golang-github-vmware-govmomi-dev
    (offline, once: about a minute, more on a busy machine). Power a VM off with pyVmomi or
    govc and `knotebook source` turns the event into the CloudEvent VEBA would deliver.

    \b
    Examples:
      knotebook vcsim                          # https://127.0.0.1:8989/sdk, user / pass
      knotebook vcsim --port 0 --vms 5 --env-file vcsim.env
      knotebook source --credentials vcsim.env --to http://127.0.0.1:8800/
    """
    from knotebook.local import process
    from knotebook.vcenter import build, vcsim

    if build_only:
        click.echo(build.ensure(_say))
        return
    model = vcsim.Model(clusters=clusters, hosts=hosts, vms=vms)
    with process.sigterm_as_interrupt():
        try:
            sim = vcsim.start(port, model=model, progress=_say)
        except KeyboardInterrupt:
            _say("Interrupted.")
            sys.exit(130)
        try:
            env = sim.env()
            if env_file is not None:
                # credentials: readable by the owner only
                write_atomic(env_file, "".join(f"{k}={v}\n" for k, v in env.items()), mode=0o600)
                _say(f"Wrote {env_file}")
            click.echo(
                f"vCenter simulator at {sim.url} (user {sim.username!r}, password "
                f"{sim.password!r}, self-signed certificate). Ctrl-C stops it."
            )
            click.echo("  export " + " ".join(f"{k}={v}" for k, v in env.items()))
            while sim.running:
                time.sleep(0.3)
            raise KnotebookError(f"the simulator exited with {sim.process.returncode}")
        except KeyboardInterrupt:
            pass
        finally:
            sim.stop()
    _say("Stopped.")


def _credentials(url: str | None, credentials: Path | None, insecure: bool | None) -> Any:
    from knotebook.vcenter import client

    return client.credentials(url, file=credentials, insecure=insecure)


@click.command("record", context_settings=CONTEXT)
@_vcenter_options
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the samples go [default: events/ of the project].",
)
@click.option("--count", type=Whole(1), help="Stop after this many samples.")
@click.option("--types", help="Only these event ids, comma-separated (VmPoweredOffEvent,...).")
def record_command(
    url: str | None,
    credentials: Path | None,
    insecure: bool | None,
    from_start: bool,
    once: bool,
    interval: float,
    folder: Path | None,
    count: int | None,
    types: str | None,
) -> None:
    """Record a vCenter's live events as the project's own samples (events/).

    Each event is saved in VEBA's exact payload shape as events/<Id>__<vcenter>-<Key>.json;
    `knotebook events samples`, `events.sample("<Id>:<vcenter>-<Key>")`, the invoke commands
    and `knotebook validate --all-samples` use them beside the packaged ones. A checkpoint
    (events/.checkpoint) lets a restart resume without losing or repeating events.
    Credentials come from the environment or --credentials, never from a flag.

    \b
    Examples:
      VCENTER_USER=user VCENTER_PASSWORD=pass knotebook events record \\
          --vcenter https://127.0.0.1:8989/sdk --insecure
      knotebook events record --credentials vcsim.env --once --types VmPoweredOffEvent
    """
    from knotebook.local import process
    from knotebook.vcenter import record

    creds = _credentials(url, credentials, insecure)
    target = folder or paths.project_root() / record.FOLDER
    from knotebook import events

    wanted = tuple(events.resolve(t.strip()) for t in (types or "").split(",") if t.strip())
    written: list[Path] = []
    with process.sigterm_as_interrupt():
        try:
            _say(f"Recording {creds.url} into {target}/" + ("" if once else " (Ctrl-C to stop)"))
            record.record(
                creds,
                target,
                once=once,
                count=count,
                types=wanted,
                from_start=from_start,
                interval=interval,
                say=click.echo,
                written=written,
            )
        except KeyboardInterrupt:
            _say("Stopped.")
    _say(f"{_count(len(written), 'sample')} written")


@click.command("source", context_settings=CONTEXT)
@_vcenter_options
@click.option(
    "--to",
    default=DEFAULT_TO,
    show_default=True,
    help="Where to POST: `knotebook broker`'s ingress or a function.",
)
@envelope_option(
    "tanzu = VSphereSource (VEBA >= 0.8), router = VMware Event Router (VEBA 0.3-0.7)."
)
@click.option(
    "--resume",
    is_flag=True,
    help=f"Continue after the last event any run delivered (kept in {SOURCE_CHECKPOINT}).",
)
def source_command(
    url: str | None,
    credentials: Path | None,
    insecure: bool | None,
    from_start: bool,
    once: bool,
    interval: float,
    to: str,
    envelope: str,
    resume: bool,
) -> None:
    """A local VSphereSource: POST a vCenter's live events as binary-mode CloudEvents.

    Each new vCenter event is POSTed in Key order, in binary mode as VEBA's source sends it.
    Every run keeps the last delivered event in build/knotebook-source.json: --resume continues
    after it, even after a run without --resume stopped with Ctrl-C. Failed deliveries are
    retried (no answer, 429, 5xx); an event still not accepted (2xx) stops delivery there, as in
    VSphereSource: it is sent again at the next poll, and the checkpoint never moves past it.

    \b
    Examples (the whole VEBA pipeline on one machine):
      knotebook vcsim --env-file vcsim.env                      # terminal 1
      knotebook broker export/vm-attr                           # terminal 2
      knotebook source --credentials vcsim.env                  # terminal 3
      knotebook source --credentials vcsim.env --resume --once  # what was missed since
      then power off or create a VM (pyVmomi, govc): the function runs.
    """
    from knotebook.local import process
    from knotebook.vcenter import source

    check_url(to)
    creds = _credentials(url, credentials, insecure)
    outcome = source.Outcome()
    with process.sigterm_as_interrupt():
        try:
            source.run(
                creds,
                to,
                envelope=envelope,
                from_start=from_start,
                once=once,
                interval=interval,
                checkpoint=paths.project_root() / SOURCE_CHECKPOINT,
                resume=resume,
                say=click.echo,
                outcome=outcome,
            )
        except KeyboardInterrupt:
            _say("Stopped.")
    _say(_delivery_summary(outcome))
    if not outcome.ok:
        sys.exit(1)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _delivery_summary(outcome: Any) -> str:
    """``3 events delivered`` or ``0 events delivered, 8 events not delivered (id 59: ...)``."""
    summary = f"{_count(len(outcome.delivered), 'event')} delivered"
    if outcome.pending:
        failed = outcome.failed
        reason = (str(failed.status) if failed.status else "no answer") if failed else "stopped"
        where = f"id {failed.event.get_id()}: {reason}" if failed else reason
        summary += (
            f", {_count(outcome.pending, 'event')} not delivered ({where}); "
            "`--resume` sends them again"
        )
    return summary
