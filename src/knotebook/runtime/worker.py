"""The Procfile's server: gunicorn runs uvicorn workers (httptools' C parser, uvloop's loop).

gunicorn.conf.py names ``knotebook.runtime.worker.UvicornWorker``. gunicorn keeps what it does
well (the master, two workers, SIGTERM drain within graceful_timeout, restarting a dead worker);
uvicorn parses HTTP in C, which costs the server a third of gunicorn's own asyncio worker per
event. Only gunicorn imports this module: the rest of the runtime does not need uvicorn.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn_worker import UvicornWorker as _UvicornWorker

_REFUSAL = (
    b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
    b"connection: close\r\n\r\n%s"
)


class HeadTooLarge(Exception):
    """A request line or header over the limits (answered 414 or 431 by the protocol)."""


class Protocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with gunicorn's request-head limits, which uvicorn lacks:
    ``limit_request_line`` (414), ``limit_request_field_size`` and ``limit_request_fields``
    (431), then the connection closes. 0 means no limit, as in gunicorn. The worker sets them
    from gunicorn's settings; the defaults are gunicorn's."""

    request_line = 4094
    field_size = 8190
    fields = 100
    _count = 0  # header fields of the request being read
    _head = 0  # bytes received while its head is read (httptools buffers a field until it ends)
    _in_head = True
    refused: tuple[int, str] | None = None

    def data_received(self, data: bytes) -> None:
        if self._in_head and self.request_line and self.field_size and self.fields:
            self._head += len(data)
            most = self.request_line + self.fields * (self.field_size + 4)
            if self._head > most + 4:
                return self.refuse(431, f"request head is over {most} bytes")
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._count, self._in_head = 0, True

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if self.request_line and len(self.url) > self.request_line:
            self.fail(414, f"request target is over {self.request_line} bytes")

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self._in_head:  # a trailer of a chunked body: the app is reading it already
            return super().on_header(name, value)
        self._count += 1
        if self.field_size and len(name) + len(value) + 2 > self.field_size:
            self.fail(431, f"header {name[:40].decode('latin-1')} is over {self.field_size} bytes")
        if self.fields and self._count > self.fields:
            self.fail(431, f"more than {self.fields} header fields")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head, self._in_head = 0, False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True  # what comes next on the connection is the next request's head

    def fail(self, status: int, reason: str) -> None:
        """Stop parsing (from a parser callback): uvicorn answers the parse error, as ours."""
        self.refused = (status, reason)
        raise HeadTooLarge(reason)

    def refuse(self, status: int, reason: str) -> None:
        self.refused = (status, reason)
        self.send_400_response(reason)

    def send_400_response(self, msg: str) -> None:
        if self.refused is None:
            return super().send_400_response(msg)
        status, reason = self.refused
        self.logger.warning("rejected request (%d): %s", status, reason)
        body = json.dumps({"status": status, "error": reason}).encode()
        phrase = b"URI Too Long" if status == 414 else b"Request Header Fields Too Large"
        self.transport.write(_REFUSAL % (status, phrase, len(body), body))
        self.transport.close()


class UvicornWorker(_UvicornWorker):  # type: ignore[misc]  # uvicorn_worker has no types
    """uvicorn_worker's gunicorn worker, set for handler:app: an ASGI 3 app that is also WSGI
    (so its interface is named, not guessed), with gunicorn's request-head limits."""

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
        limits = {
            "request_line": self.cfg.limit_request_line,
            "field_size": self.cfg.limit_request_field_size,
            "fields": self.cfg.limit_request_fields,
        }
        self.config.http = type("Protocol", (Protocol,), limits)
        # Tell the arbiter we are alive every second, not every timeout / 2: a function blocks
        # the loop for up to KNOTEBOOK_TIMEOUT_SECONDS (then 504), and the arbiter kills a worker
        # silent for `timeout` (that + 20 s), so a heartbeat due half a timeout later would let a
        # function longer than timeout / 2 (from 155 s) be killed instead of answered.
        self.config.timeout_notify = 1.0
