"""Validation at CI scale: the result cache, shards and merged reports, progress, kernel reuse."""

import json
from pathlib import Path

import nbformat
import pytest
from conftest import run_knotebook

from knotebook import validate
from knotebook.validate import Options, reports, shard
from knotebook.validate.execute import NotebookRunner
from knotebook.validate.runner import Run

pytestmark = pytest.mark.slow  # papermill kernels, many runs

FUNCTION = """# knotebook: function
import logging

log = logging.getLogger("fn")


def handler(event):
    log.info("%s", event.get_type())
"""
RUN = "from knotebook import events\nhandler(events.sample(EVENT, envelope=ENVELOPE))\n"


def settings(name: str, *types: str) -> str:
    return (
        f'# knotebook: settings\nFUNCTION_NAME = "{name}"\nEVENT_TYPES = {list(types)!r}\n'
        'ENVELOPE = "tanzu"\n'
    )


@pytest.fixture
def functions(write_notebook):
    """Three small function notebooks of different sizes."""
    made = []
    for name, types in (
        ("one", ("VmCreatedEvent",)),
        ("two", ("VmCreatedEvent", "VmPoweredOnEvent")),
        ("three", ("VmCreatedEvent", "VmPoweredOnEvent", "VmRemovedEvent")),
    ):
        made.append(
            write_notebook(
                f"{name}.ipynb",
                settings(name, *types),
                ('EVENT = "VmCreatedEvent"', ["parameters"]),
                FUNCTION,
                RUN,
            )
        )
    return made


def rows(report: Path) -> list[tuple]:
    """A JSON report's rows without what differs between two equal runs (time, cache)."""
    data = json.loads(report.read_text())
    return [
        (r["notebook"], r["check"], r["name"], r["ok"], r["output"], r["error"])
        for r in data["results"]
    ]


def test_unchanged_runs_are_cached_and_one_changed_cell_reruns_one_notebook(project, functions):
    args = ("validate", "notebooks/one.ipynb", "notebooks/two.ipynb", "--envelope", "tanzu")
    first = run_knotebook(*args, "--json", "build/first.json", cwd=project)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "cached" not in first.stdout.splitlines()[-1]
    executed = project / "build" / "validate" / "notebooks" / "one" / "VmCreatedEvent.tanzu.ipynb"
    executed.unlink()  # an executed copy the cache must put back

    second = run_knotebook(*args, "--json", "build/second.json", cwd=project)
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stdout.splitlines()[-1] == "8 passed, 0 failed (8 cached)"
    assert "Running" not in second.stdout  # no kernel, no papermill
    assert executed.is_file() and "injected-parameters" not in executed.read_text()
    assert rows(project / "build" / "second.json") == rows(project / "build" / "first.json")
    assert all(
        r["cached"] for r in json.loads((project / "build/second.json").read_text())["results"]
    )

    # one function cell changes in one notebook: only that notebook runs again
    path = functions[0]
    path.write_text(path.read_text().replace('log.info(\\"%s\\"', 'log.warning(\\"%s\\"'))
    third = run_knotebook(*args, "--json", "build/third.json", cwd=project)
    assert third.returncode == 0, third.stdout + third.stderr
    report = json.loads((project / "build" / "third.json").read_text())["results"]
    ran = {(r["notebook"], r["name"]) for r in report if not r["cached"]}
    assert ran and {notebook for notebook, _ in ran} == {"notebooks/one.ipynb"}
    assert all(r["cached"] for r in report if r["notebook"] == "notebooks/two.ipynb")

    forced = run_knotebook(*args, "--no-cache", cwd=project)
    assert forced.returncode == 0 and "cached" not in forced.stdout.splitlines()[-1]


def test_a_changed_env_value_or_file_beside_the_notebook_misses_the_cache(project, functions):
    path = functions[0]
    options = Options(envelope="tanzu", cache_dir=project / "cache", output_root=project / "out")
    assert not any(r.cached for r in validate.validate([path], options))
    assert all(r.cached for r in validate.validate([path], options))
    path.with_suffix(".env").write_text("ENV1=changed\n")
    assert not any(r.cached for r in validate.validate([path], options))
    assert all(r.cached for r in validate.validate([path], options))
    (path.parent / "helper.py").write_text("LIMIT = 2\n")  # a module or data file beside it
    assert not any(r.cached for r in validate.validate([path], options))


def test_failures_are_never_cached(write_notebook, project):
    path = write_notebook(
        "bad.ipynb",
        settings("bad", "VmCreatedEvent"),
        ('EVENT = "VmCreatedEvent"', ["parameters"]),
        FUNCTION,
        "raise RuntimeError('no')",
    )
    options = Options(envelope="tanzu", cache_dir=project / "cache", output_root=project / "out")
    for _ in range(2):
        (result,) = validate.validate([path], options)
        assert not result.ok and not result.cached


def test_shards_run_every_run_once_and_merge_to_the_unsharded_report(project, functions):
    mine = ("notebooks/one.ipynb", "notebooks/two.ipynb", "notebooks/three.ipynb")
    base = ("validate", *mine, "--envelope", "tanzu", "--no-cache")
    whole = run_knotebook(*base, "--json", "build/whole.json", cwd=project)
    assert whole.returncode == 0, whole.stdout + whole.stderr
    parts = []
    for index in (1, 2, 3):
        part = project / "build" / f"shard-{index}.json"
        proc = run_knotebook(*base, "--shard", f"{index}/3", "--json", str(part), cwd=project)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        parts.append(part)
    sharded = [row for part in parts for row in rows(part)]
    assert sorted(sharded) == sorted(rows(project / "build" / "whole.json"))  # each run once
    assert len(set(sharded)) == len(sharded)
    assert all(rows(part) for part in parts)  # three notebooks, three shards: one each

    merged = run_knotebook(
        "validate",
        "--merge",
        *map(str, parts),
        "--json",
        "build/merged.json",
        "--junit",
        "build/merged.xml",
        cwd=project,
    )
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert rows(project / "build" / "merged.json") == rows(project / "build" / "whole.json")
    assert merged.stdout.splitlines()[-1] == whole.stdout.splitlines()[-1]


