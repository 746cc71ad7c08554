"""A local Knative Broker: an HTTP ingress, Trigger filters, retries, and replies fed back.

What it does, after knative/eventing's MT broker (ingress + filter):

* The ingress accepts one CloudEvent per POST (binary or structured mode), answers ``202``
  (``400`` for a request that is not a CloudEvent, ``405`` for other methods), stamps
  ``knativearrivaltime`` and a TTL (``knativebrokerttl``, 255), then dispatches.
* Each Trigger of each bundle (``k8s/trigger.yaml``) is evaluated (``knotebook.local.triggers``:
  exact Knative semantics). Every matching Trigger gets its own delivery, in binary mode unless
  ``delivery.format: json``, with ``Prefer: reply`` and ``traceparent``; the TTL is stripped.
* Retries follow the Trigger's ``delivery`` (retry count, backoff policy and delay): transport
  errors, 404, 408, 409, 429 and 5xx are retried, other statuses are final. A 2xx with a body
  that is not a CloudEvent counts as a failure (the MT broker answers 502 for it).
* A reply CloudEvent (200) is POSTed back to the ingress with TTL - 1, like Knative publishes it
  into the same broker; at TTL 0 it is dropped (a reply loop).
* An event that exhausts its retries goes to ``delivery.deadLetterSink.uri`` when it is an
  ``http://`` URL (with ``knativeerrordest``, ``knativeerrorcode``, ``knativeerrordata``).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from knotebook.errors import KnotebookError
from knotebook.local import delivery, ports, triggers
from knotebook.local.broker_events import (
    MAX_TTL,
    STRUCTURED,
    TTL,
    Attempt,
    BadEvent,
    Dispatch,
    EventRecord,
    Message,
    Target,
    body_length,
    parse,
)
from knotebook.local.bundle import bundle_for, run
from knotebook.local.triggers import Trigger

__all__ = [
    "MAX_TTL",
    "STRUCTURED",
    "TTL",
    "Attempt",
    "BadEvent",
    "Broker",
    "Dispatch",
    "EventRecord",
    "Message",
    "Target",
    "parse",
]


class _Ingress(ThreadingHTTPServer):
    daemon_threads = True
    broker: Broker


class _Handler(BaseHTTPRequestHandler):
    server: _Ingress
    protocol_version = "HTTP/1.1"

    def log_message(self, *_args: Any) -> None:  # the broker prints its own lines
        pass

    def _answer(self, status: int, payload: dict[str, Any] | None = None) -> None:
        body = json.dumps(payload).encode() if payload is not None else b""
        self.send_response(status)
        if body:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        try:
            length = body_length(self.headers)
        except BadEvent as exc:  # the body is not read: the connection cannot carry another
            self.close_connection = True
            self.server.broker.say(f"rejected a request ({exc.status}): {exc}")
            self._answer(exc.status, {"status": exc.status, "error": str(exc)})
            return
        body = self.rfile.read(length) if length else b""
        try:
            message = parse(dict(self.headers.items()), body)
        except BadEvent as exc:
            self.server.broker.say(f"rejected a request ({exc.status}): {exc}")
            self._answer(exc.status, {"status": exc.status, "error": str(exc)})
            return
        self.server.broker.accept(message)  # before answering: publish() waits for it
        self._answer(202)

    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._answer(200, {"status": "ok"})
        else:
            self._answer(405, {"status": 405, "error": "POST one CloudEvent"})

    do_PUT = do_DELETE = do_PATCH = do_GET


class Broker:
    """A local Broker in this process: ``start()``, ``url``, ``publish()``, ``history``, ``stop()``.

    ``backoff_scale`` multiplies every backoff wait (1 = Knative's timing).
    """

    def __init__(
        self,
        targets: list[Target],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        say: Callable[[str], None] | None = None,
        backoff_scale: float = 1.0,
        timeout: float = 30.0,
    ) -> None:
        self.targets = targets
        self.host, self.port = host, port
        self._say = say
        self.backoff_scale = backoff_scale
        self.timeout = timeout
        self.history: list[EventRecord] = []
        self.servers: list[Any] = []  # web processes the broker started (for_bundles)
        self._changed = threading.Condition()
        self._print = threading.Lock()
        self._ingress: _Ingress | None = None
        self._busy = 0

    @classmethod
    def for_bundles(
        cls,
        bundles: list[str | Path],
        *,
        isolated: bool = True,
        echo: bool = False,
        progress: Callable[[str], None] | None = None,
        **kwargs: Any,
    ) -> Broker:
        """Serve each bundle (``knotebook.local.run``) and subscribe it with its Triggers."""
        host, port = kwargs.get("host", "127.0.0.1"), kwargs.get("port", 0)
        if port and not ports.port_free(port, host):  # before any function is started
            raise KnotebookError(f"port {port} on {host} is in use; pick another with --port")
        targets, servers = [], []
        try:
            for path in bundles:
                bundle = bundle_for(path, progress=progress)
                found = triggers.load(bundle / "k8s" / "trigger.yaml")
                server = run(
                    bundle,
                    port=ports.free_port(),
                    isolated=isolated,
                    echo=bundle.resolve().name if echo else False,
                    progress=progress,
                )
                servers.append(server)
                targets.append(Target(bundle.resolve().name, server.url, found))
        except BaseException:
            for server in servers:
                server.stop()
            raise
        broker = cls(targets, **kwargs)
        broker.servers = servers
        return broker

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._ingress is None:
            raise KnotebookError("the broker is not started")
        return f"http://{self.host}:{self._ingress.server_address[1]}/"

    def start(self) -> Broker:
        try:
            ports.check_port(self.port)
            self._ingress = _Ingress((self.host, self.port), _Handler)
        except BaseException as exc:  # nothing the broker started outlives a failed start
            for server in self.servers:
                server.stop()
            if isinstance(exc, OSError):
                raise KnotebookError(
                    f"cannot listen on {self.host}:{self.port}: {exc.strerror}"
                ) from None
            raise
        self._ingress.broker = self
        threading.Thread(target=self._ingress.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._ingress is not None:
            self._ingress.shutdown()
            self._ingress.server_close()
        for server in self.servers:
            server.stop()

    def __enter__(self) -> Broker:
        return self if self._ingress else self.start()

    def __exit__(self, *_exc: Any) -> None:
        self.stop()

    # -- output ----------------------------------------------------------------------------
    def say(self, line: str) -> None:
        if self._say is not None:
            with self._print:
                self._say(line)

    def _say_about(self, message: Message, line: str) -> None:
        """A line about one event's delivery, with the event's id: deliveries overlap."""
        text = line.lstrip(" ")
        self.say(f"{line[: len(line) - len(text)]}[{message.id}] {text}")

    # -- publishing --------------------------------------------------------------------------
    def publish(self, event: Any, mode: str = "binary", timeout: float = 60.0) -> EventRecord:
        """Send ``event`` to the ingress over HTTP and wait until the broker has dispatched it."""
        ce = delivery.load_event(event)
        count = len(self.history)
        answer = delivery.send(self.url, ce, mode, broker=False)
        if answer.status != 202:
            raise KnotebookError(f"the broker answered {answer.status}: {answer.body!r}")
        records = self.wait(count + 1, timeout)[count:]
        return next(r for r in records if r.event.id == ce.get_id())

    def wait(self, count: int, timeout: float = 60.0) -> list[EventRecord]:
        """Block until ``count`` events (replies included) have been fully dispatched."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.history) < count or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise KnotebookError(f"the broker dispatched {len(self.history)} of {count}")
                self._changed.wait(left)
            return list(self.history)

    def accept(self, message: Message) -> None:
        """Ingress side: stamp the event, then dispatch it in the background."""
        attrs = message.attributes
        attrs["knativearrivaltime"] = delivery.arrival_time()
        try:
            ttl = int(attrs.get(TTL, MAX_TTL))
        except (TypeError, ValueError):
            ttl = MAX_TTL
        attrs[TTL] = ttl
        with self._changed:
            self._busy += 1
        threading.Thread(target=self._dispatch_all, args=(message,), daemon=True).start()

    def _dispatch_all(self, message: Message) -> None:
        record = EventRecord(message)
        try:
            ttl = int(message.attributes[TTL])
            self.say(f"event  {message.label()}")
            if ttl <= 0:
                record.dropped = "TTL exhausted (a reply loop?)"
                self._say_about(message, f"  dropped: {record.dropped}")
                return
            for target in self.targets:
                for trig in target.triggers:
                    try:
                        matched = trig.matches(message.attributes)
                    except KnotebookError as exc:
                        self._say_about(message, f"  trigger {trig.name}: {exc}")
                        continue
                    if matched:
                        to = self._subscriber(trig, target)
                        record.dispatches.append(self._deliver(message, trig, to, ttl))
            if not record.dispatches:
                names = ", ".join(t.name for target in self.targets for t in target.triggers)
                self._say_about(
                    message, f"  unmatched: no trigger matches (triggers: {names or 'none'})"
                )
        finally:
            with self._changed:
                self.history.append(record)
                self._busy -= 1
                self._changed.notify_all()

    def _subscriber(self, trig: Trigger, owner: Target) -> Target:
        """Where a Trigger delivers: its ``subscriber.uri``, the function its ``ref`` names (when
        the broker runs it), else the function of the bundle the Trigger came from."""
        if trig.uri:
            return Target(trig.uri, trig.uri, [])
        named = {t.name: t for t in self.targets}
        return named.get(trig.subscriber, owner)

    def _deliver(self, message: Message, trig: Trigger, target: Target, ttl: int) -> Dispatch:
        plan = trig.delivery
        url = target.url if trig.uri else target.url.rstrip("/") + trig.path
        dispatch = Dispatch(trig, target.name)
        self._say_about(
            message, f"  trigger {trig.name} -> {target.name}  [{trig.describe_filter()}]"
        )
        outgoing = Message({k: v for k, v in message.attributes.items() if k != TTL}, message.data)
        mode = "structured" if plan.format == "json" else "binary"
        headers, body = outgoing.encode(mode)
        headers.update({"Prefer": "reply", "traceparent": delivery.traceparent()})
        total = plan.retry + 1
        for number in range(total):
            try:
                answer = delivery.post(url, headers, body, self.timeout)
                attempt = Attempt(answer.status, answer.reason, answer.seconds)
                reply, bad = self._reply(answer)
                if bad:
                    attempt = Attempt(502, f"Bad Gateway ({bad})", answer.seconds)
            except KnotebookError as exc:
                answer, reply = None, None
                attempt = Attempt(None, str(exc), 0.0)
            dispatch.attempts.append(attempt)
            status = attempt.status
            if status is not None and 200 <= status < 300:
                dispatch.outcome = "delivered"
                dispatch.reply = reply
                self._say_about(
                    message, f"    attempt {number + 1}/{total}: {attempt.label()}: delivered"
                )
                break
            if not delivery.retryable(status) or number == total - 1:
                why = "not retried" if not delivery.retryable(status) else "retries exhausted"
                dispatch.outcome = "failed"
                self._say_about(
                    message, f"    attempt {number + 1}/{total}: {attempt.label()}: failed, {why}"
                )
                self._dead_letter(message, dispatch, url, answer)
                break
            attempt.wait = plan.backoff(number) * self.backoff_scale
            self._say_about(
                message,
                f"    attempt {number + 1}/{total}: {attempt.label()}: "
                f"retry in {attempt.wait:.2f} s",
            )
            time.sleep(attempt.wait)
        if dispatch.reply is not None:
            self._feed_back(message, dispatch.reply, ttl - 1)
        return dispatch

    @staticmethod
    def _reply(answer: delivery.Delivery) -> tuple[Message | None, str]:
        """(reply, problem): the reply event of a 2xx (never of a 202); a problem text when a 2xx
        has a body that is not a CloudEvent (the MT broker answers 502 for it)."""
        if not answer.ok or answer.status == 202:
            return None, ""
        has_ce = any(k.lower().startswith("ce-") for k in answer.headers.keys())  # noqa: SIM118
        if not answer.body and not has_ce:
            return None, ""  # an empty 2xx: done
        try:
            return parse(dict(answer.headers), answer.body), ""
        except BadEvent as exc:
            return None, f"reply is not a CloudEvent: {exc}"

    def _feed_back(self, message: Message, reply: Message, ttl: int) -> None:
        reply.attributes[TTL] = ttl
        self._say_about(message, f"  reply  {reply.label()} -> back into the broker (ttl {ttl})")
        if ttl <= 0:
            self._say_about(message, "  reply dropped: TTL exhausted (a reply loop?)")
            return
        headers, body = reply.encode("binary")
        try:
            delivery.post(self.url, headers, body, self.timeout)
        except KnotebookError as exc:
            self._say_about(message, f"  reply lost: {exc}")

    def _dead_letter(self, message: Message, dispatch: Dispatch, url: str, answer: Any) -> None:
        sink = dispatch.trigger.delivery.dead_letter_uri
        if not sink or not sink.startswith("http://"):
            dispatch.note = f"dead-letter sink {sink}" if sink else "dropped (no dead-letter sink)"
            self._say_about(message, f"    {dispatch.note}")
            return
        attrs = {k: v for k, v in message.attributes.items() if k != TTL}
        attrs["knativeerrordest"] = url
        last = dispatch.attempts[-1]
        if last.status is not None:
            attrs["knativeerrorcode"] = str(last.status)
        if answer is not None and answer.body:
            attrs["knativeerrordata"] = base64.b64encode(answer.body).decode()[:1024]
        headers, body = Message(attrs, message.data).encode("binary")
        try:
            delivery.post(sink, headers, body, self.timeout)
            dispatch.outcome = "dead-lettered"
            self._say_about(message, f"    sent to the dead-letter sink {sink}")
        except KnotebookError as exc:
            self._say_about(message, f"    dead-letter sink failed: {exc}")
