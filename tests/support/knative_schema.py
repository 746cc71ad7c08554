"""Offline validation of generated Kubernetes/Knative manifests.

Two layers, mirroring what a cluster does with ``kubectl apply``:

1. **Structural schema** — the CRD ``openAPIV3Schema`` copied in ``tests/data/knative-crds/``,
   converted to JSON Schema the way the API server treats it (strict field validation):
   objects with ``properties`` reject unknown fields unless
   ``x-kubernetes-preserve-unknown-fields``; ``x-kubernetes-int-or-string`` → integer|string;
   ``nullable`` → null allowed; ``list-type: map`` → unique keys. For eventing kinds the
   webhook decodes with ``DisallowUnknownFields``, so preserved objects that list
   ``properties`` (Trigger ``spec``, ``delivery``) are closed too, the Go fields the CRD omits
   are added (``delivery.timeout``, ``retryAfterMax``, ``format``), and the fully preserved
   leaves (``filter.attributes``, ``filters[]``) get explicit schemas.
2. **Webhook rules** that matter for generated manifests (Knative Serving / Eventing validation
   and Kubernetes name/label rules), implemented in Python.

Public API: :func:`validate_manifest`, :func:`validate_documents`, :func:`load_yaml_documents`.
"""

from __future__ import annotations

import base64
import binascii
import copy
import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from jsonschema import Draft202012Validator, ValidationError, validators

__all__ = [
    "CRD_DIR",
    "crd_to_jsonschema",
    "load_yaml_documents",
    "schema_for",
    "validate_documents",
    "validate_manifest",
]

CRD_DIR = Path(__file__).resolve().parent.parent / "data" / "knative-crds"

PathT = tuple[str | int, ...]
Problem = tuple[PathT, str]

SERVING = "serving.knative.dev/v1"
EVENTING = "eventing.knative.dev/v1"
AUTOSCALING_PREFIX = "autoscaling.knative.dev/"
RESERVED_PORTS = frozenset({8012, 8013, 8022, 9090, 9091, 8008})
RESERVED_ENV = frozenset({"PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION"})
PROBE_HANDLERS = ("exec", "grpc", "httpGet", "tcpSocket")
SECRET_TYPES = (
    "Opaque",
    "kubernetes.io/service-account-token",
    "kubernetes.io/dockercfg",
    "kubernetes.io/dockerconfigjson",
    "kubernetes.io/basic-auth",
    "kubernetes.io/ssh-auth",
    "kubernetes.io/tls",
    "bootstrap.kubernetes.io/token",
)
# Cluster defaults (config-defaults): container-concurrency-max-limit, max-revision-timeout-seconds.
MAX_CONTAINER_CONCURRENCY = 1000
MAX_TIMEOUT_SECONDS = 600

ATTRIBUTE_NAME = r"^[a-z][a-z0-9]*$"
CONFIG_KEY = r"^(?!\.\.)(?!\.$)[-._a-zA-Z0-9]+$"
_N = r"\d+(?:[.,]\d+)?"
ISO8601_DURATION = (
    rf"^[-+]?P(?!$)(?:{_N}Y)?(?:{_N}M)?(?:{_N}W)?(?:{_N}D)?"
    rf"(?:T(?=\d)(?:{_N}H)?(?:{_N}M)?(?:{_N}S)?)?$"
)

_DNS1123_LABEL = re.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(
    r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*"
)
_DNS1035_LABEL = re.compile(r"[a-z](?:[-a-z0-9]*[a-z0-9])?")
_QUALIFIED_NAME = re.compile(r"(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_NON_NEG_INT = re.compile(r"[0-9]+")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# --------------------------------------------------------------------------------------------
# YAML loading


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys and keeps timestamps as strings."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # unhashable key: let SafeLoader report it
                continue
            if duplicate:
                first = seen[key].start_mark.line + 1
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r} (first defined on line {first})",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


