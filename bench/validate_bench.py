"""Validation speed: `knotebook validate` vs a plain serial papermill loop over the same runs.

Makes N function notebooks subscribing to M event types each (tanzu envelope), then times, in
one run on this machine: (a) a serial loop of papermill.execute_notebook, a fresh kernel per
run, the way a CI script would do it; (b) knotebook validate's runner (kernels launched ahead,
one per notebook, reset between its runs, notebooks in parallel). Then the sample notebooks:
`knotebook validate notebooks/` as a user runs it (CLI, contract checks included) with
--no-cache, and again with the cache filled (nothing changed). Prints the ratio, the absolute
times and the load average (the machine may be shared), and writes JSON to
bench/results/validate.json.

Each side gets one untimed warm-up run first; the medians of --repeat runs are compared.

Run: .venv/bin/python bench/validate_bench.py [--notebooks 4] [--events 5] [--repeat 3]
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
from pathlib import Path

import nbformat
import papermill
from nbformat.v4 import new_code_cell, new_notebook

from knotebook import validate

REPO = Path(__file__).resolve().parents[1]
EVENTS = [
    "VmCreatedEvent",
    "VmPoweredOnEvent",
    "VmPoweredOffEvent",
    "VmRemovedEvent",
    "VmRenamedEvent",
    "VmClonedEvent",
    "VmReconfiguredEvent",
    "DrsVmPoweredOnEvent",
]


def make_project(root: Path, notebooks: int, events: int) -> list[Path]:
    for name in ("handler_template.py", "requirements.txt", "Procfile"):
        shutil.copy2(REPO / name, root / name)
    shutil.copytree(REPO / "k8s", root / "k8s", ignore=shutil.ignore_patterns("function.env"))
    (root / "notebooks").mkdir()
    paths = []
    for i in range(notebooks):
        cells = [
            new_code_cell(
                f'# knotebook: settings\nFUNCTION_NAME = "fn-{i}"\n'
                f"EVENT_TYPES = {EVENTS[:events]!r}\n"
            ),
            new_code_cell('EVENT = "VmCreatedEvent"\nENVELOPE = "tanzu"'),
            new_code_cell(
                "# knotebook: function\nimport logging\n\nlog = logging.getLogger('fn')\n\n\n"
                "def handler(event):\n    data = event.get_data() or {}\n"
                "    log.info('vm %s', (data.get('Vm') or {}).get('Name'))\n"
            ),
            new_code_cell(
                "from knotebook import events\n\nevent = events.sample(EVENT, envelope=ENVELOPE)\n"
                "handler(event)\nevent.get_attributes()"
            ),
        ]
        cells[1].metadata["tags"] = ["parameters"]
        nb = new_notebook(cells=cells)
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        path = root / "notebooks" / f"fn_{i}.ipynb"
        nbformat.write(nb, path)
        paths.append(path)
    return paths


def serial_papermill(runs: list[validate.Run], out: Path) -> float:
    started = time.perf_counter()
    for run in runs:
        papermill.execute_notebook(
            str(run.notebook),
            str(out / f"{run.notebook.stem}-{run.slug}.ipynb"),
            parameters={"EVENT": run.event, "ENVELOPE": run.envelope},
            kernel_name="python3",
            progress_bar=False,
        )
    return time.perf_counter() - started


def knotebook_runner(runs: list[validate.Run], out: Path, jobs: int) -> float:
    started = time.perf_counter()
    results = validate.run_all(runs, validate.Options(output_root=out, jobs=jobs))
    elapsed = time.perf_counter() - started
    failed = [r.error for r in results if not r.ok]
    if failed:
        sys.exit(f"knotebook runs failed: {failed[:3]}")
    return elapsed


SAMPLES = (
    "alarm_notify",
    "explore_events",
    "login_audit",
    "vm_created",
    "vm_reconfigured",
)


def cli_validate(root: Path, *args: str) -> float:
    """Wall time of `knotebook validate` over the five sample notebooks, in a copy of the repo."""
    knotebook = Path(sys.executable).parent / "knotebook"
    started = time.perf_counter()
    proc = subprocess.run(
        [str(knotebook), "validate", *(f"notebooks/{n}.ipynb" for n in SAMPLES), *args],
        cwd=root,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"knotebook validate failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return elapsed


def sample_project(root: Path) -> Path:
    project = root / "samples"
    project.mkdir()
    for name in ("handler_template.py", "requirements.txt", "Procfile"):
        shutil.copy2(REPO / name, project / name)
    shutil.copytree(REPO / "k8s", project / "k8s", ignore=shutil.ignore_patterns("function.env"))
    (project / "notebooks").mkdir()
    for name in SAMPLES:
        shutil.copy2(REPO / "notebooks" / f"{name}.ipynb", project / "notebooks")
    return project


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notebooks", type=int, default=4)
    parser.add_argument("--events", type=int, default=5, choices=range(1, len(EVENTS) + 1))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    import logging

    logging.getLogger("papermill").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="knotebook-bench-") as tmp:
        root = Path(tmp)
        paths = make_project(root, args.notebooks, args.events)
        options = validate.Options(envelope="tanzu")
        runs = [run for path in paths for run in validate.plan(path, options)]
        print(f"{len(paths)} notebooks x {args.events} events = {len(runs)} runs, jobs={args.jobs}")
        # Warm-up, not timed: one run each, so neither side's first imports and disk reads count.
        (root / "warm").mkdir()
        serial_papermill(runs[:1], root / "warm")
        knotebook_runner(runs[:1], root / "warm", args.jobs)
        serial, ours = [], []
        for i in range(args.repeat):
            for name, series, fn in (
                ("papermill serial", serial, lambda o: serial_papermill(runs, o)),
                ("knotebook validate", ours, lambda o: knotebook_runner(runs, o, args.jobs)),
            ):
                out = root / f"out-{name.split()[0]}-{i}"
                out.mkdir()
                seconds = fn(out)
                series.append(seconds)
                print(f"  run {i + 1}: {name:<20} {seconds:6.1f} s")
        project = sample_project(root)
        load_before = os.getloadavg()
        cold = [cli_validate(project, "--no-cache") for _ in range(args.repeat)]
        cli_validate(project)  # fills the cache
        warm = [cli_validate(project) for _ in range(args.repeat)]
        load_after = os.getloadavg()
        for i, (c, w) in enumerate(zip(cold, warm, strict=True)):
            print(f"  run {i + 1}: samples --no-cache {c:6.1f} s, cached {w:6.2f} s")
    s, k = statistics.median(serial), statistics.median(ours)
    result = {
        "notebooks": args.notebooks,
        "events": args.events,
        "runs": len(runs),
        "jobs": args.jobs,
        "cpus": os.cpu_count(),
        "papermill_serial_s": [round(x, 2) for x in serial],
        "knotebook_s": [round(x, 2) for x in ours],
        "speedup": round(s / k, 2),
        "samples_no_cache_s": [round(x, 2) for x in cold],
        "samples_cached_s": [round(x, 2) for x in warm],
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in load_after],
    }
    print()
    print("| runner | median s | per run s |")
    print("|---|---|---|")
    print(f"| papermill, serial loop | {s:.1f} | {s / len(runs):.2f} |")
    print(f"| knotebook validate | {k:.1f} | {k / len(runs):.2f} |")
    print(
        f"| knotebook validate, 5 sample notebooks (CLI, contract checks), --no-cache "
        f"| {statistics.median(cold):.1f} | |"
    )
    print(f"| the same, nothing changed (cached) | {statistics.median(warm):.2f} | |")
    print(f"\nknotebook validate is {s / k:.1f}x faster than a serial papermill loop")
    print(
        f"load average (1, 5, 15 min) before {load_before[0]:.2f} {load_before[1]:.2f} "
        f"{load_before[2]:.2f}, after {load_after[0]:.2f} {load_after[1]:.2f} "
        f"{load_after[2]:.2f} on {os.cpu_count()} CPUs"
    )
    target = REPO / "bench" / "results" / "validate.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {target.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
