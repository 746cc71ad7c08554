"""%load_ext knotebook in a real kernel: invoke through the exported app, export, display."""

from __future__ import annotations

import http.server
import json
import threading
from typing import ClassVar

import nbformat
import pytest
from conftest import make_project, tree_bytes
from lab_kernel import Kernel

from knotebook import events
from knotebook.export import exporter

pytestmark = pytest.mark.slow  # IPython kernels serving functions

FUNCTION_CELL = 8  # vm_created.ipynb: the function cell (other tests rely on the number)
EDITED = """# knotebook: function
import logging
import os

log = logging.getLogger("vm-created")


def handler(event):
    data = event.get_data() or {}
    log.info("EDITED: %s made %s", data.get("UserName"), (data.get("Vm") or {}).get("Name"))
"""


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One scratch project and one kernel on vm_created.ipynb for the tests that can share it."""
    project = make_project(tmp_path_factory.mktemp("shared") / "project")
    path = project / "notebooks" / "vm_created.ipynb"
    kernel = Kernel(path.parent, session=path)
    kernel.run_notebook(path, upto=10)
    kernel.ok("%load_ext knotebook")
    yield project, kernel
    kernel.close()


@pytest.fixture
def vm_kernel(shared):
    """The shared kernel, its function cell 8 re-run from the saved notebook (as by cell id)."""
    project, kernel = shared
    nb = nbformat.read(project / "notebooks" / "vm_created.ipynb", as_version=4)
    kernel.ok(nb.cells[FUNCTION_CELL - 1].source, cell_id="cell-08")
    return project, kernel


@pytest.fixture
def kernel_for(project):
    """Start a kernel as JupyterLab does for ``notebooks/<name>`` (session path, cwd)."""
    kernels: list[Kernel] = []

    def start(name: str = "vm_created.ipynb", session: bool = True, **kwargs) -> Kernel:
        path = project / "notebooks" / name
        kernel = Kernel(path.parent, session=path if session else None, **kwargs)
        kernels.append(kernel)
        return kernel

    yield start
    for kernel in kernels:
        kernel.close()


def invoke(kernel: Kernel, args: str = "VmCreatedEvent") -> dict:
    kernel.ok(f"_r = get_ipython().run_line_magic('knotebook', {('invoke ' + args)!r})")
    return kernel.value(
        "{'status': _r.status, 'logs': _r.logs, 'notes': _r.notes, 'text': str(_r),"
        " 'reply': _r.reply and _r.reply.get_type(), 'source': _r.handler_source}"
    )


def test_invoke_runs_the_exported_handler_and_shows_status_and_log(vm_kernel):
    project, kernel = vm_kernel
    shown = kernel.ok("%knotebook invoke VmCreatedEvent")
    assert "204 No Content" in shown.text()
    assert "created VM web-01 on host esxi-01.example.local" in shown.text()
    html = shown.html()
    assert "class='knotebook-invoke'" in html and "204 No Content" in html
    assert "created VM web-01 on host" in html

    result = invoke(kernel, "VmCreatedEvent --mode structured --set Vm.Name=db-7")
    assert result["status"] == 204
    (line,) = result["logs"]
    assert (
        " INFO vm-created MainThread : VSPHERE.LOCAL\\Administrator created VM db-7 on host "
        in (line)
    )
    # The same handler.py the export writes.
    files = exporter.render(
        exporter.notebook.read(project / "notebooks" / "vm_created.ipynb"),
        project,
        "notebooks/vm_created.ipynb",
    )
    assert result["source"] == files["handler.py"].decode()
    assert "cell 8: as run in the kernel (In[" in result["text"]
    # The kernel's own logging and signal handlers are as they were.
    assert kernel.value("len(__import__('logging').getLogger().handlers)") == 1
    assert kernel.value("str(__import__('signal').getsignal(14))") in ("Handlers.SIG_DFL", "0")


def test_unsaved_edits_of_the_function_cell_are_what_runs(vm_kernel):
    project, kernel = vm_kernel
    path = project / "notebooks" / "vm_created.ipynb"
    saved = path.read_bytes()
    kernel.ok(EDITED)  # run without a cell id (a console, an old client): it is cell 8
    result = invoke(kernel)
    assert result["status"] == 204
    assert "EDITED: VSPHERE.LOCAL\\Administrator made web-01" in result["logs"][0]
    assert "cell 8: as run in the kernel" in result["text"] and "not saved yet" in result["text"]
    assert "# %% notebooks/vm_created.ipynb cell 8\n" in result["source"]
    assert path.read_bytes() == saved


def test_one_function_cell_takes_any_function_run_however_rewritten(vm_kernel):
    _project, kernel = vm_kernel
    kernel.ok(REWRITTEN)
    result = invoke(kernel)
    assert result["logs"][0].endswith(" WARNING x MainThread : rewritten entirely")


REWRITTEN = (
    "# knotebook: function\nimport logging\n\n\ndef handler(event):\n"
    "    logging.getLogger('x').warning('rewritten entirely')\n"
)


def test_cell_id_from_jupyterlab_beats_content_matching(project, kernel_for):
    # alarm_notify.ipynb has two function cells: 8 (post_json) and 9 (handler).
    path = project / "notebooks" / "alarm_notify.ipynb"
    kernel = kernel_for("alarm_notify.ipynb")
    kernel.run_notebook(path)
    # Without an id, a source that resembles neither saved cell is reported, and not used.
    kernel.ok(REWRITTEN)
    result = invoke(kernel, "AlarmStatusChangedEvent")
    assert "WEBHOOK_URL is not set; would post" in result["logs"][0]
    assert any("matches no cell of alarm_notify.ipynb" in note for note in result["notes"])
    assert "cell 8: as run in the kernel" in result["text"]
    # With JupyterLab's cell id it is cell 9, whatever it looks like.
    kernel.ok(REWRITTEN, cell_id="cell-09")
    result = invoke(kernel, "AlarmStatusChangedEvent")
    assert result["logs"][0].endswith(" WARNING x MainThread : rewritten entirely")
    assert "cell 9: as run in the kernel" in result["text"] and "not saved yet" in result["text"]


def test_handler_errors_answer_500_with_the_log_line(vm_kernel):
    _project, kernel = vm_kernel
    kernel.ok("# knotebook: function\ndef handler(event):\n    return 1 / 0\n", cell_id="cell-08")
    failed = kernel.run("%knotebook invoke VmCreatedEvent")
    assert failed.status == "error" and "answered 500 Internal Server Error" in failed.error
    result = invoke(kernel, "VmCreatedEvent --expect 500")
    assert result["status"] == 500
    assert "handler failed on event id=3849947" in result["logs"][0]
    assert "ZeroDivisionError" in result["logs"][0]
    assert "500 Internal Server Error" in result["text"]


def test_env_file_values_reach_the_handler_and_leave_the_kernel_clean(vm_kernel):
    project, kernel = vm_kernel
    env_file = project / "notebooks" / "vm_created.env"
    env_file.write_text("ENV1=from-env-file\n")
    try:
        result = invoke(kernel)
    finally:
        env_file.unlink()
    assert "(ENV1=from-env-file)" in result["logs"][0]
    assert any("vm_created.env: ENV1" in note for note in result["notes"])
    assert kernel.value("__import__('os').environ.get('ENV1')") is None


def test_reply_cloudevent_is_shown_as_a_table(project, kernel_for):
    kernel = kernel_for("vm_reconfigured.ipynb")
    kernel.run_notebook(project / "notebooks" / "vm_reconfigured.ipynb")
    shown = kernel.ok("%knotebook invoke portgroup")
    assert "200 OK" in shown.text()
    assert "com.example.vsphere.vm.reconfigured.summary" in shown.text()
    assert "class='knotebook-event'" in shown.html()  # the reply, as an HTML table
    assert "dvportgroup-8004" in shown.html()  # its data
    # A bare CloudEvent displays as a table too (text where there is no HTML).
    event = kernel.ok("portgroup")
    assert "class='knotebook-event'" in event.html()
    assert "data.Vm" in event.text() and "tinycore-2" in event.text()


def test_router_envelope_and_variables_as_events(project, kernel_for):
    kernel = kernel_for("login_audit.ipynb")
    kernel.run_notebook(project / "notebooks" / "login_audit.ipynb")
    result = invoke(kernel, "com.vmware.sso.LoginFailure --envelope router")
    assert result["status"] == 204
    assert '"outcome": "failure"' in result["logs"][0]
    assert "com.vmware.event.router/eventex" in result["text"]
    result = invoke(kernel, "session")  # a variable holding a CloudEvent
    assert '"outcome": "success"' in result["logs"][0]


def test_export_from_the_kernel_matches_knotebook_export_then_shows_a_diff(vm_kernel, tmp_path):
    project, kernel = vm_kernel
    path = project / "notebooks" / "vm_created.ipynb"
    reference = exporter.export(path, tmp_path / "reference").directory
    first = kernel.ok(f"%knotebook export --output-dir {tmp_path / 'out'}")
    files = len(tree_bytes(reference)) - 2  # the two .knotebook*.json are not counted
    assert f"wrote {files} file(s)" in first.text(), first.text()
    bundle = tmp_path / "out" / "vm-created"
    assert tree_bytes(bundle) == tree_bytes(reference)

    kernel.ok(EDITED, cell_id="cell-08")
    dry = kernel.ok(f"%knotebook export --dry-run --output-dir {tmp_path / 'out'}")
    unchanged = files - 2  # k8s/function.env is kept, handler.py changes
    assert f"would write 1 file(s), {unchanged} unchanged" in dry.text(), dry.text()
    assert tree_bytes(bundle) == tree_bytes(reference)  # nothing written
    second = kernel.ok(f"%knotebook export --output-dir {tmp_path / 'out'}")
    text = second.text()
    assert "changed  handler.py" in text
    assert '+    log.info("EDITED: %s made %s"' in text
    assert "not saved" in text
    assert "<details><summary>diff handler.py</summary>" in second.html()
    assert b"EDITED" in (bundle / "handler.py").read_bytes()


def test_errors_are_one_line_and_fail_the_cell(vm_kernel):
    _project, kernel = vm_kernel
    bad = kernel.run("%knotebook invoke VmCreatedEvnt")
    assert bad.status == "error"  # so papermill (knotebook validate) stops there
    assert bad.error.startswith(
        "MagicError: unknown vSphere event type 'VmCreatedEvnt'; did you mean VmCreatedEvent"
    )
    wrong = kernel.run("%knotebook frobnicate")
    assert wrong.status == "error" and "unknown command 'frobnicate'" in wrong.error
    usage = kernel.run("%knotebook invoke --mode fast")
    assert usage.status == "error" and "invalid choice: 'fast'" in usage.error
    helped = kernel.ok("%knotebook help")
    assert "%knotebook invoke [EVENT]" in helped.stdout


def test_without_a_session_the_notebook_is_found_by_its_function_name(project, kernel_for):
    # papermill and plain kernels: no session path; the kernel's folder holds the notebook.
    kernel = kernel_for(session=False)
    kernel.run_notebook(project / "notebooks" / "vm_created.ipynb", upto=10)
    kernel.ok("%load_ext knotebook")
    result = invoke(kernel)
    assert result["status"] == 204
    assert "rendered from notebooks/vm_created.ipynb" in result["text"]
    assert kernel.value("_r.found_by").startswith("the notebook in ")
    # VS Code names the file in __vsc_ipynb_file__; --notebook names it explicitly.
    other = project / "notebooks" / "login_audit.ipynb"
    kernel.ok(f"__vsc_ipynb_file__ = {str(project / 'notebooks' / 'vm_created.ipynb')!r}")
    invoke(kernel)
    assert kernel.value("_r.found_by") == "VS Code"
    # Another notebook's cells never mix with this kernel's runs: its saved cells are used.
    result = invoke(kernel, f"com.vmware.sso.LoginFailure --notebook {other}")
    assert result["status"] == 204 and '"outcome": "failure"' in result["logs"][0]
    assert any("using the saved cells of login_audit.ipynb" in n for n in result["notes"])
    assert "cell 6: saved source (not run in this kernel)" in result["text"]


def test_without_any_saved_notebook_the_kernel_history_is_enough(project, kernel_for):
    (project / "notebooks" / "vm_created.ipynb").rename(project / "notebooks" / "elsewhere.json")
    kernel = kernel_for(session=False)
    kernel.ok('# knotebook: settings\nFUNCTION_NAME = "solo"\nEVENT_TYPES = ["VmPoweredOnEvent"]')
    kernel.ok(
        "# knotebook: function\nimport logging\n\n\ndef handler(event):\n"
        "    logging.getLogger('solo').info('on %s', event.get_data()['Vm']['Name'])\n"
    )
    kernel.ok("%load_ext knotebook")
    result = invoke(kernel, "")
    assert result["status"] == 204
    assert result["logs"][0].endswith("INFO solo MainThread : on web-01")
    assert "kernel history" in result["text"]


class _Webhook(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, bytes]]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Webhook.received.append((self.headers.get("Authorization", ""), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    _Webhook.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Webhook.received
    server.shutdown()


def test_alarm_notebook_never_posts_but_its_exported_app_does(project, kernel_for, webhook):
    url, received = webhook
    env_file = project / "notebooks" / "alarm_notify.env"
    env_file.write_text(f"WEBHOOK_URL={url}\nWEBHOOK_TOKEN=s3cret\n")
    kernel = kernel_for("alarm_notify.ipynb")
    kernel.run_notebook(project / "notebooks" / "alarm_notify.ipynb")
    assert received == []  # the notebook itself only ever used the recorder
    result = invoke(kernel, "AlarmStatusChangedEvent")
    assert result["status"] == 204
    ((auth, body),) = received
    assert auth == "Bearer s3cret"
    assert json.loads(body) == {
        "text": ":warning: Datastore usage on disk on ProdDatastore1: gray -> yellow"
    }
    assert "posted" in result["logs"][0] and "HTTP 204" in result["logs"][0]


def test_function_cells_are_plain_python_without_ipython(project, tmp_path):
    """What VS Code or nbconvert run without the extension: the cells, in a plain interpreter."""
    import subprocess
    import sys

    import nbformat

    for path in sorted((project / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        cells = [c.source for c in nb.cells if c.source.startswith("# knotebook: function")]
        settings = next(c.source for c in nb.cells if c.source.startswith("# knotebook: settings"))
        script = tmp_path / f"{path.stem}.py"
        script.write_text(
            "\n\n".join([settings, *cells]) + "\n\nimport sys\nfrom knotebook import events\n"
            "assert 'IPython' not in sys.modules\n"
            "for event_id in EVENT_TYPES:\n"
            "    handler(events.sample(event_id))\n"
            "print('ok')\n"
        )
        proc = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 0 and proc.stdout.strip() == "ok", (path, proc.stderr)


PICKY = """# knotebook: function
import logging

