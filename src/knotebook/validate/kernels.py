"""Kernels for validation runs: launched ahead of use, one client each, reset between runs.

Measured on 2 cores (see bench/validate_bench.py): a fresh kernel per run costs ~1.5 s (process
start, ipykernel import, the notebook's imports); a second run in the same kernel through
papermill's default engine still cost ~0.7 s, of which ~0.4 s was two new kernel clients (the
reset's and nbclient's), each waiting for its first ``kernel_info`` reply. Here a kernel is
launched before its notebook's turn (``Kernel.launch`` only spawns the process), gets one client
for its lifetime, and is reset by ``kernelboot.reset`` in one round trip.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

from jupyter_client.manager import KernelManager

NAME = "python3"
STARTUP_TIMEOUT = 60
BOOT = "knotebook.validate.kernelboot"
SNAPSHOT = f"__import__({BOOT!r}, fromlist=['_']).snapshot()"
RESET = f"__import__({BOOT!r}, fromlist=['_']).reset()"


class ValidationKernelManager(KernelManager):
    """A kernel manager whose kernel is ``python -m knotebook.validate.kernelboot``."""

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        # the python3 spec is [python, -m, ipykernel_launcher, -f, {connection_file}]
        if "ipykernel_launcher" in cmd:
            at = cmd.index("ipykernel_launcher")
            cmd = [sys.executable, "-m", BOOT, *cmd[at + 1 :]]
        return cmd


def preloads(nb: Any) -> list[str]:
    """Modules worth importing before the kernel starts: what the notebook's cells use."""
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    found = []
    if "knotebook" in text:
        found.append("knotebook.events")
    if "load_ext knotebook" in text:
        found.append("knotebook.lab.magics")
    return found


class Kernel:
    """One kernel for one notebook: its own cwd and environment, one client for its life."""

    def __init__(self, cwd: Path, env: dict[str, str], preload: list[str] | None = None) -> None:
        self.cwd = cwd
        self.env = {**os.environ, **env, "KNOTEBOOK_PRELOAD": ",".join(preload or [])}
        self.km: KernelManager | None = None
        self.kc: Any = None
        self.used = False

    def launch(self) -> None:
        """Spawn the kernel process; returns at once (``ready`` waits for it)."""
        if self.km is None:
            self.km = ValidationKernelManager(kernel_name=NAME)
            self.km.start_kernel(
                cwd=str(self.cwd),
                env=self.env,
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )

    def ready(self) -> tuple[KernelManager, Any]:
        """The started kernel and its client, reset when a run used it before."""
        if self.km is None or not self.km.is_alive():
            self.close()
            self.launch()
        assert self.km is not None
        if self.kc is None:
            self.kc = self.km.client()
            self.kc.start_channels()
            self.kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
            self.kc.allow_stdin = False
            self._silent(SNAPSHOT)
            self.used = False
        elif self.used:
            self._silent(RESET)
            self.used = False
        return self.km, self.kc

    def _silent(self, code: str) -> None:
        reply = self.kc.execute_interactive(
            code, silent=True, store_history=False, timeout=STARTUP_TIMEOUT
        )
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"kernel reset failed: {reply['content'].get('evalue')}")

    def interrupt(self) -> None:
        if self.km is not None:
            with contextlib.suppress(Exception):
                self.km.interrupt_kernel()

    def close(self) -> None:
        """Stop the client and the kernel (at once: nothing of a run is kept in it)."""
        if self.kc is not None:
            with contextlib.suppress(Exception):
                self.kc.stop_channels()
            self.kc = None
        if self.km is not None:
            with contextlib.suppress(Exception):  # already dead
                self.km.shutdown_kernel(now=True)
            self.km = None
