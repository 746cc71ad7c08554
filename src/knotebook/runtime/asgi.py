"""The ASGI side of the app (the Procfile's uvicorn workers under gunicorn): POST /, GET /healthz,
the ASGI lifespan, and a bridge to the lazy Flask app for everything else."""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .binding import BadEvent
from .responses import HEALTHZ, NO_CONTENT, Response, rejected

if TYPE_CHECKING:
    from .app import App

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_START_204: Message = {"type": "http.response.start", "status": 204, "headers": []}
_BODY_EMPTY: Message = {"type": "http.response.body", "body": b""}


class Gone(Exception):
    """The client disconnected before its body arrived: there is nobody to answer."""


def too_large(size: int | None, limit: int) -> BadEvent:
    of = f" of {size} bytes" if size is not None else ""
    return BadEvent(f"body{of} is over the limit of {limit} bytes", 413)


async def body(receive: Receive, limit: int, message: Message) -> bytes:
    """The request body from ASGI messages (``message``: the first, received already), refused
    with 413 once it passes ``limit``."""
    data: bytes = message.get("body", b"")
    chunks, size = [], 0
    while True:
        if message["type"] == "http.disconnect":
            raise Gone
        size += len(data)
        if size > limit:  # a chunked body: its length was not known up front
            raise too_large(None, limit)
        chunks.append(data)
        if not message.get("more_body"):
            return b"".join(chunks)
        message = await receive()
        data = message.get("body", b"")


class ReadWatch:
    """Cuts body reads that take longer than ``seconds`` (then 408).

    One timer per worker, ticking only while a read is waiting, instead of a timer per request:
    a body almost always arrives with its headers, and a per-request asyncio.timeout() cost a
    quarter of the app's time. A slow read is cut between the timeout and 1 s after it.
    """

    def __init__(self, seconds: int, limit: int) -> None:
        self.seconds = seconds
        self.limit = limit
        self.tick = min(1.0, seconds / 4)
        self.reading: dict[asyncio.Task[Any], float] = {}  # task -> deadline (loop time)
        self.expired: set[asyncio.Task[Any]] = set()  # tasks this watch has cancelled
        self.timer: asyncio.TimerHandle | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.due = 0.0

    def slow(self) -> BadEvent:
        return BadEvent(f"request body not received within {self.seconds} s", 408)

    async def read(self, receive: Receive) -> bytes:
        limit = self.limit
        task = asyncio.current_task()
        assert task is not None
        loop = task.get_loop()
        self.reading[task] = loop.time() + self.seconds
        if self.timer is None or self.loop is not loop:  # a new loop: the old timer is dead
            self.schedule(loop)
        try:
            message = await receive()
            data: bytes = message.get("body", b"")
            # the usual case: the whole body in one message; else chunks, a disconnect, a 413
            if message.get("more_body") or message["type"] != "http.request" or len(data) > limit:
                data = await body(receive, limit, message)
        except asyncio.CancelledError:
            if self.withdraw(task):
                raise self.slow() from None
            raise  # cancelled by the server too (the client went away, shutdown)
        finally:
            del self.reading[task]
        if task in self.expired:  # cut too late: the body won (3.11's wait_for can swallow it)
            self.withdraw(task)
        return data

    def withdraw(self, task: asyncio.Task[Any]) -> bool:
        """Take back this watch's cancel of ``task``: True if no other cancel is pending."""
        if task not in self.expired:
            return False
        self.expired.discard(task)
        return task.uncancel() == 0

    def schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop, self.due = loop, loop.time() + self.tick
        self.timer = loop.call_later(self.tick, self.check, loop)

    def check(self, loop: asyncio.AbstractEventLoop) -> None:
        self.timer = None
        now = loop.time()
        late = now - self.due
        if late > self.tick:  # the loop was blocked (a long function): that is not the client's
            for task in self.reading:
                self.reading[task] += late
        for task, deadline in list(self.reading.items()):
            if deadline <= now and task not in self.expired:
                self.expired.add(task)
                task.cancel()
        if self.reading:
            self.schedule(loop)


def environ(scope: Scope, data: bytes) -> dict[str, Any]:
    """A WSGI environ for an ASGI HTTP scope whose body has been read (PEP 3333 encodings)."""
    server = scope.get("server") or ("localhost", 80)
    env: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": scope.get("root_path", "").encode().decode("latin-1"),
        "PATH_INFO": scope["path"].encode().decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] or ""),
        "SERVER_PROTOCOL": "HTTP/" + scope.get("http_version", "1.1"),
        "REMOTE_ADDR": (scope.get("client") or ("",))[0],
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(data),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in scope["headers"]:
        key = name.decode("latin-1").upper().replace("-", "_")
        if key == "CONTENT_LENGTH":
            continue
        if key != "CONTENT_TYPE":
            key = "HTTP_" + key
        text = value.decode("latin-1")
        env[key] = f"{env[key]},{text}" if key in env else text
    return env


async def lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def serve(app: App, scope: Scope, receive: Receive, send: Send) -> None:
    """One ASGI connection scope."""
    kind = scope["type"]
    if kind == "lifespan":
        return await lifespan(receive, send)
    if kind != "http":
        return  # websocket: not accepted, the server closes it
    path, method = scope["path"], scope["method"]
    try:
        if path == "/" and method == "POST":
            answer = await deliver(app, scope, receive)
        elif path == "/healthz" and method == "GET":
            answer = HEALTHZ
        else:
            answer = await flask(app, scope, receive)
    except Gone:
        return
    if answer is NO_CONTENT:  # most events
        await send(_START_204)
        await send(_BODY_EMPTY)
        return
    status, headers, data = answer
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        }
    )
    await send({"type": "http.response.body", "body": data})


async def deliver(app: App, scope: Scope, receive: Receive) -> Response:
    content_type = None
    ce: dict[str, str] = {}
    limit = app.limits.max_body
    for name, value in scope["headers"]:
        if name[:3] == b"ce-":
            key, raw = name[3:].decode("latin-1"), value.decode("latin-1")
            ce[key] = f"{ce[key]},{raw}" if key in ce else raw  # as WSGI joins repeats
        elif name == b"content-type":
            content_type = value.decode("latin-1")
        elif name == b"content-length" and int(value) > limit:  # the server validated it
            return rejected(app.log, too_large(int(value), limit))
    try:
        data = await app.reads.read(receive)
    except BadEvent as exc:
        return rejected(app.log, exc)
    # An ASGI server process (the Procfile's worker): SIGALRM is ours for good.
    return app.deliver(content_type, ce, data, keep_timer=True)


async def flask(app: App, scope: Scope, receive: Receive) -> Response:
    """Everything off the hot path: the Flask app, called through WSGI."""
    try:
        data = await app.reads.read(receive)
    except BadEvent as exc:
        return rejected(app.log, exc)
    answer: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        answer[:] = [int(status[:3]), [(k.lower(), v) for k, v in headers]]

    chunks = app.flask(environ(scope, data), start_response)
    try:
        out = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return answer[0], answer[1], out
