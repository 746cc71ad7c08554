"""``--shard I/N``: a stable, balanced share of the notebooks for one of N CI jobs.

A notebook is never split between shards (its runs share a kernel). Notebooks are dealt
heaviest first to the least loaded shard, weighing each by the time its runs will take: the
recorded duration of each run name (0 for a run the cache will answer), or 1 s when none is
recorded. Every shard computes the same split from the same plan and cache, so shards 1..N
together hold every notebook exactly once; CI gives them the same cache (``init-ci --shards``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from knotebook.errors import KnotebookError

SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
UNKNOWN_SECONDS = 1.0


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based, as written on the command line
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse(spec: str) -> Shard:
    """``"2/3"`` → Shard(2, 3); anything else is a one-line error."""
    match = SPEC.match(spec)
    if not match:
        raise KnotebookError(f"--shard {spec}: expected I/N, such as 1/3")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise KnotebookError(f"--shard {spec}: I must be between 1 and N (N >= 1)")
    return Shard(index, count)


def split(
    notebooks: Sequence[Path], weight: Callable[[Path], float], count: int
) -> list[list[Path]]:
    """Deal ``notebooks`` into ``count`` shards, heaviest first to the lightest shard."""
    loads = [0.0] * count
    shards: list[list[Path]] = [[] for _ in range(count)]
    ordered = sorted(notebooks, key=lambda p: (-round(weight(p), 3), str(p)))
    for path in ordered:
        lightest = min(range(count), key=lambda i: (loads[i], i))
        shards[lightest].append(path)
        loads[lightest] += weight(path)
    order = {path: i for i, path in enumerate(notebooks)}
    return [sorted(shard, key=order.__getitem__) for shard in shards]


def select(notebooks: Sequence[Path], weight: Callable[[Path], float], shard: Shard) -> list[Path]:
    """The notebooks of ``shard`` (in their original order)."""
    return split(notebooks, weight, shard.count)[shard.index - 1]
