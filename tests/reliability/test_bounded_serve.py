"""Issue 17, items 7 and 8: `prism serve` keeps its memory and connections bounded.

Item 7: concurrent uploads are admitted by the memory the limits model says each costs;
over the budget they wait (or get 503 with Retry-After). Measured as the server's own peak
RSS growth (VmHWM, reset before each phase): eight concurrent uploads may cost at most a
small multiple of one upload, not eight.

Item 8: slow clients are timed out, a connection limit keeps fds for real requests, a client
that disconnects mid-body logs no traceback, and the log says each kind of error once per
interval rather than once per occurrence.
"""

from __future__ import annotations

import io
import os
import resource
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.reliability.procstats import peak_rss_bytes, rss_bytes
from tests.reliability.results import write_result
from tests.servers import SERVE, free_port, stop, wait_until_up

MB = 1024 * 1024
PEAKS: list[int] = []


@contextmanager
def serve(
    data: Path,
    env: dict[str, str] | None = None,
    preexec: Callable[[], None] | None = None,
    log_level: str = "WARNING",
) -> Iterator[tuple[str, subprocess.Popen[bytes], list[bytes]]]:
    """`prism serve` on a free port; yields (base URL, process, output lines so far)."""
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PRISM_", "AWS_"))}
    process = subprocess.Popen(
        [*SERVE, "--port", str(port), "--data", str(data)],
        env=clean | {"PRISM_LOG_LEVEL": log_level} | (env or {}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=preexec,
    )
    lines: list[bytes] = []

    def drain() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        yield base, process, lines
    finally:
        stop(process)
        reader.join(5)


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


# --- item 7 -----------------------------------------------------------------------------------


def flat_png(width: int, height: int, seed: int) -> bytes:
    """A large RGBA canvas that compresses to little: cheap to send, costly to decode."""
    image = Image.new("RGBA", (width, height), (seed * 40 % 256, 90, 160, 200))
    image.paste((250, 250, 250, 255), (0, 0, width // 3, height // 3))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=9)
    return out.getvalue()


def peak_growth(pid: int, base: str, images: list[bytes]) -> tuple[int, list[int]]:
    """Peak RSS growth of the server while it handles `images` all at once (the absolute
    peak is kept in PEAKS)."""
    time.sleep(0.5)  # let the allocator hand back what the last phase freed
    before = rss_bytes(pid)
    reset_peak(pid)

    def send(image: bytes) -> int:
        response = httpx.post(
            f"{base}/images", content=image, headers={"content-type": "image/png"}, timeout=300
        )
        if response.status_code == 503:
            assert int(response.headers["retry-after"]) > 0
        return response.status_code

    with ThreadPoolExecutor(len(images)) as pool:
        statuses = list(pool.map(send, images))
    PEAKS.append(peak_rss_bytes(pid))
    return PEAKS[-1] - before, statuses


def concurrent_vs_single(tmp_path: Path, width: int, height: int, memory_mb: int) -> dict:
    env = {"PRISM_MEMORY_MB": str(memory_mb)}
    with serve(tmp_path / "data", env) as (base, process, _):
        images = [flat_png(width, height, seed) for seed in range(9)]
        single, first = peak_growth(process.pid, base, images[:1])
        eight, statuses = peak_growth(process.pid, base, images[1:])
    assert first == [201]
    assert set(statuses) <= {201, 503}, statuses
    assert 201 in statuses
    return {
        "pixels": width * height,
        "memory_mb": memory_mb,
        "single_mb": round(single / MB),
        "eight_concurrent_mb": round(eight / MB),
        "eight_concurrent_peak_rss_mb": round(PEAKS[-1] / MB),
        "statuses": statuses,
    }


def test_eight_concurrent_uploads_cost_about_one(tmp_path: Path) -> None:
    # 6 MP each; a budget that admits one at a time (the model: ~230 MB per image).
    figures = concurrent_vs_single(tmp_path, 3000, 2000, memory_mb=640)
    write_result("bounded_serve_6mp", figures)
    assert figures["eight_concurrent_mb"] <= 2 * figures["single_mb"] + 64, figures


@pytest.mark.slow
def test_eight_concurrent_50_mp_uploads_stay_within_the_budget(tmp_path: Path) -> None:
    figures = concurrent_vs_single(tmp_path, 10_000, 5_000, memory_mb=3538)
    write_result("bounded_serve_50mp", figures)
    assert figures["eight_concurrent_mb"] <= 2 * figures["single_mb"] + 64, figures


# --- item 8 -----------------------------------------------------------------------------------


def limit_fds(count: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (count, count))

    return apply


def slow_sockets(port: int, count: int) -> list[socket.socket]:
    """`count` connections that each send half a request line and stop there."""
    opened = []
    for _ in range(count):
        sock = socket.socket()
        sock.settimeout(2)
        try:
            sock.connect(("127.0.0.1", port))
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        except OSError:
            sock.close()
            continue
        opened.append(sock)
    return opened


def closed_by_server(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1024) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def test_slow_clients_are_timed_out_and_healthz_stays_up(tmp_path: Path) -> None:
    with serve(tmp_path / "data", preexec=limit_fds(256)) as (base, _, lines):
        port = int(base.rsplit(":", 1)[1])
        socks = slow_sockets(port, 300)
        try:
            healthy = False
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (
                healthy and all(closed_by_server(s) for s in socks)
            ):
                for sock in socks:  # keep trickling: a slow client, not an idle one
                    with suppress(OSError):
                        sock.send(b"X-Slow: 1\r\n")
                with suppress(httpx.TransportError):
                    healthy |= httpx.get(f"{base}/healthz", timeout=2).status_code == 200
                time.sleep(1)
            still_open = sum(not closed_by_server(s) for s in socks)
        finally:
            for sock in socks:
                sock.close()
        assert healthy, "/healthz never answered while slow clients held connections"
        assert still_open == 0, f"{still_open} of {len(socks)} slow clients still connected"
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
    write_result("slow_clients", {"sockets": len(socks), "log_lines": len(lines)})
    assert len(lines) < 100, b"".join(lines[-20:]).decode(errors="replace")


def test_a_client_gone_mid_body_logs_no_traceback(tmp_path: Path) -> None:
    with serve(tmp_path / "data") as (base, _, lines):
        port = int(base.rsplit(":", 1)[1])
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", port)) as sock:
                sock.sendall(
                    b"POST /images HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\n"
                    b"Content-Length: 100000\r\n\r\n" + b"\x89PNG" + b"\0" * 1000
                )
                time.sleep(0.2)
        time.sleep(1)
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
    log = b"".join(lines).decode(errors="replace")
    assert "Traceback" not in log, log[-3000:]
