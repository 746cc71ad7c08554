"""Issue 15, one reproduction per item (the data-loss items are in test_export_guard.py; bad
arguments of every command, items 11-15 and 18 among them, in test_cli_fuzz.py)."""

from __future__ import annotations

import io
import re
import socket
import subprocess
import sys
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import psutil
import pytest
from conftest import HANDLER, REPO, SETTINGS, run_knotebook

from knotebook import events
from knotebook.errors import KnotebookError, NotebookError
from knotebook.events import knobs
from knotebook.export import exporter
from knotebook.lab.inkernel import Invocation
from knotebook.local import bootfail, delivery, process
from knotebook.notebook import cells
from knotebook.notebook.conventions import Cell

SECRET = "s3cr3t-token-42"
LOGS_ENV1 = """# knotebook: function
import logging
import os

log = logging.getLogger("t")


def handler(event):
    log.info("token is %s", os.environ.get("ENV1", "unset"))
    return None
"""


def export(project, name, *args):
    notebook = "vm_created" if name == "vm-created" else name
    proc = run_knotebook("export", f"notebooks/{notebook}.ipynb", *args, cwd=project)
    assert proc.returncode == 0, proc.stderr
    return project / "export" / name


# -- 11 ----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_11_dev_exits_1_when_the_port_is_taken(project):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = str(sock.getsockname()[1])
        proc = run_knotebook("dev", "notebooks/vm_created.ipynb", "--port", port, cwd=project)
    assert proc.returncode == 1
    assert (
        proc.stderr.strip()
        == f"Error: port {port} on 127.0.0.1 is in use; pick another with --port"
    )
    assert "waiting for the next save" not in proc.stdout.lower()


# -- 12, 13 ------------------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["http://127.0.0.1:99999", "http://127.0.0.1:abc", "http://[::1"])
def test_12_bad_urls_are_one_line(cli, url):
    result = cli("invoke", url, "--event", "VmCreatedEvent")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {url}: not a valid URL")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("command", ["run", "dev", "broker", "lab", "vcsim"])
@pytest.mark.parametrize("port", ["99999", "-1"])
def test_13_bad_ports_are_usage_errors(cli, command, port):
    args = [command, "x.ipynb"] if command in ("run", "dev") else [command]
    result = cli(*args, "--port", port)
    assert result.exit_code == 2
    assert "is not in the range 0<=x<=65535" in result.stderr
    assert result.stderr.count("\n") == 1


