"""``knotebook run``, ``invoke``, ``dev`` and ``broker``: the local loop, without Docker."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from knotebook import events, local
from knotebook.cli.options import (
    CONTEXT,
    PORT,
    Seconds,
    envelope_option,
    host_option,
    mode_option,
    no_venv_option,
    port_option,
    set_option,
)
from knotebook.errors import KnotebookError
from knotebook.events.knobs import parse_assignments
from knotebook.local import delivery, process, runstate
from knotebook.local.bundle import exported_bundles


def _say(message: str) -> None:
    click.echo(message)
    sys.stdout.flush()


def event_options(func: Any) -> Any:
    """--event, --envelope, --mode, --set, --attr: the same meaning in invoke and dev."""
    options = [
        click.option(
            "--event",
            "event_spec",
            metavar="ID|FILE",
            help="vCenter event id or structured JSON file [default: the bundle's testevent.json].",
        ),
        envelope_option("For an event id: tanzu = VEBA >= 0.8, router = VEBA 0.3-0.7."),
        mode_option("binary", "HTTP content mode; the Broker sends binary."),
        set_option,
        click.option(
            "--attr",
            "attrs",
            multiple=True,
            metavar="NAME=VALUE",
            help="Set a CloudEvent attribute, e.g. subject=VmCreatedEvent or "
            "time=2024-05-01T10:00:00Z (empty value: remove it).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _serve_until_interrupted(server: process.Server) -> int | None:
    """Wait for Ctrl-C/SIGTERM (returns None) or for the process to exit (returns its code)."""
    try:
        while server.process.poll() is None:
            time.sleep(0.2)
    except KeyboardInterrupt:
        return None
    return server.process.returncode


@click.command("run", context_settings=CONTEXT)
@click.argument("path", type=click.Path(path_type=Path))
@port_option
@host_option()
@no_venv_option
def run(path: Path, port: int | None, host: str, no_venv: bool) -> None:
    """Serve a bundle locally as Knative would run its image, until Ctrl-C.

    PATH is an exported bundle, or a notebook (exported first). The Procfile's web command runs
    under bash with PORT set and k8s/function.env loaded (kubectl's rules: a bad line is an
    error), in a virtual environment made from the bundle's requirements.txt and cached by its
    hash. The function's logs stream to stderr.

    \b
    Examples:
      knotebook run export/vm-created
      knotebook run notebooks/vm_created.ipynb --port 9000
      knotebook invoke --event VmCreatedEvent --set Vm.Name=web-42    # in another terminal
    """
    with process.sigterm_as_interrupt():
        started = time.monotonic()
        try:
            bundle = local.bundle_for(path, progress=_say)
            local.check_env(bundle)
            server = local.run(
                bundle, port=port, host=host, isolated=not no_venv, echo=True, progress=_say
            )
        except KeyboardInterrupt:
            _say("Interrupted.")
            sys.exit(130)
        ready = time.monotonic() - started
        name = bundle.resolve().name
        try:  # from here on, a Ctrl-C at any point still stops the function
            runstate.record(name, server.url, bundle)
            _say(f"Serving {name} at {server.url}/ (ready in {ready:.2f} s; Ctrl-C to stop)")
            _say("Send it an event from another terminal: knotebook invoke --event <ID|FILE>")
            code = _serve_until_interrupted(server)
        except KeyboardInterrupt:  # arrived before the wait began
            code = None
        finally:
            stopped = server.stop()
            runstate.forget(server.url)
    if code is not None:
        raise KnotebookError(f"{name}: web process exited with {code}; see its log above")
    _say(f"Stopped (exit {stopped}).")


def load(
    spec: str | None,
    envelope: str,
    assignments: tuple[str, ...],
    attrs: tuple[str, ...],
    default: Any,
) -> Any:
    source = spec if spec is not None else default
    if source is None:
        raise KnotebookError("which event? pass --event ID|FILE")
    return delivery.load_event(
        source, envelope, parse_assignments(assignments), delivery.parse_attributes(attrs)
    )


@click.command("invoke", context_settings=CONTEXT)
@click.argument("target", required=False, metavar="[URL|NAME]")
@event_options
@click.option(
    "--timeout",
    type=Seconds(0, "a number of seconds", min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds.",
)
@click.option("-v", "--verbose", is_flag=True, help="Also print the request headers.")
def invoke(
    target: str | None,
    event_spec: str | None,
    envelope: str,
    mode: str,
    assignments: tuple[str, ...],
    attrs: tuple[str, ...],
    timeout: float,
    verbose: bool,
) -> None:
    """Send an event to a function the way the Knative Broker does, print the answer.

    Binary mode, Prefer: reply, traceparent and knativearrivaltime, as the Broker sends them.
    Without URL, the function `knotebook run` or `dev` started last (NAME picks one by name).
    Prints the status, the reply event (if any) and the latency; exits 1 on a non-2xx status.

    \b
    Examples:
      knotebook invoke --event VmCreatedEvent
      knotebook invoke --event VmCreatedEvent --envelope router --mode structured
      knotebook invoke http://127.0.0.1:8080 --event testevent.json --set Vm.Name=web-42
      knotebook invoke --event VmCreatedEvent --attr time=2024-05-01T10:00:00Z --attr subject=x
      knotebook invoke http://127.0.0.1:8800 --event VmPoweredOffEvent   # a local broker
    """
    url = local.target_url(target)
    event = load(event_spec, envelope, assignments, attrs, local.default_event(target))
    answer = delivery.send(url, event, mode, timeout)
    if verbose:
        for key, value in answer.request_headers.items():
            _say(f"{'':>10} > {key}: {value}")
    for line in delivery.describe(mode, event, answer):
        _say(line)
    structured = json.loads(events.to_structured(event))
    runstate.remember_event(url.rstrip("/"), {"event": structured, "mode": mode})
    if not answer.ok:
        sys.exit(1)


@click.command("dev", context_settings=CONTEXT)
@click.argument("notebook", type=click.Path(path_type=Path, dir_okay=False))
@event_options
@port_option
@host_option()
@no_venv_option
def dev(
    notebook: Path,
    event_spec: str | None,
    envelope: str,
    mode: str,
    assignments: tuple[str, ...],
    attrs: tuple[str, ...],
    port: int | None,
    host: str,
    no_venv: bool,
) -> None:
    """Export, serve and re-send an event on every save of the notebook, until Ctrl-C.

    Replaces the edit / pack build / docker run / curl / read-logs loop: save the notebook (or
    a template) and within a second or two the bundle is re-exported, the function restarted on
    the same URL, and the last event re-sent (the one `knotebook invoke` sent it last, else
    --event, else testevent.json). Replies and the function's logs are shown. An error a save
    can fix (a failing cell, a notebook that is not valid JSON yet) is shown and dev keeps
    watching; the port taken or a path that is not a notebook file ends it (exit 1).

    \b
    Examples:
      knotebook dev notebooks/vm_created.ipynb
      knotebook dev notebooks/vm_created.ipynb --event VmCreatedEvent --set Vm.Name=web-42
      knotebook invoke --event VmClonedEvent     # another terminal: dev re-sends this one
    """
    from knotebook.local.dev import DevSession

    session = DevSession(
        notebook,
        event=event_spec,
        envelope=envelope,
        mode=mode,
        overrides=parse_assignments(assignments),
        attributes=delivery.parse_attributes(attrs),
        port=port,
        host=host,
        isolated=not no_venv,
        say=_say,
    )
    with process.sigterm_as_interrupt():
        try:
            session.start()
            _say(f"Watching {notebook} and the templates (Ctrl-C to stop)")
            session.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            code = session.stop()
    _say("Stopped." if code is None else f"Stopped (exit {code}).")


@click.command("broker", context_settings=CONTEXT)
@click.argument("bundles", nargs=-1, type=click.Path(path_type=Path))
@click.option("--port", type=PORT, default=8800, show_default=True, help="Ingress port (0: any).")
@host_option("Ingress address; 0.0.0.0 opens it to the network (functions stay on 127.0.0.1).")
@click.option(
    "--backoff-scale",
    type=Seconds(0, "a factor"),
    default=1.0,
    show_default=True,
    help="Multiply the Triggers' backoff delays (0.1 = ten times faster retries).",
)
@no_venv_option
def broker(
    bundles: tuple[Path, ...], port: int, host: str, backoff_scale: float, no_venv: bool
) -> None:
    """Run a local Knative Broker for bundles: Trigger filters, retries, replies.

    BUNDLES are exported bundles (or notebooks, exported first) [default: every bundle in
    export/]. Each is served as `knotebook run` would; its k8s/trigger.yaml subscribes it.
    Events POSTed to the ingress (by `knotebook invoke` or anything that speaks CloudEvents over
    HTTP) are filtered with Knative's semantics (filter.attributes; filters: exact, prefix,
    suffix, all, any, not) and delivered with the Trigger's retries (5xx, 404, 408, 409, 429).
    A reply event goes back into the broker. Each event prints which trigger fired, every
    attempt, the reply, or "unmatched".

    \b
    Examples:
      knotebook broker export/vm-created export/alarm-notify
      knotebook invoke http://127.0.0.1:8800 --event VmCreatedEvent     # another terminal
      knotebook broker --backoff-scale 0.1        # every bundle in export/, fast retries
    """
    from knotebook.local.broker import Broker

    paths = list(bundles) or exported_bundles()
    with process.sigterm_as_interrupt():
        try:
            hub = Broker.for_bundles(
                list(paths),
                isolated=not no_venv,
                echo=True,
                progress=_say,
                host=host,
                port=port,
                say=_say,
                backoff_scale=backoff_scale,
            ).start()
        except KeyboardInterrupt:
            _say("Interrupted.")
            sys.exit(130)
        try:
            for target in hub.targets:
                _say(f"function {target.name} at {target.url}/")
                for trig in target.triggers:
                    _say(f"  trigger {trig.name}: {trig.describe_filter()}")
            _say(f"Broker ingress at {hub.url} (Ctrl-C to stop)")
            while True:
                for server in hub.servers:
                    if server.process.poll() is not None:
                        raise KnotebookError(
                            f"{server.bundle}: web process exited with "
                            f"{server.process.returncode}; see its log above"
                        )
                time.sleep(0.3)
        except KeyboardInterrupt:
            pass
        finally:
            hub.stop()
    _say("Stopped.")
