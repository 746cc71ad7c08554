"""The log format of every exported function: one line per record on stdout."""

from __future__ import annotations

import logging
import os
import sys
import time

FORMAT = "%(asctime)s %(levelname)s %(name)s %(threadName)s : %(message)s"


class Formatter(logging.Formatter):
    """The seed's log format; asctime's date part is formatted once per second, not per line."""

    _cache: tuple[int | None, str] = (None, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        second = int(record.created)
        cached, stamp = self._cache
        if second != cached:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", self.converter(record.created))
            self._cache = (second, stamp)
        return f"{stamp},{int(record.msecs):03d}"

    def format(self, record: logging.LogRecord) -> str:
        """FORMAT written out: the same text as ``logging.Formatter.format``, without its
        ``%``-formatting of the record's whole ``__dict__`` per line. Records with a traceback
        or stack, and other formats, take the standard path."""
        if self._fmt is not FORMAT or record.exc_info or record.exc_text or record.stack_info:
            return super().format(record)
        record.message = record.getMessage()
        record.asctime = self.formatTime(record)
        return (
            f"{record.asctime} {record.levelname} {record.name} {record.threadName} : "
            f"{record.message}"
        )


def configure(name: str) -> logging.Logger:
    """Log to stdout at LOG_LEVEL (INFO) unless logging is set up already; the app's logger."""
    stdout = logging.StreamHandler(sys.stdout)
    stdout.setFormatter(Formatter(FORMAT))
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO").upper(), handlers=[stdout])
    # The format has no caller fields: skip findCaller's stack walk on every record (the logging
    # HOWTO's "Optimization" setting; %(lineno)d then reads 0, %(funcName)s a placeholder).
    logging._srcfile = None
    return logging.getLogger(name)
