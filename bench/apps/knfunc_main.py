"""Knative's func-python (the `func` CLI's Python runtime, ASGI on hypercorn): same handler."""

import logging

from func_python.cloudevent import serve

logging.basicConfig(
    level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(threadName)s : %(message)s"
)
log = logging.getLogger("bench")


async def handle(scope, receive, send):
    log.info("VM %s created", scope["event"].get_data()["Vm"]["Name"])
    await send.http({"type": "http.response.start", "status": 204, "headers": []})
    await send.http({"type": "http.response.body", "body": b""})


if __name__ == "__main__":
    serve(handle)
