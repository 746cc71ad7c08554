"""``pytest --knotebook notebooks/``: one test per notebook × event, like ``knotebook validate``.

Registered under the ``pytest11`` entry point; inactive unless ``--knotebook`` is given. Runs
of one notebook share a kernel whose namespace is reset between them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from knotebook import validate

KEY = pytest.StashKey[dict[Path, validate.NotebookRunner]]()


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
        choices=validate.ENVELOPE_CHOICES,
        help="VEBA envelope(s) of the injected events (default: both)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[KEY] = {}


def pytest_unconfigure(config: pytest.Config) -> None:
    for runner in config.stash.get(KEY, {}).values():
        runner.close()


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if (
        parent.config.getoption("knotebook")
        and file_path.suffix == ".ipynb"
        and ".ipynb_checkpoints" not in file_path.parts
    ):
        return NotebookFile.from_parent(parent, path=file_path)
    return None


class NotebookFile(pytest.File):
    def collect(self):
        options = validate.Options(envelope=self.config.getoption("knotebook_envelope"))
        for run in validate.plan(self.path, options):
            yield NotebookRun.from_parent(self, name=run.name, run=run)


class NotebookRunFailed(Exception):
    pass


class NotebookRun(pytest.Item):
    def __init__(self, *, run: validate.Run, **kwargs) -> None:
        super().__init__(**kwargs)
        self.run = run

    def runtest(self) -> None:
        runners = self.config.stash[KEY]
        runner = runners.get(self.path)
        if runner is None:
            output = Path(self.config.rootpath) / "build" / "validate"
            runner = runners[self.path] = validate.NotebookRunner(self.path, output)
        result = runner.run(self.run)
        if not result.ok:
            raise NotebookRunFailed(result.error, result.output)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, NotebookRunFailed):
            error, output = excinfo.value.args
            return f"{self.path.name} [{self.name}]: {error}\nexecuted copy: {output}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"{self.path.name} [{self.name}]"
