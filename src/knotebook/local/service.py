"""The literal ``env`` of the Service in a bundle's ``k8s/service.yaml``: the variables every
local start (run, try, dev, broker, validate) sets, as the cluster does."""

from __future__ import annotations

from pathlib import Path

from knotebook.errors import KnotebookError


def service_env(bundle: Path) -> dict[str, str]:
    """Literal ``env`` entries of the Service's container in ``k8s/service.yaml`` (``valueFrom``
    entries need a cluster and are skipped); {} when there is none or PyYAML is missing."""
    path = bundle / "k8s" / "service.yaml"
    try:
        import yaml

        docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except (ImportError, OSError):
        return {}
    except Exception as exc:
        raise KnotebookError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    found: dict[str, str] = {}
    for doc in docs:
        if not isinstance(doc, dict) or doc.get("kind") != "Service":
            continue
        containers = (((doc.get("spec") or {}).get("template") or {}).get("spec") or {}).get(
            "containers"
        ) or []
        for entry in (containers[0].get("env") or []) if containers else []:
            if isinstance(entry, dict) and "name" in entry and "value" in entry:
                found[str(entry["name"])] = "" if entry["value"] is None else str(entry["value"])
    return found