from knotebook.runtime import Reject, Retry

log = logging.getLogger("vm-created")


def handler(event):
    name = ((event.get_data() or {}).get("Vm") or {}).get("Name")
    if name == "busy":
        raise Retry("vCenter is busy", after=5)
    raise Reject(f"{name} is not ours")
"""


def test_an_unexpected_status_fails_the_cell_and_expect_accepts_it(vm_kernel):
    _project, kernel = vm_kernel
    kernel.ok(PICKY, cell_id="cell-08")
    rejected = kernel.run("%knotebook invoke VmCreatedEvent")
    assert rejected.status == "error"  # so papermill (knotebook validate) stops there
    assert rejected.error.startswith("MagicError: the function answered 400 Bad Request")
    assert "web-01 is not ours" in rejected.error and "--expect 400" in rejected.error
    assert "400 Bad Request" in rejected.text()  # the answer was shown before the cell failed
    declared = kernel.ok("%knotebook invoke VmCreatedEvent --expect 400")
    assert "400 Bad Request" in declared.text()
    assert kernel.ok("%knotebook invoke VmCreatedEvent --expect 4xx")
    retry = kernel.run("%knotebook invoke VmCreatedEvent --set Vm.Name=busy --expect 4xx")
    assert retry.status == "error" and "answered 503 Service Unavailable" in retry.error
    assert "expected 4xx" in retry.error
    assert kernel.ok("%knotebook invoke VmCreatedEvent --set Vm.Name=busy --expect 503")


def test_invoke_sends_a_test_event_file(vm_kernel):
    project, kernel = vm_kernel
    path = project / "notebooks" / "test" / "testevent.json"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(events.to_structured(events.sample("VmCreatedEvent")))
    result = invoke(kernel, "test/testevent.json --set Vm.Name=from-file")
    assert result["status"] == 204 and "created VM from-file on host" in result["logs"][0]
