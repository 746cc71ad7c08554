"""The app: one protocol-neutral core (``App.deliver``) behind the ASGI and WSGI adapters."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from cloudevents.core.base import BaseCloudEvent

from . import asgi, binding, logs, timeouts, wsgi
from .answers import Answer
from .binding import BadEvent
from .limits import Limits
from .responses import NO_CONTENT, Response, json_response, problem, rejected

Function = Callable[[Any], Any]


class App:
    """POST / delivers one CloudEvent to ``function``; GET /healthz answers probes.

    Called with two arguments it is a WSGI app, with three an ASGI app. Those two routes are
    answered here, the path every event takes; anything else (405, 404, HEAD, OPTIONS) goes to a
    Flask app built on first use. ``name`` names the logger (the function's name). Limits are
    read from the environment now (see ``knotebook.runtime.limits``).
    """

    def __init__(self, function: Function, name: str = "function", limits: Limits | None = None):
        if not callable(function):
            raise TypeError(f"App needs a callable handler(event), not {type(function).__name__}")
        self.function = function
        self.name = name
        self.limits = limits or Limits.from_environ()
        self.log = logs.configure(name)
        self.reads = asgi.ReadWatch(self.limits.read_timeout, self.limits.max_body)
        timeouts.install()
        self._flask: Any = None
        self._lock = threading.Lock()
        code = getattr(function, "__code__", None)
        self._source = code.co_filename if code is not None else None

    @property
    def flask(self) -> Any:
        if self._flask is None:
            with self._lock:
                if self._flask is None:
                    self._flask = wsgi.create_flask(self)
        return self._flask

    def __getattr__(self, name: str) -> Any:
        # Everything else is Flask's: app.test_client(), app.config, app.route ...
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.flask, name)

    def __call__(self, scope_or_environ: Any, receive_or_start: Any, send: Any = None) -> Any:
        if send is None:
            return self.wsgi(scope_or_environ, receive_or_start)
        return asgi.serve(self, scope_or_environ, receive_or_start, send)

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        return wsgi.serve(self, environ, start_response)

    # -- the core --------------------------------------------------------------------------------
    def deliver(
        self, content_type: str | None, ce: dict[str, str], body: bytes, keep_timer: bool = False
    ) -> Response:
        """Parse one event, run the function on it (cut after the timeout), answer it.

        ``ce`` maps the ce-* header names (without ce-) to their raw values. Returns
        (status, headers, body); never raises for anything the request or the function does.
        ``keep_timer``: a server process (see ``timeouts.disarm``).
        """
        try:
            event = binding.parse(content_type, ce, body)
        except BadEvent as exc:
            return rejected(self.log, exc)
        alarm = timeouts.here()
        try:
            if alarm:
                timeouts.arm(self.limits.timeout)
            try:
                reply = self.function(event)
            finally:
                if alarm:
                    timeouts.disarm(keep_timer)
        except timeouts.Deadline:
            self.log.error(
                "handler timed out on event id=%s type=%s: cut after %s s "
                "(KNOTEBOOK_TIMEOUT_SECONDS); the worker keeps serving",
                event.get_id(),
                event.get_type(),
                self.limits.timeout,
            )
            return problem(504, f"handler did not finish within {self.limits.timeout} s")
        except Answer as answer:
            return self.chosen(event, answer)
        except Exception as exc:
            self.log.error(
                "handler failed on event id=%s type=%s: %s: %s (handler.py line %d)",
                event.get_id(),
                event.get_type(),
                type(exc).__name__,
                exc,
                self.line(exc),
            )
            return problem(500, f"handler raised {type(exc).__name__}")
        if reply is None:
            return NO_CONTENT
        if isinstance(reply, Answer):
            return self.chosen(event, reply)
        if not isinstance(reply, binding.EVENT_CLASSES):
            self.log.error(
                "handler returned %s for event id=%s type=%s; return None or a CloudEvent",
                type(reply).__name__,
                event.get_id(),
                event.get_type(),
            )
            return problem(500, "handler returned neither None nor a CloudEvent")
        try:
            return self.reply(reply)
        except Exception as exc:  # a reply that cannot go on the wire: the function's bug
            self.log.error(
                "reply to event id=%s type=%s cannot be sent: %s: %s",
                event.get_id(),
                event.get_type(),
                type(exc).__name__,
                exc,
            )
            return problem(500, f"reply CloudEvent cannot be sent ({type(exc).__name__})")

    def chosen(self, event: BaseCloudEvent, answer: Answer) -> Response:
        """An answer the function raised or returned (Reject, Retry, Accept): one log line."""
        level = 30 if answer.level == "warning" else 20
        self.log.log(
            level,
            "handler answered %s to event id=%s type=%s: %s",
            answer.status,
            event.get_id(),
            event.get_type(),
            answer.reason,
        )
        return json_response(answer.status, answer.body(), answer.headers)

    def reply(self, reply: BaseCloudEvent) -> Response:
        """A reply CloudEvent in binary mode: Knative sends it on to the Broker."""
        message, body = binding.to_binary(reply)
        headers = {k.lower(): v for k, v in message.items()}
        for name, value in headers.items():
            value.encode("latin-1")  # UnicodeEncodeError: HTTP headers are bytes
            if "\r" in value or "\n" in value or "\0" in value:
                raise ValueError(f"header {name} holds a line break or NUL: {value!r}")
        headers["content-length"] = str(len(body))
        return 200, list(headers.items()), body

    def line(self, exc: BaseException) -> int:
        """The line in handler.py (the function's file) where ``exc`` was raised, else the last."""
        tb: TracebackType | None = exc.__traceback__
        last = in_source = 0
        while tb is not None:
            last = tb.tb_lineno
            if tb.tb_frame.f_code.co_filename == self._source:
                in_source = last
            tb = tb.tb_next
        return in_source or last
