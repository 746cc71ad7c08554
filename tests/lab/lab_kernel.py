"""A real IPython kernel driven over the Jupyter protocol, as JupyterLab drives it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import KernelManager


@dataclass
class Result:
    """The messages one execute_request produced."""

    status: str = ""
    stdout: str = ""
    stderr: str = ""
    data: list[dict[str, Any]] = field(default_factory=list)  # execute_result + display_data
    error: str = ""

    def text(self) -> str:
        return "\n".join(d.get("text/plain", "") for d in self.data)

    def html(self) -> str:
        return "\n".join(d.get("text/html", "") for d in self.data)


class Kernel:
    """``python3`` kernel started in ``cwd``; ``session`` plays JupyterLab's JPY_SESSION_NAME."""

    def __init__(self, cwd: Path, session: Path | None = None, env: dict | None = None) -> None:
        extra = {"JPY_SESSION_NAME": str(session)} if session else {}
        base = {k: v for k, v in os.environ.items() if k != "JPY_SESSION_NAME"}
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(
            cwd=str(cwd),
            env={**base, **extra, **(env or {})},
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
        self.client = self.km.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def run(self, code: str, cell_id: str | None = None, timeout: float = 60) -> Result:
        """Execute like JupyterLab: ``cellId`` in the request's metadata when given."""
        client = self.client
        content = {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        metadata = {"cellId": cell_id} if cell_id else {}
        msg = client.session.msg("execute_request", content, metadata=metadata)
        client.shell_channel.send(msg)
        msg_id = msg["header"]["msg_id"]
        result = Result()
        while True:
            reply = client.get_iopub_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") != msg_id:
                continue
            kind, body = reply["msg_type"], reply["content"]
            if kind == "stream":
                if body["name"] == "stdout":
                    result.stdout += body["text"]
                else:
                    result.stderr += body["text"]
            elif kind in ("execute_result", "display_data"):
                result.data.append(body["data"])
            elif kind == "error":
                result.error = f"{body['ename']}: {body['evalue']}"
            elif kind == "status" and body["execution_state"] == "idle":
                break
        while True:  # skip stray replies (wait_for_ready may leave kernel_info replies)
            shell = client.get_shell_msg(timeout=timeout)
            if shell["parent_header"].get("msg_id") == msg_id:
                break
        result.status = shell["content"]["status"]
        return result

    def ok(self, code: str, cell_id: str | None = None) -> Result:
        result = self.run(code, cell_id)
        assert result.status == "ok", f"{code!r} failed: {result.error}\n{result.stderr}"
        return result

    def value(self, expression: str) -> Any:
        """A JSON-able value computed in the kernel."""
        out = self.ok(f"import json as _j; print(_j.dumps({expression}, default=str))")
        return json.loads(out.stdout.strip().splitlines()[-1])

    def run_notebook(self, path: Path, upto: int | None = None) -> None:
        """Execute the notebook's code cells in order (through cell ``upto``, 1-based)."""
        nb = nbformat.read(path, as_version=4)
        for number, cell in enumerate(nb.cells, start=1):
            if upto is not None and number > upto:
                break
            if cell.cell_type == "code":
                self.ok(cell.source, cell.get("id"))

    def close(self) -> None:
        self.client.stop_channels()
        self.km.shutdown_kernel(now=True)
