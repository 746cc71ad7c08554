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

from collections.abc import Callable
from pathlib import Path
from typing import Any

from knotebook import delivery, envfile, runstate, runtime, venvs
from knotebook.errors import KnotebookError

DEFAULT_PORT = 8080


def bundle_for(
    path: str | Path, *, force: bool = False, progress: Callable[[str], None] | None = None
) -> Path:
    """An exported bundle folder; a notebook (``.ipynb``) is exported first."""
    path = Path(path)
    if path.suffix == ".ipynb":
        from knotebook.exporter import export

        result = export(path, force=force)
        if progress:
            changed = f"{len(result.written)} written" if result.written else "unchanged"
            progress(f"Exported {path} -> {result.directory}/ ({changed})")
        return result.directory
    if not path.is_dir():
        raise KnotebookError(f"{path}: no such bundle or notebook; run knotebook export first")
    if not (path / "Procfile").is_file():
        raise KnotebookError(f"{path}: no Procfile; is it a bundle exported by knotebook?")
    return path


def check_env(bundle: Path) -> dict[str, str]:
    """``k8s/function.env`` read with kubectl's and docker's rules (EnvFileError: file:line)."""
    env_path = bundle / "k8s" / "function.env"
    return envfile.read(env_path) if env_path.is_file() else {}


def service_env(bundle: Path) -> dict[str, str]:
    """Literal ``env`` entries of the Service's container in ``k8s/service.yaml`` (``valueFrom``
    entries need a cluster and are skipped); {} when there is none or PyYAML is missing."""
    path = bundle / "k8s" / "service.yaml"
    try:
        import yaml

        docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except (ImportError, OSError):
        return {}
    except Exception as exc:
        raise KnotebookError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    found: dict[str, str] = {}
    for doc in docs:
        if not isinstance(doc, dict) or doc.get("kind") != "Service":
            continue
        containers = (((doc.get("spec") or {}).get("template") or {}).get("spec") or {}).get(
            "containers"
        ) or []
        for entry in (containers[0].get("env") or []) if containers else []:
            if isinstance(entry, dict) and "name" in entry and "value" in entry:
                found[str(entry["name"])] = "" if entry["value"] is None else str(entry["value"])
    return found


def choose_port(port: int | None) -> int:
    """``port``; by default 8080 (what Knative gives a container), or a free one if it is taken."""
    if port:
        return port
    return DEFAULT_PORT if runtime.port_free(DEFAULT_PORT) else runtime.free_port()


def run(
    path: str | Path,
    *,
    port: int | None = None,
    isolated: bool = True,
    echo: bool | str = False,
    progress: Callable[[str], None] | None = None,
    timeout: float = 60.0,
) -> runtime.Server:
    """Serve a bundle (or a notebook, exported first) as the buildpack launcher would.

    ``isolated``: in a venv made from the bundle's requirements.txt, cached by its hash
    (``knotebook.venvs``); else with knotebook's own interpreter. Returns a running Server:
    ``.url``, ``.logs``, ``.stop()``.
    """
    bundle = bundle_for(path, progress=progress)
    check_env(bundle)
    venv = venvs.ensure(bundle / "requirements.txt", progress=progress) if isolated else None
    return runtime.start(
        bundle,
        port=choose_port(port),
        echo=echo,
        venv=venv,
        timeout=timeout,
        extra_env=service_env(bundle),
    )


def target_url(target: Any = None) -> str:
    """A URL from a Server, a URL string, a function name, or None (the last ``run``/``dev``)."""
    if isinstance(target, runtime.Server):
        return target.url + "/"
    if target is None or "://" not in str(target):
        return runstate.find(None if target is None else str(target))["url"] + "/"
    return str(target)


def default_event(target: Any = None) -> Path | None:
    """The bundle's ``testevent.json`` when the target is a function we know."""
    bundle = target.bundle if isinstance(target, runtime.Server) else None
    if bundle is None and "://" not in str(target or ""):
        try:
            bundle = Path(runstate.find(target)["bundle"])
        except KnotebookError:
            return None
    path = bundle / "testevent.json" if bundle else None
    return path if path and path.is_file() else None


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
    """Start a local Broker for bundles (see ``knotebook.broker.Broker``); returns it running."""
    from knotebook.broker import Broker

    return Broker.for_bundles(list(bundles), **kwargs).start()


def dev(notebook: str | Path, **kwargs: Any):
    """``knotebook dev`` in the background (see ``knotebook.dev.DevSession``); returns it."""
    from knotebook.dev import DevSession

    kwargs.setdefault("say", print)
    session = DevSession(notebook, **kwargs)
    session.background()
    return session
