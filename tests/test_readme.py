"""The README's command reference matches the CLI: every command, every option, one copy."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import click

from knotebook.cli.main import main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _commands(group: click.Group, prefix: str = "knotebook") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        if command.hidden:
            continue
        found.append((f"{prefix} {name}", command))
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix} {name}")
    return found


def test_every_command_and_option_is_in_the_readme() -> None:
    missing = []
    for path, command in _commands(main):
        name = path.split()[-1]
        if not re.search(rf"knotebook (\S+ )?{re.escape(name)}\b", README):
            missing.append(path)
        for param in command.params:
            if not isinstance(param, click.Option) or param.hidden:
                continue
            names = param.opts + param.secondary_opts
            if "--help" not in names and not any(re.search(rf"{o}\b", README) for o in names):
                missing.append(f"{path} {names[0]}")
    assert missing == [], missing


def test_no_section_is_duplicated() -> None:
    headings = Counter(line for line in README.splitlines() if line.startswith("#"))
    # lines starting with '#' inside code blocks are comments: only count markdown headings
    twice = [h for h, n in headings.items() if n > 1 and h.startswith("## ")]
    twice += [h for h, n in headings.items() if n > 1 and h.startswith("### `")]
    assert twice == []


def test_the_validate_banner_is_what_validate_prints() -> None:
    assert "notebook run(s)" not in README
    assert re.search(r"Running \d+ checks: \d+ notebook runs with papermill", README)
