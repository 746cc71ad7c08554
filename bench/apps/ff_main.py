"""functions-framework (Google): the same handler as a CloudEvent function.

It answers 200 "OK" (its fixed reply) instead of 204.
"""

import logging

import functions_framework

logging.basicConfig(
    level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(threadName)s : %(message)s"
)
log = logging.getLogger("bench")


@functions_framework.cloud_event
def handle(cloud_event):
    log.info("VM %s created", cloud_event.data["Vm"]["Name"])
