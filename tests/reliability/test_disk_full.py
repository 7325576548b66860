"""Issue 17, items 2 and 3: `prism serve` after a crash, and on a full disk.

Item 2: an upload acknowledged by the local upload form (204) whose processing died with the
server (kill -9) is processed when `prism serve` starts again, as S3 would retry its event.

Item 3: `prism serve` with its data on a 4 MB filesystem (a tmpfs mounted in a private mount
namespace, so no root is needed). Uploads until the disk is full answer 201 or 503 with
Retry-After, never 500; nothing half-written is left (every original has its manifest or
rejection, no temporary files); the failure is logged. A folder that cannot be deleted (the
filesystem remounted read-only) makes DELETE a storage error, not an internal one.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.images import photo_like
from tests.reliability.paths import PROBLEM
from tests.servers import SERVE, free_port, prism_serve, stop, wait_until_up

NAMESPACES = ["unshare", "--user", "--map-root-user", "--mount"]


def _namespaces_work() -> bool:
    if shutil.which("unshare") is None or shutil.which("nsenter") is None:
        return False
    probe = subprocess.run(
        [*NAMESPACES, "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


needs_namespaces = pytest.mark.skipif(
    not _namespaces_work(), reason="needs unprivileged user and mount namespaces (unshare)"
)


@contextmanager
def serve_on_small_disk(
    mount: Path, size: str = "4m"
) -> Iterator[tuple[str, subprocess.Popen, list[bytes]]]:
    """`prism serve` with its data on a fresh tmpfs of `size`, seen only by the server;
    yields (base URL, process, its output lines so far)."""
    mount.mkdir(parents=True, exist_ok=True)
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PRISM_", "AWS_"))}
    script = 'mount -t tmpfs -o size="$0" tmpfs "$1" && shift && exec "$@"'
    serve = [*SERVE, "--port", str(port), "--data", str(mount / "data")]
    process = subprocess.Popen(
        [*NAMESPACES, "sh", "-c", script, size, str(mount), *serve],
        env=clean | {"PRISM_LOG_LEVEL": "WARNING"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # the app logs JSON lines to stdout, uvicorn to stderr
    )
    lines: list[bytes] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True)
    reader.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        yield base, process, lines
    finally:
        stop(process)
        reader.join(5)


def inside(process: subprocess.Popen, *command: str) -> str:
    """Run `command` in the server's namespaces (where its tmpfs is mounted)."""
    return subprocess.run(
        ["nsenter", "-t", str(process.pid), "-U", "-m", "--preserve-credentials", *command],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def files_under(process: subprocess.Popen, root: Path) -> list[str]:
    listing = inside(process, "find", str(root), "-type", "f")
    return sorted(str(Path(line).relative_to(root)) for line in listing.splitlines() if line)


# --- item 3 -----------------------------------------------------------------------------------


@needs_namespaces
def test_a_full_disk_is_503_and_leaves_nothing_half_written(tmp_path: Path) -> None:
    mount = tmp_path / "small"
    statuses: list[int] = []
    with (
        serve_on_small_disk(mount) as (base, process, lines),
        httpx.Client(base_url=base, timeout=60) as client,
    ):
        for n in range(40):
            image = photo_like(700 + n, 500, quality=95)  # ~0.1 MB in, ~0.3 MB out
            response = client.post("/images", content=image, headers={"content-type": "image/jpeg"})
            statuses.append(response.status_code)
            if response.status_code != 201:
                assert response.status_code == 503, response.text
                assert response.headers["content-type"].startswith(PROBLEM)
                assert int(response.headers["retry-after"]) > 0
                if statuses.count(503) >= 3:
                    break
        assert 503 in statuses, statuses
        files = files_under(process, mount / "data")
        assert not [f for f in files if "/.tmp" in f or f.startswith(".tmp")], files
        originals = {f.rsplit("/", 1)[-1] for f in files if f.startswith("uploads/")}
        done = {f.split("/")[1] for f in files if f.endswith("/manifest.json")}
        refused = {
            f.split("/")[1].removesuffix(".json") for f in files if f.startswith("rejected/")
        }
        assert originals == done | refused, (originals, done, refused)
        assert len(done) == statuses.count(201)
        for image_id in done:
            assert client.get(f"/images/{image_id}").status_code == 200
        # A folder that cannot be deleted: a storage error, not an internal one.
        inside(process, "mount", "-o", "remount,ro", str(mount))
        deleted = client.delete(f"/images/{sorted(done)[0]}")
        assert deleted.status_code in (500, 503), deleted.text
        assert deleted.json()["type"] in (
            "urn:prism:problem:storage_unavailable",
            "urn:prism:problem:storage_error",
        ), deleted.text
    log = b"".join(lines).decode(errors="replace")
    assert "No space left" in log or "out of space" in log, log[-2000:]
    assert "Traceback" not in log, log[-4000:]


# --- item 2 -----------------------------------------------------------------------------------


def test_an_acknowledged_upload_survives_kill_9(tmp_path: Path) -> None:
    data = tmp_path / "data"
    big = photo_like(4000, 3000)  # takes the server a second or more to process
    with prism_serve(data) as (base, process):
        ticket = httpx.post(f"{base}/uploads", timeout=10).json()
        fields = ticket["fields"] | {"Content-Type": "image/jpeg"}
        uploaded = httpx.post(
            ticket["url"], data=fields, files={"file": ("p.jpg", big, "image/jpeg")}, timeout=30
        )
        assert uploaded.status_code == 204, uploaded.text
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    assert not list(data.rglob("manifest.json")), "processing finished before the kill"
    with prism_serve(data) as (base, _):
        status_url = base + "/images/" + ticket["id"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status = httpx.get(status_url, timeout=10).status_code
            if status != 202:
                break
            time.sleep(0.25)
        assert status == 200, f"still {status} 30 s after the restart"
