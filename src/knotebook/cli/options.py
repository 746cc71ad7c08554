"""What every command shares: the click context settings and the options of several commands."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any, TypeVar

import click

from knotebook.events.envelopes import ENVELOPES
from knotebook.local.delivery import MODES

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

no_venv_option = click.option(
    "--no-venv",
    is_flag=True,
    help="Use knotebook's own packages instead of a venv made from requirements.txt.",
)


class Whole(click.IntRange):
    """A whole number in a range; a word where a number belongs says what was expected."""

    def __init__(self, min: int | None = None, max: int | None = None, what: str = "") -> None:
        super().__init__(min, max)
        bounds = f"{min}-{max}" if max is not None else f"{min} or more"
        self.what = f"{what or 'a whole number'} ({bounds})" if min is not None else "a number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, int):
            try:
                int(str(value))
            except ValueError:
                self.fail(f"{value!r} is not {self.what}", param, ctx)
        return super().convert(value, param, ctx)


class Seconds(click.FloatRange):
    """A number (of seconds, or a factor) of at least ``min`` (above it: ``min_open``)."""

    def __init__(self, min: float = 0, what: str = "a number", *, min_open: bool = False) -> None:
        super().__init__(min, min_open=min_open)  # min_open: more than min (a timeout of 0)
        self.what = (
            f"{what} ({'more than ' if min_open else ''}{min}{'' if min_open else ' or more'})"
        )

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, float | int):
            try:
                float(str(value))
            except ValueError:
                self.fail(f"{value!r} is not {self.what}", param, ctx)
        return super().convert(value, param, ctx)


# 0 asks the system for a free port; anything outside 0-65535 is a usage error (exit 2)
# before a socket sees it (socket.bind raises OverflowError for 99999 and -1).
PORT = Whole(0, 65535, "a port number")


class Host(click.ParamType):  # type: ignore[type-arg]  # generic only in click's stubs
    """An IP address to listen on (a name could resolve to any interface)."""

    name = "ADDRESS"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip("[]")
        if text == "localhost":
            return "127.0.0.1"
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            self.fail(f"{value!r} is not an IP address (127.0.0.1, 0.0.0.0 or ::1)", param, ctx)


port_option = click.option(
    "--port", type=PORT, help="Port [default: 8080, or a free one if 8080 is taken]."
)


def host_option(
    help: str = "Address to listen on; 0.0.0.0 opens it to the network.",
) -> Callable[[Any], Any]:
    return click.option("--host", type=Host(), default="127.0.0.1", show_default=True, help=help)


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


def envelope_option(help: str, *, choices: tuple[str, ...] = ENVELOPES) -> Callable[[F], F]:
    """``--envelope`` (default tanzu) of the commands that make or send events."""
    return click.option(
        "--envelope", type=click.Choice(choices), default="tanzu", show_default=True, help=help
    )


def mode_option(default: str, help: str, *, both: bool = False) -> Callable[[F], F]:
    """``--mode``: a CloudEvents HTTP content mode (``delivery.MODES``; ``both`` for try)."""
    choices = (*MODES, "both") if both else MODES
    return click.option(
        "--mode", type=click.Choice(choices), default=default, show_default=True, help=help
    )
