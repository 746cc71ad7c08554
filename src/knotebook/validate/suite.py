"""``knotebook validate`` as a Python call: papermill runs, contract checks and the export check.

A notebook that cannot even be read is one failed row; the other notebooks still run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from knotebook.errors import KnotebookError
from knotebook.export.exporter import check_fresh
from knotebook.validate import contract as contract_check
from knotebook.validate.runner import Options, Run, RunResult, discover, plan
from knotebook.validate.scheduler import run_all
from knotebook.vcenter import outside

Progress = Callable[[RunResult], None]


def validate(
    paths: Sequence[Path],
    options: Options | None = None,
    progress: Progress | None = None,
    *,
    run: bool = True,
    contract: bool = False,
    check_export: bool = False,
    say: Callable[[str], None] | None = None,
) -> list[RunResult]:
    """Validate the notebooks under ``paths``; one result per check, in the order they ran.

    ``run`` executes every planned papermill run; ``contract`` (only with ``run``) also serves
    each exported function and delivers its events; ``check_export`` compares each notebook with
    its bundle in ``export/``. ``progress`` gets each result as it comes (from worker threads),
    ``say`` the one-line announcements. Raises KnotebookError when there is nothing to validate.
    """
    options = options or Options()
    report = progress or (lambda _result: None)
    notebooks = discover(paths)
    if not notebooks:
        raise KnotebookError(f"no notebooks in {', '.join(map(str, paths))}")
    results: list[RunResult] = []
    runs: list[Run] = []
    for path in list(notebooks):
        try:
            runs += plan(path, options)
        except KnotebookError as exc:
            broken = RunResult(path, "notebook", False, 0.0, None, str(exc))
            report(broken)
            results.append(broken)
            notebooks.remove(path)
    with outside.standing_in(options.allow_hosts):  # one HTTP stand-in for every run
        if run and runs:
            if say is not None:
                count = len({r.notebook for r in runs})
                say(f"Running {len(runs)} notebook run(s) of {count} notebook(s) with papermill...")
            results += run_all(runs, options, progress)
        if contract and run:
            for path in notebooks:
                for result in contract_check.check(path, options):
                    report(result)
                    results.append(result)
    if check_export:
        for path in notebooks:
            problem = check_fresh(path)
            result = RunResult(path, "export is current", not problem, 0.0, None, problem, "export")
            report(result)
            results.append(result)
    if not results:
        raise KnotebookError("nothing to validate")
    return results
