"""TCP ports for local servers: is one free, pick a free one."""

from __future__ import annotations

import socket

from knotebook.errors import KnotebookError


def check_port(port: int) -> int:
    """``port`` when it is a TCP port number (0: any free one); else a one-line error."""
    if not 0 <= port <= 65535:
        raise KnotebookError(f"port {port} is not a TCP port number (0-65535)")
    return port


def free_port(host: str = "127.0.0.1") -> int:
    """A port the system considers free on ``host`` right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_free(port: int, host: str = "0.0.0.0") -> bool:
    """Can a server bind ``host:port`` (as gunicorn and Jupyter do, with SO_REUSEADDR)?"""
    check_port(port)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host.strip("[]"), port))
        except OSError:
            return False
        return True
