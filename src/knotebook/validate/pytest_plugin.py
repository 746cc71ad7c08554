"""``pytest --knotebook notebooks/``: the runs of ``knotebook validate``, as pytest items.

One item per notebook × event (in a kernel reset between runs, as ``validate`` runs them) and
one ``contract`` item per function notebook: the exported function served and sent its events
and the malformed requests, exactly the check ``validate`` makes. A notebook that cannot be
read, or whose settings have a typo, is one failed item with the one-line reason (never a
collection error that stops the session). Registered under the ``pytest11`` entry point;
inactive unless ``--knotebook`` is given. Outbound HTTP goes to the validation stand-in.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from knotebook.errors import KnotebookError
from knotebook.validate import contract
from knotebook.validate.execute import NotebookRunner
from knotebook.validate.runner import ENVELOPE_CHOICES, Options, Run, plan
from knotebook.vcenter import outside

RUNNERS = pytest.StashKey[dict[Path, NotebookRunner]]()
STACK = pytest.StashKey[contextlib.ExitStack]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("knotebook")
    group.addoption(
        "--knotebook",
        action="store_true",
        help="collect .ipynb files: one test per notebook run, as `knotebook validate` plans them",
    )
    group.addoption(
        "--knotebook-envelope",
        default="both",
        choices=ENVELOPE_CHOICES,
        help="VEBA envelope(s) of the injected events (default: both)",
    )
    group.addoption(
        "--knotebook-no-contract",
        action="store_true",
        help="skip the contract items (serving each exported function), as validate --no-contract",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[RUNNERS] = {}
    stack = config.stash[STACK] = contextlib.ExitStack()
    if config.getoption("knotebook", False):
        stack.enter_context(outside.standing_in(()))


def pytest_unconfigure(config: pytest.Config) -> None:
    for runner in config.stash.get(RUNNERS, {}).values():
        runner.close()
    if STACK in config.stash:
        config.stash[STACK].close()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.File | None:
    if (
        parent.config.getoption("knotebook")
        and file_path.suffix == ".ipynb"
        and ".ipynb_checkpoints" not in file_path.parts
    ):
        return NotebookFile.from_parent(parent, path=file_path)
    return None


def _options(config: pytest.Config) -> Options:
    output = Path(config.rootpath) / "build" / "validate"
    return Options(output_root=output, envelope=config.getoption("knotebook_envelope"))


class NotebookFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        options = _options(self.config)
        try:
            runs = plan(self.path, options)
        except KnotebookError as exc:
            yield Unreadable.from_parent(self, name="notebook", reason=str(exc))
            return
        for run in runs:
            yield NotebookRun.from_parent(self, name=run.name, run=run)
        if any(run.event is not None for run in runs) and not self.config.getoption(
            "knotebook_no_contract"
        ):
            yield ContractCheck.from_parent(self, name="contract")


class NotebookRunFailed(Exception):
    pass


class _Item(pytest.Item):
    def repr_failure(self, excinfo: Any, style: Any = None) -> Any:
        if isinstance(excinfo.value, NotebookRunFailed):
            return "\n".join(str(a) for a in excinfo.value.args if a)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, None, str]:
        return self.path, None, f"{self.path.name} [{self.name}]"


class Unreadable(_Item):
    """A notebook that cannot be planned: the reason, as ``validate`` prints it."""

    def __init__(self, *, reason: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reason = reason

    def runtest(self) -> None:
        raise NotebookRunFailed(self.reason)


class NotebookRun(_Item):
    def __init__(self, *, run: Run, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run = run

    def runtest(self) -> None:
        runners = self.config.stash[RUNNERS]
        runner = runners.get(self.path)
        if runner is None:
            try:
                runner = runners[self.path] = NotebookRunner(
                    self.path, _options(self.config).output_root
                )
            except KnotebookError as exc:  # a bad .env line
                raise NotebookRunFailed(str(exc)) from None
        result = runner.run(self.run)
        if not result.ok:
            where = f"executed copy: {result.output}" if result.output else ""
            raise NotebookRunFailed(f"{self.path.name} [{self.name}]: {result.error}", where)


class ContractCheck(_Item):
    """The exported function served by its Procfile, sent its events and malformed requests."""

    def runtest(self) -> None:
        try:
            results = contract.check(self.path, _options(self.config))
        except KnotebookError as exc:
            raise NotebookRunFailed(f"{self.path.name} [contract]: {exc}") from None
        failed = [f"{r.name}: {r.error}" for r in results if not r.ok]
        if failed:
            raise NotebookRunFailed(*failed)
