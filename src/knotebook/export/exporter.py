"""Export a function notebook to a bundle that ``pack build`` and ``kubectl apply -k`` accept.

The project's top-level templates (``handler_template.py``, ``requirements.txt``, ``Procfile``
and ``k8s/``) are rendered with the notebook's function cells and settings into
``export/<function-name>/``. The same notebook always gives byte-identical files.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import jinja2

from knotebook import __version__, events, notebook
from knotebook.errors import ExportError, NotebookError
from knotebook.export import files as bundle_files
from knotebook.export import (
    guard,
    manifests,
    requirements,
    runtime_copy,
    server_config,
    testevents,
)
from knotebook.notebook import cells
from knotebook.notebook.conventions import FunctionNotebook, Settings
from knotebook.project.files import write_atomic
from knotebook.project.paths import env_file_of, project_root
from knotebook.project.procfile import web_command as procfile_web_command
from knotebook.project import envfile, secret_files, templates

PYTHON_VERSION = "3.13"
MANIFEST = guard.MANIFEST
ENV_FILE = guard.ENV_FILE
source_hash = guard.source_hash


@dataclass(frozen=True)
class ExportResult:
    directory: Path
    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]
    source_hash: str


def _packaged(name: str) -> str:
    return (
        resources.files("knotebook.export").joinpath("templates", name).read_text(encoding="utf-8")
    )


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
    procfile = project.read("Procfile")
    web = procfile_web_command(procfile)
    if web is None:
        raise ExportError(
            f"{project.path('Procfile')} has no 'web:' line; both buildpacks need one"
        )
    runtime = runtime_copy.files(project.overrides)
    gunicorn_conf = project.read("gunicorn.conf.py")
    context = {
        "runtime_version": runtime_copy.version(runtime),
        "settings": settings,
        "cells": function.function_cells,
        "notebook": notebook_label,
        "knotebook_version": __version__,
        "python_version": PYTHON_VERSION,
        "concurrency": server_config.concurrency(web, gunicorn_conf),
        **manifests.context(settings),
    }
    env = project.environment()
    extra = bundle_files.helpers(function)
    imported = cells.requirements(function.path, function.function_cells, local=extra.modules)
    try:
        files: dict[str, str] = {
            "handler.py": env.get_template("handler_template.py").render(context),
            "requirements.txt": requirements.compose(
                project.read("requirements.txt"),
                [*imported, *extra.requirements],
                str(project.path("requirements.txt")),
            ),
            "Procfile": procfile,
            "gunicorn.conf.py": gunicorn_conf,
            ".python-version": _packaged("python-version"),
            ".gitignore": _packaged("gitignore"),
            ".dockerignore": _packaged("dockerignore"),
            "project.toml": env.from_string(_packaged("project.toml.j2")).render(context),
            "README.md": env.from_string(_packaged("README.md.j2")).render(context),
        }
        for name in templates.K8S_TEMPLATES:
            files[f"k8s/{name}"] = env.get_template(f"k8s/{name}").render(context)
    except jinja2.TemplateError as exc:
        where = getattr(exc, "filename", None) or "template"
        line = getattr(exc, "lineno", None)
        raise ExportError(f"{where}{f':{line}' if line else ''}: {exc}") from None
    out = {name: text.encode("utf-8") for name, text in files.items()}
    out.update(runtime)
    out.update(testevents.files(function))
    for rel, data in {**extra.files, **bundle_files.data_files(function)}.items():
        if rel in out or rel.split("/")[0] in ("k8s", "knotebook"):
            raise ExportError(
                f"{function.path}: {rel} (a helper module or FILES) would replace the bundle's "
                f"own {rel}; rename or move it"
            )
        out[rel] = data
    return out


def _atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    write_atomic(path, data, mode=mode)
    if path.suffix == ".py":
        # A .pyc is trusted while the source's size and mtime in whole seconds match: a new
        # handler.py of the same size written within the second the last one was imported
        # (knotebook dev: save, re-export, restart) would run the old code. Drop its cache.
        for cached in (path.parent / "__pycache__").glob(f"{path.stem}.*.pyc"):
            cached.unlink(missing_ok=True)


def env_file(function: FunctionNotebook) -> tuple[bytes, bool]:
    """Content for ``k8s/function.env`` and whether it carries the user's values.

    Values come from ``<notebook>.env`` beside the notebook when it exists. Otherwise the
    declared ``ENV_VARS`` are listed commented out: a variable the user did not set stays
    unset, so ``os.environ.get(NAME, default)`` sees its default.
    """
    assert function.settings is not None
    declared = function.settings.env_vars
    source = env_file_of(function.path)
    if source.is_file():
        values = envfile.read(source)
        ordered = {k: values[k] for k in declared if k in values}
        ordered.update({k: v for k, v in sorted(values.items()) if k not in ordered})
        return envfile.render(ordered).encode(), True
    if not declared:
        return b"", False
    header = "# Fill in KEY=VALUE lines (no quotes); a variable left commented out stays unset.\n"
    return (header + "".join(f"# {name}=\n" for name in declared)).encode(), False


def write(
    files: dict[str, bytes],
    directory: Path,
    *,
    env: tuple[bytes, bool] | None = None,
    notebook_label: str = "",
    root: Path | None = None,
    force: bool = False,
) -> ExportResult:
    """Write the bundle atomically; refuse to lose a file the user edited (``guard``)."""
    guard.check(files, directory, notebook_label=notebook_label, root=root, force=force)
    previous: dict[str, str] = guard.manifest(directory).get("files") or {}
    decision = guard.env_decision(
        directory, env[0] if env else None, from_notebook=bool(env and env[1]), force=force
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
        if decision.backup:
            current = (directory / ENV_FILE).read_bytes()
            _atomic_write(directory / guard.ENV_BACKUP, current, mode=0o600)
            written.append(guard.ENV_BACKUP)
        if decision.write is not None:
            _atomic_write(directory / ENV_FILE, decision.write, mode=0o600)
            written.append(ENV_FILE)
        if decision.record is not None:
            _atomic_write(directory / guard.LOCAL_STATE, guard.local_state_bytes(decision.record))
        removed = []
        for name in sorted(set(previous) - set(files)):
            stale = directory / name
            if stale.is_file():
                stale.unlink()
                removed.append(name)
        manifest = guard.manifest_bytes(files, notebook_label, __version__)
        _atomic_write(directory / MANIFEST, manifest)
    except OSError as exc:
        raise ExportError(f"cannot write {exc.filename or directory}: {exc.strerror}") from None
    return ExportResult(
        directory, tuple(written), tuple(unchanged), tuple(removed), source_hash(files)
    )


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


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
    root = project_root(path.resolve().parent)
    assert function.settings is not None
    base = Path(output_dir) if output_dir is not None else root / "export"
    if base.exists() and not base.is_dir():
        raise ExportError(f"{base} is not a directory")
    return export_function(function, root, base / function.settings.name, force=force)


def export_function(
    function: FunctionNotebook,
    root: Path,
    directory: Path,
    *,
    force: bool = False,
    label: str | None = None,
) -> ExportResult:
    """Write ``function``'s whole bundle into ``directory``: every export path calls this.

    The files, the requirements check, the edit guard, ``function.env`` and the secret files
    (``k8s/secrets/``) the kustomization names: ``knotebook export``, ``jupyter nbconvert``
    and ``%knotebook export`` write the same bytes.
    """
    path = function.path
    label = label if label is not None else notebook_label(path, root)
    files = render(function, root, label)
    assert function.settings is not None
    warning = requirements.check(
        files["requirements.txt"].decode("utf-8"),
        _shown(templates.find(root).path("requirements.txt")),
        label=str(path),
    )
    if warning:
        print(f"Warning: {warning}", file=sys.stderr)
    secrets = manifests.secret_values(function.settings, path)
    result = write(
        files, directory, env=env_file(function), notebook_label=label, root=root, force=force
    )
    written, removed = secret_files.write(directory, secrets)
    if not written and not removed:
        return result
    return replace(
        result, written=result.written + tuple(written), removed=result.removed + tuple(removed)
    )


def check_fresh(notebook_path: str | Path, output_dir: str | Path | None = None) -> str:
    """Why ``export/<name>/`` is not exactly what exporting the notebook now would write.

    Returns "" when the export is fresh: same source hash, every generated file unchanged.
    """
    path = Path(notebook_path)
    function = notebook.read(path)
    if function.settings is None:
        return ""
    root = project_root(path.resolve().parent)
    files = render(function, root, notebook_label(path, root))
    base = Path(output_dir) if output_dir is not None else root / "export"
    directory = base / function.settings.name
    manifest = guard.manifest(directory)
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
