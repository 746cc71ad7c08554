"""What an expert writes by hand: a plain ASGI app on the cloudevents 2.x SDK, served by uvicorn
with httptools and uvloop (`uvicorn expert_app:app --workers 2 --loop uvloop --http httptools`).

Same handler logic as every variant: parse the CloudEvent (the SDK's from_http_event), read
data.Vm.Name, log one line, answer 204; a request the SDK cannot parse gets 400.
"""

import logging
import sys

from cloudevents.core.bindings.http import HTTPMessage, from_http_event

logging.basicConfig(
    level=logging.INFO,
    stream=sys.stdout,
    format="%(asctime)s %(levelname)s %(name)s %(threadName)s : %(message)s",
)
log = logging.getLogger("bench")
NO_CONTENT = {"type": "http.response.start", "status": 204, "headers": []}
EMPTY = {"type": "http.response.body", "body": b""}


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
    try:
        event = from_http_event(HTTPMessage(headers, b"".join(chunks)))
        name = event.get_data()["Vm"]["Name"]
    except Exception as exc:  # the SDK raises plain exceptions for bad input
        body = f'{{"error": "{type(exc).__name__}"}}'.encode()
        await send({"type": "http.response.start", "status": 400, "headers": []})
        await send({"type": "http.response.body", "body": body})
        return
    log.info("VM %s created", name)
    await send(NO_CONTENT)
    await send(EMPTY)
