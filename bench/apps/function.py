# knotebook: function
import logging

log = logging.getLogger("bench")


def handler(event):
    log.info("VM %s created", event.get_data()["Vm"]["Name"])
