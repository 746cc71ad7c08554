"""Export a function notebook to a bundle that ``pack build`` and ``kubectl apply -k`` accept.

The project's top-level templates (``handler_template.py``, ``requirements.txt``, ``Procfile``
and ``k8s/``) are rendered with the notebook's function cells and settings into
``export/<function-name>/``. The same notebook always gives byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jinja2

from knotebook import __version__, events, notebook

from knotebook.notebook import cells

from knotebook.project import envfile, templates
from knotebook.errors import ExportError, NotebookError
from knotebook.notebook.conventions import FunctionNotebook, Settings

PYTHON_VERSION = "3.13"
MANIFEST = ".knotebook.json"
ENV_FILE = "k8s/function.env"
TEMPLATE_FILES = templates.TEMPLATE_FILES
K8S_TEMPLATES = templates.K8S_TEMPLATES
THREADS = re.compile(r"(?:^|\s)--threads[= ](\d+)")
WORKER_CLASS = re.compile(r"(?:^|\s)(?:-k\s*|--worker-class[= ])([\w.:]+)")


@dataclass(frozen=True)
class Trigger:
    name: str
    event: str
    filter: dict[str, str]


@dataclass(frozen=True)
class ExportResult:
    directory: Path
    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]
    source_hash: str


def find_templates(start: Path) -> Path:
    """The project root for a notebook in ``start``: its templates override the packaged ones."""
    return templates.find(start).root


def trigger_name(function: str, event_id: str) -> str:
    """``<function>-<event slug>``, a DNS-1123 label of at most 63 characters."""
    slug = re.sub(r"[^a-z0-9]+", "-", event_id.lower()).strip("-")
    name = f"{function}-{slug}"
    if len(name) > 63:
        digest = hashlib.sha256(event_id.encode()).hexdigest()[:6]
        name = f"{name[: 63 - 7].rstrip('-')}-{digest}"
    return name


def _triggers(settings: Settings) -> list[Trigger]:
    return [
        Trigger(
            trigger_name(settings.name, event_id),
            event_id,
            events.trigger_attributes(event_id, settings.envelope),
        )
        for event_id in settings.event_types
    ]


def _packaged(name: str) -> str:
    return (
        resources.files("knotebook.export").joinpath("templates", name).read_text(encoding="utf-8")
    )


def _concurrency(web: str) -> int:
    """Requests one pod serves at once, from the Procfile's web command: gunicorn's --threads
    under a threaded worker; 1 under the asgi and sync workers (one event at a time per process)."""
    worker = WORKER_CLASS.search(web)
    if worker and "asgi" in worker.group(1).lower():
        return 1  # the asyncio worker ignores --threads
    match = THREADS.search(web)
    return int(match.group(1)) if match else 1


def _requirements(base: str, extra: list[cells.Requirement]) -> str:
    if not re.search(r"(?im)^gunicorn\b", base):
        raise ExportError(
            "requirements.txt must pin gunicorn: with a Procfile no buildpack adds a web server"
        )
    text = base if base.endswith("\n") else base + "\n"
    if extra:
        text += "# Imported by the function cells (versions installed where knotebook exported):\n"
        text += "".join(f"{req}  # import {req.module}, cell {req.cell}\n" for req in extra)
    return text


def render(function: FunctionNotebook, root: Path, notebook_label: str) -> dict[str, bytes]:
    """All bundle files (relative path → content) except ``k8s/function.env``."""
    settings = function.settings
    if settings is None:
        raise NotebookError(
            f"{function.path}: not a function notebook: add a '# knotebook: settings' cell "
            "and '# knotebook: function' cells"
        )
    cells.check(function.path, function.function_cells)
    project = templates.find(root)
    triggers = _triggers(settings)
    procfile = project.read("Procfile")
    web = re.search(r"(?m)^web:\s*(\S.*)$", procfile)
    if not web:
        raise ExportError(
            f"{project.path('Procfile')} has no 'web:' line; both buildpacks need one"
        )
    context = {
        "settings": settings,
        "cells": function.function_cells,
        "notebook": notebook_label,
        "triggers": triggers,
        "knotebook_version": __version__,
        "python_version": PYTHON_VERSION,
        "concurrency": _concurrency(web.group(1)),
        "secret_name": f"{settings.name}-env",
    }
    env = project.environment()
    try:
        files: dict[str, str] = {
            "handler.py": env.get_template("handler_template.py").render(context),
            "requirements.txt": _requirements(
                project.read("requirements.txt"),
                cells.requirements(function.path, function.function_cells),
            ),
            "Procfile": procfile,
            ".python-version": _packaged("python-version"),
            ".gitignore": _packaged("gitignore"),
            ".dockerignore": _packaged("dockerignore"),
            "project.toml": env.from_string(_packaged("project.toml.j2")).render(context),
            "README.md": env.from_string(_packaged("README.md.j2")).render(context),
        }
        for name in K8S_TEMPLATES:
            files[f"k8s/{name}"] = env.get_template(f"k8s/{name}").render(context)
    except jinja2.TemplateError as exc:
        where = getattr(exc, "filename", None) or "template"
        line = getattr(exc, "lineno", None)
        raise ExportError(f"{where}{f':{line}' if line else ''}: {exc}") from None
    sample = events.sample(settings.event_types[0], envelope=settings.envelope)
    out = {name: text.encode("utf-8") for name, text in files.items()}
    out["testevent.json"] = events.to_structured(sample)
    return out


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def source_hash(files: dict[str, bytes]) -> str:
    """One hash over everything the export renders: changes when cells or templates change."""
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + files[name] + b"\0")
    return h.hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if path.suffix == ".py":
        # A .pyc is trusted while the source's size and mtime in whole seconds match: a new
        # handler.py of the same size written within the second the last one was imported
        # (knotebook dev: save, re-export, restart) would run the old code. Drop its cache.
        for cached in (path.parent / "__pycache__").glob(f"{path.stem}.*.pyc"):
            cached.unlink(missing_ok=True)


def _env_file(function: FunctionNotebook, directory: Path) -> bytes | None:
    """Content for ``k8s/function.env``, or None to keep the user's existing file.

    Values come from ``<notebook>.env`` beside the notebook when it exists; otherwise an existing
    ``function.env`` is kept (checked), and a new bundle gets the declared keys with empty values.
    """
    assert function.settings is not None
    declared = function.settings.env_vars
    source = function.path.with_suffix(".env")
    if source.is_file():
        values = envfile.read(source)
        ordered = {k: values[k] for k in declared if k in values}
        ordered.update({k: v for k, v in sorted(values.items()) if k not in ordered})
        return envfile.render(ordered).encode()
    existing = directory / ENV_FILE
    if existing.is_file():
        envfile.read(existing)
        return None
    return envfile.render(dict.fromkeys(declared, "")).encode()


def _manifest(directory: Path) -> dict:
    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write(
    files: dict[str, bytes],
    directory: Path,
    *,
    env_file: bytes | None = None,
    notebook_label: str = "",
    force: bool = False,
) -> ExportResult:
    """Write the bundle atomically; refuse to overwrite a generated file the user edited."""
    manifest = _manifest(directory)
    previous: dict[str, str] = manifest.get("files") or {}
    env_target = directory / ENV_FILE
    if env_file is not None and env_target.is_file() and env_target.read_bytes() == env_file:
        env_file = None
    # Secrets are not hashed into the manifest: an edit shows as a function.env newer than it.
    manifest_path = directory / MANIFEST
    if (
        env_file is not None
        and env_target.is_file()
        and not force
        and (
            not manifest_path.is_file()
            or env_target.stat().st_mtime_ns > manifest_path.stat().st_mtime_ns
        )
    ):
        raise ExportError(
            f"{env_target} was edited after the last export and would be replaced by the "
            "values in the notebook's .env file; merge them there, or re-run with --force"
        )
    if not force:
        for name, digest in sorted(previous.items()):
            target = directory / name
            if target.is_file() and _digest(target.read_bytes()) != digest:
                raise ExportError(
                    f"{target} was edited after the last export; move your change into the "
                    "notebook or the templates, or re-run with --force to overwrite it"
                )
        for name in sorted(files):
            target = directory / name
            if name not in previous and target.exists() and target.read_bytes() != files[name]:
                raise ExportError(
                    f"{target} exists and was not written by knotebook; "
                    "choose another --output-dir or re-run with --force"
                )
    written, unchanged = [], []
    try:
        for name in sorted(files):
            target = directory / name
            if target.is_file() and target.read_bytes() == files[name]:
                unchanged.append(name)
                continue
            _atomic_write(target, files[name])
            written.append(name)
        if env_file is not None:
            _atomic_write(directory / ENV_FILE, env_file)
            written.append(ENV_FILE)
        removed = []
        for name in sorted(set(previous) - set(files)):
            stale = directory / name
            if stale.is_file():
                stale.unlink()
                removed.append(name)
        digest = source_hash(files)
        record = {
            "generator": f"knotebook {__version__}",
            "notebook": notebook_label,
            "source_hash": digest,
            "files": {name: _digest(files[name]) for name in sorted(files)},
        }
        _atomic_write(
            directory / MANIFEST, (json.dumps(record, indent=2, sort_keys=True) + "\n").encode()
        )
    except OSError as exc:
        raise ExportError(f"cannot write {exc.filename or directory}: {exc.strerror}") from None
    return ExportResult(directory, tuple(written), tuple(unchanged), tuple(removed), digest)


def notebook_label(path: Path, root: Path) -> str:
    """The notebook's path relative to the project root, as handler.py's header names it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def export(
    notebook_path: str | Path, output_dir: str | Path | None = None, *, force: bool = False
) -> ExportResult:
    """Export one function notebook into ``<output_dir>/<function-name>/`` (default ``export/``)."""
    path = Path(notebook_path)
    function = notebook.read(path)
    root = find_templates(path.resolve().parent)
    label = notebook_label(path, root)
    files = render(function, root, label)
    assert function.settings is not None
    base = Path(output_dir) if output_dir is not None else root / "export"
    if base.exists() and not base.is_dir():
        raise ExportError(f"{base} is not a directory")
    directory = base / function.settings.name
    env_file = _env_file(function, directory)
    return write(files, directory, env_file=env_file, notebook_label=label, force=force)


def check_fresh(notebook_path: str | Path, output_dir: str | Path | None = None) -> str:
    """Why ``export/<name>/`` is not exactly what exporting the notebook now would write.

    Returns "" when the export is fresh: same source hash, every generated file unchanged.
    """
    path = Path(notebook_path)
    function = notebook.read(path)
    if function.settings is None:
        return ""
    root = find_templates(path.resolve().parent)
    files = render(function, root, notebook_label(path, root))
    base = Path(output_dir) if output_dir is not None else root / "export"
    directory = base / function.settings.name
    manifest = _manifest(directory)
    if not manifest:
        return f"not exported: run knotebook export {path}"
    if manifest.get("source_hash") != source_hash(files):
        return (
            f"{directory} is stale: the notebook or templates changed; run knotebook export {path}"
        )
    for name in sorted(files):
        target = directory / name
        if not target.is_file() or target.read_bytes() != files[name]:
            return f"{target} differs from what the notebook exports; run knotebook export {path}"
    return ""
