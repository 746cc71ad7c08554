"""gunicorn settings of every exported function: the Procfile runs
``gunicorn --config gunicorn.conf.py handler:app``, a line that needs no shell.

knotebook copies this file into each bundle. It reads the environment the Knative Service gives
the container: PORT (Knative sets it; 8080 by default) and KNOTEBOOK_TIMEOUT_SECONDS (290 by
default; from k8s/function.env), so the Procfile needs no ${...} expansion, and runs the same
under ``bash -c`` (Google's builders, Paketo's default) and as a direct process (Paketo's tiny
stack, BP_DIRECT_PROCESS=true). GUNICORN_CMD_ARGS still overrides any setting, e.g.
GUNICORN_CMD_ARGS="--access-logfile -" for one log line per request. Needs gunicorn >= 25.1
(control_socket_disable) and Python >= 3.11 (the runtime uses asyncio.Task.uncancel).
"""

import os


def _seconds(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) == 0:  # SystemExit: gunicorn stops with this line alone
        raise SystemExit(f"{name}={value!r}: expected a whole number of seconds, at least 1")
    return int(value)


# gunicorn runs uvicorn workers (knotebook/runtime/worker.py): HTTP is parsed in C (httptools)
# on uvloop, keep-alive and slow clients are handled on the event loop; handler:app
# (knotebook/runtime) calls the function inline, in the worker's main thread, one event at a time,
# so containerConcurrency is 1. A client that is slow to send cannot hold a worker
# (KNOTEBOOK_READ_TIMEOUT_SECONDS, then 408), and a hung function is cut at
# KNOTEBOOK_TIMEOUT_SECONDS (504). Two workers: while one runs a slow function, the other answers
# /healthz and the next event.
bind = f"0.0.0.0:{os.environ.get('PORT') or 8080}"
worker_class = "knotebook.runtime.worker.UvicornWorker"
workers = 2
control_socket_disable = True  # no $HOME/.gunicorn/gunicorn.ctl in a container (gunicorn 25.1+)

# Timing, fitted to Knative (knative/serving pkg/reconciler/revision/resources/deploy.go and
# pkg/queue/sharedmain): the pod's terminationGracePeriodSeconds is the Service's timeoutSeconds
# (300), counted from the start of the preStop hook; that hook waits for the queue-proxy to
# drain, which returns once no request has arrived for 30 s, and only then is SIGTERM sent. So
#   SIGTERM at T >= 30 s; the last event started at <= T - 30 and is cut at <= T - 30 + 290;
#   graceful_timeout = 290 - 30 + 5 = 265 s covers it, and 30 + 265 = 295 s < 300 s (SIGKILL).
# Idle keep-alive connections close at once on SIGTERM; in-flight events finish first.
_timeout = _seconds("KNOTEBOOK_TIMEOUT_SECONDS", 290)
_DRAIN = 30  # the queue-proxy's drain before SIGTERM
graceful_timeout = max(5, _timeout - _DRAIN + 5)
# The backstop for a worker wedged in C code (gunicorn kills a silent worker after this long);
# the runtime's own cut at KNOTEBOOK_TIMEOUT_SECONDS answers first.
timeout = _timeout + 20
# uvicorn's timeout_keep_alive. Above the queue-proxy's idle-connection reuse (Go's http.Transport
# default IdleConnTimeout, 90 s): the server must never close an idle connection the queue-proxy
# is about to reuse (a request written as the server closes gets a 502, then a retry).
keepalive = 95
# No access log: the runtime logs every rejection and failure (set GUNICORN_CMD_ARGS to add one).
accesslog = None


# A worker inherits the arbiter's signal handlers from fork until the worker resets them: a
# SIGTERM in that window was queued in the child's copy of the arbiter's queue and lost, so that
# worker served on and held shutdown until SIGKILL. Remember such a signal in the child and act on
# it once the worker has booted: it has no request yet, so it just ends. (From the reset on, a
# SIGTERM ends a booting worker by itself; uvicorn then takes it over for a graceful drain.)
_early_exit: list[int] = []


def post_fork(server: object, worker: object) -> None:
    import queue
    import signal

    stop = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)
    for sig in stop:
        signal.signal(sig, lambda signum, frame: _early_exit.append(signum))
    pending = server.SIG_QUEUE  # type: ignore[attr-defined]  # the child's copy, since fork
    while True:  # one that came before this hook
        try:
            sig = pending.get_nowait()
        except queue.Empty:
            break
        if sig in stop:
            _early_exit.append(sig)


def post_worker_init(worker: object) -> None:
    if _early_exit:
        raise SystemExit(0)  # gunicorn's worker exits; the arbiter is stopping anyway
