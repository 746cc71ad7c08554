"""Validation reports: a terminal table, JUnit XML for CI, and JSON for machines."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from knotebook.errors import KnotebookError
from knotebook.project.files import write_atomic
from knotebook.validate.runner import RunResult

RANK = {"notebook": 0, "contract": 1, "export": 2}


def canonical(
    results: Iterable[RunResult], position: dict[tuple[Path, str], int] | None = None
) -> list[RunResult]:
    """One order for every report: by notebook, then papermill runs, contract checks, the
    export check; within those, ``position`` (plan order) or the order given. Shards' merged
    reports come out in the order of one unsharded run."""
    where = position or {}
    return sorted(
        results,
        key=lambda r: (str(r.notebook), RANK.get(r.check, 3), where.get((r.notebook, r.name), 0)),
    )


def table(results: Iterable[RunResult]) -> str:
    """A Markdown table: notebook × check → pass/fail/time."""
    rows = [("notebook", "run", "result", "time")]
    rows += [
        (
            str(r.notebook),
            r.name,
            "pass" if r.ok else "FAIL",
            "cached" if r.cached else f"{r.seconds:.1f} s",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def junit(results: list[RunResult]) -> str:
    """JUnit XML: one testcase per notebook × run, one testsuite per notebook."""
    root = ET.Element("testsuites", name="knotebook validate")
    suites: dict[Path, ET.Element] = {}
    for result in results:
        suite = suites.get(result.notebook)
        if suite is None:
            suite = suites[result.notebook] = ET.SubElement(
                root, "testsuite", name=str(result.notebook)
            )
        case = ET.SubElement(
            suite,
            "testcase",
            classname=str(result.notebook),
            name=result.name,
            time=f"{result.seconds:.3f}",
        )
        if not result.ok:
            failure = ET.SubElement(
                case, "failure", message=result.error.splitlines()[0] if result.error else "failed"
            )
            failure.text = result.error + (
                f"\nexecuted copy: {result.output}" if result.output else ""
            )
    for suite in suites.values():
        cases = list(suite)
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
        suite.set("time", f"{sum(float(c.get('time', 0)) for c in cases):.3f}")
    root.set("tests", str(len(results)))
    root.set("failures", str(sum(1 for r in results if not r.ok)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def as_json(results: list[RunResult]) -> str:
    """A machine-readable report."""
    payload = {
        "passed": sum(1 for r in results if r.ok),
        "failed": sum(1 for r in results if not r.ok),
        "results": [
            {
                "notebook": str(r.notebook),
                "check": r.check,
                "name": r.name,
                "ok": r.ok,
                "seconds": round(r.seconds, 3),
                "output": str(r.output) if r.output else None,
                "error": r.error or None,
                "cached": r.cached,
                "requests": [{"method": m, "url": u, "body": b} for m, u, b in r.requests],
            }
            for r in results
        ],
    }
    return json.dumps(payload, indent=2) + "\n"


def write(
    results: list[RunResult], *, junit_path: Path | None = None, json_path: Path | None = None
) -> list[Path]:
    """Write the JUnit and/or JSON reports; the files written."""
    written = []
    for target, render in ((junit_path, junit), (json_path, as_json)):
        if target is not None:
            try:
                write_atomic(target, render(results))
            except OSError as exc:
                reason = exc.strerror or type(exc).__name__
                raise KnotebookError(f"cannot write {target}: {reason}") from None
            written.append(target)
    return written


def from_json(text: str, source: str = "report") -> list[RunResult]:
    """The results of a ``--json`` report (the inverse of ``as_json``)."""
    try:
        rows = json.loads(text)["results"]
        return [
            RunResult(
                Path(row["notebook"]),
                row["name"],
                bool(row["ok"]),
                float(row["seconds"]),
                Path(row["output"]) if row.get("output") else None,
                row.get("error") or "",
                row.get("check", "notebook"),
                tuple((r["method"], r["url"], r["body"]) for r in row.get("requests", [])),
                cached=bool(row.get("cached", False)),
            )
            for row in rows
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise KnotebookError(f"{source}: not a knotebook validate --json report ({exc})") from None


def merge(paths: Iterable[Path]) -> list[RunResult]:
    """The results of several ``--json`` reports (CI shards) as one run's, in canonical order."""
    results: list[RunResult] = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise KnotebookError(f"{path}: cannot read: {exc.strerror}") from None
        results += from_json(text, str(path))
    return canonical(results)
