"""Tests for the offline Knative manifest validator (tests/support/knative_schema.py)."""

from __future__ import annotations

import copy

import pytest
import yaml
from jsonschema import Draft202012Validator

from tests.support.knative_schema import (
    CRD_DIR,
    crd_to_jsonschema,
    load_yaml_documents,
    schema_for,
    validate_documents,
    validate_manifest,
)

SERVICE = """\
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: vm-powered-off-notifier
  namespace: vmware-functions
  labels:
    app.kubernetes.io/name: vm-powered-off-notifier
spec:
  template:
    metadata:
      annotations:
        autoscaling.knative.dev/min-scale: "1"
        autoscaling.knative.dev/max-scale: "1"
    spec:
      containerConcurrency: 1
      timeoutSeconds: 300
      containers:
        - name: function
          image: registry.example.com/functions/vm-powered-off-notifier:0.1.0
          ports:
            - containerPort: 8080
          env:
            - name: LOG_LEVEL
              value: info
          envFrom:
            - secretRef:
                name: vm-powered-off-notifier-env-7c6f8k2m9d
          readinessProbe:
            httpGet:
              path: /healthz
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
            limits:
              memory: 512Mi
"""

TRIGGER = """\
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: vm-powered-off-notifier-vmpoweredoffevent
  namespace: vmware-functions
  labels:
    app.kubernetes.io/name: vm-powered-off-notifier
spec:
  broker: default
  filter:
    attributes:
      type: com.vmware.vsphere.VmPoweredOffEvent.v0
  subscriber:
    ref:
      apiVersion: serving.knative.dev/v1
      kind: Service
      name: vm-powered-off-notifier
  delivery:
    retry: 3
    backoffPolicy: exponential
    backoffDelay: PT1S
"""

SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: vm-powered-off-notifier-env-7c6f8k2m9d
  namespace: vmware-functions
type: Opaque
data:
  ENV1: VkFMVUUx
"""

BROKER = """\
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: default
  namespace: vmware-functions
  annotations:
    eventing.knative.dev/broker.class: RabbitMQBroker
spec:
  config:
    apiVersion: rabbitmq.com/v1beta1
    kind: RabbitmqCluster
    name: veba-rabbit
  delivery:
    retry: 2
    backoffPolicy: linear
    backoffDelay: PT1S
