"""Spread planned runs over kernels: one kernel per notebook (or per share of a notebook's runs
when there are fewer notebooks than jobs), the next kernels launched while the current ones
work, contract checks alongside. Ctrl-C interrupts the kernels, lets the running cells stop,
and returns what finished with the rest marked as interrupted.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import replace
from pathlib import Path
from typing import Any

from knotebook.errors import KnotebookError
from knotebook.validate.execute import NotebookRunner
from knotebook.validate.interrupt import INTERRUPTED, Interrupted
from knotebook.validate.runner import Options, Run, RunResult
from knotebook.vcenter import outside


def closing_loop(job: Callable[..., Any], *args: Any) -> Any:
    """``job(*args)`` on a pool thread, then close the event loop jupyter_client's blocking calls
    made for this thread. jupyter_core makes one per thread and never closes it; once the thread
    is gone, the loop's finalizer warns (ResourceWarning) at whatever point the collector runs,
    and a warning raised inside ``ast.parse`` breaks it on CPython 3.11 ("AST constructor
    recursion depth mismatch": formatting the warning's traceback parses again, re-entrantly)."""
    try:
        return job(*args)
    finally:
        policy = asyncio.get_event_loop_policy()
        try:
            loop = policy.get_event_loop()  # a pool thread: set by jupyter_core, or an error
        except RuntimeError:
            loop = None
        if loop is not None and not loop.is_running():
            loop.close()
            policy.set_event_loop(None)


Progress = Callable[[RunResult], None]


def _chunks(runs: list[Run], count: int) -> list[list[Run]]:
    size = math.ceil(len(runs) / max(count, 1))
    return [runs[i : i + size] for i in range(0, len(runs), size)]


def tasks(runs: Sequence[Run], jobs: int) -> list[list[Run]]:
    """Runs grouped by notebook; a notebook's runs split when notebooks are fewer than jobs."""
    by_notebook: dict[Path, list[Run]] = {}
    for run in runs:
        by_notebook.setdefault(run.notebook, []).append(run)
    spare = max(1, jobs // max(len(by_notebook), 1))
    return [c for group in by_notebook.values() for c in _chunks(group, min(spare, len(group)))]


class _Runners:
    """Task i's runner, created (its kernel launched) up to ``ahead`` tasks before it is due."""

    def __init__(self, chunks: list[list[Run]], output_root: Path, ahead: int) -> None:
        self.chunks = chunks
        self.output_root = output_root
        self.ahead = ahead
        self.made: dict[int, NotebookRunner | KnotebookError] = {}
        self.lock = threading.Lock()
        self.closed = False
        # a kernel's shutdown (~0.1 s) happens beside the next notebook's runs, not before them
        self.closer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="knotebook-close")

    def _make(self, index: int) -> NotebookRunner | KnotebookError:
        with self.lock:
            if index not in self.made:
                try:
                    runner = NotebookRunner(self.chunks[index][0].notebook, self.output_root)
                    if not self.closed:
                        runner.kernel.launch()
                    self.made[index] = runner
                except KnotebookError as exc:  # a bad .env line: this notebook's rows fail
                    self.made[index] = exc
            return self.made[index]

    def take(self, index: int) -> NotebookRunner | KnotebookError:
        for upcoming in range(index + 1, min(index + 1 + self.ahead, len(self.chunks))):
            self._make(upcoming)
        return self._make(index)

    def interrupt(self) -> None:
        with self.lock:
            self.closed = True
            for runner in list(self.made.values()):
                if isinstance(runner, NotebookRunner):
                    runner.kernel.interrupt()

    def release(self, index: int) -> None:
        """Task ``index`` is done: shut its kernel down in the background."""
        runner = self.made.get(index)
        if isinstance(runner, NotebookRunner):
            self.closer.submit(closing_loop, runner.close)

    def close(self) -> None:
        """Every kernel stopped (waits for the background shutdowns too)."""
        with self.lock:
            self.closed = True
            runners = list(self.made.values())
        self.closer.shutdown(wait=True)
        for runner in runners:
            if isinstance(runner, NotebookRunner):
                runner.close()


def run_all(
    runs: Sequence[Run],
    options: Options,
    progress: Progress | None = None,
    *,
    side: Sequence[Callable[[], list[RunResult]]] = (),
) -> list[RunResult]:
    """Execute ``runs`` (results in plan order) and the ``side`` jobs (contract checks), whose
    results follow. Raises ``Interrupted`` on Ctrl-C, after the kernels stopped."""
    with outside.standing_in(options.allow_hosts):
        return _Schedule(runs, options, progress or (lambda _result: None)).run(side)


class _Schedule:
    def __init__(self, runs: Sequence[Run], options: Options, report: Progress) -> None:
        self.runs = runs
        self.jobs = max(1, options.jobs)
        self.chunks = tasks(runs, self.jobs)
        self.runners = _Runners(self.chunks, options.output_root, ahead=self.jobs)
        self.report = report
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.results: dict[Run, RunResult] = {}
        self.extra: list[RunResult] = []

    def _record(self, result: RunResult, run: Run | None = None) -> None:
        with self.lock:
            if run is None:
                self.extra.append(result)
            else:
                self.results[run] = result
            self.report(result)

    def work(self, index: int) -> None:
        if self.stop.is_set():
            return
        runner = self.runners.take(index)
        for run in self.chunks[index]:
            if self.stop.is_set():
                return
            if isinstance(runner, KnotebookError):
                result = RunResult(run.notebook, run.name, False, 0.0, None, str(runner))
            else:
                result = runner.run(run)
                if self.stop.is_set() and not result.ok:
                    result = replace(result, error=f"{INTERRUPTED}: {result.error}")
            self._record(result, run)
        self.runners.release(index)

    def side_job(self, job: Callable[[], list[RunResult]]) -> None:
        if not self.stop.is_set():
            for result in job():
                self._record(result)

    def run(self, side: Sequence[Callable[[], list[RunResult]]]) -> list[RunResult]:
        pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="knotebook-run")
        # contract checks mostly wait (a served function's shutdown takes ~1.3 s of sleep)
        sides = ThreadPoolExecutor(max_workers=4, thread_name_prefix="knotebook-contract")
        futures: list[Future[None]] = [
            pool.submit(closing_loop, self.work, i) for i in range(len(self.chunks))
        ]
        futures += [sides.submit(closing_loop, self.side_job, job) for job in side]
        try:
            try:
                for future in futures:
                    future.result()
            except KeyboardInterrupt:
                self.stop.set()
                # again until every worker returned: a kernel that was still starting, or
                # between two cells, when the first interrupt came does not miss the next
                self.runners.interrupt()
                while wait(futures, timeout=0.5).not_done:
                    self.runners.interrupt()
                raise Interrupted(_complete(self.runs, self.results, self.extra)) from None
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            sides.shutdown(wait=True, cancel_futures=True)
            self.runners.close()
        return [self.results[run] for run in self.runs] + self.extra


def _complete(
    runs: Sequence[Run], results: dict[Run, RunResult], extra: list[RunResult]
) -> list[RunResult]:
    rows = [
        results.get(run) or RunResult(run.notebook, run.name, False, 0.0, None, INTERRUPTED)
        for run in runs
    ]
    return rows + extra
