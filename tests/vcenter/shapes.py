"""Field-by-field comparison of a payload with the packaged sample of the same type."""

from __future__ import annotations

from typing import Any

from knotebook.events import samples

ENTITIES = ("Ds", "Net", "Dvs")  # null in one event, set in another: both are VEBA's shape


def shape(value: Any) -> Any:
    """The JSON shape of a payload: keys, nesting and null-ness; scalar values replaced."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value[:1]]
    return None if value is None else type(value).__name__


def assert_veba_shape(data: dict[str, Any], event_id: str, nullable: tuple[str, ...] = ENTITIES):
    """Same keys in the same order as the packaged sample, and the same JSON type per field."""
    packaged = samples.packaged(event_id)
    assert packaged is not None
    assert packaged.provenance.get("kind") != "recorded"
    assert list(data) == list(packaged.data)
    expected, got = shape(packaged.data), shape(data)
    for key in data:
        if key in nullable and (expected[key] is None or got[key] is None):
            continue
        assert got[key] == expected[key], key
