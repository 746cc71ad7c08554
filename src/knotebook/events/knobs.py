"""Apply knobs (names, user, time, seed) and ``--set Path=value`` overrides to an event payload."""

from __future__ import annotations

import difflib
import json
import random
import re
from datetime import timedelta
from typing import Any

from knotebook.errors import KnotebookError
from knotebook.events.times import format_time, parse_time

_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
_FIXED_TIMES = ("0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z")
# knob -> (top-level entity argument, inner MoRef key)
_ENTITY_KNOBS = {
    "vm_name": "Vm",
    "host": "Host",
    "datacenter": "Datacenter",
    "cluster": "ComputeResource",
    "datastore": "Ds",
}


def _replace_equal(node: Any, old: str, new: str) -> Any:
    """Replace every string equal to ``old`` anywhere in a JSON tree."""
    if isinstance(node, dict):
        return {k: _replace_equal(v, old, new) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace_equal(v, old, new) for v in node]
    return new if node == old else node


def _shift_times(node: Any, delta: timedelta) -> Any:
    if isinstance(node, dict):
        return {k: _shift_times(v, delta) for k, v in node.items()}
    if isinstance(node, list):
        return [_shift_times(v, delta) for v in node]
    if isinstance(node, str) and _TIME.match(node) and node not in _FIXED_TIMES:
        return format_time(parse_time(node) + delta)
    return node


def apply_knobs(data: dict[str, Any], event_id: str, **knobs: Any) -> dict[str, Any]:
    """Rename the inventory objects of a (packaged) payload, set its user/time, re-key it."""
    message = data.get("FullFormattedMessage", "")
    for knob, field in _ENTITY_KNOBS.items():
        new = knobs.get(knob)
        arg = data.get(field)
        if new is None or not isinstance(arg, dict) or not arg.get("Name"):
            continue
        old = arg["Name"]
        data = _replace_equal(data, old, new)
        message = message.replace(old, new)
    if knobs.get("user") is not None and data.get("UserName"):
        old = data["UserName"]
        data = _replace_equal(data, old, knobs["user"])
        message = message.replace(old, knobs["user"])
    data["FullFormattedMessage"] = message
    if knobs.get("time") is not None:
        new_time = parse_time(knobs["time"])
        delta = new_time - parse_time(data["CreatedTime"])
        data = _shift_times(data, delta)
        data["CreatedTime"] = format_time(new_time)
    if knobs.get("seed") is not None:
        rng = random.Random(f"{knobs['seed']}|{event_id}")
        gap = int(data.get("Key", 0)) - int(data.get("ChainId", 0))
        data["Key"] = rng.randint(100_000, 9_999_999)
        data["ChainId"] = data["Key"] - gap
    return data


def parse_value(text: str) -> Any:
    """``--set`` values: JSON when it parses (``true``, ``42``, ``null``, ``{...}``), else text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _unknown(path: str, where: str, part: str, node: dict[str, Any]) -> KnotebookError:
    close = difflib.get_close_matches(part, list(node), n=3, cutoff=0.6)
    close += [k for k in node if k.lower() == part.lower() and k not in close]
    hint = f"; did you mean {', '.join(f'{where}{k}' for k in close)}?" if close else ""
    return KnotebookError(
        f"--set {path}: the event has no field {where}{part}{hint} "
        f"(to add one, write +{path.lstrip('+')}=VALUE)"
    )


def set_path(data: dict[str, Any], path: str, value: Any, *, create: bool = False) -> None:
    """Set ``Vm.Name`` / ``Info.State`` / ``Arguments.0.Value`` in a payload.

    Only fields the event has: a typo (``Vm.Nmae``) is an error with "did you mean". A leading
    ``+`` (``+Vm.Note``), or ``create``, adds missing keys. A null field (an entity the event
    does not carry) may become an object; a string or number never does (``Vm.Name.Deep``).
    """
    if path.startswith("+"):
        path, create = path[1:], True
    parts = [p for p in path.split(".") if p]
    if not parts:
        raise KnotebookError(f"empty field path in {path!r}")
    node: Any = data
    fresh = False  # inside an object this call created: its keys are all new
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        where = ".".join(parts[:i]) + "." if i else ""
        if isinstance(node, list):
            try:
                index = int(part)
                node[index]
            except (ValueError, IndexError) as exc:
                raise KnotebookError(f"{path}: {part!r} is not an index of a list") from exc
            if last:
                node[index] = value
                return
            node = node[index]
            continue
        if not isinstance(node, dict):
            kind = {str: "string", bool: "boolean", int: "number", float: "number"}.get(
                type(node), type(node).__name__
            )
            raise KnotebookError(
                f"--set {path}: {where.rstrip('.')} is a {kind}, not an object; "
                f"set {where.rstrip('.')} itself"
            )
        if part not in node and not (create or fresh):
            raise _unknown(path, where, part, node)
        if last:
            node[part] = value
            return
        child = node.get(part)
        if child is None:
            node[part] = child = {}
            fresh = True
        node = child


def split_pairs(items: list[str] | tuple[str, ...], option: str, what: str) -> dict[str, str]:
    """``["a=1", "b=x=y"]`` -> ``{"a": "1", "b": "x=y"}``; a malformed item names ``option``."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise KnotebookError(f"{option} expects {what}=value, got {item!r}")
        out[key.strip()] = raw
    return out


def parse_assignments(items: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``["Vm.Name=web-01", "Template=true"]`` -> ``{"Vm.Name": "web-01", "Template": True}``."""
    return {path: parse_value(raw) for path, raw in split_pairs(items, "--set", "Path").items()}
