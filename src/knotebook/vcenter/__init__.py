"""The outside world in the loop: a local vCenter simulator, live events, a local VSphereSource.

>>> from knotebook import vcenter
>>> with vcenter.simulator() as vc:
...     si = vc.connect()                         # pyVmomi, logged in
...     mark = vcenter.watermark(si)
...     ...                                       # power off a VM, create one...
...     events = vcenter.captured(si, mark)       # what VEBA would deliver, oldest first

pyVmomi is imported only by the functions that talk to a vCenter.
"""

from __future__ import annotations

from typing import Any

from knotebook.vcenter.client import Credentials, connect, credentials
from knotebook.vcenter.vcsim import Model, Simulator, simulator, start


def captured(si: Any, after: int, **kwargs: Any) -> list[Any]:
    """The events above Key ``after`` as VEBA CloudEvents (see ``follow.captured``)."""
    from knotebook.vcenter.follow import captured as _captured

    return _captured(si, after, **kwargs)


def watermark(si: Any) -> int:
    """The newest event Key on a connected vCenter."""
    from knotebook.vcenter.follow import watermark as _watermark

    return _watermark(si)


__all__ = [
    "Credentials",
    "Model",
    "Simulator",
    "captured",
    "connect",
    "credentials",
    "simulator",
    "start",
    "watermark",
]