# sigs.k8s.io/yaml (go-yaml v2) decodes timestamp-looking scalars into interface{} as strings.
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml_documents(text: str) -> list[dict[str, Any]]:
    """Parse multi-document YAML; empty documents are skipped.

    Raises ValueError on YAML errors, duplicate keys and documents that are not mappings.
    """
    try:
        docs = list(yaml.load_all(text, Loader=_StrictLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ValueError(f"invalid YAML: {exc.problem}{where}") from exc
    except yaml.YAMLError as exc:
        raise ValueError(f"invalid YAML: {exc}") from exc
    result: list[dict[str, Any]] = []
    for index, doc in enumerate(docs, start=1):
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise ValueError(f"document {index} is not a mapping (got {type(doc).__name__})")
        result.append(doc)
    return result


# --------------------------------------------------------------------------------------------
# CRD openAPIV3Schema -> JSON Schema

_DROPPED = frozenset(
    {
        "description",
        "default",
        "example",
        "format",
        "nullable",
        "x-kubernetes-preserve-unknown-fields",
        "x-kubernetes-int-or-string",
        "x-kubernetes-list-type",
        "x-kubernetes-list-map-keys",
        "x-kubernetes-map-type",
    }
)
_PASSTHROUGH = frozenset(
    {
        "type",
        "required",
        "enum",
        "pattern",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "uniqueItems",
        "multipleOf",
        "title",
    }
)
_INT_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_INT_OR_STRING = [{"type": "integer"}, {"type": "string"}]


def crd_to_jsonschema(node: Mapping[str, Any], *, close_preserved: bool = False) -> dict[str, Any]:
    """Convert an openAPIV3Schema node to JSON Schema (see module docstring for the rules).

    Unknown keywords (e.g. CEL ``x-kubernetes-validations``) raise ValueError rather than being
    silently ignored.
    """

    def sub(child: Mapping[str, Any]) -> dict[str, Any]:
        return crd_to_jsonschema(child, close_preserved=close_preserved)

    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED:
            continue
        if key == "properties":
            out[key] = {name: sub(child) for name, child in value.items()}
        elif key in ("items", "not"):
            out[key] = sub(value)
        elif key == "additionalProperties":
            out[key] = sub(value) if isinstance(value, Mapping) else value
        elif key in ("anyOf", "allOf", "oneOf"):
            out[key] = [sub(child) for child in value]
        elif key in _PASSTHROUGH:
            out[key] = copy.deepcopy(value)
        else:
            raise ValueError(f"unsupported openAPIV3Schema keyword {key!r}")

    preserved = node.get("x-kubernetes-preserve-unknown-fields") is True
    closable = "properties" in node and "additionalProperties" not in node
    if closable and (close_preserved or not preserved):
        out["additionalProperties"] = False
    if node.get("x-kubernetes-int-or-string") and "anyOf" not in out:
        out["anyOf"] = copy.deepcopy(_INT_OR_STRING)
    if node.get("type") == "integer" and node.get("format") in _INT_BOUNDS:
        low, high = _INT_BOUNDS[node["format"]]
        out.setdefault("minimum", low)
        out.setdefault("maximum", high)
    list_type = node.get("x-kubernetes-list-type")
    if list_type == "map":
        out["x-list-map-keys"] = list(node.get("x-kubernetes-list-map-keys", []))
    elif list_type == "set":
        out["uniqueItems"] = True
    if node.get("nullable") is True:
        if "type" in out:
            out["type"] = [out["type"], "null"]
        elif "anyOf" in out:
            out["anyOf"].append({"type": "null"})
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def _list_map_keys(
    validator: Any, keys: list[str], instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    """Custom keyword: entries of a ``list-type: map`` list must have unique keys."""
    if not validator.is_type(instance, "array"):
        return
    seen: dict[str, int] = {}
    for index, item in enumerate(instance):
        if not isinstance(item, dict):
            continue
        values = {k: item.get(k) for k in keys}
        token = json.dumps(values, sort_keys=True, default=str)
        if token in seen:
            shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
            yield ValidationError(
                f"duplicate entry ({shown}); same key as [{seen[token]}]", path=(index,)
            )
        else:
            seen[token] = index


_Validator = validators.extend(Draft202012Validator, {"x-list-map-keys": _list_map_keys})


def _map(value_schema: Mapping[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": dict(value_schema or {"type": "string"}),
        **extra,
    }


_OBJECT_META: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "generateName": {"type": "string"},
        "namespace": {"type": "string"},
        "labels": _map(),
        "annotations": _map(),
        "finalizers": {"type": "array", "items": {"type": "string"}},
        "uid": {"type": "string"},
        "resourceVersion": {"type": "string"},
        "selfLink": {"type": "string"},
        "generation": {"type": "integer"},
        "creationTimestamp": {"type": ["string", "null"]},
        "deletionTimestamp": {"type": ["string", "null"]},
        "deletionGracePeriodSeconds": {"type": "integer"},
        "ownerReferences": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["apiVersion", "kind", "name", "uid"],
                "properties": {
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string"},
                    "name": {"type": "string"},
                    "uid": {"type": "string"},
                    "controller": {"type": "boolean"},
                    "blockOwnerDeletion": {"type": "boolean"},
                },
            },
        },
        "managedFields": {"type": "array", "items": {"type": "object"}},
    },
}

