"""The edit guard: an export never loses what a user wrote into a bundle.

Shared by ``knotebook export`` and ``jupyter nbconvert --to knotebook``:

* a generated file whose bytes differ from what the last export wrote (``.knotebook.json``
  holds their digests) was edited: refuse, unless ``--force``;
* a file knotebook did not write is never replaced, unless ``--force``;
* ``export/<name>/`` exported from another notebook that still exists (two notebooks with
  one ``FUNCTION_NAME``, as copying a sample gives) is never taken over, even with ``--force``;
* ``k8s/function.env`` holds secrets, so its digest stays out of the committed manifest: it is
  kept in ``.knotebook.local.json`` (git- and docker-ignored). A ``function.env`` that differs
  from what knotebook last wrote holds the user's values: the notebook's ``.env`` file replaces
  it only with ``--force``, and then the user's file is kept as ``k8s/function.env.bak``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knotebook.errors import EnvFileError, ExportError
from knotebook.export.runtime_copy import PREFIX as RUNTIME_PREFIX
from knotebook.export.runtime_copy import describe as runtime_summary
from knotebook.project import envfile

MANIFEST = ".knotebook.json"
LOCAL_STATE = ".knotebook.local.json"
ENV_FILE = "k8s/function.env"
ENV_BACKUP = "k8s/function.env.bak"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; {} when it is missing or not a JSON object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def manifest(directory: Path) -> dict[str, Any]:
    return read_json(directory / MANIFEST)


def source_hash(files: dict[str, bytes]) -> str:
    """One hash over everything the export renders: changes when cells or templates change."""
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + files[name] + b"\0")
    return h.hexdigest()


def manifest_bytes(files: dict[str, bytes], notebook_label: str, version: str) -> bytes:
    """The committed manifest: generator, notebook, one hash over all files, each file's hash."""
    record = {
        "generator": f"knotebook {version}",
        "notebook": notebook_label,
        "source_hash": source_hash(files),
        "files": {name: digest(files[name]) for name in sorted(files)},
    }
    if any(name.startswith(RUNTIME_PREFIX) for name in files):
        record["runtime"] = runtime_summary(files)
    return (json.dumps(record, indent=2, sort_keys=True) + "\n").encode()


def local_state_bytes(env_written: bytes | None) -> bytes:
    """``.knotebook.local.json``: the digest of the function.env knotebook last wrote."""
    record = {"function.env": digest(env_written) if env_written is not None else None}
    return (json.dumps(record, indent=2, sort_keys=True) + "\n").encode()


def _owner_conflict(directory: Path, notebook_label: str, root: Path | None) -> str:
    """Why ``directory`` belongs to another notebook, or ""."""
    owner = manifest(directory).get("notebook")
    if not owner or not notebook_label or owner == notebook_label:
        return ""
    if root is not None and not (root / owner).is_file():
        return ""  # the notebook was renamed or moved: its new name takes the bundle over
    return (
        f"{directory} was exported from {owner}, and {notebook_label} has the same "
        f"FUNCTION_NAME {directory.name!r}; give one of them another FUNCTION_NAME"
    )


def _holds_values(data: bytes) -> bool:
    """Would replacing this function.env lose anything: a value, or a line that is not ours?"""
    try:
        values = envfile.parse(data.decode("utf-8"))
    except (UnicodeDecodeError, EnvFileError):
        return True
    return any(values.values())


@dataclass(frozen=True)
class EnvDecision:
    """What to do with ``k8s/function.env``: the bytes to write (None: keep it) and whether
    the user's current file must first be copied to ``function.env.bak``."""

    write: bytes | None
    backup: bool = False
    record: bytes | None = None  # knotebook's last write, for the local state (None: unchanged)


def env_decision(
    directory: Path, new: bytes | None, *, from_notebook: bool, force: bool
) -> EnvDecision:
    """Decide about function.env. ``new``: what the notebook's settings give (None: nothing);
    ``from_notebook``: ``new`` carries values from ``<notebook>.env`` (else it is the default)."""
    target = directory / ENV_FILE
    if new is None:
        return EnvDecision(None)
    if not target.is_file():
        return EnvDecision(new, record=new)
    current = target.read_bytes()
    if current == new:
        return EnvDecision(None, record=new)
    last = read_json(directory / LOCAL_STATE).get("function.env")
    ours = last is not None and digest(current) == last
    if not from_notebook:
        # No .env beside the notebook: the bundle's function.env is the user's to fill in.
        envfile.read(target)  # still checked, so a bad line is found at export, not deploy
        return EnvDecision(None)
    if ours or not _holds_values(current):
        return EnvDecision(new, record=new)
    if not force:
        raise ExportError(
            f"{target} holds values you set, and the notebook's .env file would replace them; "
            "copy them into that .env file (or delete function.env), or re-run with --force "
            f"(your file is then kept as {ENV_BACKUP})"
        )
    return EnvDecision(new, backup=True, record=new)


def check(
    files: dict[str, bytes],
    directory: Path,
    *,
    notebook_label: str = "",
    root: Path | None = None,
    force: bool = False,
) -> None:
    """Raise ExportError when writing ``files`` into ``directory`` would lose a user's work."""
    conflict = _owner_conflict(directory, notebook_label, root)
    if conflict:
        raise ExportError(conflict)
    for name in sorted(files):  # --force cannot replace these either
        target = directory / name
        if target.exists() and not target.is_file():
            raise ExportError(
                f"{target} is not a regular file (a folder?) where the bundle has a file; "
                "move it away or choose another --output-dir"
            )
    if force:
        return
    previous: dict[str, str] = manifest(directory).get("files") or {}
    for name, known in sorted(previous.items()):
        target = directory / name
        if target.is_file() and digest(target.read_bytes()) != known:
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

