"""URLs given on the command line: checked before any socket sees them (one line, no traceback)."""

from __future__ import annotations

import urllib.parse

from knotebook.errors import KnotebookError


def check_url(url: str) -> str:
    """``url`` when it is an http(s) URL with a host and a valid port; else a one-line error."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port  # ValueError for :abc and :99999
    except ValueError as exc:
        raise KnotebookError(f"{url}: not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise KnotebookError(f"{url}: not an http:// or https:// URL with a host")
    if port == 0:
        raise KnotebookError(f"{url}: port 0 is not a port to send to")
    return url
