"""Connecting to a vCenter (or the simulator) with pyVmomi; credentials never from flags.

The URL, user and password travel in the environment variables a deployed function reads
(``VCENTER_URL``, ``VCENTER_USER``, ``VCENTER_PASSWORD``, ``VCENTER_INSECURE``), or in an env
file with those lines (``--credentials FILE``), so no password lands in shell history.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from knotebook.errors import EnvFileError, KnotebookError
from knotebook.project.urls import check_url

URL_VAR, USER_VAR, PASSWORD_VAR, INSECURE_VAR = (
    "VCENTER_URL",
    "VCENTER_USER",
    "VCENTER_PASSWORD",
    "VCENTER_INSECURE",
)
TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Credentials:
    """Where a vCenter is and how to log in."""

    url: str
    user: str
    password: str
    insecure: bool = False

    def env(self) -> dict[str, str]:
        """The environment variables a function reads to reach this vCenter."""
        return {
            URL_VAR: self.url,
            USER_VAR: self.user,
            PASSWORD_VAR: self.password,
            INSECURE_VAR: "1" if self.insecure else "0",
        }


def _read_env_file(path: Path) -> dict[str, str]:
    from knotebook.project import envfile

    try:
        return envfile.read(path)
    except EnvFileError as exc:
        if exc.line:  # a line kubectl would reject: file:line: reason
            raise
        raise KnotebookError(f"cannot read the credentials file {path}: {exc.reason}") from None


def credentials(
    url: str | None = None,
    *,
    file: Path | None = None,
    insecure: bool | None = None,
    environ: Mapping[str, str] | None = None,
) -> Credentials:
    """Credentials from the URL argument, an env file, then the environment."""
    values = dict(os.environ if environ is None else environ)
    if file is not None:
        values.update(_read_env_file(file))
    url = url or values.get(URL_VAR)
    if not url:
        raise KnotebookError(f"no vCenter URL: pass --vcenter URL or set {URL_VAR}")
    parts = urlsplit(check_url(url if "://" in url else f"https://{url}"))
    if parts.password:
        raise KnotebookError(
            f"put the password in {PASSWORD_VAR} or a --credentials file, not in the URL"
        )
    user = parts.username or values.get(USER_VAR, "")
    password = values.get(PASSWORD_VAR, "")
    if not user or not password:
        raise KnotebookError(
            f"no vCenter credentials: set {USER_VAR} and {PASSWORD_VAR} "
            "(in the environment or a --credentials env file)"
        )
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    clean = f"{parts.scheme}://{netloc}{parts.path or '/sdk'}"
    if insecure is None:
        insecure = values.get(INSECURE_VAR, "").lower() in TRUE
    return Credentials(clean, user, password, insecure)


def connect(creds: Credentials) -> Any:
    """A pyVmomi ServiceInstance (one line on failure, never a traceback)."""
    from pyVim.connect import SmartStubAdapter
    from pyVmomi import vim

    parts = urlsplit(creds.url)
    scheme = parts.scheme or "https"
    port = parts.port or (443 if scheme == "https" else 80)
    try:
        # SmartConnect's stub (and its pooled socket) is lost when the login fails: we log in on
        # a stub of our own, closed on failure (else an unclosed SSLSocket at garbage collection)
        stub = SmartStubAdapter(
            host=parts.hostname or "localhost",
            port=port if scheme == "https" else -port,  # pyVmomi: a negative port is plain HTTP
            path=parts.path or "/sdk",
            disableSslCertValidation=creds.insecure,
        )
        si = vim.ServiceInstance("ServiceInstance", stub)
        try:
            sessions: Any = si.content.sessionManager  # the stubs: Optional, locale required
            sessions.Login(creds.user, creds.password)
        except BaseException:
            stub.DropConnections()
            raise
        return si
    except vim.fault.InvalidLogin as exc:
        raise KnotebookError(f"{creds.url}: login failed for {creds.user}") from exc
    except OSError as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
        hint = f" (set {INSECURE_VAR}=1 if it is self-signed)" if "CERT" in str(exc) else ""
        raise KnotebookError(f"cannot reach {creds.url}: {reason}{hint}") from exc
    except Exception as exc:  # pyVmomi raises many kinds (vmodl faults, HTTP errors)
        message = getattr(exc, "msg", None) or str(exc).splitlines()[0] or type(exc).__name__
        raise KnotebookError(f"cannot connect to {creds.url}: {message}") from exc


def disconnect(si: Any) -> None:
    from pyVim.connect import Disconnect

    with contextlib.suppress(Exception):  # the session may already be gone
        Disconnect(si)
    with contextlib.suppress(Exception):
        si._stub.DropConnections()  # Disconnect logs out but keeps the pooled sockets
