"""knotebook's function runtime: a CloudEvents function served over HTTP (ASGI and WSGI).

knotebook copies this package byte for byte into every exported bundle as ``knotebook/runtime/``
(standard library, cloudevents 2.x and, on first use, Flask only; relative imports; ``worker``,
the Procfile's server, alone needs uvicorn), and the
exported ``handler.py`` ends with ``app = App(handler, name="<function>")``. The same import works
in the notebook kernel, where knotebook is installed.

A function cell defines ``handler(event)``; ``event`` is a cloudevents ``CloudEvent`` exactly as
sent (see ``binding`` for what ``event.get_data()`` is for each kind of data). Its answer:

=====================================  =======================================================
``return None``                        204 No Content: done
``return CloudEvent(...)``             200 with the reply in binary mode (Knative publishes it)
``raise Accept(reason)``               202 Accepted: taken, to be handled later
``raise Reject(reason, status=400)``   a 4xx Knative does not retry (straight to dead letter)
``raise Retry(reason, status=503)``    a 5xx or 429: Knative retries (``after=`` Retry-After)
any other exception                    500 (retried), one log line naming the handler.py line
still running after the timeout        504 (retried), cut by SIGALRM; the worker keeps serving
=====================================  =======================================================

Every answer but 204 and 200 carries a JSON body ``{"status": ..., "error": reason}`` (202:
``"reason"``) and writes one log line. A request that is not a CloudEvent gets a 4xx with a JSON
reason (400, 405, 408, 413, 415), never a 5xx. Knative retries 404, 408, 409, 429 and every 5xx.
"""

from __future__ import annotations

from .answers import Accept, Answer, Reject, Retry, retried
from .app import App
from .binding import BadEvent
from .limits import Limits

__version__ = "1.0.0"
__all__ = ["Accept", "Answer", "App", "BadEvent", "Limits", "Reject", "Retry", "retried"]
