"""The WSGI side of the app (WSGI servers, werkzeug's test client, ``%knotebook invoke``) and
the Flask app that serves everything off the hot path, imported on first use only."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from . import timeouts
from .binding import BadEvent
from .responses import HEALTHZ, STATUS, Response, rejected

if TYPE_CHECKING:
    from .app import App

StartResponse = Callable[..., Any]


def read_body(environ: dict[str, Any], limit: int) -> bytes:
    """The request body, refused with 413 above ``limit`` before it is read."""
    length = environ.get("CONTENT_LENGTH")
    stream = environ["wsgi.input"]
    if length:
        size = int(length)  # the server has validated it
        if size > limit:
            raise BadEvent(f"body of {size} bytes is over the limit of {limit} bytes", 413)
        data: bytes = stream.read(size)
        return data
    data = stream.read(limit + 1)  # chunked: read one byte past the limit to notice it
    if len(data) > limit:
        raise BadEvent(f"body is over the limit of {limit} bytes", 413)
    return data


def serve(app: App, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
    if path == "/" and method == "POST":
        status, headers, body = deliver(app, environ)
    elif path == "/healthz" and method == "GET":
        status, headers, body = HEALTHZ
    else:
        result: Iterable[bytes] = app.flask(environ, start_response)
        return result
    start_response(STATUS.get(status, f"{status} Unknown"), headers)
    return [body]


def deliver(app: App, environ: dict[str, Any]) -> Response:
    alarm = timeouts.here()
    limits = app.limits
    try:
        if alarm:
            timeouts.arm(limits.read_timeout)
        try:
            body = read_body(environ, limits.max_body)
        finally:
            if alarm:
                timeouts.disarm()
    except timeouts.Deadline:
        return rejected(app.log, app.reads.slow())
    except BadEvent as exc:
        return rejected(app.log, exc)
    ce = {  # WSGI: header ce-foo-bar is HTTP_CE_FOO_BAR
        key[8:].lower().replace("_", "-"): raw
        for key, raw in environ.items()
        if key.startswith("HTTP_CE_")
    }
    return app.deliver(environ.get("CONTENT_TYPE"), ce, body)


def create_flask(app: App) -> Any:
    """The Flask app for everything off the hot path; POST / and GET /healthz reach ``app``."""
    from flask import Flask, Response, request
    from werkzeug.exceptions import HTTPException

    flask = Flask(app.name)
    flask.config["MAX_CONTENT_LENGTH"] = app.limits.max_body

    @flask.post("/")
    def receive() -> Any:
        response = Response.from_app(lambda e, s: serve(app, e, s), request.environ)
        if response.status_code == 204:
            del response.headers["Content-Type"]
        return response

    @flask.get("/healthz")
    def healthz() -> Any:
        status, headers, body = HEALTHZ
        return Response(body, status=status, headers=headers)

    @flask.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        body = json.dumps({"status": exc.code or 500, "error": exc.description or exc.name})
        response = Response(body, status=exc.code or 500, mimetype="application/json")
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value  # Allow: on 405
        return response

    return flask