"""

SOURCES = {"Service": SERVICE, "Trigger": TRIGGER, "Secret": SECRET, "Broker": BROKER}


def _one(text: str) -> dict:
    (doc,) = load_yaml_documents(text)
    return doc


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"fixture does not contain {old!r}"
    return text.replace(old, new, 1)


def _assert_error(errors: list[str], *fragments: str) -> None:
    assert any(all(f in e for f in fragments) for e in errors), (
        f"no error containing {fragments!r}; got:\n" + "\n".join(errors)
    )


# ------------------------------------------------------------------------------------------
# Valid manifests


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_valid_manifest_passes(kind: str) -> None:
    assert validate_manifest(_one(SOURCES[kind])) == []


def test_valid_kustomize_output_passes() -> None:
    text = "---\n".join([SECRET, SERVICE, TRIGGER])
    assert validate_documents(text) == []


def test_optional_fields_the_webhook_knows_are_accepted() -> None:
    trigger = _one(TRIGGER)
    trigger["spec"]["delivery"].update(timeout="PT30S", retryAfterMax="PT2M", format="json")
    trigger["spec"]["delivery"]["deadLetterSink"] = {"uri": "http://dlq.example.svc/"}
    trigger["spec"]["filters"] = [
        {"exact": {"type": "com.vmware.vsphere.VmPoweredOffEvent.v0"}},
        {"any": [{"prefix": {"subject": "Vm"}}, {"not": {"suffix": {"source": "/sdk"}}}]},
        {"cesql": "type LIKE 'com.vmware.%'"},
    ]
    service = _one(SERVICE)
    annotations = service["spec"]["template"]["metadata"]["annotations"]
    annotations.update({"autoscaling.knative.dev/max-scale": "0"})  # 0 = unlimited
    assert validate_manifest(trigger) == []
    assert validate_manifest(service) == []


# ------------------------------------------------------------------------------------------
# Failures required by the kit (each must name the offending field)

FAILURES = [
    pytest.param(
        "Service",
        'min-scale: "1"',
        "min-scale: 1",
        ('spec.template.metadata.annotations["autoscaling.knative.dev/min-scale"]', "string"),
        id="unquoted-min-scale",
    ),
    pytest.param(
        "Service",
        "          image: registry",
        "          imagePullPolicyy: Always\n          image: registry",
        ("spec.template.spec.containers[0].imagePullPolicyy", "unknown field"),
        id="unknown-container-field",
    ),
    pytest.param(
        "Service",
        "  namespace: vmware-functions\n",
        "  namespace: vmware-functions\n  annotations:\n"
        '    autoscaling.knative.dev/min-scale: "1"\n',
        (
            'Service metadata.annotations["autoscaling.knative.dev/min-scale"]',
            "spec.template.metadata.annotations",
        ),
        id="autoscaling-on-service-metadata",
    ),
    pytest.param(
        "Service",
        "            - containerPort: 8080\n",
        "            - containerPort: 8080\n            - containerPort: 9000\n",
        ("spec.template.spec.containers[0].ports", "at most one"),
        id="two-ports",
    ),
    pytest.param(
        "Service",
        "containerPort: 8080",
        "containerPort: 8012",
        ("spec.template.spec.containers[0].ports[0].containerPort", "8012", "reserved"),
        id="reserved-port",
    ),
    pytest.param(
        "Service",
        "- name: LOG_LEVEL\n              value: info",
        '- name: PORT\n              value: "9000"',
        ("spec.template.spec.containers[0].env[0].name", "PORT", "reserved"),
        id="env-port",
    ),
    pytest.param(
        "Trigger",
        "      type: com.vmware",
        "      Type: com.vmware",
        ("Trigger spec.filter.attributes.Type", "invalid key"),
        id="uppercase-filter-attribute",
    ),
    pytest.param(
        "Trigger",
        "backoffDelay: PT1S",
        "backoffDelay: 5s",
        ("spec.delivery.backoffDelay", "ISO-8601", '"5s"'),
        id="go-duration-backoff-delay",
    ),
    pytest.param(
        "Trigger",
        "  broker: default\n",
        "  broker: default\n  brokerName: default\n",
        ("Trigger spec.brokerName", "unknown field"),
        id="unknown-trigger-spec-field",
    ),
    pytest.param(
        "Secret",
        "  ENV1: VkFMVUUx",
        "  'ENV1 ': IFZBTFVFMQ==",
        ('Secret data["ENV1 "]', "invalid key"),
        id="secret-key-with-space",
    ),
    # Further webhook / schema rules.
    pytest.param(
        "Service",
        'min-scale: "1"\n        autoscaling.knative.dev/max-scale: "1"',
        'min-scale: "3"\n        autoscaling.knative.dev/max-scale: "2"',
        ("autoscaling.knative.dev/max-scale", "must be >= min-scale"),
        id="max-below-min",
    ),
    pytest.param(
        "Service",
        'min-scale: "1"',
        'min-scale: "1.5"',
        ("autoscaling.knative.dev/min-scale", "integer >= 0"),
        id="min-scale-not-integer",
    ),
    pytest.param(
        "Service",
        "                name: vm-powered-off-notifier-env-7c6f8k2m9d\n",
        "                name: vm-powered-off-notifier-env-7c6f8k2m9d\n"
        "              configMapRef:\n                name: other\n",
        ("spec.template.spec.containers[0].envFrom[0]", "exactly one of configMapRef, secretRef"),
        id="envfrom-both",
    ),
    pytest.param(
        "Service",
        "value: info",
        "value: info\n            - name: LOG_LEVEL\n              value: debug",
        ("spec.template.spec.containers[0].env[1]", "duplicate entry"),
        id="duplicate-env-name",
    ),
    pytest.param(
        "Service",
        "cpu: 100m",
        "cpu: 0.5",
        ("resources.requests.cpu", "integer or a string"),
        id="float-quantity",
    ),
    pytest.param(
        "Service",
        "  name: vm-powered-off-notifier\n",
        "  name: 1vm-notifier\n",
        ("Service metadata.name", "DNS-1035"),
        id="service-name-dns1035",
    ),
    pytest.param(
        "Service",
        "containerConcurrency: 1",
        'containerConcurrency: "1"',
        ("spec.template.spec.containerConcurrency", "integer"),
        id="string-concurrency",
    ),
    pytest.param(
        "Trigger",
        "  broker: default\n",
        "",
        ("Trigger spec.broker", "exactly one of broker, brokerRef"),
        id="missing-broker",
    ),
    pytest.param(
        "Trigger",
        "backoffPolicy: exponential",
        "backoffPolicy: exponentail",
        ("spec.delivery.backoffPolicy",),
        id="bad-backoff-policy",
    ),
    pytest.param(
        "Trigger",
        "retry: 3",
        "retry: -1",
        ("spec.delivery.retry",),
        id="negative-retry",
    ),
    pytest.param(
        "Trigger",
        "    ref:\n      apiVersion: serving.knative.dev/v1\n      kind: Service\n"
        "      name: vm-powered-off-notifier\n",
        "    uri: /events\n",
        ("spec.subscriber.uri", "absolute URI"),
        id="relative-uri-without-ref",
    ),
    pytest.param(
        "Trigger",
        "      kind: Service\n",
        "",
        ("spec.subscriber.ref.kind", "required"),
        id="subscriber-ref-without-kind",
    ),
    pytest.param(
        "Trigger",
        "    retry: 3\n",
        "    retry: 3\n    retries: 3\n",
        ("spec.delivery.retries", "unknown field"),
        id="unknown-delivery-field",
    ),
    pytest.param(
        "Trigger",
        "app.kubernetes.io/name: vm-powered-off-notifier",
        "app.kubernetes.io/name: com.vmware.vsphere.VmPoweredOffEvent.v0/",
        ('metadata.labels["app.kubernetes.io/name"]', "invalid label value"),
        id="bad-label-value",
    ),
    pytest.param(
        "Broker",
        "    retry: 2\n",
        "    retry: 2\n    maxRetries: 2\n",
        ("Broker spec.delivery.maxRetries", "unknown field"),
        id="unknown-broker-delivery-field",
    ),
    pytest.param(
        "Secret",
        "ENV1: VkFMVUUx",
        "ENV1: VALUE1 not base64",
        ("Secret data.ENV1", "base64"),
        id="secret-value-not-base64",
    ),
    pytest.param(
        "Secret",
        "type: Opaque",
        "type: Opaq",
        ("Secret type",),
        id="secret-type",
    ),
    pytest.param(
        "Secret",
        "  namespace: vmware-functions\n",
        "  namespace: vmware-functions\n  labelz: {}\n",
        ("Secret metadata.labelz", "unknown field"),
        id="unknown-metadata-field",
    ),
]


@pytest.mark.parametrize(("kind", "old", "new", "fragments"), FAILURES)
def test_invalid_manifest_fails(kind: str, old: str, new: str, fragments: tuple[str, ...]) -> None:
    errors = validate_manifest(_one(_replace(SOURCES[kind], old, new)))
    _assert_error(errors, *fragments)


def test_filters_with_two_dialects_fail() -> None:
    trigger = _one(TRIGGER)
    trigger["spec"]["filters"] = [{"exact": {"type": "a"}, "prefix": {"source": "b"}}]
    _assert_error(validate_manifest(trigger), "Trigger spec.filters[0]", "multiple dialects")


def test_trigger_spec_is_closed_although_crd_preserves_unknown_fields() -> None:
    crd = yaml.safe_load((CRD_DIR / "eventing-trigger.yaml").read_text(encoding="utf-8"))
    raw_spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert raw_spec["x-kubernetes-preserve-unknown-fields"] is True
    spec = schema_for("eventing.knative.dev/v1", "Trigger")["properties"]["spec"]
    assert spec["additionalProperties"] is False
    assert set(spec["properties"]) == {
        "broker",
        "brokerRef",
        "filter",
        "filters",
        "subscriber",
        "delivery",
    }
    delivery = spec["properties"]["delivery"]["properties"]
    assert {"timeout", "retryAfterMax", "format"} <= set(delivery)


def test_service_template_metadata_stays_open_like_the_crd() -> None:
    service = _one(SERVICE)
    service["spec"]["template"]["metadata"]["generation"] = 1  # preserved by the CRD
    assert validate_manifest(service) == []


# ------------------------------------------------------------------------------------------
# Documents, YAML loading and dispatch


def test_validate_documents_prefixes_kind_and_name() -> None:
    text = "---\n".join([SECRET, _replace(SERVICE, "containerPort: 8080", "containerPort: 9091")])
    errors = validate_documents(text)
    assert errors
    assert all(e.startswith("Service/vm-powered-off-notifier ") for e in errors), errors


def test_duplicate_yaml_key_is_rejected() -> None:
    text = _replace(TRIGGER, "  broker: default\n", "  broker: default\n  broker: other\n")
    with pytest.raises(ValueError, match="duplicate key 'broker'"):
        load_yaml_documents(text)
    _assert_error(validate_documents(text), "duplicate key 'broker'", "line")


def test_yaml_timestamps_stay_strings() -> None:
    assert load_yaml_documents("a: 2024-01-01\n---\n") == [{"a": "2024-01-01"}]


def test_non_mapping_document_is_rejected() -> None:
    with pytest.raises(ValueError, match="not a mapping"):
        load_yaml_documents("- a\n- b\n")


def test_unknown_kind_is_an_error() -> None:
    doc = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}}
    _assert_error(validate_manifest(doc), "unsupported apiVersion/kind", "Deployment")
    old_api = _one(_replace(SERVICE, "serving.knative.dev/v1", "serving.knative.dev/v1alpha1"))
    _assert_error(validate_manifest(old_api), "unsupported apiVersion/kind")


def test_empty_stream_and_duplicate_objects_are_errors() -> None:
    assert validate_documents("---\n") == ["no Kubernetes objects found"]
    _assert_error(validate_documents(SERVICE + "---\n" + SERVICE), "duplicate object")


# ------------------------------------------------------------------------------------------
# CRD -> JSON Schema conversion


def test_conversion_rules() -> None:
    node = {
        "type": "object",
        "description": "dropped",
        "properties": {
            "port": {"x-kubernetes-int-or-string": True},
            "n": {"type": "integer", "format": "int32", "nullable": True},
            "open": {
                "type": "object",
                "x-kubernetes-preserve-unknown-fields": True,
                "properties": {"a": {"type": "string"}},
            },
            "items": {
                "type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name"],
                "items": {"type": "object", "properties": {"name": {"type": "string"}}},
            },
        },
    }
    out = crd_to_jsonschema(node)
    props = out["properties"]
    assert out["additionalProperties"] is False
    assert "description" not in out
    assert props["port"]["anyOf"] == [{"type": "integer"}, {"type": "string"}]
    assert props["n"]["type"] == ["integer", "null"]
    assert props["n"]["maximum"] == 2**31 - 1
    assert "additionalProperties" not in props["open"]
    assert props["items"]["x-list-map-keys"] == ["name"]
    assert "x-kubernetes-list-type" not in props["items"]
    closed = crd_to_jsonschema(node, close_preserved=True)
    assert closed["properties"]["open"]["additionalProperties"] is False


def test_conversion_refuses_unknown_keywords() -> None:
    with pytest.raises(ValueError, match="x-kubernetes-validations"):
        crd_to_jsonschema({"type": "object", "x-kubernetes-validations": [{"rule": "true"}]})


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("serving.knative.dev/v1", "Service"),
        ("eventing.knative.dev/v1", "Trigger"),
        ("eventing.knative.dev/v1", "Broker"),
        ("v1", "Secret"),
        ("v1", "ConfigMap"),
    ],
)
def test_schemas_are_valid_and_cached(api_version: str, kind: str) -> None:
    schema = schema_for(api_version, kind)
    Draft202012Validator.check_schema(schema)
    assert schema_for(api_version, kind) is schema
    assert schema["properties"]["kind"] == {"const": kind}


def test_crd_copies_are_local() -> None:
    names = {p.name for p in CRD_DIR.iterdir()}
    assert {"serving-service.yaml", "eventing-trigger.yaml", "eventing-broker.yaml"} <= names
    assert "SOURCE.txt" in names


def test_validate_manifest_does_not_mutate_input() -> None:
    doc = _one(SERVICE)
    before = copy.deepcopy(doc)
    validate_manifest(doc)
    assert doc == before
