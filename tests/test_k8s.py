"""The k8s/ bundle: kustomize renders it, the hashed Secret reaches the Service, CRD-valid."""

import shutil
import subprocess

import pytest

from knotebook.export import exporter
from tests.support.knative_schema import load_yaml_documents, validate_documents

KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl (with kustomize) not installed")


def kustomize(folder) -> str:
    proc = subprocess.run(
        [KUBECTL, "kustomize", str(folder)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(params=["tanzu", "router"])
def bundle(request, function_notebook):
    path = function_notebook(
        name="multi",
        events=["VmCreatedEvent", "com.vmware.sso.LoginFailure"],
        envelope=request.param,
    )
    return request.param, exporter.export(path).directory


def test_each_template_document_is_valid_against_the_knative_crds(bundle):
    _, folder = bundle
    for name in ("service.yaml", "trigger.yaml"):
        text = (folder / "k8s" / name).read_text()
        assert validate_documents(text) == [], name


def test_one_trigger_per_event_type_filtering_on_the_envelope(bundle):
    envelope, folder = bundle
    triggers = load_yaml_documents((folder / "k8s" / "trigger.yaml").read_text())
    filters = {t["metadata"]["name"]: t["spec"]["filter"]["attributes"] for t in triggers}
    if envelope == "tanzu":
        assert filters == {
            "multi-vmcreatedevent": {"type": "com.vmware.vsphere.VmCreatedEvent.v0"},
            "multi-com-vmware-sso-loginfailure": {
                "type": "com.vmware.vsphere.com.vmware.sso.LoginFailure.v0"
            },
        }
    else:
        assert filters == {
            "multi-vmcreatedevent": {
                "type": "com.vmware.event.router/event",
                "subject": "VmCreatedEvent",
            },
            "multi-com-vmware-sso-loginfailure": {
                "type": "com.vmware.event.router/eventex",
                "subject": "com.vmware.sso.LoginFailure",
            },
        }
    for trigger in triggers:
        assert trigger["spec"]["subscriber"]["ref"]["name"] == "multi"
        assert trigger["spec"]["broker"] == "default"
        assert "filters" not in trigger["spec"]  # the RabbitMQ broker of VEBA ignores spec.filters


def test_service_scale_concurrency_and_env(project):
    folder = exporter.export(project / "notebooks" / "vm_created.ipynb").directory
    (service,) = load_yaml_documents((folder / "k8s" / "service.yaml").read_text())
    template = service["spec"]["template"]
    assert template["metadata"]["annotations"] == {
        "autoscaling.knative.dev/min-scale": "1",
        "autoscaling.knative.dev/max-scale": "1",
    }
    assert template["spec"]["containerConcurrency"] == 1  # the Procfile's uvicorn worker
    (container,) = template["spec"]["containers"]
    assert container["envFrom"] == [{"secretRef": {"name": "vm-created-env"}}]
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("server", "concurrency"),
    [
        ("--worker-class gthread --threads 4", 4),
        ("--threads 4", 1),  # gunicorn.conf.py's uvicorn worker ignores threads
        ("--worker-class sync --threads 4", 4),  # gunicorn switches the sync worker to gthread
        ("--worker-class sync", 1),
        ("--worker-class asgi --threads 4", 1),  # the asyncio worker ignores --threads
        ("--keep-alive 5 --worker-class gthread --threads 3", 3),  # -k is not in --keep-alive
    ],
)
def test_concurrency_follows_the_procfile_worker_model(project, server, concurrency):
    procfile = project / "Procfile"
    text = procfile.read_text()
    assert " handler:app" in text
    procfile.write_text(text.replace(" handler:app", f" {server} handler:app"))
    folder = exporter.export(project / "notebooks" / "vm_created.ipynb").directory
    (service,) = load_yaml_documents((folder / "k8s" / "service.yaml").read_text())
    assert service["spec"]["template"]["spec"]["containerConcurrency"] == concurrency


@pytest.mark.parametrize(
    ("settings", "concurrency"),
    [('worker_class = "gthread"\nthreads = 4\n', 4), ('worker_class = "asgi"\nthreads = 4\n', 1)],
)
def test_concurrency_follows_a_projects_gunicorn_conf(project, settings, concurrency):
    (project / "gunicorn.conf.py").write_text("import os\n\n" + settings)
    folder = exporter.export(project / "notebooks" / "vm_created.ipynb").directory
    (service,) = load_yaml_documents((folder / "k8s" / "service.yaml").read_text())
    assert service["spec"]["template"]["spec"]["containerConcurrency"] == concurrency
    assert (folder / "gunicorn.conf.py").read_text() == (project / "gunicorn.conf.py").read_text()


@needs_kubectl
def test_kustomize_renders_a_valid_deployment_with_the_hashed_secret(project):
    (project / "notebooks" / "vm_created.env").write_text("ENV1=VALUE1\n")
    folder = exporter.export(project / "notebooks" / "vm_created.ipynb").directory
    rendered = kustomize(folder / "k8s")
    assert validate_documents(rendered) == []
    docs = {d["kind"]: d for d in load_yaml_documents(rendered)}
    secret_name = docs["Secret"]["metadata"]["name"]
    assert secret_name.startswith("vm-created-env-") and secret_name != "vm-created-env"
    env_from = docs["Service"]["spec"]["template"]["spec"]["containers"][0]["envFrom"]
    assert env_from == [{"secretRef": {"name": secret_name}}]
    assert docs["Secret"]["data"] == {"ENV1": "VkFMVUUx"}  # base64("VALUE1")
    assert {d["metadata"]["namespace"] for d in docs.values()} == {"vmware-functions"}


@needs_kubectl
def test_kustomize_fails_on_the_seed_env_style_and_knotebook_catches_it_first(project, tmp_path):
    folder = exporter.export(project / "notebooks" / "vm_created.ipynb").directory
    (folder / "k8s" / "function.env").write_text("ENV1 = VALUE1\n")
    rendered = kustomize(folder / "k8s")  # kustomize accepts it silently...
    assert any("ENV1 " in e for e in validate_documents(rendered))  # ...the API server would not
    from knotebook.errors import EnvFileError
    from knotebook.project import envfile

    with pytest.raises(EnvFileError, match=r"function\.env:1: spaces around '='"):
        envfile.read(folder / "k8s" / "function.env")
