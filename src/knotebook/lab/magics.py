"""``%load_ext knotebook``: the ``%knotebook`` magic and rich display of CloudEvents.

``%knotebook invoke [EVENT] [--envelope E] [--mode M] [--set PATH=VALUE] [--notebook PATH]``
    renders handler.py from the function cells *as they ran in this kernel*, loads it fresh and
    sends the event to its app (handler:app, through its WSGI side); shows status, reply,
    latency and logs.
``%knotebook export [--output-dir DIR] [--force] [--dry-run] [--notebook PATH]``
    exports the same cells and shows the files written, with a diff against the last export.

Function cells never need the extension: they stay plain Python.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shlex
from typing import TYPE_CHECKING, Any

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.display import display

from knotebook import events, notebook
from knotebook.errors import KnotebookError
from knotebook.events.envelopes import ENVELOPES
from knotebook.events.knobs import parse_assignments
from knotebook.lab import inkernel

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

USAGE = """\
%knotebook invoke [EVENT] [--envelope tanzu|router] [--mode binary|structured]
                  [--set PATH=VALUE ...] [--expect STATUS] [--notebook PATH]
    Send EVENT (a vCenter event id, a .json test event file, or the name of a variable holding
    a CloudEvent; default: EVENT, else the first of EVENT_TYPES; envelope default: ENVELOPE)
    to handler.py's app
    built from the function cells as they ran in this kernel. Returns the Invocation (status,
    reply, logs). An answer other than 2xx fails the cell (so validate fails too); --expect 400
    (or 4xx, 5xx) expects that status instead, e.g. a Reject of an event the function refuses.
%knotebook export [--output-dir DIR] [--force] [--dry-run] [--notebook PATH]
    Export the function cells as they ran in this kernel; show the files and the diff.