# -- 14 ----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_14_path_in_function_env_does_not_stop_the_launcher(project):
    bundle = export(project, "vm-created")
    (bundle / "k8s" / "function.env").write_text("PATH=/nope\n")
    proc = run_knotebook("try", "export/vm-created", "--mode", "binary", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert "FileNotFoundError" not in proc.stdout + proc.stderr


# -- 15 ----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_15_broker_on_a_taken_port_starts_no_function(project):
    export(project, "vm-created")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = str(sock.getsockname()[1])
        proc = run_knotebook("broker", "export/vm-created", "--port", port, cwd=project)
    assert proc.returncode == 1
    assert proc.stderr.strip().endswith("is in use; pick another with --port")
    assert "gunicorn" not in proc.stderr  # refused before any function was started
    assert leftovers(project) == []


def leftovers(folder: Path) -> list[int]:
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.cwd().startswith(str(folder)):
                found.append(proc.pid)
        except psutil.Error:
            continue
    return found


# -- 16 ----------------------------------------------------------------------------------------
def test_16_import_failure_names_the_exception_and_the_cell(tmp_path):
    bundle = tmp_path / "fn"
    bundle.mkdir()
    handler = bundle / "handler.py"
    handler.write_text(
        "import knotebook.runtime\n\n# %% notebooks/fn.ipynb cell 8\n"
        "# knotebook: function\nDATA = open('missing.csv').read()\n"
    )
    logs = [
        "[INFO] Booting worker with pid: 10",
        "Traceback (most recent call last):",
        '  File "/venv/gunicorn/arbiter.py", line 752, in spawn_worker',
        "    worker.init_process()",
        f'  File "{handler}", line 5, in <module>',
        "    DATA = open('missing.csv').read()",
        "FileNotFoundError: [Errno 2] No such file or directory: 'missing.csv'",
        "Traceback (most recent call last):",
        '  File "/venv/gunicorn/arbiter.py", line 200, in run',
        "gunicorn.errors.HaltServer: <HaltServer 'Worker failed to boot.' 3>",
    ]
    assert bootfail.explain(logs, bundle) == (
        "FileNotFoundError: [Errno 2] No such file or directory: 'missing.csv' "
        "(notebooks/fn.ipynb, cell 8, line 2)"
    )
    assert bootfail.explain(logs[-3:], bundle) == ""  # not the function's: the tail is shown


def test_a_line_outside_every_cell_is_named_as_a_line_of_handler_py(tmp_path):
    """A handler.py edited by hand: a line after the serve section is no cell's."""
    bundle = tmp_path / "fn"
    bundle.mkdir()
    handler = bundle / "handler.py"
    handler.write_text(
        "import knotebook.runtime\n\n# %% notebooks/x.ipynb cell 7\n# knotebook: function\n"
        "def handler(event):\n    return None\n\n\n# %% serve handler(event): ASGI\n"
        "app = knotebook.runtime.App(handler)\nimport nonexistent_mod\n"
    )
    logs = [
        "Traceback (most recent call last):",
        f'  File "{handler}", line 11, in <module>',
        "    import nonexistent_mod",
        "ModuleNotFoundError: No module named 'nonexistent_mod'",
    ]
    assert bootfail.explain(logs, bundle) == (
        "ModuleNotFoundError: No module named 'nonexistent_mod' (handler.py, line 11)"
    )
    assert bootfail.cell_of(handler, 6) == "notebooks/x.ipynb, cell 7, line 3"
    assert bootfail.cell_of(handler, 10) == bootfail.cell_of(handler, 99) == ""


@pytest.mark.slow
def test_16_try_shows_the_function_exception(project, function_notebook):
    opening = "# knotebook: function\nDATA = open('missing-data.csv').read()\n" + LOGS_ENV1[22:]
    function_notebook("boot-fail", handler=opening)
    proc = run_knotebook("try", "notebooks/boot-fail.ipynb", cwd=project)
    assert proc.returncode == 1
    assert "FileNotFoundError" in proc.stderr and "missing-data.csv" in proc.stderr
    assert re.search(r"notebooks/boot-fail\.ipynb, cell \d+, line 2\)", proc.stderr)
    assert "Worker failed to boot" not in proc.stderr


# -- 17 ----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_17_notebook_without_kernel_metadata_validates(project, function_notebook):
    import nbformat

    path = function_notebook("no-meta")
    nb = nbformat.read(path, as_version=4)
    nb.metadata = {}
    nbformat.write(nb, path)
    proc = run_knotebook("validate", str(path), "--no-contract", cwd=project)  # both envelopes
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No language found" not in proc.stdout + proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--knotebook", str(path)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "No language found" not in proc.stdout


# -- 18 ----------------------------------------------------------------------------------------
def test_18_set_refuses_unknown_fields_and_never_replaces_a_string():
    data = events.sample("VmCreatedEvent").get_data()
    with pytest.raises(KnotebookError, match=r"no field Vm\.Nmae; did you mean Vm\.Name\?"):
        knobs.set_path(data, "Vm.Nmae", "web-42")
    with pytest.raises(KnotebookError, match=r"Vm\.Name is a string, not an object"):
        knobs.set_path(data, "Vm.Name.Deep", "x")
    assert "Nmae" not in data["Vm"] and isinstance(data["Vm"]["Name"], str)
    knobs.set_path(data, "+Vm.Note", "added on purpose")
    assert data["Vm"]["Note"] == "added on purpose"
    knobs.set_path(data, "Vm.Name", "web-42")
    assert data["Vm"]["Name"] == "web-42"


def test_18_set_typo_on_the_command_line(cli):
    result = cli("events", "show", "VmCreatedEvent", "--set", "Vm.Nmae=web-42")
    assert result.exit_code == 1
    assert "did you mean Vm.Name?" in result.stderr and "+Vm.Nmae=VALUE" in result.stderr


# -- 19 ----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_19_try_masks_function_env_values(project, function_notebook):
    function_notebook("masked", handler=LOGS_ENV1)
    bundle = export(project, "masked")
    (bundle / "k8s" / "function.env").write_text(f"ENV1={SECRET}\n")
    proc = run_knotebook("try", "export/masked", "--mode", "binary", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert "token is ********" in proc.stdout
    assert SECRET not in proc.stdout + proc.stderr


def test_19_invocation_display_masks_secrets():
    event = events.sample("VmCreatedEvent")
    answer = Invocation(
        "fn",
        event,
        "binary",
        500,
        {},
        f"bad token {SECRET}<&>".encode(),
        0.01,
        None,
        [f"token is {SECRET}<&>"],
        secrets=[f"{SECRET}<&>"],
    )
    assert SECRET not in str(answer)
    assert "token is ********" in str(answer)
    html = answer._repr_html_()
    assert SECRET not in html and escape(SECRET) not in html
    assert "token is ********" in html


# -- 20 ----------------------------------------------------------------------------------------
def test_20_local_functions_bind_loopback_unless_opened():
    web = "gunicorn --bind 0.0.0.0:${PORT:-8080} --workers 2 handler:app"  # a bundle's Procfile
    assert "--bind 127.0.0.1:${PORT" in process.local_command(web)
    assert "--bind 0.0.0.0:${PORT" in process.local_command(web, "0.0.0.0")
    assert "--bind [::1]:${PORT" in process.local_command(web, "::1")
    assert process.local_command("uvicorn app --host 0.0.0.0") == "uvicorn app --host 127.0.0.1"


@pytest.mark.slow
def test_20_a_running_function_listens_on_127_0_0_1(project):
    bundle = export(project, "vm-created")
    server = process.start(bundle)
    try:
        addresses = {
            c.laddr.ip
            for pid in process.group_pids(server.process.pid)
            for c in psutil.Process(pid).net_connections("tcp")
            if c.status == psutil.CONN_LISTEN and c.laddr.port == server.port
        }
    finally:
        server.stop()
    assert addresses == {"127.0.0.1"}


# -- 21 ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("async def handler(event):\n    pass\n", "line 2: 'async def handler' is not supported"),
        (
            "def handler(event, context):\n    pass\n",
            "line 2: handler() is called with the event only; context would get no value",
        ),
        ("def handler():\n    pass\n", "line 2: handler() must take the event"),
    ],
)
def test_21_handler_signatures_are_checked_at_export(source, message):
    cell = Cell(5, "# knotebook: function\n" + source)
    with pytest.raises(NotebookError, match=re.escape(f"nb.ipynb: cell 5, {message}")):
        cells.check(Path("nb.ipynb"), [cell])
    ok = Cell(5, "# knotebook: function\ndef handler(event, context=None):\n    pass\n")
    cells.check(Path("nb.ipynb"), [ok])


