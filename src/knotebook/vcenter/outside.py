"""The outside world during validation: the HTTP stand-in, and a simulator when declared.

``knotebook validate`` runs inside ``standing_in(allow)``; each notebook kernel and each
contract-check server gets an ``Outside``: its environment sends HTTP(S) to the stand-in under
its own tag, and, for a notebook whose settings say ``VCENTER = "simulator"``, carries a fresh
simulator's ``VCENTER_URL``/``USER``/``PASSWORD``/``INSECURE``: the variables the deployed
function reads, overriding any real vCenter in the notebook's env file.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from knotebook.vcenter.standin import Request, StandIn

SIMULATOR = "simulator"
_active: StandIn | None = None
_lock = threading.Lock()
_count = itertools.count(1)


@contextlib.contextmanager
def standing_in(allow: tuple[str, ...] = ()) -> Iterator[StandIn]:
    """Make a stand-in the active one for the block (reuses an active one, if any)."""
    global _active
    with _lock:
        outer = _active
    if outer is not None:
        yield outer
        return
    with StandIn(allow) as standin:
        with _lock:
            _active = standin
        try:
            yield standin
        finally:
            with _lock:
                _active = None


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)  # the first use builds the simulator (~30 s)


class Outside:
    """One context's view of the outside world: ``env()``, ``take()``, ``close()``."""

    def __init__(self, path: Path, vcenter: str = "", label: str = "nb") -> None:
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{label}-{path.stem}")
        self.tag = f"{slug}-{next(_count)}"
        self.vcenter = vcenter
        self._simulator: Any = None

    def env(self) -> dict[str, str]:
        """Proxy variables for the stand-in, and the simulator's login when declared."""
        env: dict[str, str] = {}
        with _lock:
            standin = _active
        if standin is not None:
            env.update(standin.env(self.tag))
        if self.vcenter == SIMULATOR:
            if self._simulator is None or not self._simulator.running:
                from knotebook.vcenter import vcsim

                self._simulator = vcsim.start(progress=_say)
            env.update(self._simulator.env())
        return env

    def take(self) -> list[Request]:
        """The requests recorded since the last take."""
        with _lock:
            standin = _active
        return standin.take(self.tag) if standin is not None else []

    def close(self) -> None:
        if self._simulator is not None:
            self._simulator.stop()
            self._simulator = None


def for_settings(path: Path, settings: Any, label: str = "nb") -> Outside:
    """The Outside of a notebook (``settings`` may be None: an exploration notebook)."""
    return Outside(path, getattr(settings, "vcenter", "") or "", label)


def summarize(requests: list[Request], mask: Any = None) -> tuple[tuple[str, str, str], ...]:
    """(method, url, body) per request, with ``mask(text)`` applied (secrets hidden)."""
    out = []
    for request in requests:
        url, body = request.url, request.body.decode("utf-8", "replace")
        if mask is not None:
            if mask(url) != url:  # the URL holds a secret (a webhook's): keep only its host
                scheme, _, rest = url.partition("://")
                url = f"{scheme}://{rest.split('/', 1)[0]}/********"
            body = mask(body)
        out.append((request.method, url, body))
    return tuple(out)