_DURATION = {
    "type": "string",
    "pattern": ISO8601_DURATION,
    "x-message": "must be an ISO-8601 duration such as PT1S or PT0.2S",
}
_ATTRIBUTE_NAMES = {
    "pattern": ATTRIBUTE_NAME,
    "x-message": "attribute names must match ^[a-z][a-z0-9]*$ (lowercase CloudEvents names)",
}
_ATTRIBUTES = _map(propertyNames=_ATTRIBUTE_NAMES)
_SINGLE_ATTRIBUTE = _map(
    {"type": "string", "minLength": 1}, propertyNames=_ATTRIBUTE_NAMES, maxProperties=1
)
_FILTER_REF = {"$ref": "#/$defs/subscriptionsAPIFilter"}
_SUBSCRIPTIONS_API_FILTER: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "exact": _SINGLE_ATTRIBUTE,
        "prefix": _SINGLE_ATTRIBUTE,
        "suffix": _SINGLE_ATTRIBUTE,
        "all": {"type": "array", "minItems": 1, "items": _FILTER_REF},
        "any": {"type": "array", "minItems": 1, "items": _FILTER_REF},
        "not": _FILTER_REF,
        "cesql": {"type": "string"},
    },
}
_CONFIG_KEYS = {
    "pattern": CONFIG_KEY,
    "maxLength": 253,
    "x-message": "keys must consist of alphanumerics, '-', '_' or '.' (no spaces, not '.'/'..')",
}


def _load_crd_schema(filename: str, kind: str) -> dict[str, Any]:
    text = (CRD_DIR / filename).read_text(encoding="utf-8")
    crd = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if crd["spec"]["names"]["kind"] != kind:
        raise ValueError(f"{filename} defines {crd['spec']['names']['kind']}, expected {kind}")
    for version in crd["spec"]["versions"]:
        if version["name"] == "v1":
            return version["schema"]["openAPIV3Schema"]
    raise ValueError(f"{filename} has no v1 version")


def _with_envelope(
    schema: dict[str, Any], api_version: str, kind: str, required: Iterable[str] = ()
) -> dict[str, Any]:
    """Inject apiVersion/kind consts and ObjectMeta at the root, and close the root."""
    schema = dict(schema)
    props = dict(schema.get("properties", {}))
    props.update(
        apiVersion={"const": api_version},
        kind={"const": kind},
        metadata=copy.deepcopy(_OBJECT_META),
    )
    schema.update(
        type="object",
        properties=props,
        additionalProperties=False,
        required=sorted({*schema.get("required", ()), "apiVersion", "kind", "metadata", *required}),
    )
    return schema


def _patch_delivery(delivery: dict[str, Any]) -> None:
    props = delivery["properties"]
    for name in ("timeout", "retryAfterMax", "format"):  # Go fields the CRD schema omits
        props.setdefault(name, {"type": "string"})
    props["retry"]["minimum"] = 0
    props["backoffPolicy"]["enum"] = ["linear", "exponential"]
    props["format"]["enum"] = ["json", "binary"]
    for name in ("backoffDelay", "timeout", "retryAfterMax"):
        props[name] = copy.deepcopy(_DURATION)
    delivery["additionalProperties"] = False


