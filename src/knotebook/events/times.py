"""vCenter timestamps as Go writes them (RFC 3339, UTC ``Z``, trailing zero digits trimmed)."""

from __future__ import annotations

from datetime import UTC, datetime

from knotebook.errors import KnotebookError

DEFAULT_TIME = "2024-01-17T13:02:05.426999Z"


def parse_time(value: str | datetime) -> datetime:
    """A timezone-aware UTC datetime from an RFC 3339 string (up to 9 digits) or a datetime."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if "." in text:  # Python keeps microseconds: cut nanoseconds before parsing
        head, _, rest = text.partition(".")
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise KnotebookError(f"not an RFC 3339 time: {value!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_time(value: datetime) -> str:
    """Go's ``time.RFC3339Nano`` for a UTC datetime: ``2021-10-01T17:25:33.63Z``."""
    value = parse_time(value)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"


def normalize(value: str | datetime) -> str:
    return format_time(parse_time(value))
