"""The bundle's test events: ``testevent.json`` and, with ``TEST_EVENTS``, ``test/<sample>.json``.

``testevent.json`` is the event the notebook runs against (its ``EVENT`` parameter, when that is
one of the subscribed types or their samples), else the first subscribed type; structured mode,
in the function's envelope, ready for ``curl --data-binary @testevent.json``. ``TEST_EVENTS``
adds more: sample names (``"AlarmStatusChangedEvent:host"``) or ``"all"`` (every packaged sample
of every subscribed type), one file each under ``test/``, as VEBA's examples keep them.
"""

from __future__ import annotations

from knotebook import events
from knotebook.errors import UnknownEventError
from knotebook.notebook.conventions import FunctionNotebook


def _base(name: str) -> str | None:
    try:
        return events.resolve(name.split(":", 1)[0])
    except UnknownEventError:
        return None


def main_sample(function: FunctionNotebook) -> str:
    """The sample name ``testevent.json`` holds."""
    assert function.settings is not None
    chosen = function.parameters.get("EVENT")
    if isinstance(chosen, str) and _base(chosen) in function.settings.event_types:
        return chosen
    return function.settings.event_types[0]


def extra_samples(function: FunctionNotebook) -> list[str]:
    assert function.settings is not None
    wanted = function.settings.deploy.test_events
    if wanted == ("all",):
        return [n for e in function.settings.event_types for n in events.sample_names(e)]
    return list(wanted)


def files(function: FunctionNotebook) -> dict[str, bytes]:
    """``testevent.json`` and ``test/*.json``, relative path → content."""
    assert function.settings is not None
    envelope = function.settings.envelope
    out = {"testevent.json": events.to_structured(events.sample(main_sample(function), envelope=envelope))}
    for name in extra_samples(function):
        out[f"test/{name.replace(':', '-')}.json"] = events.to_structured(
            events.sample(name, envelope=envelope)
        )
    return out
