"""Run and invoke functions locally, the way Knative would, without Docker (Python API).

From a notebook or a script::

    from knotebook import local

    fn = local.run("notebooks/vm_created.ipynb")       # export, cached venv, Procfile, PORT
    answer = local.invoke(fn, "VmCreatedEvent", overrides={"Vm.Name": "web-42"})
    answer.status, answer.reply, fn.logs[-3:]
    fn.stop()

    session = local.dev("notebooks/vm_created.ipynb")  # re-export + restart on every save
    session.answers[-1], session.restarts
    session.stop()

    broker = local.broker("export/vm-created")         # Triggers from k8s/trigger.yaml
    broker.publish(events.sample("VmCreatedEvent"))    # -> a BrokerResult per matching trigger
    broker.stop()

The command line equivalents are ``knotebook run``, ``invoke``, ``dev`` and ``broker``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from knotebook.errors import KnotebookError
from knotebook.local import delivery
from knotebook.local.broker import Broker
from knotebook.local.bundle import (
    DEFAULT_PORT,
    bundle_for,
    check_env,
    choose_port,
    default_event,
    run,
    target_url,
)
from knotebook.local.dev import DevSession
from knotebook.local.service import service_env

__all__ = [
    "DEFAULT_PORT",
    "broker",
    "bundle_for",
    "check_env",
    "choose_port",
    "default_event",
    "dev",
    "invoke",
    "run",
    "service_env",
    "target_url",
]


def invoke(
    target: Any = None,
    event: Any = None,
    *,
    envelope: str = "tanzu",
    mode: str = "binary",
    overrides: dict[str, Any] | None = None,
    timeout: float = 30.0,
) -> delivery.Delivery:
    """Send an event to a function the way the Broker does; returns the answer (a Delivery).

    ``event``: a CloudEvent, an event id (``"VmCreatedEvent"``) or a structured JSON file;
    by default the bundle's ``testevent.json``.
    """
    url = target_url(target)
    if event is None:
        event = default_event(target)
        if event is None:
            raise KnotebookError("which event? pass an event id or file (--event)")
    ce = delivery.load_event(event, envelope, overrides)
    return delivery.send(url, ce, mode, timeout)


def broker(*bundles: str | Path, **kwargs: Any):
    """Start a local Broker for bundles (``knotebook.local.broker.Broker``); returns it running."""
    return Broker.for_bundles(list(bundles), **kwargs).start()


def dev(notebook: str | Path, **kwargs: Any):
    """``knotebook dev`` in the background (see ``knotebook.local.dev.DevSession``); returns it."""
    kwargs.setdefault("say", print)
    session = DevSession(notebook, **kwargs)
    session.background()
    return session
