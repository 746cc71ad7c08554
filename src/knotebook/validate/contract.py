"""The contract check: the exported function, served by its Procfile, answers every sample
event it subscribes to with a 2xx and every malformed request with a 4xx."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from knotebook import events, notebook
from knotebook.errors import KnotebookError
from knotebook.export import exporter, manifests
from knotebook.local import delivery, process, venvs
from knotebook.notebook import masking
from knotebook.validate.runner import Options, RunResult, notebook_env, plan
from knotebook.vcenter import outside


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def reply_loop(answer: delivery.Delivery, triggers: list[manifests.TriggerSpec]) -> str:
    """Why the reply would come back to the function through one of its own Triggers, or ""."""
    if answer.reply is None:
        return ""
    attributes = {k: str(v) for k, v in answer.reply.get_attributes().items()}
    for trigger in triggers:
        if all(attributes.get(k) == v for k, v in trigger.filter.items()):
            shown = ", ".join(f"{k}={v}" for k, v in trigger.filter.items())
            return (
                f"reply loop: the reply ({shown}) matches the function's own Trigger "
                f"{trigger.name}, so the Broker would deliver it back to it again and again; "
                "reply with a type of your own"
            )
    return ""


def _check(answer: delivery.Delivery) -> str:
    """Why ``answer`` breaks the contract for a subscribed sample event, or "".

    Accepted: 204, a reply CloudEvent, 202 (``raise Accept``), and a 4xx Knative does not
    retry: the function declared it does not want this event (``raise Reject``).
    """
    if answer.status in (202, 204) or (answer.status == 200 and not answer.body):
        return ""
    if 400 <= answer.status < 500 and not delivery.retryable(answer.status):
        return ""
    if answer.status == 200 and answer.reply is not None:
        return ""
    if 200 <= answer.status < 300:
        return f"{answer.status} with a body that is not a CloudEvent (the Broker answers 502)"
    return f"{answer.status}: {answer.body.decode('utf-8', 'replace')[:200]}"


def check(path: Path, options: Options | None = None) -> list[RunResult]:
    """Export ``path`` to a scratch folder, serve it, and deliver its samples and bad requests."""
    options = options or Options()
    function = notebook.read(path)
    if function.settings is None:
        return []
    results: list[RunResult] = []
    secrets = masking.secret_values(function, notebook_env(path))

    def mask(text: str) -> str:
        return masking.mask_text(text, secrets)

    triggers = manifests.triggers(function.settings)
    world = outside.for_settings(path, function.settings, "contract")
    with (
        outside.standing_in(options.allow_hosts),
        tempfile.TemporaryDirectory(prefix="knotebook-contract-") as scratch,
    ):
        try:
            bundle = exporter.export(path, Path(scratch)).directory
            # The bundle's own packages, as the image has them (cached by requirements' hash).
            venv = venvs.ensure(bundle / "requirements.txt", progress=_say)
            server = process.start(bundle, venv=venv, override_env=world.env())
        except KnotebookError as exc:
            world.close()
            return [RunResult(path, "contract: start", False, 0.0, None, str(exc), "contract")]
        try:
            for run in plan(path, options):
                if run.event is None or run.envelope is None:
                    continue  # the run as written: the checks below cover its event
                event = events.sample(run.event, envelope=run.envelope)
                began = time.perf_counter()
                problems = []
                for mode in delivery.MODES:
                    answer = delivery.send(server.url + "/", event, mode)
                    problem = _check(answer) or reply_loop(answer, triggers)
                    if problem:
                        problems.append(f"{mode}: {problem}")
                results.append(
                    RunResult(
                        path,
                        f"contract: {run.name}",
                        not problems,
                        time.perf_counter() - began,
                        None,
                        "; ".join(problems),
                        "contract",
                        outside.summarize(world.take(), mask),
                    )
                )
            began = time.perf_counter()
            wrong = []
            for bad in events.negative_samples():
                if bad.expect != "reject":
                    continue
                answer = delivery.post(server.url + "/", bad.headers, bad.body)
                if not 400 <= answer.status < 500:
                    wrong.append(f"{bad.name}: {answer.status}")
            results.append(
                RunResult(
                    path,
                    "contract: malformed requests get 4xx",
                    not wrong,
                    time.perf_counter() - began,
                    None,
                    ", ".join(wrong),
                    "contract",
                )
            )
        finally:
            server.stop()
            world.close()
    return results
