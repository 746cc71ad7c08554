"""The seed style: what users write by hand today (VEBA's Python function template).

Flask + the CloudEvents SDK's from_http, served with `flask run` (the Werkzeug dev server).
The seed imports `from cloudevents.http import from_http` (cloudevents 1.x); with cloudevents
2.x that API lives on, code-identical, as `cloudevents.v1.http`.
"""

import logging

from flask import Flask, request

try:
    from cloudevents.http import from_http
except ImportError:  # cloudevents 2.x
    from cloudevents.v1.http import from_http

logging.basicConfig(
    level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(threadName)s : %(message)s"
)
app = Flask(__name__)


@app.route("/", methods=["POST"])
def slash():
    event = from_http(request.headers, request.get_data())
    app.logger.info("VM %s created", event.data["Vm"]["Name"])
    return "", 204
