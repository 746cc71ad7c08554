"""No real service is called by validation: the HTTP stand-in takes every outbound request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from knotebook.vcenter import standin

pytestmark = pytest.mark.slow  # validate through the stand-in

WEBHOOK = "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX"
CLIENTS = r"""
import json, urllib.request
import httpx, requests
from knotebook.vcenter import standin
print(requests.post("https://hooks.slack.com/services/T/B/X", json={"text": "hi"}).text)
put = urllib.request.Request("https://api.example.com/v1/x?y=1", data=b"abc", method="PUT")
print(urllib.request.urlopen(put, timeout=10).read().decode())
print(httpx.get("http://plain.example.org/p").text)
print(json.dumps([r["url"] for r in standin.requests()]))
"""


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_requests_urllib_and_httpx_all_land_in_the_stand_in():
    with standin.StandIn() as stand_in:
        done = _python(CLIENTS, stand_in.env("t1"))
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert lines[:3] == ["ok", "ok", "ok"]
        taken = stand_in.take("t1")
    assert [(r.method, r.url) for r in taken] == [
        ("POST", "https://hooks.slack.com/services/T/B/X"),
        ("PUT", "https://api.example.com/v1/x?y=1"),
        ("GET", "http://plain.example.org/p"),
    ]
    assert json.loads(taken[0].body) == {"text": "hi"}
    assert json.loads(lines[3]) == [r.url for r in taken]  # what the notebook can read


def test_allowed_hosts_reach_the_real_service():
    class Real(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "4")
            self.end_headers()
            self.wfile.write(b"real")

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Real)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    code = f"import urllib.request; print(urllib.request.urlopen({url!r}).read().decode())"
    try:
        with standin.StandIn(allow=("127.0.0.1",)) as stand_in:
            env = {**stand_in.env("t2"), "NO_PROXY": "", "no_proxy": ""}  # through the stand-in
            done = _python(code, env)
            assert done.stdout.strip() == "real", done.stderr
            assert stand_in.take("t2") == []
        with standin.StandIn() as stand_in:
            done = _python(code, {**stand_in.env("t3"), "NO_PROXY": "", "no_proxy": ""})
            assert done.stdout.strip() == "ok"
            assert [r.url for r in stand_in.take("t3")] == [url]
    finally:
        server.shutdown()
        server.server_close()


SETTINGS = """# knotebook: settings
FUNCTION_NAME = "slack-notify"
EVENT_TYPES = ["VmPoweredOffEvent"]
ENV_VARS = ["SLACK_SECRET"]
"""
HANDLER = """# knotebook: function
import os

import requests


def handler(event):
    data = event.get_data()
    answer = requests.post(
        os.environ["SLACK_SECRET"], json={"text": f"{data['Vm']['Name']} powered off"}, timeout=10
    )
    if answer.text != "ok":
        raise RuntimeError(f"Slack said {answer.status_code} {answer.text!r}")
"""
CALL = """from knotebook import events
from knotebook.vcenter import standin

handler(events.sample(EVENT, envelope=ENVELOPE))
assert [r["method"] for r in standin.requests()][-1:] == ["POST"]
"""


@pytest.mark.slow
def test_validate_of_a_webhook_notebook_makes_no_outside_calls(cli, project, write_notebook):
    path = write_notebook(
        "slack_notify.ipynb",
        SETTINGS,
        ('EVENT = "VmPoweredOffEvent"\nENVELOPE = "tanzu"', ["parameters"]),
        HANDLER,
        CALL,
    )
    path.with_suffix(".env").write_text(f"SLACK_SECRET={WEBHOOK}\n")
    report = project / "build" / "report.json"
    result = cli("validate", str(path), "--json", str(report), "-j", "1", cwd=project)
    assert result.exit_code == 0, result.output
    runs = json.loads(report.read_text())["results"]
    assert {r["check"] for r in runs} == {"notebook", "contract"}
    posting = [r for r in runs if r["name"] != "contract: malformed requests get 4xx"]
    assert len(posting) == 4  # two envelopes, in the notebook and in the served function
    for run in posting:
        sent = 2 if run["check"] == "contract" else 1  # the contract POSTs binary and structured
        assert [(q["method"], q["url"]) for q in run["requests"]] == [
            ("POST", "https://hooks.slack.com/********")  # the webhook is a secret: masked
        ] * sent, run
        assert "powered off" in run["requests"][0]["body"]
    assert "stand-in took: POST https://hooks.slack.com/********" in result.output
    assert WEBHOOK not in result.output and WEBHOOK not in report.read_text()


def test_stand_in_env_points_every_client_at_it():
    with standin.StandIn() as stand_in:
        env = stand_in.env("t4")
        assert env["HTTPS_PROXY"].startswith("http://t4:") and env["https_proxy"]
        assert "127.0.0.1" in env["NO_PROXY"]
        bundle = Path(env["SSL_CERT_FILE"])
        assert bundle.read_bytes().count(b"BEGIN CERTIFICATE") > 10  # ours + the public CAs
    assert not bundle.exists()


def test_a_client_that_distrusts_the_stand_in_is_still_reported():
    code = (
        "import ssl, urllib.request\n"
        "ctx = ssl.create_default_context(cafile=__import__('certifi').where())\n"
        "try:\n"
        "    urllib.request.urlopen('https://pinned.example.com/', context=ctx)\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__)\n"
    )
    with standin.StandIn() as stand_in:
        done = _python(code, stand_in.env("t5"))
        assert "URLError" in done.stdout, done.stderr
        assert [(r.method, r.url) for r in stand_in.take("t5")] == [
            ("CONNECT", "https://pinned.example.com")
        ]
