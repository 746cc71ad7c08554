"""Keep secret values out of executed notebooks and reports."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from typing import Any

import nbformat

from knotebook.errors import EnvFileError
from knotebook.notebook.conventions import FunctionNotebook
from knotebook.project import envfile

MASK = "********"
MIN_LENGTH = 4  # shorter values ("1", "yes") would mask ordinary text


def secret_values(function: FunctionNotebook, env: dict[str, str]) -> list[str]:
    """Values of the function's environment: its .env file, its export's function.env, the
    declared ENV_VARS as set in this process, and its SECRET_FILES (local runs get each as a
    variable). Longest first, so overlapping values mask whole."""
    values = set(env.values())
    if function.settings is not None:
        values.update(os.environ.get(name, "") for name in function.settings.env_vars)
        folder = function.path.resolve().parent
        for _key, relative in function.settings.deploy.secret_files:
            with contextlib.suppress(OSError, UnicodeDecodeError):  # export reports it
                values.update(file_secrets((folder / relative).read_text(encoding="utf-8")))
        for parent in (folder, *folder.parents):
            exported = parent / "export" / function.settings.name / "k8s" / "function.env"
            if exported.is_file():
                with contextlib.suppress(EnvFileError):  # reported by export, not here
                    values.update(envfile.read(exported).values())
                break
    return longest_first(values)


def file_secrets(text: str) -> set[str]:
    """What to mask of a secret file's text: the whole, and each line (logs come line by
    line), as written and as JSON or repr shows it (newlines escaped)."""
    found = {text, text.strip(), json.dumps(text)[1:-1], json.dumps(text.strip())[1:-1]}
    found.update(line.strip() for line in text.splitlines())
    return found


def longest_first(values: Iterable[str]) -> list[str]:
    """The values worth masking (MIN_LENGTH or more), longest first."""
    return sorted({v for v in values if len(v) >= MIN_LENGTH}, key=len, reverse=True)


def mask_text(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


def _mask(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        return mask_text(value, secrets)
    if isinstance(value, list):
        return [_mask(v, secrets) for v in value]
    if isinstance(value, dict):
        return {k: _mask(v, secrets) for k, v in value.items()}
    return value


def mask_notebook(nb: Any, secrets: list[str]) -> None:
    """Replace secret values in every cell output (streams, results, errors), in place."""
    if not secrets:
        return
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = [
                nbformat.from_dict(_mask(o, secrets)) for o in cell.get("outputs", [])
            ]
