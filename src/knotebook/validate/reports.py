"""Validation reports: a terminal table, JUnit XML for CI, and JSON for machines."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from knotebook.validate.runner import RunResult


def table(results: Iterable[RunResult]) -> str:
    """A Markdown table: notebook × check → pass/fail/time."""
    rows = [("notebook", "run", "result", "time")]
    rows += [
        (str(r.notebook), r.name, "pass" if r.ok else "FAIL", f"{r.seconds:.1f} s") for r in results
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
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(render(results), encoding="utf-8")
            written.append(target)
    return written