def _service_schema() -> dict[str, Any]:
    raw = _load_crd_schema("serving-service.yaml", "Service")
    return _with_envelope(crd_to_jsonschema(raw), SERVING, "Service", required=["spec"])


def _trigger_schema() -> dict[str, Any]:
    raw = _load_crd_schema("eventing-trigger.yaml", "Trigger")
    # The CRD marks spec preserve-unknown-fields but lists every TriggerSpec field, so it is
    # closed like the webhook's DisallowUnknownFields decoder.
    schema = crd_to_jsonschema(raw, close_preserved=True)
    spec = schema["properties"]["spec"]
    spec["required"] = ["subscriber"]
    _patch_delivery(spec["properties"]["delivery"])
    spec["properties"]["filter"]["properties"]["attributes"] = copy.deepcopy(_ATTRIBUTES)
    spec["properties"]["filters"]["items"] = dict(_FILTER_REF)
    schema["$defs"] = {"subscriptionsAPIFilter": copy.deepcopy(_SUBSCRIPTIONS_API_FILTER)}
    return _with_envelope(schema, EVENTING, "Trigger", required=["spec"])


def _broker_schema() -> dict[str, Any]:
    raw = _load_crd_schema("eventing-broker.yaml", "Broker")
    schema = crd_to_jsonschema(raw, close_preserved=True)
    _patch_delivery(schema["properties"]["spec"]["properties"]["delivery"])
    return _with_envelope(schema, EVENTING, "Broker")


def _secret_schema() -> dict[str, Any]:
    props = {
        "data": _map(propertyNames=_CONFIG_KEYS),
        "stringData": _map(propertyNames=_CONFIG_KEYS),
        "type": {"enum": list(SECRET_TYPES)},
        "immutable": {"type": "boolean"},
    }
    return _with_envelope({"properties": props}, "v1", "Secret")


def _configmap_schema() -> dict[str, Any]:
    props = {
        "data": _map(propertyNames=_CONFIG_KEYS),
        "binaryData": _map(propertyNames=_CONFIG_KEYS),
        "immutable": {"type": "boolean"},
    }
    return _with_envelope({"properties": props}, "v1", "ConfigMap")


_SCHEMA_FACTORIES: dict[tuple[str, str], Callable[[], dict[str, Any]]] = {
    (SERVING, "Service"): _service_schema,
    (EVENTING, "Trigger"): _trigger_schema,
    (EVENTING, "Broker"): _broker_schema,
    ("v1", "Secret"): _secret_schema,
    ("v1", "ConfigMap"): _configmap_schema,
}


@functools.cache
def schema_for(api_version: str, kind: str) -> dict[str, Any]:
    """Return the (cached) JSON Schema for a supported apiVersion/kind; KeyError otherwise."""
    return _SCHEMA_FACTORIES[(api_version, kind)]()


@functools.cache
def _validator(api_version: str, kind: str) -> Any:
    return _Validator(schema_for(api_version, kind))


# --------------------------------------------------------------------------------------------
# Schema errors -> problems


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


def _describe(value: Any) -> str:
    if isinstance(value, dict | list):
        return _json_type(value)
    return f"{_json_type(value)} {json.dumps(value, default=str)}"


def _is_int_or_string(any_of: Any) -> bool:
    types = (
        {s.get("type") for s in any_of if isinstance(s, dict)} if isinstance(any_of, list) else ()
    )
    return {"integer", "string"} <= set(types) <= {"integer", "string", "null"}


