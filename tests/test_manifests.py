"""VEBA-ready manifests from settings: labels, annotations, the Secret, Trigger names; checked."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess

import pytest
import yaml
from conftest import HANDLER

from knotebook.errors import NotebookError
from knotebook.export import exporter
from knotebook.local import process

KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl (kustomize) not installed")


def _notebook(write_notebook, name: str, extra: str = "", events=("VmPoweredOffEvent",)):
    settings = (
        f'# knotebook: settings\nFUNCTION_NAME = "{name}"\nEVENT_TYPES = {list(events)!r}\n'
        f'ENV_VARS = ["ENV1"]\n{extra}'
    )
    params = (f'EVENT = "{events[0]}"', ["parameters"])
    return write_notebook(f"{name.replace('-', '_')}.ipynb", settings, params, HANDLER)


def _kustomize(bundle) -> list[dict]:
    out = subprocess.run(
        [KUBECTL, "kustomize", str(bundle / "k8s")], capture_output=True, text=True, check=True
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def _by_kind(docs: list[dict]) -> dict[str, list[dict]]:
    kinds: dict[str, list[dict]] = {}
    for doc in docs:
        kinds.setdefault(doc["kind"], []).append(doc)
    return kinds


@needs_kubectl
def test_by_default_every_resource_carries_app_veba_ui(write_notebook):
    bundle = exporter.export(_notebook(write_notebook, "vm-off")).directory
    kinds = _by_kind(_kustomize(bundle))
    assert set(kinds) == {"Secret", "Service", "Trigger"}
    for docs in kinds.values():
        for doc in docs:
            assert doc["metadata"]["labels"]["app"] == "veba-ui", doc["kind"]
    assert kinds["Secret"][0]["metadata"]["name"].startswith("vm-off-env-")  # generated, hashed


@needs_kubectl
def test_veba_settings_shape_the_manifests_like_vebas_function_yaml(write_notebook, project):
    extra = (
        'LABELS = {"app": "veba-ui", "team": "ops"}\n'
        'ANNOTATIONS = {"example.com/owner": "ops@example.com"}\n'
        'SECRET = "vcconfig-secret"\n'
        'SECRET_FILES = {"VCCONFIG_SECRET": "vcconfig.json"}\n'
        'TRIGGER_NAMES = {"VmCreatedEvent": "kn-py-vm-attr-trigger-vmcreated"}\n'
        'IMAGE = "ghcr.io/vmware-samples/vcenter-event-broker-appliance/kn-py-vm-attr:1.3"\n'
    )
    config = '{\n  "vcenter_server": "vc.example.com",\n  "vcenter_user": "svc"\n}\n'
    (project / "notebooks" / "vcconfig.json").write_text(config)
    first = _notebook(write_notebook, "vm-attr", extra, events=("VmCreatedEvent", "VmClonedEvent"))
    bundle = exporter.export(first).directory
    kinds = _by_kind(_kustomize(bundle))
    secret, own = sorted(kinds["Secret"], key=lambda d: d["metadata"]["name"])
    assert secret["metadata"]["name"] == "vcconfig-secret"  # fixed: shareable
    assert secret["metadata"]["labels"] == {"app": "veba-ui", "team": "ops"}
    assert secret["metadata"]["annotations"] == {"example.com/owner": "ops@example.com"}
    assert base64.b64decode(secret["data"]["VCCONFIG_SECRET"]).decode() == config
    assert own["metadata"]["name"].startswith("vm-attr-env-")  # function.env: its own, hashed
    assert "VCCONFIG_SECRET" not in (own.get("data") or {})
    (service,) = kinds["Service"]
    container = service["spec"]["template"]["spec"]["containers"][0]
    assert container["envFrom"] == [
        {"secretRef": {"name": own["metadata"]["name"]}},
        {"secretRef": {"name": "vcconfig-secret"}},
    ]
    assert container["image"].endswith("kn-py-vm-attr:1.3")
    assert sorted(t["metadata"]["name"] for t in kinds["Trigger"]) == [
        "kn-py-vm-attr-trigger-vmcreated",
        "vm-attr-vmclonedevent",
    ]
    # The secret file stays out of git and out of the image; a local run gets it as a variable.
    assert "k8s/secrets/" in (bundle / ".gitignore").read_text()
    env = process.environment(bundle, 8080)
    assert json.loads(env["VCCONFIG_SECRET"])["vcenter_user"] == "svc"
    # A second function naming the same existing Secret shares it.
    second = _notebook(write_notebook, "vm-tag", 'SECRET = "vcconfig-secret"\n')
    other = exporter.export(second).directory
    other_kinds = _by_kind(_kustomize(other))
    (own_other,) = other_kinds["Secret"]  # existing: referenced, not generated here
    assert own_other["metadata"]["name"].startswith("vm-tag-env-")
    container = other_kinds["Service"][0]["spec"]["template"]["spec"]["containers"][0]
    assert container["envFrom"][1] == {"secretRef": {"name": "vcconfig-secret"}}
    assert (
        "kubectl -n vmware-functions create secret generic vcconfig-secret"
        in (other / "k8s" / "kustomization.yaml").read_text()
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('LABELS = {"app": "VEBA UI"}', r"line 5: LABELS: 'VEBA UI' must be empty or at most 63"),
        ('ANNOTATIONS = {"bad key!": "x"}', r"line 5: ANNOTATIONS: 'bad key!' must be at most 63"),
        ('SECRET = "Slack_Secret"', r"line 5: SECRET 'Slack_Secret' must be lowercase"),
        ('TRIGGER_NAMES = {"VmPoweredOffEvent": "-x"}', r"line 5: TRIGGER_NAMES: '-x' must be"),
        (
            'TRIGGER_NAMES = {"VmCreatedEvent": "x"}',
            r"line 5: TRIGGER_NAMES: VmCreatedEvent is not",
        ),
        ('IMAGE = "Registry/Functions/X"', r"line 5: IMAGE 'Registry/Functions/X' is not an image"),
        ('SECRET_FILES = {"K": "../x.json"}', r"line 5: SECRET_FILES: '../x.json' must be a path"),
        ('LABELS = ["app"]', r"line 5: LABELS must be a dict of strings"),
    ],
)
def test_bad_manifest_settings_name_the_cell_and_line(write_notebook, line, message):
    path = _notebook(write_notebook, "vm-off", line + "\n")
    with pytest.raises(NotebookError, match=r"cell 2, " + message):
        exporter.export(path)


def test_a_missing_secret_file_fails_export_before_writing(write_notebook, project):
    path = _notebook(write_notebook, "vm-off", 'SECRET_FILES = {"CONFIG": "config.ini"}\n')
    with pytest.raises(Exception, match=r"SECRET_FILES\['CONFIG'\]: cannot read .*config.ini"):
        exporter.export(path)
    assert not (project / "export" / "vm-off").exists()
