"""A local HTTP stand-in for the outside world, so validation never calls real services.

Validation points notebook kernels and served functions at it as their HTTP(S) proxy
(``HTTP_PROXY``/``HTTPS_PROXY``, local addresses excepted by ``NO_PROXY``). Every request is
recorded (method, URL, headers, body) and answered ``200 ok``, as a Slack webhook answers.
HTTPS requests are read too: the stand-in terminates TLS with a certificate for the requested
host from its own throwaway CA (trustme), which the clients trust through ``SSL_CERT_FILE``,
``REQUESTS_CA_BUNDLE`` and ``CURL_CA_BUNDLE`` (that bundle also holds the usual public CAs).
Hosts on the allow-list are passed through to the real service, unrecorded.

Requests are grouped by a tag, carried in the proxy URL's user name (``http://<tag>@127.0.0.1``),
so each notebook kernel and each served function gets its own list.
"""

from __future__ import annotations

import base64
import contextlib
import fnmatch
import functools
import json
import select
import socket
import ssl
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

STATUS_PATH = "/__knotebook__/requests"
URL_VAR, TAG_VAR = "KNOTEBOOK_STANDIN_URL", "KNOTEBOOK_STANDIN_TAG"
LOCAL = "localhost,127.0.0.1,::1"
MAX_BODY = 1 << 20