def _schema_problems(doc: Mapping[str, Any]) -> Iterator[Problem]:
    validator = _validator(doc["apiVersion"], doc["kind"])
    for err in validator.iter_errors(doc):
        path: PathT = tuple(err.absolute_path)
        schema_path = list(err.relative_schema_path)
        hint = err.schema.get("x-message") if isinstance(err.schema, dict) else None
        if len(schema_path) >= 2 and schema_path[-2] == "propertyNames":
            yield (*path, err.instance), f"invalid key: {hint or err.message}"
        elif hint:
            yield path, f"{hint}, got {_describe(err.instance)}"
        elif err.validator == "additionalProperties" and err.validator_value is False:
            known = set(err.schema.get("properties", {}))
            for key in err.instance:
                if key not in known:
                    yield (*path, key), "unknown field"
        elif err.validator == "required" and isinstance(err.instance, dict):
            for key in err.validator_value:
                if key not in err.instance:
                    yield (*path, key), "required field is missing"
        elif err.validator == "anyOf" and _is_int_or_string(err.validator_value):
            yield path, f"must be an integer or a string, got {_describe(err.instance)}"
        elif err.validator == "type":
            wanted = err.validator_value
            wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
            msg = f"must be of type {wanted}, got {_describe(err.instance)}"
            if wanted == "string" and isinstance(err.instance, int | float | bool):
                msg += " (quote the value in YAML)"
            yield path, msg
        else:
            yield path, err.message


# --------------------------------------------------------------------------------------------
# Kubernetes object-meta rules


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dns1123_label(value: str) -> str | None:
    if len(value) > 63 or not _DNS1123_LABEL.fullmatch(value):
        return "must be a DNS-1123 label (lowercase alphanumerics and '-', at most 63 characters)"
    return None


def _dns1123_subdomain(value: str) -> str | None:
    if len(value) > 253 or not _DNS1123_SUBDOMAIN.fullmatch(value):
        return "must be a DNS-1123 subdomain (lowercase alphanumerics, '-' and '.', ≤ 253)"
    return None


def _dns1035_label(value: str) -> str | None:
    if len(value) > 63 or not _DNS1035_LABEL.fullmatch(value):
        return (
            "must be a DNS-1035 label (start with a lowercase letter, then lowercase "
            "alphanumerics or '-', at most 63 characters)"
        )
    return None


def _qualified_name(key: str) -> str | None:
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or _dns1123_subdomain(prefix)):
        return "prefix must be a DNS-1123 subdomain"
    if len(name) > 63 or not _QUALIFIED_NAME.fullmatch(name):
        return "name part must be ≤ 63 alphanumerics, '-', '_' or '.', starting and ending alnum"
    return None


def _label_value(value: str) -> str | None:
    if value and (len(value) > 63 or not _QUALIFIED_NAME.fullmatch(value)):
        return "must be empty or ≤ 63 alphanumerics, '-', '_' or '.', starting and ending alnum"
    return None


def _meta_problems(
    meta: Mapping[str, Any], path: PathT, name_rule: Callable[[str], str | None] | None
) -> Iterator[Problem]:
    name = meta.get("name")
    if name_rule is not None:
        if name is None:
            yield (*path, "name"), "required field is missing (kubectl apply needs a name)"
        elif isinstance(name, str) and (msg := name_rule(name)):
            yield (*path, "name"), f"{name!r} {msg}"
    namespace = meta.get("namespace")
    if isinstance(namespace, str) and (msg := _dns1123_label(namespace)):
        yield (*path, "namespace"), f"{namespace!r} {msg}"
    for key, value in _as_dict(meta.get("labels")).items():
        if isinstance(key, str) and (msg := _qualified_name(key)):
            yield (*path, "labels", key), f"invalid label key: {msg}"
        if isinstance(value, str) and (msg := _label_value(value)):
            yield (*path, "labels", key), f"invalid label value {value!r}: {msg}"
    for key in _as_dict(meta.get("annotations")):
        if isinstance(key, str) and (msg := _qualified_name(key.lower())):
            yield (*path, "annotations", key), f"invalid annotation key: {msg}"


# --------------------------------------------------------------------------------------------
# Knative Serving webhook rules


