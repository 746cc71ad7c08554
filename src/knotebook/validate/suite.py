"""``knotebook validate`` as a Python call: papermill runs, contract checks and the export check.

Every notebook gets its rows, whatever another one does: a notebook that cannot be read, a bad
``.env`` line, a function that exits while served: each is a failed row, the others still run.
Unchanged runs come from the result cache; ``--shard`` keeps this job's share; contract checks
run beside the notebook runs. Rows come back in one canonical order (``reports.canonical``),
so the merged reports of shards equal one unsharded run's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from knotebook import events
from knotebook.errors import KnotebookError
from knotebook.export.exporter import check_fresh
from knotebook.validate import shard as sharding
from knotebook.validate.cache import NotebookKey, ResultCache
from knotebook.validate.interrupt import INTERRUPTED, Interrupted
from knotebook.validate.reports import canonical
from knotebook.validate.runner import Options, Run, RunResult, discover, executed_copy, plan
from knotebook.vcenter import outside

Progress = Callable[[RunResult], None]
Job = Callable[[], list[RunResult]]


def _check_filter(planned: dict[Path, list[Run]], options: Options) -> None:
    """``--events X`` where no notebook subscribes to X is a mistake, not "nothing failed"."""
    for wanted in options.event_filter:
        event_id = events.resolve(wanted.split(":", 1)[0])
        if not any(
            r.event and r.event.split(":", 1)[0] == event_id for rs in planned.values() for r in rs
        ):
            checked = f" (checked: {', '.join(str(p) for p in planned)})" if planned else ""
            raise KnotebookError(
                f"--events {wanted}: no notebook subscribes to {event_id}{checked}; "
                "add it to EVENT_TYPES or pick a subscribed event"
            )


def _key(path: Path, options: Options) -> NotebookKey | None:
    try:
        return NotebookKey(path, options.allow_hosts)
    except KnotebookError:
        return None  # the run reports what is wrong (a bad .env line); it is never cached


def _contract_job(path: Path, options: Options, cache: ResultCache | None, key: str) -> Job:
    def job() -> list[RunResult]:
        # Loaded when something runs: a run that the cache answers needs neither the exporter
        # nor papermill and jupyter_client (0.2-0.6 s of imports of the ~0.7 s it takes).
        from knotebook.validate import contract as contract_check

        try:
            results = contract_check.check(path, options)
        except KnotebookError as exc:  # the served function died (sys.exit), a bad .env line
            results = [RunResult(path, "contract", False, 0.0, None, str(exc), "contract")]
        if cache is not None and key:
            cache.store(key, results)
        return results

    return job


def validate(
    paths: Sequence[Path],
    options: Options | None = None,
    progress: Progress | None = None,
    *,
    run: bool = True,
    contract: bool = False,
    check_export: bool = False,
    say: Callable[[str], None] | None = None,
    expect: Callable[[int], None] | None = None,
) -> list[RunResult]:
    """Validate the notebooks under ``paths``; one result per check, in canonical order.

    ``run`` executes every planned papermill run; ``contract`` (only with ``run``) also serves
    each exported function and delivers its events; ``check_export`` compares each notebook with
    its bundle in ``export/``. ``progress`` gets each result as it comes (from worker threads),
    ``say`` the one-line announcements, ``expect`` how many rows to expect (for an ETA).
    Raises KnotebookError when there is nothing to validate, ``Interrupted`` (holding every
    row) on Ctrl-C.
    """
    options = options or Options()
    report = progress or (lambda _result: None)
    notebooks = discover(paths)
    if not notebooks:
        raise KnotebookError(f"no notebooks in {', '.join(map(str, paths))}")
    results: list[RunResult] = []
    planned: dict[Path, list[Run]] = {}
    for path in notebooks:
        try:
            planned[path] = plan(path, options)
        except KnotebookError as exc:
            results.append(RunResult(path, "notebook", False, 0.0, None, str(exc)))
    if options.event_filter:
        _check_filter(planned, options)
        planned = {path: runs for path, runs in planned.items() if runs}
    cache = ResultCache(options.cache_dir) if options.cache_dir is not None and run else None
    keys = {path: _key(path, options) for path in planned} if cache is not None else {}

    def cached(path: Path, run_: Run) -> list[RunResult] | None:
        key = keys.get(path)
        if cache is None or key is None:
            return None
        output = executed_copy(options.output_root, path, run_)
        return cache.load(key.run(run_), output)

    if options.shard is not None:
        index, count = options.shard

        def weight(path: Path) -> float:
            seconds = 0.0
            key = keys.get(path)
            for run_ in planned[path]:
                if cache is None or key is None or not cache.has(key.run(run_)):
                    recorded = cache.duration(path, run_.name) if cache is not None else None
                    seconds += sharding.UNKNOWN_SECONDS if recorded is None else recorded
            return seconds

        mine = set(sharding.select(list(planned), weight, sharding.Shard(index, count)))
        planned = {path: runs for path, runs in planned.items() if path in mine}
        results = [r for r in results if r.notebook in mine or _shard_of_broken(r, options)]
    contract_rows = sum(len(runs) + 1 for runs in planned.values()) if contract else 0
    runs_rows = sum(len(runs) for runs in planned.values()) if run else 0
    total = len(results) + runs_rows + contract_rows + (len(planned) if check_export else 0)
    if expect is not None:
        expect(total)
    for result in results:
        report(result)

    position = {(r.notebook, r.name): i for runs in planned.values() for i, r in enumerate(runs)}
    to_run: list[Run] = []
    side: list[Job] = []
    if run:
        for path, runs in planned.items():
            for run_ in runs:
                hit = cached(path, run_)
                if hit is None:
                    to_run.append(run_)
                else:
                    results += hit
                    report(hit[0])
            if contract:
                key = keys.get(path)
                contract_key = key.contract(runs) if key is not None else ""
                hit = cache.load(contract_key) if cache is not None and contract_key else None
                if hit is None:
                    side.append(_contract_job(path, options, cache, contract_key))
                else:
                    results += hit
                    for result in hit:
                        report(result)
    try:
        if to_run or side:
            if say is not None and to_run:
                # the same count as the [done/total] of the progress lines
                others = total - len(to_run)
                what = _plural(len(to_run), "notebook run") + " with papermill"
                if others:
                    what += f", {_plural(others, 'other check')} (contract, export, cached)"
                say(f"Running {_plural(total, 'check')}: {what}...")
            from knotebook.validate.scheduler import run_all  # see _contract_job

            with outside.standing_in(options.allow_hosts):  # one HTTP stand-in for every run
                fresh = run_all(to_run, options, progress, side=side)
            if cache is not None:
                for run_, result in zip(to_run, fresh, strict=False):
                    key = keys.get(run_.notebook)
                    if key is not None:
                        cache.store(key.run(run_), [result])
            results += fresh
    except Interrupted as stopped:
        raise Interrupted(canonical(results + stopped.results, position)) from None
    if check_export:
        for path in planned:
            try:
                problem = check_fresh(path)
            except KnotebookError as exc:
                problem = str(exc)
            result = RunResult(path, "export is current", not problem, 0.0, None, problem, "export")
            report(result)
            results.append(result)
    if not results and options.shard is None:  # a shard may be empty: more shards than notebooks
        raise KnotebookError("nothing to validate")
    return canonical(results, position)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _shard_of_broken(result: RunResult, options: Options) -> bool:
    """An unreadable notebook's row goes to the shard its path hashes to (always the same)."""
    assert options.shard is not None
    index, count = options.shard
    return sum(str(result.notebook).encode()) % count == index - 1


__all__ = ["INTERRUPTED", "Interrupted", "validate"]
