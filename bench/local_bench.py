"""Local loop speed: what the tests used to assert as wall-clock limits, measured instead.

* ``knotebook run`` of an unchanged bundle (its venv cached by hash): process start to serving
  (was asserted < 2 s in tests/local/test_local_run.py);
* ``knotebook dev``: a save to the function serving again, and the restart alone (was < 2 s in
  tests/local/test_local_dev.py);
* every catalog id rendered in both envelopes and both content modes and parsed back (was < 15 s
  in tests/events/test_walk.py).

Each is measured ``--repeat`` times on this machine; prints the median, the spread and the
load average (the machine may be shared), and writes JSON to bench/results/local.json.

Run: .venv/bin/python bench/local_bench.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cloudevents.core.bindings.http import HTTPMessage, from_http_event

from knotebook import events, local
from knotebook.local import ports

REPO = Path(__file__).resolve().parents[1]
KNOTEBOOK = str(Path(sys.executable).parent / "knotebook")
NOTEBOOK = "vm_created.ipynb"


def make_project(root: Path) -> Path:
    """A scratch project: the repository's templates and one sample notebook."""
    root.mkdir(parents=True)
    for name in ("handler_template.py", "requirements.txt", "Procfile"):
        shutil.copy2(REPO / name, root / name)
    shutil.copytree(REPO / "k8s", root / "k8s", ignore=shutil.ignore_patterns("function.env"))
    (root / "notebooks").mkdir()
    shutil.copy2(REPO / "notebooks" / NOTEBOOK, root / "notebooks" / NOTEBOOK)
    return root


def second_run(project: Path) -> float:
    """Seconds from starting ``knotebook run`` on an exported bundle to its 'Serving' line."""
    bundle = local.bundle_for(project / "notebooks" / NOTEBOOK)
    local.run(bundle, port=ports.free_port()).stop()  # the venv exists from here on
    port = ports.free_port()
    started = time.monotonic()
    proc = subprocess.Popen(
        [KNOTEBOOK, "run", str(bundle), "--port", str(port)],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("Serving "):
                return time.monotonic() - started
        raise RuntimeError(f"knotebook run exited {proc.wait()} before serving")
    finally:
        proc.terminate()
        proc.wait(30)


def dev_restart(project: Path) -> tuple[float, float]:
    """(save to serving again, the restart alone) for one save of the notebook in dev."""
    notebook = project / "notebooks" / NOTEBOOK
    session = local.dev(notebook, port=ports.free_port(), echo=False)
    try:
        text = notebook.read_text()
        marker = '"# knotebook: function\\n",'
        assert marker in text, "the sample notebook has a function cell"
        saved = time.monotonic()
        notebook.write_text(text.replace(marker, marker + '\n    "# saved again\\n",', 1))
        deadline = saved + 60
        while not session.restarts:
            if time.monotonic() > deadline:
                raise RuntimeError("knotebook dev did not restart within 60 s")
            time.sleep(0.01)
        return time.monotonic() - saved, session.restarts[0]
    finally:
        session.stop()


def catalog_walk() -> float:
    """Seconds to render every catalog id in both envelopes and modes, and parse each back."""
    started = time.perf_counter()
    for event_id in events.types():
        for envelope in events.ENVELOPES:
            event = events.sample(event_id, envelope=envelope)
            headers, body = events.to_binary(event)
            from_http_event(HTTPMessage(headers, body))
            structured = events.to_structured(event)
            from_http_event(
                HTTPMessage({"content-type": "application/cloudevents+json"}, structured)
            )
    return time.perf_counter() - started


def measure(name: str, repeat: int, once: Callable[[], float]) -> dict[str, float]:
    return summarize(name, [once() for _ in range(repeat)])


def summarize(name: str, values: list[float]) -> dict[str, float]:
    summary = {
        "median_s": round(statistics.median(values), 3),
        "min_s": round(min(values), 3),
        "max_s": round(max(values), 3),
    }
    print(f"{name:<40} median {summary['median_s']:6.2f} s  (min {summary['min_s']:.2f}, "
          f"max {summary['max_s']:.2f}, n={len(values)})")  # fmt: skip
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, object] = {"load_average": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="knotebook-bench-") as scratch:
        project = make_project(Path(scratch) / "project")
        os.chdir(project)
        results["second_run_ready"] = measure(
            "knotebook run (cached venv) -> serving", args.repeat, lambda: second_run(project)
        )
        restarts = [dev_restart(project) for _ in range(args.repeat)]
        results["dev_save_to_serving"] = summarize(
            "knotebook dev: save -> serving again", [r[0] for r in restarts]
        )
        results["dev_restart"] = summarize("knotebook dev: restart alone", [r[1] for r in restarts])
        os.chdir(REPO)
    results["catalog_walk"] = measure("catalog: every id x envelope x mode", 1, catalog_walk)
    out = REPO / "bench" / "results" / "local.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"load average {results['load_average']}; wrote {out}")


if __name__ == "__main__":
    main()
