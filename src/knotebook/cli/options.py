"""What every command shares: the click context settings and the options of several commands."""

from __future__ import annotations

from typing import Any

import click

CONTEXT: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

no_venv_option = click.option(
    "--no-venv",
    is_flag=True,
    help="Use knotebook's own packages instead of a venv made from requirements.txt.",
)

port_option = click.option(
    "--port", type=int, help="Port [default: 8080, or a free one if 8080 is taken]."
)

set_option = click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="PATH=VALUE",
    help="Set a payload field (JSON values are parsed), e.g. Vm.Name=web-01.",
)


def say(message: str) -> None:
    """Progress for people: on stderr, so stdout stays the command's result."""
    click.echo(message, err=True)
