"""The bundle's ``requirements.txt``: the project's base lines plus the function's imports, checked
to resolve on the bundle's Python before the bundle is written.

``pack build`` installs ``requirements.txt`` and runs ``pip check``; a conflict (a base pin of
``python-dateutil==4.0.0`` against boto3's ``python-dateutil<3``) fails the build, and
``knotebook run`` would sit in pip's resolver. So export asks pip's own resolver
(``pip install --dry-run --report``, for Python :data:`PYTHON`, binary wheels) and turns a
conflict into one line naming the pins, where each comes from (a line of the project's
``requirements.txt`` or an import in a cell) and what to change. A resolution that succeeded is
cached by the file's hash; when the index cannot be reached the check is skipped with a warning.
``KNOTEBOOK_NO_RESOLVE=1`` skips it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from knotebook.errors import ExportError
from knotebook.notebook import cells
from knotebook.project import cache
from knotebook.project.files import write_atomic

PYTHON = "3.13"  # the bundle's .python-version
IMPORTED = "# Imported by the function cells (versions installed where knotebook exported):"
IMPORT_COMMENT = re.compile(r"#\s*import (?P<module>[\w.]+), (?P<where>.+?)\s*$")


def _parse(line: str) -> Requirement | None:
    text = line.split("#", 1)[0].strip()
    if not text or text.startswith("-"):
        return None
    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


def compose(base: str, extra: Iterable[cells.Requirement], base_path: str) -> str:
    """The project's ``requirements.txt`` plus the imported distributions it does not name."""
    named: dict[str, int] = {}
    for number, line in enumerate(base.splitlines(), start=1):
        req = _parse(line)
        if line.split("#", 1)[0].strip() and not line.lstrip().startswith("-") and req is None:
            raise ExportError(f"{base_path}:{number}: not a requirement: {line.strip()!r}")
        if req is None:
            continue
        name = canonicalize_name(req.name)
        if name in named:
            raise ExportError(
                f"{base_path}:{number}: {req.name} is already listed on line {named[name]}; "
                "keep one line per package"
            )
        named[name] = number
    if "gunicorn" not in named:
        raise ExportError(
            f"{base_path} must list gunicorn: with a Procfile no buildpack adds a web server"
        )
    text = base if base.endswith("\n") else base + "\n"
    added: dict[str, cells.Requirement] = {}
    for imported in extra:
        name = canonicalize_name(imported.distribution)
        if name not in named and name not in added:
            added[name] = imported
    if added:
        text += IMPORTED + "\n"
        text += "".join(
            f"{pin}  # import {pin.module}, {pin.where or f'cell {pin.cell}'}\n"
            for pin in added.values()
        )
    return text


def origins(text: str, base_path: str) -> dict[str, str]:
    """Canonical name → where its line comes from, for the messages."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        req = _parse(line)
        if req is None:
            continue
        match = IMPORT_COMMENT.search(line)
        where = (
            f"import {match['module']} in {match['where']}"
            if match
            else f"{base_path}, line {number}"
        )
        found[canonicalize_name(req.name)] = f"{line.split('#', 1)[0].strip()} ({where})"
    return found


def _key(text: str) -> str:
    return hashlib.sha256(f"{PYTHON}\0{text}".encode()).hexdigest()[:16]


def _dry_run(
    req_file: Path, report: Path, *, bundle_python: bool
) -> subprocess.CompletedProcess[str]:
    """pip's resolver on ``req_file``: for the bundle's Python (wheels only, as pip requires for
    another version), or for this interpreter (source distributions allowed)."""
    args = [
        sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
        "--disable-pip-version-check", "--no-input", "--report", str(report), "-r", str(req_file),
    ]  # fmt: skip
    if bundle_python:
        target = report.parent / "target"
        args += ["--python-version", PYTHON, "--only-binary=:all:", "--target", str(target)]
    return subprocess.run(args, capture_output=True, text=True, stdin=subprocess.DEVNULL)


def _no_match(output: str) -> re.Match[str] | None:
    if "Could not fetch URL" in output or "connection" in output.lower():
        return None
    return re.search(r"No matching distribution found for (\S+)", output)


def check(text: str, base_path: str, *, label: str = "the function") -> str:
    """Fail when ``text`` cannot be installed on the bundle's Python; return a warning or ""."""
    if os.environ.get("KNOTEBOOK_NO_RESOLVE"):
        return ""
    stamp = cache.directory() / "resolved" / f"{_key(text)}.json"
    if stamp.is_file():
        return ""
    where = origins(text, base_path)
    with tempfile.TemporaryDirectory(prefix="knotebook-resolve-") as tmp:
        req_file = Path(tmp) / "requirements.txt"
        req_file.write_text(text, encoding="utf-8")
        report = Path(tmp) / "report.json"
        proc = _dry_run(req_file, report, bundle_python=True)
        if proc.returncode == 0 and report.is_file():
            resolved = json.loads(report.read_text(encoding="utf-8"))
            pins = {
                item["metadata"]["name"]: item["metadata"]["version"]
                for item in resolved.get("install", [])
            }
            write_atomic(stamp, json.dumps({"python": PYTHON, "resolved": pins}, sort_keys=True))
            return ""
        output = proc.stdout + proc.stderr
        missing = _no_match(output)
        if missing and "conflict is caused by" not in output:
            # No wheel for 3.13: a source distribution may still build in pack; resolve with
            # this interpreter, source distributions allowed, before calling it an error.
            retry = _dry_run(req_file, report, bundle_python=False)
            if retry.returncode == 0:
                req = _parse(missing.group(1))
                pin = where.get(canonicalize_name(req.name), missing.group(1)) if req else ""
                return (
                    f"{label}: {pin or missing.group(1)} has no wheel for Python {PYTHON}: "
                    "pack build will build it from source"
                )
            output = retry.stdout + retry.stderr
    raise_for(output, where, label)
    last = [line for line in output.splitlines() if line.startswith("ERROR")]
    return (
        f"could not check that the requirements of {label} install on Python {PYTHON} "
        f"({last[-1] if last else 'pip failed'}); set KNOTEBOOK_NO_RESOLVE=1 to skip the check"
    )