def _scale_problems(annotations: Mapping[str, Any], path: PathT) -> Iterator[Problem]:
    values: dict[str, tuple[str, int]] = {}
    for canonical, alias in (
        ("min-scale", "minScale"),
        ("max-scale", "maxScale"),
        ("initial-scale", "initialScale"),
    ):
        # The kebab-case key wins over its camelCase alias (kmap.KeyPriority).
        for key in (AUTOSCALING_PREFIX + canonical, AUTOSCALING_PREFIX + alias):
            if key not in annotations:
                continue
            value = annotations[key]
            if isinstance(value, str):  # non-strings are reported by the schema
                if _NON_NEG_INT.fullmatch(value) and int(value) <= 2**31 - 1:
                    values[canonical] = (key, int(value))
                else:
                    yield (*path, key), f"must be a string holding an integer >= 0, got {value!r}"
            break
    if "min-scale" in values and "max-scale" in values:
        max_key, max_value = values["max-scale"]
        min_value = values["min-scale"][1]
        if max_value != 0 and max_value < min_value:
            yield (
                (*path, max_key),
                f"max-scale {max_value} must be >= min-scale {min_value} (or 0 = unlimited)",
            )


def _container_problems(container: Mapping[str, Any], path: PathT) -> Iterator[Problem]:
    image = container.get("image")
    if not image:
        yield (*path, "image"), "required field is missing"
    ports = _as_list(container.get("ports"))
    if len(ports) > 1:
        yield (*path, "ports"), f"at most one container port is allowed, got {len(ports)}"
    for index, port in enumerate(ports):
        port = _as_dict(port)
        number = port.get("containerPort")
        if isinstance(number, int) and not isinstance(number, bool):
            if number in RESERVED_PORTS:
                reserved = ", ".join(map(str, sorted(RESERVED_PORTS)))
                yield (
                    (*path, "ports", index, "containerPort"),
                    f"port {number} is reserved by Knative ({reserved})",
                )
            elif not 0 <= number <= 65535:
                yield (*path, "ports", index, "containerPort"), f"{number} is not a valid port"
        if port.get("name") not in (None, "", "h2c", "http1"):
            yield (*path, "ports", index, "name"), "must be one of '', 'h2c', 'http1'"
        if port.get("protocol") not in (None, "", "TCP"):
            yield (*path, "ports", index, "protocol"), "only TCP is supported"
    for index, env in enumerate(_as_list(container.get("env"))):
        name = _as_dict(env).get("name")
        if isinstance(name, str) and name in RESERVED_ENV:
            yield (*path, "env", index, "name"), f"{name!r} is a reserved environment variable"
    for index, source in enumerate(_as_list(container.get("envFrom"))):
        given = [k for k in ("configMapRef", "secretRef") if _as_dict(source).get(k) is not None]
        if len(given) != 1:
            yield (
                (*path, "envFrom", index),
                f"expected exactly one of configMapRef, secretRef, got {given or 'none'}",
            )
    for probe_name in ("readinessProbe", "livenessProbe", "startupProbe"):
        probe = _as_dict(container.get(probe_name))
        handlers = [h for h in PROBE_HANDLERS if probe.get(h) is not None]
        if len(handlers) > 1:
            yield (*path, probe_name), f"expected exactly one handler, got {handlers}"


