"""File-valued Secret keys of a bundle (``SECRET_FILES``): ``k8s/secrets/<KEY>``, one file per key.

Export copies each file there (git-ignored, kept out of the image); kustomize's secretGenerator
reads them (``files: - KEY=secrets/KEY``, like ``kubectl create secret --from-file``), and a local
run passes each as the environment variable KEY, as the Secret's ``envFrom`` does in the cluster.
"""

from __future__ import annotations

from pathlib import Path

from knotebook.errors import KnotebookError
from knotebook.project import files

FOLDER = "k8s/secrets"


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


def write(bundle: Path, values: dict[str, bytes]) -> list[str]:
    """Write the secret files (0600) and remove stale ones; the written names, relative."""
    folder = bundle / FOLDER
    written = []
    for key, data in sorted(values.items()):
        target = folder / key
        if not target.is_file() or target.read_bytes() != data:
            files.write_atomic(target, data, mode=0o600)
            written.append(f"{FOLDER}/{key}")
    if folder.is_dir():
        for stale in folder.iterdir():
            if stale.is_file() and stale.name not in values and not stale.name.startswith("."):
                stale.unlink()
    return written