@dataclass(frozen=True)
class Request:
    """One request that would have left the machine."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    def as_dict(self) -> dict[str, Any]:
        text = self.body.decode("utf-8", "replace")
        return {"method": self.method, "url": self.url, "headers": self.headers, "body": text}

    def describe(self) -> str:
        return f"{self.method} {self.url} ({len(self.body)} bytes)"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    tls_origin = ""  # "https://host:port" once a CONNECT tunnel is terminated here
    tag = ""

    def log_message(self, *_args: Any) -> None:
        pass

    def _tag(self) -> str:
        auth = self.headers.get("Proxy-Authorization", "")
        if auth.lower().startswith("basic "):
            with contextlib.suppress(ValueError):
                return base64.b64decode(auth[6:]).decode().split(":", 1)[0]
        return self.tag

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(length, MAX_BODY)) if length > 0 else b""

    def _answer(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _any(self) -> None:
        if self.tls_origin:
            url = self.tls_origin + self.path
        elif self.path.startswith(STATUS_PATH):
            tag = parse_qs(urlsplit(self.path).query).get("tag", [""])[0]
            listed = [r.as_dict() for r in self.server.standin.peek(tag)]
            self._answer(200, json.dumps(listed).encode(), "application/json")
            return
        else:
            url = self.path
        tag = self._tag()
        body = self._body()
        host = urlsplit(url).hostname or ""
        if not self.tls_origin and self.server.standin.allowed(host):
            self._forward(url, body)
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() != "proxy-authorization"}
        self.server.standin.add(tag, Request(self.command, url, headers, body))
        self._answer(200, b"ok")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _any

    def _forward(self, url: str, body: bytes) -> None:
        """Plain http to an allowed host: relay it for real."""
        headers = {k: v for k, v in self.headers.items() if not k.lower().startswith("proxy-")}
        request = urllib.request.Request(url, body or None, headers, method=self.command)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=30) as answer:
                self._answer(answer.status, answer.read(), answer.headers.get_content_type())
        except urllib.error.HTTPError as exc:
            self._answer(exc.code, exc.read())
        except OSError as exc:
            self._answer(502, f"stand-in: {exc}".encode())

    def do_CONNECT(self) -> None:
        host, _, port = self.path.rpartition(":")
        host = host.strip("[]")
        if self.server.standin.allowed(host):
            self._tunnel(host, int(port or 443))
            return
        tag = self._tag()
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        try:
            wrapped = self.server.standin.tls_context(host).wrap_socket(
                self.connection, server_side=True
            )
        except (ssl.SSLError, OSError):  # the client does not trust our CA: it still tried
            origin = f"https://{host}" + ("" if port in ("", "443") else f":{port}")
            self.server.standin.add(tag, Request("CONNECT", origin, {}, b""))
            self.close_connection = True
            return
        inner = _Handler.__new__(_Handler)
        inner.tls_origin = f"https://{host}" + ("" if port in ("", "443") else f":{port}")
        inner.tag = tag
        inner.request, inner.client_address, inner.server = (
            wrapped,
            self.client_address,
            self.server,
        )
        inner.setup()
        try:
            inner.handle()
        finally:
            inner.finish()
            wrapped.close()
        self.close_connection = True

    def _tunnel(self, host: str, port: int) -> None:
        try:
            upstream = socket.create_connection((host, port), timeout=30)
        except OSError as exc:
            self._answer(502, f"stand-in: {exc}".encode())
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        pair = [self.connection, upstream]
        with upstream:
            while True:
                ready, _, _ = select.select(pair, [], [], 60)
                if not ready:
                    break
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        self.close_connection = True
                        return
                    (upstream if sock is self.connection else self.connection).sendall(data)
        self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: StandIn


class StandIn:
    """The stand-in server: ``start()``, ``env(tag)``, ``peek(tag)``, ``take(tag)``, ``stop()``."""

    def __init__(self, allow: tuple[str, ...] = ()) -> None:
        self.allow = tuple(a.lower() for a in allow)
        self._requests: dict[str, list[Request]] = {}
        self._lock = threading.Lock()
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._server: _Server | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._ca: Any = None
        self.ca_bundle = Path()

    def allowed(self, host: str) -> bool:
        return any(fnmatch.fnmatch(host.lower(), pattern) for pattern in self.allow)

    def tls_context(self, host: str) -> ssl.SSLContext:
        with self._lock:
            context = self._contexts.get(host)
            if context is None:
                context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
                self._ca.issue_cert(host).configure_cert(context)
                self._contexts[host] = context
            return context

    def add(self, tag: str, request: Request) -> None:
        with self._lock:
            self._requests.setdefault(tag, []).append(request)

    def peek(self, tag: str) -> list[Request]:
        with self._lock:
            return list(self._requests.get(tag, []))

    def take(self, tag: str) -> list[Request]:
        """The requests recorded for a tag since the last take."""
        with self._lock:
            return self._requests.pop(tag, [])

    @property
    def url(self) -> str:
        assert self._server is not None, "the stand-in is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> StandIn:
        import certifi
        import trustme

        self._ca = trustme.CA(organization_name="knotebook validation stand-in")
        self._folder = tempfile.TemporaryDirectory(prefix="knotebook-standin-")
        self.ca_bundle = Path(self._folder.name) / "ca-bundle.pem"
        public = Path(certifi.where()).read_bytes()
        self.ca_bundle.write_bytes(self._ca.cert_pem.bytes() + b"\n" + public)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.standin = self
        # polled every 50 ms, not socketserver's 500: stopping it ends every validate call
        serve = functools.partial(self._server.serve_forever, poll_interval=0.05)
        threading.Thread(target=serve, daemon=True).start()
        return self

    def env(self, tag: str) -> dict[str, str]:
        """What a kernel or a served function needs so its HTTP goes here, under ``tag``."""
        proxy = self.url.replace("http://", f"http://{tag}:standin@", 1)  # urllib needs both
        bundle = str(self.ca_bundle)
        env = {
            URL_VAR: self.url,
            TAG_VAR: tag,
            "SSL_CERT_FILE": bundle,
            "REQUESTS_CA_BUNDLE": bundle,
            "CURL_CA_BUNDLE": bundle,
        }
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
            env[name] = env[name.lower()] = proxy
        env["NO_PROXY"] = env["no_proxy"] = LOCAL
        return env

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def requests(tag: str | None = None) -> list[dict[str, Any]]:
    """In a notebook under ``knotebook validate``: the requests it made so far (method, url,
    headers, body); ``[]`` when it runs without the stand-in."""
    import os

    url = os.environ.get(URL_VAR)
    if not url:
        return []
    tag = tag if tag is not None else os.environ.get(TAG_VAR, "")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{url}{STATUS_PATH}?tag={tag}", timeout=10) as answer:
        return list(json.loads(answer.read()))


@contextlib.contextmanager
def serving(allow: tuple[str, ...] = ()) -> Iterator[StandIn]:
    with StandIn(allow) as standin:
        yield standin
