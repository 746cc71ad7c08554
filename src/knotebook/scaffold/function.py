"""``knotebook new``: a function notebook in the conventions, valid as created.

Cells: an explanation, the settings cell, the parameters cell, an exploration cell that makes the
event, the function cell (a null-safe stub over the events' real fields), a cell that runs the
handler, and the ``%knotebook invoke`` cell.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from knotebook import events, notebook
from knotebook.errors import KnotebookError, NotebookError
from knotebook.events.envelopes import ENVELOPES
from knotebook.notebook.conventions import DNS_1035
from knotebook.project.files import write_atomic
from knotebook.scaffold import stub

CE_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-_/]*\Z")


@dataclass(frozen=True)
class NewFunction:
    path: Path
    name: str
    event_ids: tuple[str, ...]


def kebab(text: str) -> str:
    """``VmPoweredOff`` / ``vm_off`` → ``vm-powered-off`` / ``vm-off``: a DNS-1035 label, or ""."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", text).lower()
    name = re.sub(r"^[^a-z]+", "", re.sub(r"[^a-z0-9]+", "-", words)).strip("-")
    return name[:50].rstrip("-")


def check_name(name: str) -> str:
    """A usable FUNCTION_NAME, or an error that proposes one."""
    if DNS_1035.match(name) and len(name) <= 50:
        return name
    proposal = kebab(name)
    hint = f"; did you mean {proposal!r}?" if proposal else ""
    raise KnotebookError(
        f"function name {name!r} must be lowercase letters, digits and '-', start with a letter "
        f"and be at most 50 characters (a Kubernetes name){hint}"
    )


def name_for(event_id: str) -> str:
    """A function name from an event id: ``VmPoweredOffEvent`` → ``vm-powered-off``."""
    tail = event_id.rsplit(".", 1)[-1]
    return check_name(kebab(re.sub(r"Event$", "", tail) or tail) or "function")


def notebook_file(name: str) -> str:
    return name.replace("-", "_") + ".ipynb"


def _cells(name: str, event_ids: list[str], envelope: str, reply: str | None) -> list:
    first = event_ids[0]
    handled = ", ".join(f"`{e}`" for e in event_ids)
    answer = "a reply CloudEvent (`200`)" if reply else "nothing (`204 No Content`)"
    cells = [
        new_markdown_cell(
            f"# {name}\n\n"
            f"A VEBA function for {handled}. It logs the event's main fields and returns "
            f"{answer}.\n\n"
            "* the **settings** cell (`# knotebook: settings`) names the function, its events "
            "and how it is deployed;\n"
            "* the **parameters** cell (tag `parameters`) picks the sample event; "
            "`knotebook validate` injects each subscribed one;\n"
            "* **function** cells (`# knotebook: function`) become `handler.py`;\n"
            "* every other cell is exploration and is never exported."
        ),
        new_code_cell(
            "# knotebook: settings\n"
            f'FUNCTION_NAME = "{name}"\n'
            f"EVENT_TYPES = {event_ids!r}\n"
            f'ENVELOPE = "{envelope}"  # "tanzu": VEBA 0.8+; "router": VEBA <= 0.7\n'
            "ENV_VARS = []  # environment variables the handler reads (from notebooks/<name>.env)\n"
            "# More settings (README, 'The notebook conventions'): MIN_SCALE, MAX_SCALE, IMAGE,\n"
            "# LABELS, ANNOTATIONS, SECRET, SECRET_FILES, TRIGGER_NAMES, FILES, TEST_EVENTS."
        ),
        new_code_cell(f'EVENT = "{first}"  # the sample event this notebook runs against'),
        new_markdown_cell("## The event, as the Broker delivers it"),
        new_code_cell(
            "import logging\n\n"
            "from knotebook import events\n\n"
            'logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s : '
            '%(message)s", force=True)\n'
            "event = events.sample(EVENT, envelope=ENVELOPE)\n"
            "event.get_data()"
        ),
        new_markdown_cell(
            "## The function\n\nvSphere sends nulls freely (`Vm`, `Host`, ... can be null), so "
            "the handler never indexes them blindly."
        ),
        new_code_cell(stub.function_cell(name, event_ids, reply)),
        new_markdown_cell(
            "## Run it against the event\n\nA `Reject`, `Retry` or `Accept` the handler raises is "
            "the answer the app gives instead (400, 503, 202), not a failure of this notebook."
        ),
        new_code_cell(
            "from knotebook.runtime import Answer\n\n"
            "try:\n"
            "    reply = handler(event)\n"
            "except Answer as answer:  # raise Reject/Retry/Accept: what the app answers instead\n"
            "    print(answer.status, answer.reason)\n"
            "    reply = None\n"
            + (
                "if reply is not None:\n"
                "    assert reply.get_type() == REPLY_TYPE\n"
                "    print(reply.get_data())"
                if reply
                else "assert reply is None  # 204 No Content"
            )
        ),
        new_markdown_cell(
            "## Invoke the exported app\n\n`%knotebook invoke` renders `handler.py` from the "
            "function cells as they ran in this kernel and posts the event to it, as the "
            "Broker would."
        ),
        new_code_cell("%load_ext knotebook\n%knotebook invoke event"),
    ]
    cells[2].metadata["tags"] = ["parameters"]
    for number, cell in enumerate(cells, start=1):
        cell.id = f"cell-{number:02d}"
    return cells


def build(name: str, event_ids: list[str], envelope: str, reply: str | None):
    nb = new_notebook(cells=_cells(name, event_ids, envelope, reply))
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def _taken(folder: Path, name: str) -> Path | None:
    """A notebook in ``folder`` whose FUNCTION_NAME is ``name`` already."""
    for path in sorted(folder.glob("*.ipynb")):
        try:
            settings = notebook.read(path).settings
        except NotebookError:
            continue
        if settings is not None and settings.name == name:
            return path
    return None


def create(
    folder: Path,
    name: str,
    event_specs: list[str],
    *,
    envelope: str = "tanzu",
    reply: str | None = None,
) -> NewFunction:
    """Write ``<folder>/<name>.ipynb``; refuse to overwrite, unknown events get suggestions."""
    check_name(name)
    if envelope not in ENVELOPES:
        close = difflib.get_close_matches(envelope, ENVELOPES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise KnotebookError(f"unknown envelope {envelope!r} (tanzu or router){hint}")
    if not event_specs:
        raise KnotebookError("name at least one event: --event VmPoweredOffEvent")
    event_ids: list[str] = []
    for spec in event_specs:
        event_id = events.resolve(spec)  # UnknownEventError names the closest ids
        if event_id not in event_ids:
            event_ids.append(event_id)
    if reply is not None and not CE_TYPE.match(reply):
        raise KnotebookError(f"--reply {reply!r} is not a CloudEvent type (com.example.vm.off)")
    path = folder / notebook_file(name)
    if path.exists():
        raise KnotebookError(f"{path} exists; choose another name (knotebook never overwrites it)")
    if folder.is_dir():
        other = _taken(folder, name)
        if other is not None:
            raise KnotebookError(
                f"{other} already exports FUNCTION_NAME {name!r}; choose another name "
                "(two notebooks with one name overwrite each other's bundle)"
            )
    folder.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(build(name, event_ids, envelope, reply)) + "\n"
    write_new(path, text.encode("utf-8"))
    return NewFunction(path, name, tuple(event_ids))


def write_new(path: Path, data: bytes) -> None:
    """Write a file that must not exist yet, atomically (never half a file, never a clobber)."""
    write_atomic(path, data, exclusive=True)
