"""What the bundle's web server will do, read from the Procfile's ``web:`` line and the
``gunicorn.conf.py`` beside it (literal assignments, read with ast: the file is not run here)."""

from __future__ import annotations

import ast
import re

from knotebook.project import syntax

THREADS = re.compile(r"(?:^|\s)--threads[= ](\d+)")
WORKER_CLASS = re.compile(r"(?:^|\s)(?:-k\s*|--worker-class[= ])([\w.:]+)")
CONFIG = re.compile(r"(?:^|\s)(?:-c\s*|--config[= ])(\S+)")


def settings(config: str) -> dict[str, object]:
    """The literal top-level assignments of a gunicorn config file (others are skipped)."""
    try:
        tree = syntax.parse(config)
    except SyntaxError:
        return {}
    found: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                try:
                    found[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    continue
    return found


def concurrency(web: str, config: str | None = None) -> int:
    """Requests one pod serves at once: gunicorn's threads under a threaded worker; 1 under the
    uvicorn, asgi and sync workers (one event at a time per process). The command line wins over the
    config file, as in gunicorn."""
    conf = settings(config) if config else {}
    worker = WORKER_CLASS.search(web)
    worker_class = worker.group(1) if worker else str(conf.get("worker_class", "sync"))
    if "asgi" in worker_class.lower() or "uvicorn" in worker_class.lower():
        return 1  # the asyncio and uvicorn workers ignore threads
    match = THREADS.search(web)
    threads = int(match.group(1)) if match else conf.get("threads", 1)
    return threads if isinstance(threads, int) and threads > 0 else 1
