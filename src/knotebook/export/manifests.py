"""What the k8s/ templates need from the settings: Trigger names, labels, annotations, the Secret.

* Triggers are named ``<function>-<event slug>`` unless ``TRIGGER_NAMES`` says otherwise.
* ``LABELS`` (default ``app: veba-ui``, what VEBA's UI lists) and ``ANNOTATIONS`` go on every
  resource kustomize emits: Service, Triggers and the generated Secret.
* Secrets: the function's own ``<function>-env``, generated from ``k8s/function.env``
  (hash-suffixed) and ``SECRET_FILES``. ``SECRET = "name"`` adds a shared Secret the Service
  also reads: an existing one (``kubectl create secret``), or, with ``SECRET_FILES``, one generated
  under exactly that name (no hash suffix) from those files only, so every function naming it
  reads one Secret.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knotebook import events
from knotebook.errors import ExportError
from knotebook.notebook.conventions import Settings
from knotebook.project import secret_files


@dataclass(frozen=True)
class TriggerSpec:
    name: str
    event: str
    filter: dict[str, str]


@dataclass(frozen=True)
class SecretSpec:
    name: str
    generate: bool  # a secretGenerator in kustomization.yaml (else: an existing Secret)
    hashed: bool  # kustomize appends the content hash to the name
    files: tuple[tuple[str, str], ...]  # (KEY, path relative to k8s/)


def trigger_name(function: str, event_id: str) -> str:
    """``<function>-<event slug>``, a DNS-1123 label of at most 63 characters."""
    slug = re.sub(r"[^a-z0-9]+", "-", event_id.lower()).strip("-")
    name = f"{function}-{slug}"
    if len(name) > 63:
        digest = hashlib.sha256(event_id.encode()).hexdigest()[:6]
        name = f"{name[: 63 - 7].rstrip('-')}-{digest}"
    return name


def triggers(settings: Settings) -> list[TriggerSpec]:
    chosen = dict(settings.deploy.trigger_names)
    return [
        TriggerSpec(
            chosen.get(event_id) or trigger_name(settings.name, event_id),
            event_id,
            events.trigger_attributes(event_id, settings.envelope),
        )
        for event_id in settings.event_types
    ]


def secrets(settings: Settings) -> tuple[SecretSpec, SecretSpec | None]:
    """The function's own Secret, and the shared ``SECRET`` (None without one)."""
    deploy = settings.deploy
    files = tuple(
        (key, f"{secret_files.FOLDER.removeprefix('k8s/')}/{key}") for key, _ in deploy.secret_files
    )
    if not deploy.secret:
        return SecretSpec(f"{settings.name}-env", True, True, files), None
    own = SecretSpec(f"{settings.name}-env", True, True, ())
    return own, SecretSpec(deploy.secret, bool(files), False, files)


def context(settings: Settings) -> dict[str, Any]:
    """Template variables for k8s/*.yaml."""
    own, shared = secrets(settings)
    return {
        "triggers": triggers(settings),
        "secret": own,
        "shared_secret": shared,
        "secret_name": own.name,
        "labels": settings.deploy.label_map,
        "annotations": settings.deploy.annotation_map,
    }


def secret_values(settings: Settings, notebook: Path) -> dict[str, bytes]:
    """The SECRET_FILES contents, read from beside the notebook; a missing file is an error."""
    found = {}
    for key, rel in settings.deploy.secret_files:
        path = notebook.parent / rel
        try:
            found[key] = path.read_bytes()
        except OSError as exc:
            raise ExportError(
                f"{notebook}: SECRET_FILES[{key!r}]: cannot read {path}: {exc.strerror}"
            ) from None
    return found
