"""``knotebook try``: start a bundle (a notebook is exported first), send it an event in each
content mode, stop it, and keep what it answered and logged."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knotebook.local import delivery, process, venvs
from knotebook.local.bundle import bundle_for, check_env
from knotebook.notebook.masking import file_secrets, longest_first, mask_text
from knotebook.project import secret_files


@dataclass
class Trial:
    """What one ``try`` did: the answers (one per mode), the exit code and the function's log."""

    bundle: Path
    answers: list[delivery.Delivery] = field(default_factory=list)
    exit_code: int | None = None
    logs: list[str] = field(default_factory=list)
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return not self.interrupted and all(a.ok for a in self.answers)


def try_bundle(
    path: str | Path,
    *,
    event: str | None = None,
    envelope: str = "tanzu",
    modes: Sequence[str] = delivery.MODES,
    overrides: dict[str, Any] | None = None,
    isolated: bool = True,
    show: Callable[[str], None] = print,
    progress: Callable[[str], None] | None = None,
) -> Trial:
    """Serve ``path`` on 127.0.0.1, deliver ``event`` (default: the bundle's testevent.json) in
    each of ``modes``, stop it. ``show`` gets what happens, with k8s/function.env's values
    masked; ``progress`` the venv's preparation. Ctrl-C stops the function at once."""
    bundle = bundle_for(path, progress=show)
    files = secret_files.read(bundle)  # SECRET_FILES: variables of the function too
    secrets = longest_first(
        [*check_env(bundle).values(), *(v for text in files.values() for v in file_secrets(text))]
    )

    def masked(text: str) -> None:
        show(mask_text(text, secrets))

    sent = delivery.load_event(
        event or str(bundle / "testevent.json"), envelope, overrides=overrides or {}
    )
    venv = venvs.ensure(bundle / "requirements.txt", progress=progress) if isolated else None
    masked(f"Starting {bundle}: {process.web_command(bundle)}")
    server = process.start(bundle, venv=venv)
    trial = Trial(bundle)
    try:
        masked(f"Listening on {server.url}")
        for mode in modes:
            answer = delivery.send(server.url + "/", sent, mode)
            trial.answers.append(answer)
            masked("\n".join(delivery.describe(mode, sent, answer)))
    except KeyboardInterrupt:  # a slow handler: stop now (no graceful wait) and show its log
        trial.interrupted = True
        masked("Interrupted: stopping the function.")
    finally:
        trial.exit_code = server.stop(timeout=1.0 if trial.interrupted else 10.0)
    trial.logs = list(server.logs)
    masked("Function log:")
    for line in server.logs:
        masked(f"  {line}")
    masked(f"Stopped (exit {trial.exit_code}).")
    return trial
