"""The notebook-facing API: sample events, their CloudEvent types and Trigger filters."""

from __future__ import annotations

from typing import Any

from cloudevents.core.v1.event import CloudEvent

from knotebook.events import envelopes, knobs, registry, samples, synth
from knotebook.events.names import resolve

KIND_TO_CLASS = {"standard": "event", "eventex": "eventex", "extendedevent": "extendedevent"}


def eventclass(event_id: str) -> str:
    """``event`` | ``eventex`` | ``extendedevent``: what VEBA puts in the ``eventclass`` extension.

    Taken from the packaged sample's payload when there is one (two catalog "ExtendedEvent"
    ids really arrive as EventEx), else from the catalog kind.
    """
    event_id = resolve(event_id)
    found = samples.packaged(event_id)
    if found is not None:
        return envelopes.payload_class(found.data)
    return KIND_TO_CLASS[registry.get(event_id).kind]


def ce_type(event_id: str, envelope: str = "tanzu") -> str:
    """The CloudEvent ``type`` VEBA gives this event in an envelope."""
    envelopes.check_envelope(envelope)
    event_id = resolve(event_id)
    if envelope == "tanzu":
        return envelopes.tanzu_type(event_id)
    return envelopes.router_type(eventclass(event_id))


def trigger_attributes(event_id: str, envelope: str = "tanzu") -> dict[str, str]:
    """The Knative Trigger ``filter.attributes`` that select this event."""
    event_id = resolve(event_id)
    if envelopes.check_envelope(envelope) == "tanzu":
        return {"type": ce_type(event_id, "tanzu")}
    return {"type": ce_type(event_id, "router"), "subject": event_id}


def sample_names(event_id: str) -> list[str]:
    """Names of the packaged samples of an id (``TaskEvent``, ``TaskEvent:error``, ...).

    An id without a packaged sample has one synthesized sample, named by the id.
    """
    event_id = resolve(event_id)
    found = sorted(samples.variants(event_id), key=lambda v: (v != "default", v))
    names = [event_id if v == "default" else f"{event_id}:{v}" for v in found]
    return names or [event_id]


def event_data(
    event_id: str,
    *,
    variant: str | None = None,
    synthesize: bool = False,
    overrides: dict[str, Any] | None = None,
    **knob_values: Any,
) -> dict[str, Any]:
    """The govmomi payload: the packaged sample (renamed by the knobs) or a synthesized one."""
    event_id = resolve(event_id)
    found = None if synthesize else samples.packaged(event_id, variant)
    if found is not None:
        synth.World.make(event_id, **knob_values)  # validates knob names
        data = knobs.apply_knobs(samples.copy_data(found), event_id, **knob_values)
    else:
        data = synth.synthesize(event_id, **knob_values)
    for path, value in (overrides or {}).items():
        knobs.set_path(data, path, value)
    return data


def sample(
    event_id: str,
    *,
    envelope: str = "tanzu",
    variant: str | None = None,
    synthesize: bool = False,
    overrides: dict[str, Any] | None = None,
    **knob_values: Any,
) -> CloudEvent:
    """A realistic CloudEvent for a vSphere event, exactly as VEBA would deliver it.

    ``event_id`` may be an id in any case or a ``com.vmware.vsphere.<Id>.v0`` type. Knobs:
    ``vm_name``, ``host``, ``datacenter``, ``cluster``, ``datastore``, ``user``, ``time``, ``seed``.
    ``overrides`` sets payload paths (``{"Vm.Name": "web-01"}``). Same arguments, same event.
    A packaged variant can also be named as ``knotebook events samples`` lists it:
    ``sample("TaskEvent:error")``.
    """
    envelopes.check_envelope(envelope)
    if variant is None and ":" in event_id:
        event_id, variant = event_id.split(":", 1)
    event_id = resolve(event_id)
    data = event_data(
        event_id, variant=variant, synthesize=synthesize, overrides=overrides, **knob_values
    )
    event = envelopes.wrap(data, event_id, envelope, seed=knob_values.get("seed"))
    origin = {} if synthesize else getattr(samples.packaged(event_id, variant), "provenance", {})
    if origin.get("kind") == "recorded":  # keep the vCenter it came from (knotebook events record)
        attributes = {**event.get_attributes(), "source": origin["source"]}
        attributes["vsphereapiversion"] = origin["vsphereapiversion"]
        event = CloudEvent(attributes, event.get_data())
    return event
