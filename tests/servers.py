"""Live servers on loopback for the tests: a free port, waiting until up, the app under uvicorn
in a thread, and `prism serve` as a real process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn


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


@contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Run an ASGI app with uvicorn on a free loopback port; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)
        yield base
    finally:
        server.should_exit = True
        thread.join(10)


SERVE = [sys.executable, "-m", "prism.cli", "serve", "--host", "127.0.0.1"]


def stop(process: subprocess.Popen[bytes]) -> None:
    """End a server process: terminate it, and kill it if it has not gone within 20 s."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def prism_serve(
    data_dir: Path, *, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`prism serve` as a real process on a free loopback port; yields (base URL, process)."""
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PRISM_", "AWS_"))}
    process = subprocess.Popen(
        [*SERVE, "--port", str(port), "--data", str(data_dir)],
        env=clean | {"PRISM_LOG_LEVEL": "WARNING"} | (env or {}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        yield base, process
    finally:
        stop(process)
        if process.stderr:
            process.stderr.close()
