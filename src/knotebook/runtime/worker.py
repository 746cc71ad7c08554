"""The Procfile's server: gunicorn runs uvicorn workers (httptools' C parser, uvloop's loop).

gunicorn.conf.py names ``knotebook.runtime.worker.UvicornWorker``. gunicorn keeps what it does
well (the master, two workers, SIGTERM drain within graceful_timeout, restarting a dead worker);
uvicorn parses HTTP in C, which costs the server a third of gunicorn's own asyncio worker per
event. Only gunicorn imports this module: the rest of the runtime does not need uvicorn.
"""

from __future__ import annotations

from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn_worker import UvicornWorker as _UvicornWorker

from .binding import BadEvent
from .responses import STATUS, problem


class HeadTooLarge(Exception):
    """A request line or header over the limits (answered 414 or 431 by the protocol)."""


class Protocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with gunicorn's request-head limits, which uvicorn lacks:
    ``limit_request_line`` (414), ``limit_request_field_size`` and ``limit_request_fields``
    (431), then the connection closes. 0 means no limit, as in gunicorn. The worker sets them
    from gunicorn's settings; the defaults are gunicorn's. They are checked once the head is
    parsed; until then ``most`` bytes cap it (httptools buffers a field until it ends)."""

    request_line = 4094
    field_size = 8190
    fields = 100
    most = 4094 + 100 * (8190 + 4)  # 0: no cap
    _head = 0  # bytes received while the request's head is read
    _in_head = True
    refused: BadEvent | None = None

    def data_received(self, data: bytes) -> None:
        if self._in_head and self.most:
            self._head += len(data)
            if self._head > self.most + 4:
                self.refused = BadEvent(f"request head is over {self.most} bytes", 431)
                return self.send_400_response("")
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._head, self._in_head = 0, False
        self.refused = self.over_limits()
        if self.refused is not None:
            raise HeadTooLarge(self.refused.reason)  # uvicorn answers the parse error, as ours
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True  # what comes next on the connection is the next request's head

    def over_limits(self) -> BadEvent | None:
        if self.request_line and len(self.url) > self.request_line:
            return BadEvent(f"request target is over {self.request_line} bytes", 414)
        if self.fields and len(self.headers) > self.fields:
            return BadEvent(f"more than {self.fields} header fields", 431)
        if self.field_size:
            for name, value in self.headers:
                if len(name) + len(value) + 2 > self.field_size:
                    field = name[:40].decode("latin-1")
                    return BadEvent(f"header {field} is over {self.field_size} bytes", 431)
        return None

    def send_400_response(self, msg: str) -> None:
        if self.refused is None:
            return super().send_400_response(msg)
        refused = self.refused
        self.logger.warning("rejected request (%s): %s", refused.status, refused.reason)
        status, headers, body = problem(refused.status, refused.reason, close=True)
        head = "".join(f"{name}: {value}\r\n" for name, value in headers)
        self.transport.write(f"HTTP/1.1 {STATUS[status]}\r\n{head}\r\n".encode() + body)
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
        line, size, fields = (
            self.cfg.limit_request_line,
            self.cfg.limit_request_field_size,
            self.cfg.limit_request_fields,
        )
        most = line + fields * (size + 4) if line and size and fields else 0
        limits = {"request_line": line, "field_size": size, "fields": fields, "most": most}
        self.config.http = type("Protocol", (Protocol,), limits)
        # Tell the arbiter we are alive every second, not every timeout / 2: a function blocks
        # the loop for up to KNOTEBOOK_TIMEOUT_SECONDS (then 504), and the arbiter kills a worker
        # silent for `timeout` (that + 20 s), so a heartbeat due half a timeout later would let a
        # function longer than timeout / 2 (from 155 s) be killed instead of answered.
        self.config.timeout_notify = 1.0
