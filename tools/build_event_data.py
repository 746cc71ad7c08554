"""Rebuild the packaged event data from the research references (a dev tool, never run at runtime).

\b
Usage (from the repo root):
    git -C /work/.mirror/vmware+govmomi/repo show v0.30.2:vim25/types/types.go > /tmp/types.go
    git -C /work/.mirror/vmware+govmomi/repo show v0.30.2:vim25/types/enum.go > /tmp/enum.go
    PYTHONPATH=src python tools/build_event_data.py \\
        --reference /work/shared/reference \\
        --govmomi-types /tmp/types.go --govmomi-enums /tmp/enum.go

Writes, next to this file:
    catalog.tsv.gz   every vCenter event id of the 8 complete catalogs (lamw/vcenter-event-mapping)
    govmomi.json.gz  flattened field lists of the govmomi structs that vSphere events are made of
    samples/*.json   realistic samples: adapted VEBA captures (with provenance) + curated synthetics
    negative.json    raw HTTP requests a handler must survive (see build_event_samples.py)
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from pathlib import Path

# the package data it writes: src/knotebook/events/data/ of this checkout
HERE = Path(__file__).resolve().parents[1] / "src" / "knotebook" / "events" / "data"

VERSIONS = ("6.7u3", "7.0u1", "7.0u2", "7.0u3", "8.0", "8.0u1", "8.0u2", "8.0u3")
KINDS = {"Standard": "standard", "EventEx": "eventex", "ExtendedEvent": "extendedevent"}
CATALOG_SOURCE = "lamw/vcenter-event-mapping@4a17f52aa69a28b360aa63be3a9470001e5eb714"
GOVMOMI_SOURCE = (
    "vmware/govmomi:vim25/types/types.go@v0.30.2 (9078b0b4399930876c766d4dff04935c523a7e18)"
)

ROW = re.compile(r"^\|\s*([A-Za-z0-9._-]+)\s*\|\s*(Standard|EventEx|ExtendedEvent)\s*\|(.*)\|?\s*$")


# --- catalog ---------------------------------------------------------------------------------


def build_catalog(reference: Path) -> list[tuple[str, str, int, str]]:
    """Merge the 8 Markdown tables into rows (id, kind, version bitmask, description)."""
    rows: dict[str, dict] = {}
    for bit, version in enumerate(VERSIONS):
        text = (reference / "vcenter-events" / f"vsphere-{version}.md").read_text("utf-8")
        for line in text.splitlines():
            m = ROW.match(line)
            if not m:
                continue
            event_id, kind, desc = m.group(1), KINDS[m.group(2)], m.group(3).strip().strip("|")
            row = rows.setdefault(event_id, {"kind": kind, "mask": 0, "desc": ""})
            row["mask"] |= 1 << bit
            row["kind"] = kind  # the newest catalog wins
            desc = " ".join(desc.split())
            if desc and desc != event_id:
                row["desc"] = desc
    return sorted(
        ((i, r["kind"], r["mask"], r["desc"]) for i, r in rows.items()), key=lambda r: r[0].lower()
    )


def write_catalog(rows: list[tuple[str, str, int, str]]) -> None:
    lines = [f"# {CATALOG_SOURCE}; versions: {','.join(VERSIONS)} (bit 0 = first)"]
    lines += [f"{i}\t{k}\t{m:x}\t{d}" for i, k, m, d in rows]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    (HERE / "catalog.tsv.gz").write_bytes(gzip.compress(data, compresslevel=9, mtime=0))


# --- govmomi schema ---------------------------------------------------------------------------

STRUCT = re.compile(r"^type (\w+) struct \{\n(.*?)^\}", re.S | re.M)
FIELD = re.compile(r"^\s*(\w+)\s+([\w.*\[\]]+)\s+`xml:\"[^\"]*\"`")
EMBED = re.compile(r"^\s*(\w+)\s*$")
PRIMITIVES = {"string", "bool", "int", "int8", "int16", "int32", "int64", "uint8", "byte"}
PRIMITIVES |= {"float32", "float64", "time.Time"}
# interfaces that vCenter always fills (required in the WSDL): zero them as this concrete struct
CONCRETE = {"BaseDVSConfigSpec": "VMwareDVSConfigSpec", "BaseTaskReason": "TaskReasonUser"}


def parse_structs(source: str) -> dict[str, list]:
    """Struct name -> ordered members: ("embed", Type) or (Field, GoType)."""
    structs: dict[str, list] = {}
    for m in STRUCT.finditer(source):
        members = []
        for line in m.group(2).splitlines():
            if f := FIELD.match(line):
                members.append((f.group(1), f.group(2)))
            elif e := EMBED.match(line):
                members.append(("embed", e.group(1)))
        structs[m.group(1)] = members
    return structs


def flatten(name: str, structs: dict[str, list]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for field, gotype in structs[name]:
        if field == "embed":
            if gotype in structs:
                out.extend(flatten(gotype, structs))
        else:
            out.append((field, gotype))
    return out


def is_event(name: str, structs: dict[str, list]) -> bool:
    while name in structs:
        if name == "Event":
            return True
        embeds = [t for f, t in structs[name] if f == "embed"]
        if not embeds:
            return False
        name = embeds[0]
    return False


def base_name(gotype: str) -> str:
    return gotype.lstrip("*[]")


def build_schema(types_go: str, enums_go: str, standard_ids: set[str]) -> dict:
    """Flattened fields for every event class plus every struct reachable from one."""
    structs = parse_structs(types_go)
    enums = set(re.findall(r"^type (\w+) string$", enums_go + types_go, re.M))
    events = {n for n in structs if is_event(n, structs)}
    missing = sorted(standard_ids - events)
    if missing:
        print(f"warning: {len(missing)} Standard ids are not govmomi event structs: {missing}")
    parents = {}
    for n in events:
        embeds = [t for f, t in structs[n] if f == "embed"]
        parents[n] = embeds[0] if embeds else ""
    # structs a synthesizer fills: everything reachable by value, plus pointers/slices to structs
    # up to depth 3 (enough for ConfigSpec -> DeviceChange -> Device, TaskInfo -> Error ...).
    keep: dict[str, list[tuple[str, str]]] = {}
    frontier = [(n, 0) for n in sorted(events | set(CONCRETE.values()))]
    while frontier:
        name, depth = frontier.pop()
        if name in keep or name not in structs:
            continue
        keep[name] = flatten(name, structs)
        for _field, gotype in keep[name]:
            target = base_name(gotype)
            by_value = gotype == target
            if target in structs and (by_value or depth < 2):
                frontier.append((target, depth + (0 if by_value else 1)))

    def kind(gotype: str) -> str:
        """Compact type code: s b i f t (string bool int float time), E:enum, S:Struct, ?."""
        prefix = ""
        while gotype.startswith(("*", "[]")):
            prefix += "*" if gotype[0] == "*" else "[]"
            gotype = gotype[1:] if gotype[0] == "*" else gotype[2:]
        if gotype in CONCRETE and not prefix:
            code = "S:" + CONCRETE[gotype]
        elif gotype == "string" or gotype in enums:
            code = "s"
        elif gotype == "bool":
            code = "b"
        elif gotype in ("float32", "float64"):
            code = "f"
        elif gotype == "time.Time":
            code = "t"
        elif gotype in PRIMITIVES:
            code = "i"
        elif gotype in keep:
            code = "S:" + gotype
        elif gotype in structs:
            code = "R:" + gotype  # struct we did not keep: always null/empty in samples
        else:
            code = "?:" + gotype  # interface (BaseMethodFault, AnyType ...): null
        return prefix + code

    return {
        "source": GOVMOMI_SOURCE,
        "events": {n: parents[n] for n in sorted(events)},
        "structs": {n: [[f, kind(t)] for f, t in fields] for n, fields in sorted(keep.items())},
    }


def write_schema(schema: dict) -> None:
    data = json.dumps(schema, separators=(",", ":"), sort_keys=True).encode("utf-8")
    (HERE / "govmomi.json.gz").write_bytes(gzip.compress(data, compresslevel=9, mtime=0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reference", type=Path, required=True)
    parser.add_argument("--govmomi-types", type=Path, required=True)
    parser.add_argument("--govmomi-enums", type=Path, required=True)
    parser.add_argument("--skip-samples", action="store_true")
    args = parser.parse_args()
    rows = build_catalog(args.reference)
    write_catalog(rows)
    print(f"catalog: {len(rows)} ids")
    standard = {r[0] for r in rows if r[1] == "standard"}
    schema = build_schema(
        args.govmomi_types.read_text("utf-8"), args.govmomi_enums.read_text("utf-8"), standard
    )
    write_schema(schema)
    print(f"govmomi: {len(schema['events'])} event classes, {len(schema['structs'])} structs")
    if not args.skip_samples:
        from build_event_samples import (  # type: ignore[import-not-found]  # a sibling script
            build_negative,
            build_samples,
        )

        for path in build_samples(args.reference, HERE / "samples"):
            print(f"sample: {path.name}")
        print(f"negative: {len(build_negative(args.reference, HERE / 'negative.json'))} requests")


if __name__ == "__main__":
    main()
