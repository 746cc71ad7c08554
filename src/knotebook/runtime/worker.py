"""The Procfile's server: gunicorn runs uvicorn workers (httptools' C parser, uvloop's loop).

gunicorn.conf.py names ``knotebook.runtime.worker.UvicornWorker``. gunicorn keeps what it does
well (the master, two workers, SIGTERM drain within graceful_timeout, restarting a dead worker);
uvicorn parses HTTP in C, which costs the server a third of gunicorn's own asyncio worker per
event. Only ``gunicorn`` imports this module: the rest of the runtime does not need uvicorn.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn_worker import UvicornWorker as _UvicornWorker

# gunicorn's own request-head limits (limit_request_line, limit_request_field_size,
# limit_request_fields): uvicorn's httptools protocol has none, so they are kept here.
REQUEST_LINE = 4094
FIELD_SIZE = 8190
FIELDS = 100
_431 = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n%s"
)


class HeadTooLarge(Exception):
    """A request line or header over gunicorn's limits (answered 431 by the protocol)."""


class Protocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with gunicorn's request-head limits: 431, then close."""

    fields = 0
    too_large = ""

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.fields = 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > REQUEST_LINE:
            self.refuse(f"request line is over {REQUEST_LINE} bytes")

    def on_header(self, name: bytes, value: bytes) -> None:
        self.fields += 1
        if len(name) + len(value) > FIELD_SIZE:
            self.refuse(f"header {name[:40].decode('latin-1')} is over {FIELD_SIZE} bytes")
        if self.fields > FIELDS:
            self.refuse(f"more than {FIELDS} header fields")
        super().on_header(name, value)

    def refuse(self, reason: str) -> None:
        self.too_large = reason
        raise HeadTooLarge(reason)  # httptools stops parsing; uvicorn answers the parse error

    def send_400_response(self, msg: str) -> None:
        if not self.too_large:
            return super().send_400_response(msg)
        self.logger.warning("rejected request (431): %s", self.too_large)
        body = json.dumps({"status": 431, "error": self.too_large}).encode()
        self.transport.write(_431 % (len(body), body))
        self.transport.close()


class UvicornWorker(_UvicornWorker):  # type: ignore[misc]  # uvicorn_worker has no types
    """uvicorn_worker's gunicorn worker, set for handler:app (an ASGI 3 app that is also WSGI,
    so its interface is named, not guessed) and the runtime's own logging."""

    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {
        "loop": "auto",  # uvloop when installed
        "http": Protocol,
        "interface": "asgi3",
        "lifespan": "on",
        # the client address is the queue-proxy's; nothing reads X-Forwarded-*: skip the rewrite
        "proxy_headers": False,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # one line per request only when asked (GUNICORN_CMD_ARGS="--access-logfile -")
        self.config.access_log = self.cfg.accesslog is not None
        # Tell the arbiter we are alive every second, not every timeout / 2: a function blocks
        # the loop for up to KNOTEBOOK_TIMEOUT_SECONDS (then 504), and the arbiter kills a worker
        # silent for `timeout` (that + 20 s), so a heartbeat due half a timeout later would let a
        # function longer than timeout / 2 (from 155 s) be killed instead of answered.
        self.config.timeout_notify = 1.0
