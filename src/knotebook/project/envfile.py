"""Strict ``KEY=VALUE`` env files: the subset kubectl, kustomize, docker and dotenv agree on."""

from __future__ import annotations

import re
from pathlib import Path

from knotebook.errors import EnvFileError
from knotebook.project.paths import env_file_of

KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
RESERVED = frozenset({"PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION"})


def parse(text: str, path: str = "function.env") -> dict[str, str]:
    """Parse strict env-file text; the first bad line raises EnvFileError(path, line, reason)."""
    values: dict[str, str] = {}
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.removeprefix("\ufeff") if number == 1 else raw
        if line.endswith("\r"):
            raise EnvFileError(
                path, number, "Windows line ending (CR LF); save the file with LF endings"
            )
        line = line.lstrip()  # every tool trims leading whitespace
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise EnvFileError(path, number, f"expected KEY=VALUE, got {line.strip()!r}")
        if key != key.rstrip() or (value and value[0].isspace()):
            raise EnvFileError(
                path,
                number,
                f"spaces around '=' in {line.strip()!r}; write {key.strip()}={value.strip()}",
            )
        if key.startswith("export "):
            raise EnvFileError(path, number, f"'export' prefix is not allowed; write {line[7:]}")
        if not KEY.match(key):
            raise EnvFileError(
                path, number, f"invalid variable name {key!r} (use letters, digits, _)"
            )
        if key in RESERVED:
            raise EnvFileError(path, number, f"{key} is reserved by Knative and cannot be set")
        if value != value.rstrip():
            raise EnvFileError(path, number, f"trailing whitespace in the value of {key}")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            raise EnvFileError(
                path,
                number,
                f"quotes around the value of {key} would be kept literally; remove them",
            )
        if key in values:
            raise EnvFileError(path, number, f"{key} is set twice")
        values[key] = value
    return values


def read(path: str | Path) -> dict[str, str]:
    """Read and parse an env file; a missing or non-UTF-8 file is an EnvFileError on line 0/1."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise EnvFileError(str(p), 0, exc.strerror or str(exc)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise EnvFileError(str(p), 1, "not UTF-8 text") from None
    return parse(text, str(p))


def render(values: dict[str, str]) -> str:
    """Write values back in the strict format, one ``KEY=VALUE`` per line, in the given order."""
    for key, value in values.items():
        if not KEY.match(key):
            raise ValueError(f"invalid variable name {key!r}")
        if "\n" in value or "\r" in value:
            raise ValueError(f"the value of {key} spans lines; env files cannot hold it")
    return "".join(f"{key}={value}\n" for key, value in values.items())


def of_notebook(notebook: Path) -> dict[str, str]:
    """The values of ``<notebook>.env`` beside the notebook ({} when there is none)."""
    path = env_file_of(notebook)
    return read(path) if path.is_file() else {}
