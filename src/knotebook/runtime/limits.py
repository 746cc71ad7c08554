"""The limits of one app, from the environment when the app is built (set them on the Service).

``KNOTEBOOK_MAX_BODY_BYTES`` (default 1.5 MiB: an event carrying 1 MiB of data fits in either
mode, base64 included), ``KNOTEBOOK_TIMEOUT_SECONDS`` (290: a function still running then is cut
with 504, below the Service's timeoutSeconds of 300) and ``KNOTEBOOK_READ_TIMEOUT_SECONDS`` (10: a
client sending its body slower gets 408).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

MAX_BODY_BYTES = 1536 * 1024  # 1 MiB of data as base64 (1,398,104 bytes) plus its attributes
TIMEOUT_SECONDS = 290
READ_TIMEOUT_SECONDS = 10


def _int(environ: dict[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "")
    if not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a whole number") from None
    if value <= 0:
        raise ValueError(f"{name}={raw!r} must be positive")
    return value


@dataclass(frozen=True)
class Limits:
    max_body: int = MAX_BODY_BYTES
    timeout: int = TIMEOUT_SECONDS
    read_timeout: int = READ_TIMEOUT_SECONDS

    @classmethod
    def from_environ(cls, environ: dict[str, str] | None = None) -> Limits:
        env = dict(os.environ if environ is None else environ)
        return cls(
            _int(env, "KNOTEBOOK_MAX_BODY_BYTES", MAX_BODY_BYTES),
            _int(env, "KNOTEBOOK_TIMEOUT_SECONDS", TIMEOUT_SECONDS),
            _int(env, "KNOTEBOOK_READ_TIMEOUT_SECONDS", READ_TIMEOUT_SECONDS),
        )
