"""File-valued Secret keys of a bundle (``SECRET_FILES``): ``k8s/secrets/<KEY>``, one file per key.

Export copies each file there (git-ignored, kept out of the image); kustomize's secretGenerator
reads them (``files: - KEY=secrets/KEY``, like ``kubectl create secret --from-file``), and a local
run passes each as the environment variable KEY, as the Secret's ``envFrom`` does in the cluster.
"""

from __future__ import annotations

import json
from pathlib import Path

from knotebook.errors import KnotebookError
from knotebook.project import files

FOLDER = "k8s/secrets"
RECORD = ".knotebook-keys.json"  # the keys knotebook wrote last (hidden: read() skips it)


def read(bundle: Path) -> dict[str, str]:
    """KEY → the file's text, for a local run."""
    folder = bundle / FOLDER
    if not folder.is_dir():
        return {}
    found = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.name.startswith("."):
            try:
                found[path.name] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise KnotebookError(f"{path}: cannot read: {exc}") from None
    return found


def write(bundle: Path, values: dict[str, bytes]) -> tuple[list[str], list[str]]:
    """Write the secret files (0600) and remove those of keys the last export wrote that are
    gone now; (written, removed) names, relative. A file knotebook did not write is left alone.
    """
    folder = bundle / FOLDER
    record = folder / RECORD
    written = []
    for key, data in sorted(values.items()):
        target = folder / key
        if not target.is_file() or target.read_bytes() != data:
            files.write_atomic(target, data, mode=0o600)
            written.append(f"{FOLDER}/{key}")
    removed = []
    for stale in sorted(set(_recorded(record)) - set(values)):
        path = folder / stale
        if path.is_file():
            path.unlink()
            removed.append(f"{FOLDER}/{stale}")
    if values or record.exists():
        files.write_atomic(record, json.dumps(sorted(values)) + "\n", mode=0o600)
    return written, removed


def _recorded(record: Path) -> list[str]:
    """The keys the last export wrote (names only: never a path outside the folder)."""
    try:
        keys = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(keys, list):
        return []
    return [k for k in keys if isinstance(k, str) and k and "/" not in k and not k.startswith(".")]
