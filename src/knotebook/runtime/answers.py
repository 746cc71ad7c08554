"""What a function cell can answer besides returning None (204) or a reply CloudEvent (200).

Raise one of these from ``handler(event)``; each gives a JSON reason and one log line::

    from knotebook.runtime import Accept, Reject, Retry

    raise Reject("VM name missing")            # 400: Knative does not retry it (dead letter)
    raise Retry("vCenter is down", after=30)   # 503 (+ Retry-After): Knative retries it
    raise Accept("queued for the nightly job") # 202: done, nothing to send back

Knative retries 404, 408, 409, 429 and every 5xx (when the Trigger's delivery asks for
retries); any other 4xx goes to the dead-letter sink at once. So ``Reject`` takes a 4xx that is
not retried, and ``Retry`` a 5xx or 429.
"""

from __future__ import annotations

RETRIED_4XX = frozenset((404, 408, 409, 429))


def retried(status: int) -> bool:
    """Does Knative retry a delivery answered with ``status``?"""
    return status >= 500 or status in RETRIED_4XX


class Answer(Exception):
    """An answer the function chose: ``status``, a ``reason`` and extra response headers."""

    status = 200
    level = "info"

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = str(reason)
        if status is not None:
            self.status = status
        self.headers: list[tuple[str, str]] = []

    def body(self) -> dict[str, object]:
        return {"status": self.status, "error": self.reason}


class Reject(Answer):
    """The event cannot be handled, now or later: a 4xx that Knative does not retry (400)."""

    status = 400
    level = "warning"

    def __init__(self, reason: str, status: int = 400) -> None:
        if not 400 <= status < 500 or status in RETRIED_4XX:
            raise ValueError(
                f"Reject takes a 4xx that Knative does not retry, not {status} "
                "(404, 408, 409 and 429 are retried: raise Retry for those)"
            )
        super().__init__(reason, status)


class Retry(Answer):
    """The event could be handled later: a 5xx or 429 that Knative retries (503).

    ``after``: seconds, sent as Retry-After (Knative honours it for 429 and 503 when its
    ``delivery-retryafter`` feature is on)."""

    status = 503
    level = "warning"

    def __init__(self, reason: str, status: int = 503, *, after: int | None = None) -> None:
        if not (500 <= status < 600 or status == 429):
            raise ValueError(f"Retry takes a 5xx or 429, which Knative retries, not {status}")
        super().__init__(reason, status)
        if after is not None:
            self.headers.append(("retry-after", str(int(after))))


class Accept(Answer):
    """The event is taken and will be handled later: 202, never read as a reply."""

    status = 202

    def __init__(self, reason: str = "accepted") -> None:
        super().__init__(reason, 202)

    def body(self) -> dict[str, object]:
        return {"status": self.status, "reason": self.reason}