def _service_problems(doc: Mapping[str, Any]) -> Iterator[Problem]:
    for key in _as_dict(_as_dict(doc.get("metadata")).get("annotations")):
        if isinstance(key, str) and key.startswith(AUTOSCALING_PREFIX):
            yield (
                ("metadata", "annotations", key),
                "autoscaling annotations must be put under spec.template.metadata.annotations",
            )
    template = _as_dict(_as_dict(doc.get("spec")).get("template"))
    tpath: PathT = ("spec", "template")
    tmeta = _as_dict(template.get("metadata"))
    yield from _meta_problems(tmeta, (*tpath, "metadata"), None)
    yield from _scale_problems(
        _as_dict(tmeta.get("annotations")), (*tpath, "metadata", "annotations")
    )

    pod = _as_dict(template.get("spec"))
    ppath: PathT = (*tpath, "spec")
    containers = pod.get("containers")
    if isinstance(containers, list):
        if not containers:
            yield (*ppath, "containers"), "at least one container is required"
        for index, container in enumerate(containers):
            if isinstance(container, dict):
                yield from _container_problems(container, (*ppath, "containers", index))
        if len(containers) > 1:
            with_ports = sum(1 for c in containers if _as_list(_as_dict(c).get("ports")))
            if with_ports != 1:
                yield (
                    (*ppath, "containers"),
                    f"exactly one container must declare a port, got {with_ports}",
                )
    concurrency = pod.get("containerConcurrency")
    if isinstance(concurrency, int) and not 0 <= concurrency <= MAX_CONTAINER_CONCURRENCY:
        yield (
            (*ppath, "containerConcurrency"),
            f"must be between 0 and {MAX_CONTAINER_CONCURRENCY} (default cluster limit)",
        )
    timeout = pod.get("timeoutSeconds")
    if isinstance(timeout, int) and not 0 <= timeout <= MAX_TIMEOUT_SECONDS:
        yield (
            (*ppath, "timeoutSeconds"),
            f"must be between 0 and {MAX_TIMEOUT_SECONDS} (default max-revision-timeout-seconds)",
        )


# --------------------------------------------------------------------------------------------
# Knative Eventing webhook rules


def _destination_problems(dest: Any, path: PathT, namespace: str | None) -> Iterator[Problem]:
    if not isinstance(dest, dict):
        return
    ref, uri = dest.get("ref"), dest.get("uri")
    if ref is None and not uri:
        yield path, "expected at least one of ref, uri"
    if isinstance(uri, str) and uri:
        parts = urlsplit(uri)
        if ref is not None and parts.scheme:
            yield (*path, "uri"), "an absolute URI is not allowed together with ref"
        if ref is None and not (parts.scheme and parts.netloc):
            yield (*path, "uri"), f"must be an absolute URI with a host, got {uri!r}"
    if isinstance(ref, dict):
        for field in ("apiVersion", "kind", "name"):
            if not ref.get(field):
                yield (*path, "ref", field), "required field is missing"
        ref_ns = ref.get("namespace")
        if ref_ns and namespace and ref_ns != namespace:
            yield (*path, "ref", "namespace"), f"must equal the object's namespace {namespace!r}"


def _filter_problems(flt: Any, path: PathT) -> Iterator[Problem]:
    if not isinstance(flt, dict):
        return
    dialects = [k for k in ("exact", "prefix", "suffix", "all", "any") if flt.get(k)]
    dialects += [k for k in ("not", "cesql") if flt.get(k) not in (None, "")]
    if len(dialects) > 1:
        yield path, f"multiple dialects found ({', '.join(dialects)}); use exactly one"
    for key in ("all", "any"):
        for index, nested in enumerate(_as_list(flt.get(key))):
            yield from _filter_problems(nested, (*path, key, index))
    yield from _filter_problems(flt.get("not"), (*path, "not"))


def _trigger_problems(doc: Mapping[str, Any]) -> Iterator[Problem]:
    spec = _as_dict(doc.get("spec"))
    namespace = _as_dict(doc.get("metadata")).get("namespace")
    has_broker = isinstance(spec.get("broker"), str) and spec["broker"] != ""
    has_ref = spec.get("brokerRef") is not None
    if has_broker == has_ref:
        got = "both" if has_broker else "none"
        yield ("spec", "broker"), f"expected exactly one of broker, brokerRef, got {got}"
    yield from _destination_problems(spec.get("subscriber"), ("spec", "subscriber"), namespace)
    dls = _as_dict(spec.get("delivery")).get("deadLetterSink")
    yield from _destination_problems(dls, ("spec", "delivery", "deadLetterSink"), namespace)
    for index, flt in enumerate(_as_list(spec.get("filters"))):
        yield from _filter_problems(flt, ("spec", "filters", index))


def _broker_problems(doc: Mapping[str, Any]) -> Iterator[Problem]:
    namespace = _as_dict(doc.get("metadata")).get("namespace")
    dls = _as_dict(_as_dict(_as_dict(doc.get("spec")).get("delivery")).get("deadLetterSink"))
    if dls:
        yield from _destination_problems(dls, ("spec", "delivery", "deadLetterSink"), namespace)


