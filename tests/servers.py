"""Helpers for tests that run a real server process on loopback."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(
    base: str, process: subprocess.Popen | None = None, timeout: float = 30.0
) -> None:
    """Poll `base`/healthz until it answers 200; fail early (with its stderr) if `process` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            _, stderr = process.communicate()
            raise AssertionError(f"server exited with {process.returncode}: {stderr}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{base} did not come up")