def _rejecting(depends: list[str], requested: list[str]) -> list[str]:
    """The "X 1.0 depends on SPEC" lines whose SPEC the user's pins do not satisfy."""
    pinned: dict[str, str] = {}
    for spec in requested:
        req = _parse(spec)
        if req is not None:
            exact = [s.version for s in req.specifier if s.operator == "=="]
            if exact:
                pinned[canonicalize_name(req.name)] = exact[0]
    kept = []
    for line in depends:
        match = re.match(r"(?P<who>\S+ \S+) depends on (?P<spec>.+)$", line)
        req = _parse(match["spec"].replace(" and ", ",")) if match else None
        version = pinned.get(canonicalize_name(req.name)) if req else None
        if match and req and version and not req.specifier.contains(version, prereleases=True):
            kept.append(f"{match['who']}, which needs {match['spec']}")
        elif not version:
            kept.append(line)
    return kept or depends


def raise_for(output: str, where: dict[str, str], label: str) -> None:
    """Turn pip's resolver failure into an ExportError naming the pins and their origins."""
    head = f"{label}: its requirements cannot be installed on Python {PYTHON}"
    if "conflict is caused by" in output:
        block = output.split("The conflict is caused by:", 1)[1].split("\n\n", 1)[0]
        causes = [line.strip() for line in block.strip().splitlines() if line.strip()]
        requested = [
            c.removeprefix("The user requested ").strip()
            for c in causes
            if c.startswith("The user requested")
        ]
        depends = _rejecting(
            [c for c in causes if not c.startswith("The user requested")], requested
        )
        pins = []
        for spec in requested:
            req = _parse(spec)
            pins.append(where.get(canonicalize_name(req.name), spec) if req else spec)
        involved = []
        cannot = re.search(r"Cannot install (.+?) because", output)
        for part in re.split(r", | and ", cannot.group(1)) if cannot else []:
            line_ref = re.match(r"-r .+ \(line (\d+)\)", part.strip())
            req = None if line_ref else _parse(part.strip())
            spec = where.get(canonicalize_name(req.name), "") if req else ""
            if spec and spec not in pins and spec not in involved:
                involved.append(spec)
        pulled = f" (pulled in by {', '.join(involved)})" if involved else ""
        raise ExportError(
            f"{head}: {' and '.join(pins) or 'your pins'} conflicts with "
            f"{'; '.join(depends)}{pulled}. Change: loosen or remove "
            f"{' or '.join(p.split(' (', 1)[0] for p in pins) or 'those pins'} "
            "so that one version satisfies both"
        )
    missing = _no_match(output)
    if missing:
        spec = missing.group(1)
        req = _parse(spec)
        pin = where.get(canonicalize_name(req.name), spec) if req else spec
        raise ExportError(
            f"{head}: {pin} has no release for Python {PYTHON} on the package "
            "index. Change: pin a version that has one (pip index versions "
            f"{req.name if req else spec})"
        )