# --------------------------------------------------------------------------------------------
# Core v1 rules


def _base64_problems(data: Any, path: PathT) -> Iterator[Problem]:
    for key, value in _as_dict(data).items():
        if isinstance(value, str):
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                yield (*path, key), "value is not valid (padded, standard) base64"


def _secret_problems(doc: Mapping[str, Any]) -> Iterator[Problem]:
    yield from _base64_problems(doc.get("data"), ("data",))


def _configmap_problems(doc: Mapping[str, Any]) -> Iterator[Problem]:
    yield from _base64_problems(doc.get("binaryData"), ("binaryData",))
    for key in set(_as_dict(doc.get("data"))) & set(_as_dict(doc.get("binaryData"))):
        yield ("binaryData", key), "duplicate of a key in data"


NameRule = Callable[[str], str | None]
KindRules = Callable[[Mapping[str, Any]], Iterator[Problem]]

_RULES: dict[tuple[str, str], tuple[NameRule, KindRules]] = {
    (SERVING, "Service"): (_dns1035_label, _service_problems),
    (EVENTING, "Trigger"): (_dns1123_subdomain, _trigger_problems),
    (EVENTING, "Broker"): (_dns1123_subdomain, _broker_problems),
    ("v1", "Secret"): (_dns1123_subdomain, _secret_problems),
    ("v1", "ConfigMap"): (_dns1123_subdomain, _configmap_problems),
}


# --------------------------------------------------------------------------------------------
# Public API


def _format_path(path: PathT) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and _IDENT.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part, default=str)}]"
    return out


def _problems(doc: Any) -> list[Problem]:
    if not isinstance(doc, dict):
        return [((), f"document must be a mapping, got {_json_type(doc)}")]
    key = (doc.get("apiVersion"), doc.get("kind"))
    if not all(isinstance(part, str) for part in key) or key not in _RULES:
        supported = ", ".join(f"{a} {k}" for a, k in _RULES)
        return [((), f"unsupported apiVersion/kind {key[0]!r}/{key[1]!r} (supported: {supported})")]
    name_rule, rules = _RULES[key]
    found = list(_schema_problems(doc))
    found += _meta_problems(_as_dict(doc.get("metadata")), ("metadata",), name_rule)
    found += rules(doc)
    unique = dict.fromkeys(found)  # de-duplicate, keep order
    return sorted(unique, key=lambda p: (_format_path(p[0]), p[1]))


def _render(label: str, problems: Iterable[Problem]) -> list[str]:
    out = []
    for path, message in problems:
        where = _format_path(path)
        out.append(f"{label} {where}: {message}" if where else f"{label}: {message}")
    return out


def validate_manifest(doc: dict[str, Any]) -> list[str]:
    """Validate one manifest; return human-readable errors ("Kind path: message"), [] if valid."""
    label = str(doc.get("kind") or "<no kind>") if isinstance(doc, dict) else "<document>"
    return _render(label, _problems(doc))


def validate_documents(text: str) -> list[str]:
    """Validate multi-document YAML (e.g. ``kubectl kustomize`` output).

    Errors are prefixed with ``Kind/name``; YAML problems (including duplicate keys), an empty
    stream and duplicate objects are reported as errors too.
    """
    try:
        docs = load_yaml_documents(text)
    except ValueError as exc:
        return [str(exc)]
    if not docs:
        return ["no Kubernetes objects found"]
    errors: list[str] = []
    seen: dict[str, int] = {}
    for index, doc in enumerate(docs, start=1):
        meta = _as_dict(doc.get("metadata"))
        name = meta.get("name")
        label = f"{doc.get('kind') or '<no kind>'}/{name or f'<unnamed document {index}>'}"
        identity = json.dumps(
            [doc.get("apiVersion"), doc.get("kind"), meta.get("namespace"), name], default=str
        )
        if name and identity in seen:
            errors.append(f"{label}: duplicate object (same as document {seen[identity]})")
        seen.setdefault(identity, index)
        errors.extend(_render(label, _problems(doc)))
    return errors
