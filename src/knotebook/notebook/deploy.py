"""The settings that shape the manifests beyond the basics: VEBA-ready labels and annotations,
the Secret (generated, existing, shared, keys from files) and Trigger names.

Each value is checked as Kubernetes would check it (``knotebook.notebook.k8s_names``), so a bad
one is an error naming the settings cell and line at export, not a ``kubectl apply`` failure.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from knotebook import events
from knotebook.errors import NotebookError, UnknownEventError
from knotebook.notebook import k8s_names
from knotebook.project import syntax

SETTINGS: dict[str, str] = {
    "LABELS": "labels on the Service, Triggers and Secret (default {'app': 'veba-ui'}, "
    "which VEBA's UI lists)",
    "ANNOTATIONS": "annotations on the Service, Triggers and Secret",
    "SECRET": "a shared Secret the function also reads: an existing one (kubectl create "
    "secret), or generated from SECRET_FILES under exactly that name",
    "SECRET_FILES": "Secret keys whose value is a file beside the notebook "
    "({'VCCONFIG_SECRET': 'vcconfig.json'}), like kubectl create secret --from-file",
    "TRIGGER_NAMES": "Trigger name per event id ({'VmPoweredOffEvent': 'veba-py-echo-trigger'})",
    "FILES": "data files the handler reads, globs relative to the notebook (['templates/*.json']), "
    "copied into the bundle at the same paths",
    "TEST_EVENTS": "more test events for the bundle's test/ folder: sample names "
    "(['AlarmStatusChangedEvent:host']) or 'all'",
}
DEFAULT_LABELS = (("app", "veba-ui"),)
Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Deploy:
    labels: Pairs = DEFAULT_LABELS
    annotations: Pairs = ()
    secret: str = ""
    secret_files: Pairs = ()
    trigger_names: Pairs = ()
    test_events: tuple[str, ...] = ()
    files: tuple[str, ...] = ()  # FILES, expanded: paths relative to the notebook's folder

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)

    @property
    def annotation_map(self) -> dict[str, str]:
        return dict(self.annotations)


def lines(source: str) -> dict[str, int]:
    """The line of each ``NAME = ...`` in a settings cell (for messages)."""
    found: dict[str, int] = {}
    try:
        tree = syntax.parse(source)
    except SyntaxError:
        return found
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                found[target.id] = node.lineno
    return found


def _mapping(values: dict[str, object], key: str, fail: Callable[[str, str], NoReturn]) -> Pairs:
    value = values.get(key, {})
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        fail(key, f"{key} must be a dict of strings ({SETTINGS[key]})")
    return tuple((str(k), str(v)) for k, v in value.items())


def parse(
    values: dict[str, object],
    where: str,
    source: str,
    *,
    event_types: tuple[str, ...],
    image: str,
    namespace: str,
    folder: Path | None = None,
) -> Deploy:
    """The manifest settings of a settings cell, checked; errors name the cell and line."""
    at = lines(source)

    def fail(key: str, message: str) -> NoReturn:
        line = f", line {at[key]}" if key in at else ""
        raise NotebookError(f"{where}{line}: {message}")

    if "IMAGE" in values and (why := k8s_names.image_reference(image)):
        fail("IMAGE", f"IMAGE {why}")
    if why := k8s_names.dns_label(namespace):
        fail("NAMESPACE", f"NAMESPACE {why}")
    labels = _mapping(values, "LABELS", fail) if "LABELS" in values else DEFAULT_LABELS
    for key, value in labels:
        if why := k8s_names.qualified_name(key) or k8s_names.label_value(value):
            fail("LABELS", f"LABELS: {why}")
    annotations = _mapping(values, "ANNOTATIONS", fail)
    for key, _ in annotations:
        if why := k8s_names.qualified_name(key):
            fail("ANNOTATIONS", f"ANNOTATIONS: {why}")
    secret = values.get("SECRET", "")
    if not isinstance(secret, str):
        fail("SECRET", f"SECRET must be a string ({SETTINGS['SECRET']})")
    if secret and (why := k8s_names.dns_subdomain(secret)):
        fail("SECRET", f"SECRET {why}")
    files = _mapping(values, "SECRET_FILES", fail)
    for key, path in files:
        if why := _secret_key(key):
            fail("SECRET_FILES", f"SECRET_FILES: {why}")
        if not path or path.startswith("/") or ".." in path.split("/"):
            fail(
                "SECRET_FILES",
                f"SECRET_FILES: {path!r} must be a path inside the notebook's folder",
            )
    triggers = _mapping(values, "TRIGGER_NAMES", fail)
    resolved: list[tuple[str, str]] = []
    for event, trigger in triggers:
        try:
            event_id = events.resolve(event)
        except UnknownEventError as exc:
            fail("TRIGGER_NAMES", f"TRIGGER_NAMES: {exc}")
        if event_id not in _resolved(event_types):
            fail("TRIGGER_NAMES", f"TRIGGER_NAMES: {event} is not in EVENT_TYPES")
        if why := k8s_names.dns_label(trigger):
            fail("TRIGGER_NAMES", f"TRIGGER_NAMES: {why}")
        if trigger in (t for _, t in resolved):
            fail("TRIGGER_NAMES", f"TRIGGER_NAMES: {trigger!r} names two Triggers")
        resolved.append((event_id, trigger))
    tests = values.get("TEST_EVENTS", [])
    if tests == "all":
        tests = ["all"]
    if not isinstance(tests, list) or not all(isinstance(t, str) for t in tests):
        fail("TEST_EVENTS", "TEST_EVENTS must be a list of sample names or 'all'")
    known = _resolved(event_types)
    for test in tests if tests != ["all"] else []:
        base, _, variant = test.partition(":")
        try:
            event_id = events.resolve(base)
        except UnknownEventError as exc:
            fail("TEST_EVENTS", f"TEST_EVENTS: {exc}")
        if event_id not in known:
            fail("TEST_EVENTS", f"TEST_EVENTS: {test} is not one of EVENT_TYPES")
        if variant and test not in events.sample_names(event_id):
            names = ", ".join(events.sample_names(event_id))
            fail("TEST_EVENTS", f"TEST_EVENTS: no sample {test!r} (samples: {names})")
    data = _files(values, folder, fail)
    return Deploy(labels, annotations, secret, files, tuple(resolved), tuple(tests), data)


def _files(
    values: dict[str, object], folder: Path | None, fail: Callable[[str, str], NoReturn]
) -> tuple[str, ...]:
    patterns = values.get("FILES", [])
    if isinstance(patterns, str):
        patterns = [patterns]
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        fail("FILES", f"FILES must be a list of globs ({SETTINGS['FILES']})")
    found: list[str] = []
    for pattern in patterns:
        if not pattern or pattern.startswith("/") or ".." in Path(pattern).parts:
            fail("FILES", f"FILES: {pattern!r} must be a glob inside the notebook's folder")
        if folder is None:
            continue
        matched = sorted(
            p.relative_to(folder).as_posix()
            for p in folder.glob(pattern)
            if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts
        )
        if not matched:
            fail("FILES", f"FILES: {pattern!r} matches no file in {folder}")
        found += [m for m in matched if m not in found]
    return tuple(found)


def _resolved(event_types: tuple[str, ...]) -> set[str]:
    found = set()
    for name in event_types:
        try:
            found.add(events.resolve(name))
        except UnknownEventError:
            continue  # reported for EVENT_TYPES itself
    return found


def _secret_key(key: str) -> str:
    if not re.fullmatch(r"[-._a-zA-Z0-9]+", key) or len(key) > 253:
        return f"{key!r} is not a Secret key (letters, digits, '-', '_', '.')"
    return ""
