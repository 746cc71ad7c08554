"""HTTP answers as (status, headers, body), shared by the ASGI and WSGI sides."""

from __future__ import annotations

import json
import logging
import os
from http import HTTPStatus

from .binding import BadEvent

Response = tuple[int, list[tuple[str, str]], bytes]
STATUS = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus}
NO_CONTENT: Response = (204, [], b"")
# KNOTEBOOK_INSTANCE: a per-start nonce `knotebook run/try` sets; /healthz echoes it so the
# launcher knows the answer comes from the process it started, not another on the same port.
INSTANCE = os.environ.get("KNOTEBOOK_INSTANCE", "")
INSTANCE_HEADER = "x-knotebook-instance"
HEALTHZ: Response = (
    200,
    [("content-type", "text/plain; charset=utf-8"), ("content-length", "3")]
    + ([(INSTANCE_HEADER, INSTANCE)] if INSTANCE else []),
    b"ok\n",
)


def json_response(
    status: int, payload: dict[str, object], headers: list[tuple[str, str]] | None = None
) -> Response:
    body = json.dumps(payload).encode()
    out = [("content-type", "application/json"), ("content-length", str(len(body)))]
    return status, out + (headers or []), body


def problem(status: int, reason: str, close: bool = False) -> Response:
    """A JSON error answer: ``{"status": ..., "error": reason}``."""
    # close: the rest of the body is not read, the connection cannot carry another request
    return json_response(
        status, {"status": status, "error": reason}, [("connection", "close")] if close else None
    )


def rejected(log: logging.Logger, exc: BadEvent) -> Response:
    """A request that is not a usable CloudEvent: one warning line and a JSON 4xx."""
    log.warning("rejected request (%s): %s", exc.status, exc.reason)
    return problem(exc.status, exc.reason, close=exc.status in (408, 413))