def test_shards_are_balanced_by_recorded_durations_and_stable():
    notebooks = [Path(f"n{i}.ipynb") for i in range(6)]
    seconds = {"n0.ipynb": 9.0, "n1.ipynb": 1.0, "n2.ipynb": 1.0, "n3.ipynb": 4.0}

    def weight(path: Path) -> float:
        return seconds.get(path.name, 1.0)

    split = shard.split(notebooks, weight, 2)
    assert split == shard.split(list(notebooks), weight, 2)  # the same plan, the same split
    assert sorted(p for part in split for p in part) == sorted(notebooks)
    loads = [sum(weight(p) for p in part) for part in split]
    assert max(loads) - min(loads) <= 1.0
    assert split[0] == [Path("n0.ipynb")]  # the heaviest alone; the five others together


def test_a_shard_without_notebooks_passes_with_empty_reports(project, functions):
    proc = run_knotebook(
        "validate", "notebooks/one.ipynb", "--shard", "2/2", "--json", "build/r.json", cwd=project
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Shard 2/2: no notebooks" in proc.stdout
    assert json.loads((project / "build" / "r.json").read_text())["results"] == []


@pytest.mark.parametrize("spec", ["0/3", "4/3", "1/0", "a/b", "2"])
def test_a_bad_shard_is_a_one_line_error(project, spec):
    proc = run_knotebook("validate", "--shard", spec, cwd=project)
    assert proc.returncode == 2  # a usage error
    assert proc.stderr.startswith(f"Error: --shard {spec}") and "Traceback" not in proc.stderr


def test_progress_counts_runs_and_the_summary_names_the_slowest(project, functions):
    proc = run_knotebook(
        "validate", "notebooks/two.ipynb", "--envelope", "tanzu", "--no-cache", cwd=project
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    progress = [line for line in lines if line.startswith("    ok  ")]
    assert progress[-1].endswith("[5/5]")
    assert any("left]" in line for line in progress[:-1])
    assert "Slowest:" in lines


def test_runs_sharing_a_kernel_start_from_the_same_state(write_notebook, tmp_path):
    """The reset between two runs of a notebook in one kernel: names, environment, working
    directory and logging handlers are as a fresh kernel has them."""
    probe = """import logging, os
(sorted(k for k in globals() if not k.startswith("_")), os.environ.get("LEAK"), os.getcwd(),
 len(logging.getLogger().handlers))
"""
    dirty = """import logging, os
LEAK = 1
os.environ["LEAK"] = "yes"
os.chdir("/")
logging.basicConfig(force=True)
logging.getLogger().addHandler(logging.StreamHandler())
"""
    path = write_notebook("stateful.ipynb", ("EVENT = 'x'", ["parameters"]), probe, dirty)
    runner = NotebookRunner(path, tmp_path)
    try:
        states = []
        for event in ("a", "b", "c"):
            result = runner.run(Run(path, event))
            assert result.ok, result.error
            executed = nbformat.read(result.output, as_version=4)
            (cell,) = [c for c in executed.cells if c.source.startswith("import logging, os\n(")]
            states.append(cell.outputs[0]["data"]["text/plain"])
        assert states[0] == states[1] == states[2], states
        assert "LEAK" not in states[1] and "'yes'" not in states[1]
    finally:
        runner.close()


def test_merge_rejects_what_is_not_a_report(project):
    (project / "junk.json").write_text("{}")
    proc = run_knotebook("validate", "--merge", "junk.json", cwd=project)
    assert proc.returncode == 1
    assert proc.stderr.startswith("Error: junk.json: not a knotebook validate --json report")
    assert reports.canonical([]) == []


def test_init_ci_shards_writes_a_matrix_and_a_merging_job(project):
    import yaml

    proc = run_knotebook("init-ci", "--shards", "3", "--package", "knotebook", cwd=project)
    assert proc.returncode == 0, proc.stderr
    flow = yaml.safe_load((project / ".github" / "workflows" / "knotebook.yml").read_text())
    shards, report = flow["jobs"]["validate"], flow["jobs"]["report"]
    assert shards["strategy"]["matrix"]["shard"] == [1, 2, 3]
    steps = " ".join(str(step.get("run", "")) for step in shards["steps"])
    assert "knotebook validate notebooks/ --shard ${{ matrix.shard }}/3" in steps
    uses = [step.get("uses", "") for step in shards["steps"]]
    assert "actions/cache/restore@v4" in uses and "actions/upload-artifact@v4" in uses
    assert report["needs"] == "validate" and report["if"] == "always()"
    merge = " ".join(str(step.get("run", "")) for step in report["steps"])
    assert "knotebook validate --merge build/knotebook-[0-9]*.json" in merge
    assert "actions/cache/save@v4" in [step.get("uses", "") for step in report["steps"]]

    single = run_knotebook("init-ci", "--force", "--package", "knotebook", cwd=project)
    assert single.returncode == 0, single.stderr
    flow = yaml.safe_load((project / ".github" / "workflows" / "knotebook.yml").read_text())
    (cache,) = [s for s in flow["jobs"]["validate"]["steps"] if s.get("uses") == "actions/cache@v4"]
    assert cache["with"]["path"] == "build/knotebook-cache"
