"""Knative Triggers from ``k8s/trigger.yaml``, with Knative Eventing's exact filter semantics.

* ``spec.filter.attributes`` (``pkg/eventfilter/attributes``): every listed attribute must equal
  the event's, case-sensitively (AND). ``""`` means "any value", but the attribute must be set and
  non-empty. A missing extension fails; a core attribute that is not set counts as ``""``.
* ``spec.filters`` (CloudEvents Subscriptions API, ``pkg/eventfilter/subscriptionsapi``): every
  entry must pass; one dialect each: ``exact``, ``prefix``, ``suffix`` (maps), ``all``, ``any``
  (lists), ``not`` (one filter). ``cesql`` is not evaluated locally (an error says so).
  When ``filters`` is non-empty it wins over ``filter``; no filter at all matches everything.
* ``time`` is compared as Go writes it (RFC 3339, ``Z``, trailing zero digits trimmed).
* ``spec.delivery``: ``retry``, ``backoffPolicy`` (``exponential``: delay x 2^n, ``linear``:
  delay x n, n counting retries from 0, as go-retryablehttp does), ``backoffDelay`` (ISO 8601).

Filter results are three-valued like Knative's: PASS, FAIL, or NONE (no opinion, which passes).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knotebook.errors import KnotebookError

PASS, FAIL, NONE = "pass", "fail", "none"
CORE = (
    "specversion",
    "type",
    "source",
    "subject",
    "id",
    "time",
    "dataschema",
    "schemaurl",
    "datacontenttype",
    "datamediatype",
    "datacontentencoding",
)
DURATION = re.compile(
    r"P(?:(?P<w>\d+(?:\.\d+)?)W)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?\Z"
)
# config-br-defaults of an MTChannelBasedBroker: what a Trigger without delivery gets
DEFAULT_DELIVERY = {"retry": 10, "backoffPolicy": "exponential", "backoffDelay": "PT0.2S"}


def parse_duration(text: str) -> float:
    """Seconds in an ISO 8601 duration (``PT0.2S``, ``PT1M``); Go durations (``5s``) are errors."""
    match = DURATION.match(str(text).strip())
    if not match or str(text).strip() in ("P", "PT") or str(text).endswith("T"):
        raise KnotebookError(f"backoffDelay {text!r} is not an ISO 8601 duration like PT0.2S")
    units = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
    return sum(float(v) * units[k] for k, v in match.groupdict().items() if v)


def _and(x: str, y: str) -> str:
    if x == NONE:
        return y
    if y == NONE:
        return x
    return PASS if x == PASS and y == PASS else FAIL


def _or(x: str, y: str) -> str:
    if x == NONE:
        return y
    if y == NONE:
        return x
    return PASS if PASS in (x, y) else FAIL


def _text(value: Any) -> str:
    """Go's ``fmt.Sprintf("%v")`` of an attribute value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def lookup(attributes: dict[str, Any], name: str) -> tuple[Any, bool]:
    """Knative's LookupAttribute: core attributes always exist ("" when unset)."""
    if name in CORE:
        if name == "schemaurl":
            name = "dataschema"
        if name == "datamediatype":
            return str(attributes.get("datacontenttype") or "").split(";")[0].strip(), True
        value = attributes.get(name)
        if name == "time" and value:
            from knotebook.events.times import normalize

            with contextlib.suppress(KnotebookError):
                value = normalize(str(value))
        return ("" if value is None else value), True
    if name in attributes and attributes[name] is not None:
        return attributes[name], True
    return None, False


def attributes_filter(spec: dict[str, str], attributes: dict[str, Any]) -> str:
    """``spec.filter.attributes``."""
    if not spec:
        return NONE
    for key, want in spec.items():
        value, found = lookup(attributes, key)
        if not found or (want == "" and value == ""):
            return FAIL
        if want != "" and want != value:  # a non-string extension never equals a string
            return FAIL
    return PASS


def _map_filter(kind: str, spec: dict[str, str], attributes: dict[str, Any]) -> str:
    for key, want in spec.items():
        if not key or not want:
            return NONE
    for key, want in spec.items():
        value, found = lookup(attributes, key)
        if not found:
            return FAIL
        if kind == "exact":
            if want != value:
                return FAIL
        elif kind == "prefix":
            if not _text(value).startswith(want):
                return FAIL
        elif not _text(value).endswith(want):
            return FAIL
    return PASS


def subscriptions_filter(spec: dict[str, Any], attributes: dict[str, Any]) -> str:
    """One ``spec.filters[]`` entry (the first dialect set, in Knative's order)."""
    if not isinstance(spec, dict):
        raise KnotebookError(f"a filters entry must be a mapping, got {spec!r}")
    for kind in ("exact", "prefix", "suffix"):
        if spec.get(kind):
            return _map_filter(kind, spec[kind], attributes)
    if spec.get("all"):
        return all_filter(spec["all"], attributes)
    if spec.get("any"):
        result = NONE
        for sub in spec["any"]:
            result = _or(result, subscriptions_filter(sub, attributes))
            if result == PASS:
                return PASS
        return result
    if spec.get("not") is not None:
        inner = subscriptions_filter(spec["not"], attributes)
        return {PASS: FAIL, FAIL: PASS}.get(inner, NONE)
    if spec.get("cesql"):
        raise KnotebookError(f"cesql filters are not evaluated locally: {spec['cesql']!r}")
    return NONE


