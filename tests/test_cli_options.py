"""Shared options are defined once (cli/options.py) and take their choices from one place."""

import re
from pathlib import Path

import click

from knotebook.cli.main import main
from knotebook.events.envelopes import ENVELOPES
from knotebook.local.delivery import MODES

CLI = Path(__file__).resolve().parents[1] / "src" / "knotebook" / "cli"


def _options(group: click.Group, name: str):
    for command in group.commands.values():
        if isinstance(command, click.Group):
            yield from _options(command, name)
        for param in command.params:
            if name in getattr(param, "opts", ()):
                yield command.name, param


def test_mode_and_envelope_choices_come_from_delivery_and_envelopes():
    modes = list(_options(main, "--mode"))
    assert len(modes) >= 5
    for command, param in modes:
        assert tuple(c for c in param.type.choices if c != "both") == MODES, command
    for command, param in _options(main, "--envelope"):
        assert tuple(c for c in param.type.choices if c != "both") == ENVELOPES, command


def test_no_command_spells_the_modes_or_defines_mode_itself():
    for path in CLI.glob("*.py"):
        text = path.read_text()
        assert not re.search(
            r"""["'](binary|structured)["'],\s*["'](binary|structured)["']""", text
        ), path
        if path.name != "options.py":
            assert '"--mode"' not in text, path