"""


class MagicError(Exception):
    """A %knotebook failure: one red line instead of a traceback, and the cell fails.

    (IPython's UsageError prints a line but lets the cell succeed, so papermill would not stop.)
    """

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[31mknotebook: {self}\x1b[0m"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise MagicError(f"%knotebook {self.prog}: {message} (see %knotebook help)")

    def exit(self, status: int = 0, message: str | None = None):
        raise MagicError(message or USAGE)


def _status(text: str) -> str:
    """``204``, ``400`` or a class ``2xx``/``4xx``/``5xx``."""
    if re.fullmatch(r"[1-5](\d\d|xx)", text.lower()):
        return text.lower()
    raise argparse.ArgumentTypeError(f"{text!r} is not an HTTP status (204) or class (4xx)")


def expected(status: int, expect: str | None) -> bool:
    """Does ``status`` match ``--expect`` (default: any 2xx)?"""
    wanted = expect or "2xx"
    if wanted.endswith("xx"):
        return str(status)[0] == wanted[0]
    return str(status) == wanted


def _parsers() -> dict[str, argparse.ArgumentParser]:
    invoke = _Parser(prog="invoke", add_help=False)
    invoke.add_argument("event", nargs="?")
    invoke.add_argument("--envelope", choices=ENVELOPES)
    invoke.add_argument("--mode", choices=("binary", "structured"), default="binary")
    invoke.add_argument("--set", dest="overrides", action="append", default=[])
    invoke.add_argument("--notebook")
    invoke.add_argument("--expect", metavar="STATUS", type=_status)
    export = _Parser(prog="export", add_help=False)
    export.add_argument("--output-dir")
    export.add_argument("--force", action="store_true")
    export.add_argument("--dry-run", action="store_true")
    export.add_argument("--notebook")
    return {"invoke": invoke, "export": export}


class Recorder:
    """Remembers each run of a marked cell with its JupyterLab cell id (``pre_run_cell``)."""

    def __init__(self, shell) -> None:
        self.shell = shell
        self.runs: dict[int, inkernel.CellRun] = {}

    def pre_run_cell(self, info) -> None:
        source = info.raw_cell or ""
        if info.store_history and notebook.cell_kind(source) in inkernel.KINDS:
            number = self.shell.execution_count
            self.runs[number] = inkernel.CellRun(number, source, getattr(info, "cell_id", None))


@magics_class
class KnotebookMagics(Magics):
    def __init__(self, shell, recorder: Recorder) -> None:
        super().__init__(shell)
        self.recorder = recorder

    @property
    def _shell(self) -> InteractiveShell:
        assert self.shell is not None, "the magics are registered on a shell"
        return self.shell

    def kernel_function(self, explicit: str | None) -> inkernel.KernelFunction:
        manager = self._shell.history_manager
        assert manager is not None
        raw = list(manager.input_hist_raw)
        history = inkernel.KernelHistory.from_inputs(raw, self.recorder.runs)
        path, found_by = inkernel.locate(self._shell.user_ns, history, explicit)
        return inkernel.from_kernel(history, path, found_by)

    def _event(self, spec: str | None, kf: inkernel.KernelFunction, args) -> Any:
        settings = kf.function.settings
        assert settings is not None
        ns = self._shell.user_ns
        # ENVELOPE in the namespace: what validate injects (it runs every notebook in both).
        current = ns.get("ENVELOPE")
        envelope = args.envelope or (current if current in ENVELOPES else settings.envelope)
        if spec is None:
            chosen = ns.get("EVENT")
            spec = chosen if isinstance(chosen, str) and chosen else settings.event_types[0]
        value = ns.get(spec) if spec.isidentifier() else None
        if value is not None and hasattr(value, "get_type") and hasattr(value, "get_data"):
            if args.overrides or args.envelope:
                raise MagicError("--set and --envelope apply to event ids, not to a variable")
            return value
        overrides = parse_assignments(args.overrides)
        if spec.endswith(".json"):  # a test event file (test/testevent.json), either mode
            return events.load(spec, envelope=args.envelope, overrides=overrides or None)
        return events.sample(spec, envelope=envelope, overrides=overrides or None)

    @line_magic
    def knotebook(self, line: str):
        """Invoke or export this notebook's function from the kernel: %knotebook help."""
        try:
            words = shlex.split(line)
        except ValueError as exc:  # an unbalanced quote
            raise MagicError(f"%knotebook: {exc} in: {line.strip()}") from None
        if not words or words[0] in ("help", "-h", "--help"):
            print(USAGE)
            return None
        command, rest = words[0], words[1:]
        if "-h" in rest or "--help" in rest:  # %knotebook invoke --help
            print(USAGE)
            return None
        parsers = _parsers()
        if command not in parsers:
            raise MagicError(
                f"%knotebook: unknown command {command!r}; use invoke or export (%knotebook help)"
            )
        args = parsers[command].parse_args(rest)
        try:
            kf = self.kernel_function(args.notebook)
            if command == "invoke":
                answer = inkernel.invoke(kf, self._event(args.event, kf, args), args.mode)
                if not expected(answer.status, args.expect):
                    display(answer)  # the status, body and logs, then the cell fails
                    body = answer.body.decode("utf-8", "replace").strip()[:200]
                    hint = f"--expect {answer.status} if that is intended"
                    raise MagicError(
                        f"the function answered {answer.status} {answer.reason}"
                        + (f" {body}" if body else "")
                        + f"; expected {args.expect or '2xx'} ({hint})"
                    )
                return answer
            return inkernel.export(kf, args.output_dir, force=args.force, dry_run=args.dry_run)
        except KnotebookError as exc:
            raise MagicError(str(exc)) from None


def _html(event) -> str:
    return events.EventView(event)._repr_html_()


def _text(event, printer, cycle) -> None:
    printer.text(str(events.EventView(event)))


def load_ipython_extension(ipython) -> None:
    """Register %knotebook, the cell recorder, and CloudEvent display (HTML table / text)."""
    from cloudevents.core.v1.event import CloudEvent

    unload_ipython_extension(ipython)
    recorder = Recorder(ipython)
    ipython.events.register("pre_run_cell", recorder.pre_run_cell)
    ipython.register_magics(KnotebookMagics(ipython, recorder))
    formatters = ipython.display_formatter.formatters
    formatters["text/html"].for_type(CloudEvent, _html)
    formatters["text/plain"].for_type(CloudEvent, _text)
    ipython._knotebook_recorder = recorder


def unload_ipython_extension(ipython) -> None:
    recorder = getattr(ipython, "_knotebook_recorder", None)
    if recorder is not None:
        with contextlib.suppress(ValueError):
            ipython.events.unregister("pre_run_cell", recorder.pre_run_cell)
        ipython._knotebook_recorder = None