@pytest.mark.parametrize(
    ("setting", "word"),
    [('NAMESPACE = "Bad_NS"', "NAMESPACE"), ('IMAGE = "not an image ref"', "IMAGE")],
)
def test_21_namespace_and_image_are_checked_at_export(write_notebook, setting, word):
    settings = SETTINGS.format(name="settings-check", events=["VmCreatedEvent"], envelope="tanzu")
    path = write_notebook("settings_check.ipynb", settings + setting + "\n", HANDLER)
    with pytest.raises(NotebookError, match=rf"cell \d+, line 6: {word}"):
        exporter.export(path)


# -- 23 ----------------------------------------------------------------------------------------
def test_23_reply_time_is_rfc3339():
    reply = events.sample("VmCreatedEvent")
    answer = delivery.Delivery(200, "OK", {}, b"", 0.001, reply)
    line = delivery.describe("binary", reply, answer)[1]
    assert re.search(r'"time": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"', line), line
    assert delivery._attribute(datetime(2026, 11, 30, 3, 53, 8, 965717, UTC)) == (
        "2026-11-30T03:53:08.965717Z"
    )


def test_23_function_log_lines_are_written_whole(capfd):
    stream = io.BytesIO(b"first\nsecond\n")
    logs: list[str] = []
    process._pump(stream, logs, "fn")
    assert capfd.readouterr().err == "fn | first\nfn | second\n"


def test_23_broker_help_names_a_real_sample_bundle(cli):
    names = set(
        re.findall(
            r'FUNCTION_NAME = \\"([a-z0-9-]+)\\"',
            "".join(p.read_text() for p in (REPO / "notebooks").glob("*.ipynb")),
        )
    )
    shown = set(re.findall(r"export/([a-z0-9-]+)", cli("broker", "--help").output))
    assert shown and shown <= names


def test_23_bundle_readme_sentences_are_spaced(project):
    readme = export(project, "vm-created").joinpath("README.md").read_text()
    assert "`VmCreatedEvent` (VEBA" in readme
    assert ").It reads" not in readme and ").\nIt reads" in readme
    assert "Flask app" not in readme


def test_23_try_takes_a_notebook_and_export_a_folder(cli):
    assert "BUNDLE|NOTEBOOK" in cli("try", "--help").output
    assert "NOTEBOOKS are notebooks or folders" in cli("export", "--help").output


@pytest.mark.slow
def test_23_readme_step_4_shows_what_validate_prints(project):
    readme = (REPO / "README.md").read_text()
    block = readme.split("**4. Validate**", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    summary = [line.removeprefix("# ") for line in block.splitlines() if "passed," in line]
    proc = run_knotebook("validate", "notebooks/vm_created.ipynb", cwd=project)
    assert proc.returncode == 0, proc.stdout
    assert summary == [proc.stdout.strip().splitlines()[-1]]
    for label in re.findall(r"#\s+ok  (\S+ \[.+?\])", block):
        assert label in proc.stdout


def test_23_knotebook_invoke_help_shows_the_usage(capsys):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "knotebook")
    assert shell.run_line_magic("knotebook", "invoke --help") is None
    assert "%knotebook invoke [EVENT]" in capsys.readouterr().out
