"""A bundle on disk as the local loop sees it: where it is, its environment, where it listens."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from knotebook.errors import KnotebookError
from knotebook.local import ports, process, runstate, venvs
from knotebook.project import envfile
from knotebook.project.paths import project_root
from knotebook.project.urls import check_url

DEFAULT_PORT = 8080


def bundle_for(
    path: str | Path, *, force: bool = False, progress: Callable[[str], None] | None = None
) -> Path:
    """An exported bundle folder; a notebook (``.ipynb``) is exported first."""
    path = Path(path)
    if path.suffix == ".ipynb":
        from knotebook.export.exporter import export

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


def exported_bundles(root: Path | None = None) -> list[Path]:
    """The bundles in the project's ``export/`` folder; KnotebookError when there is none."""
    folder = (root or project_root()) / "export"
    found = sorted(p.parent for p in folder.glob("*/Procfile"))
    if not found:
        raise KnotebookError(f"no bundles in {folder}; run knotebook export first")
    return found


def check_env(bundle: Path) -> dict[str, str]:
    """``k8s/function.env`` read with kubectl's and docker's rules (EnvFileError: file:line)."""
    env_path = bundle / "k8s" / "function.env"
    return envfile.read(env_path) if env_path.is_file() else {}


def choose_port(port: int | None) -> int:
    """``port``; by default 8080 (what Knative gives a container), or a free one if it is taken."""
    if port:
        return ports.check_port(port)
    return DEFAULT_PORT if ports.port_free(DEFAULT_PORT) else ports.free_port()


def run(
    path: str | Path,
    *,
    port: int | None = None,
    isolated: bool = True,
    echo: bool | str = False,
    progress: Callable[[str], None] | None = None,
    timeout: float = 60.0,
    host: str = process.LOCAL_HOST,
) -> process.Server:
    """Serve a bundle (or a notebook, exported first) as the buildpack launcher would.

    ``isolated``: in a venv made from the bundle's requirements.txt, cached by its hash
    (``knotebook.local.venvs``); else with knotebook's own interpreter. ``host``: the address it
    listens on (127.0.0.1: only this machine). Returns a running Server: ``.url``, ``.logs``,
    ``.stop()``.
    """
    bundle = bundle_for(path, progress=progress)
    check_env(bundle)
    venv = venvs.ensure(bundle / "requirements.txt", progress=progress) if isolated else None
    return process.start(
        bundle,
        port=choose_port(port),
        echo=echo,
        venv=venv,
        timeout=timeout,
        host=host,
    )


def target_url(target: Any = None) -> str:
    """A URL from a Server, a URL string, a function name, or None (the last ``run``/``dev``)."""
    if isinstance(target, process.Server):
        return target.url + "/"
    if target is None or "://" not in str(target):
        return runstate.find(None if target is None else str(target))["url"] + "/"
    return check_url(str(target))


def default_event(target: Any = None) -> Path | None:
    """The bundle's ``testevent.json`` when the target is a function we know."""
    bundle = target.bundle if isinstance(target, process.Server) else None
    if bundle is None and "://" not in str(target or ""):
        try:
            bundle = Path(runstate.find(target)["bundle"])
        except KnotebookError:
            return None
    path = bundle / "testevent.json" if bundle else None
    return path if path and path.is_file() else None
