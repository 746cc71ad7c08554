"""The Procfile's ``web:`` line: what the buildpacks' launcher (and knotebook locally) runs."""

from __future__ import annotations

import re

WEB = re.compile(r"(?m)^web:[ \t]*(\S.*?)[ \t\r]*$")


def web_command(text: str) -> str | None:
    """The command of the ``web:`` process type in Procfile ``text``; None when there is none."""
    match = WEB.search(text)
    return match.group(1) if match else None
