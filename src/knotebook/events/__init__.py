"""vSphere events for notebooks: the vCenter catalog, realistic samples, VEBA envelopes.

>>> from knotebook import events
>>> event = events.sample("VmPoweredOnEvent", vm_name="web-01")
>>> event.get_type()
'com.vmware.vsphere.VmPoweredOnEvent.v0'
>>> headers, body = events.to_binary(event)   # what the Knative broker POSTs to a function
"""

from __future__ import annotations

from knotebook.events.api import (
    ce_type,
    event_data,
    eventclass,
    sample,
    sample_names,
    trigger_attributes,
)
from knotebook.events.display import EventView, display_event
from knotebook.events.envelopes import ENVELOPES, to_binary, to_structured
from knotebook.events.files import load
from knotebook.events.names import resolve, suggestions
from knotebook.events.negative import NegativeRequest, negative_sample, negative_samples
from knotebook.events.registry import VERSIONS, CatalogEntry, catalog, types
from knotebook.events.samples import PackagedSample, packaged_samples
from knotebook.events.synth import synthesize

__all__ = [
    "ENVELOPES",
    "VERSIONS",
    "CatalogEntry",
    "EventView",
    "NegativeRequest",
    "PackagedSample",
    "catalog",
    "ce_type",
    "display_event",
    "event_data",
    "eventclass",
    "load",
    "negative_sample",
    "negative_samples",
    "packaged_samples",
    "resolve",
    "sample",
    "sample_names",
    "suggestions",
    "synthesize",
    "to_binary",
    "to_structured",
    "trigger_attributes",
    "types",
]
