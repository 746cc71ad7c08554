"""The WSGI ceiling: a bare WSGI app (read the body, answer 204) on gunicorn's sync worker."""


def app(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    environ["wsgi.input"].read(length)
    start_response("204 No Content", [])
    return []
