"""Run and export a notebook's function from inside its own kernel (no IPython import here).

The function cells are taken *as they ran in the kernel* (so unsaved edits count), placed into
the saved notebook where they belong, rendered into the same ``handler.py`` that
``knotebook export`` writes, and that module's Flask app answers the event through its test
client: the real HTTP binding, in-process. ``magics.py`` is the IPython front end.
"""

from knotebook.lab.history import KINDS, SIMILAR, CellRun, KernelHistory, locate
from knotebook.lab.invoke import Invocation, environment, invoke, load_handler, render_handler
from knotebook.lab.kernel_export import ExportReport, export
from knotebook.lab.kernelfn import CellOrigin, KernelFunction, from_kernel

__all__ = [
    "KINDS",
    "SIMILAR",
    "CellOrigin",
    "CellRun",
    "ExportReport",
    "Invocation",
    "KernelFunction",
    "KernelHistory",
    "environment",
    "export",
    "from_kernel",
    "invoke",
    "load_handler",
    "locate",
    "render_handler",
]
