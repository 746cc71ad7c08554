"""``knotebook lab``: JupyterLab on the project's notebooks (see :mod:`knotebook.lab.server`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from knotebook.cli.options import CONTEXT, PORT, Seconds, say
from knotebook.lab import server


@click.command("lab", context_settings=CONTEXT)
@click.argument(
    "target", default="notebooks", type=click.Path(path_type=Path, exists=False), required=False
)
@click.option("--port", type=PORT, help="Port on 127.0.0.1 [default: 8888 or the next free one].")
@click.option(
    "--timeout",
    type=Seconds(0, "a number of seconds", min_open=True),
    default=120.0,
    show_default=True,
    help="Seconds to wait for JupyterLab to answer.",
)
def lab_command(target: Path, port: int | None, timeout: float) -> None:
    """Start JupyterLab on notebooks/ (or TARGET, a folder or a notebook), bound to localhost.

    The kernel is this environment's Python, with knotebook installed: `%load_ext knotebook`
    works. The token is $JUPYTER_TOKEN, or a new random one; the URL with the token is printed
    when the server is ready. Ctrl-C stops it.

    \b
    Examples:
      knotebook lab
      knotebook lab notebooks/vm_created.ipynb --port 8899
    """
    sys.exit(server.serve(target, port, timeout, say))