def all_filter(specs: list[dict[str, Any]], attributes: dict[str, Any]) -> str:
    result = NONE
    for sub in specs:
        result = _and(result, subscriptions_filter(sub, attributes))
        if result == FAIL:
            return FAIL
    return result


@dataclass(frozen=True)
class DeliverySpec:
    """A Trigger's ``spec.delivery`` as the dispatcher applies it."""

    retry: int = 0
    policy: str | None = None
    delay: float | None = None
    format: str | None = None  # "json" forces structured mode, "binary" binary
    dead_letter_uri: str | None = None

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` + 1 (``attempt`` counts from 0)."""
        if self.policy is None or self.delay is None:
            return 0.0
        if self.policy == "exponential":
            return self.delay * 2**attempt
        return self.delay * attempt

    @classmethod
    def parse(cls, spec: dict[str, Any] | None) -> DeliverySpec:
        spec = spec or {}
        retry = spec.get("retry", 0)
        if not isinstance(retry, int) or retry < 0:
            raise KnotebookError(f"delivery.retry must be an integer >= 0, got {retry!r}")
        policy = spec.get("backoffPolicy")
        if policy not in (None, "linear", "exponential"):
            raise KnotebookError(f"delivery.backoffPolicy must be linear or exponential: {policy}")
        delay = spec.get("backoffDelay")
        dls = (spec.get("deadLetterSink") or {}).get("uri")
        fmt = spec.get("format")
        if fmt not in (None, "json", "binary"):
            raise KnotebookError(f"delivery.format must be json or binary, got {fmt!r}")
        return cls(
            retry,
            policy,
            parse_duration(delay) if delay is not None else None,
            fmt,
            dls,
        )


@dataclass(frozen=True)
class Trigger:
    name: str
    broker: str = "default"
    filter: dict[str, str] = field(default_factory=dict)
    filters: tuple[dict[str, Any], ...] = ()
    subscriber: str = ""  # the Service name (ref) or URI
    path: str = "/"  # subscriber.uri relative to the ref
    uri: str = ""  # subscriber.uri when there is no ref: an absolute URL
    delivery: DeliverySpec = field(default_factory=DeliverySpec)
    source: str = ""  # file it came from

    def evaluate(self, attributes: dict[str, Any]) -> str:
        """PASS, FAIL or NONE, as Knative's broker filter decides."""
        if self.filters:
            return all_filter(list(self.filters), attributes)
        if self.filter:
            return attributes_filter(self.filter, attributes)
        return NONE

    def matches(self, attributes: dict[str, Any]) -> bool:
        return self.evaluate(attributes) != FAIL

    def describe_filter(self) -> str:
        if self.filters:
            return f"filters {list(self.filters)}"
        if self.filter:
            return " ".join(f"{k}={v!r}" for k, v in self.filter.items())
        return "no filter (every event)"


def from_document(doc: dict[str, Any], source: str = "", defaults: dict | None = None) -> Trigger:
    """A Trigger from a parsed manifest (``kind: Trigger``)."""
    meta = doc.get("metadata") or {}
    spec = doc.get("spec") or {}
    name = meta.get("name") or "(unnamed)"
    where = f"{source}: Trigger {name}" if source else f"Trigger {name}"
    attrs = (spec.get("filter") or {}).get("attributes") or {}
    if not isinstance(attrs, dict):
        raise KnotebookError(f"{where}: spec.filter.attributes must be a mapping")
    filters = spec.get("filters") or []
    if not isinstance(filters, list):
        raise KnotebookError(f"{where}: spec.filters must be a list")
    subscriber = spec.get("subscriber") or {}
    ref = subscriber.get("ref") or {}
    uri = subscriber.get("uri") or ""
    try:
        delivery = DeliverySpec.parse(spec.get("delivery") or defaults or DEFAULT_DELIVERY)
    except KnotebookError as exc:
        raise KnotebookError(f"{where}: {exc}") from None
    return Trigger(
        name=name,
        broker=spec.get("broker") or "default",
        filter={str(k): "" if v is None else str(v) for k, v in attrs.items()},
        filters=tuple(filters),
        subscriber=ref.get("name") or uri,
        path=uri if ref and uri.startswith("/") else "/",
        uri="" if ref else uri,
        delivery=delivery,
        source=source,
    )


def load(path: str | Path, defaults: dict | None = None) -> list[Trigger]:
    """Every ``kind: Trigger`` document of a YAML file (``k8s/trigger.yaml``)."""
    path = Path(path)
    try:
        import yaml
    except ImportError:
        raise KnotebookError("reading trigger.yaml needs PyYAML: pip install pyyaml") from None
    try:
        docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise KnotebookError(f"{path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise KnotebookError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    return [
        from_document(doc, str(path), defaults)
        for doc in docs
        if isinstance(doc, dict) and doc.get("kind") == "Trigger"
    ]
