"""Helpers for the reliability tests: images, process metrics, live servers, result files.

Process metrics read /proc (Linux): peak RSS is VmHWM, which `reset_peak_rss` sets back to
the current RSS (writing 5 to /proc/self/clear_refs), so one process can measure many cases.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import uvicorn
from PIL import Image

from tests.servers import free_port, wait_until_up

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
#: Machine-readable figures the tests measured; docs/reliability.md is rendered from them.
RESULTS = HERE / ".results"
PROBLEM = "application/problem+json"
MB = 1024 * 1024


# --- images ----------------------------------------------------------------------------------


def small_image(
    fmt: str = "JPEG", size: tuple[int, int] = (64, 48), seed: int = 0, **save: Any
) -> bytes:
    """A small image with a gradient and a seed-dependent colour, so encoders have work."""
    base = Image.linear_gradient("L").resize(size)
    colour = Image.new("RGB", size, ((seed * 37) % 256, (seed * 91) % 256, 128))
    image = Image.merge("RGB", (base, colour.getchannel(1), colour.getchannel(0)))
    if fmt in ("PNG", "WEBP", "GIF") and save.pop("alpha", False):
        image.putalpha(base)
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def photo_like(width: int, height: int, quality: int = 90) -> bytes:
    """A smooth, photo-like JPEG of any size, made quickly (upscaled random noise)."""
    seed = Image.effect_noise((max(2, width // 64), max(2, height // 64)), 80)
    channels = [
        seed.rotate(angle).resize((width, height), Image.Resampling.BILINEAR)
        for angle in (0, 90, 180)
    ]
    out = io.BytesIO()
    Image.merge("RGB", channels).save(out, "JPEG", quality=quality)
    return out.getvalue()


def corpus_files(folder: str) -> list[Path]:
    root = CORPUS / folder
    if not root.is_dir():
        return []
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.name != "SOURCES.txt" and not p.name.startswith("LICENSE")
    )


# --- AWS on moto's server ---------------------------------------------------------------------

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def make_buckets(tag: str) -> dict[str, str]:
    """Three fresh buckets on the moto server (boto3's environment), named after `tag`."""
    names = {b: f"{b}-{tag}".lower()[:63] for b in ("uploads", "processed", "rejected")}
    client = boto3.client("s3")
    for name in names.values():
        client.create_bucket(Bucket=name)
    return names


def bucket_env(names: dict[str, str]) -> dict[str, str]:
    """The PRISM_* variables naming these buckets."""
    return {
        "PRISM_UPLOADS_BUCKET": names["uploads"],
        "PRISM_PROCESSED_BUCKET": names["processed"],
        "PRISM_REJECTED_BUCKET": names["rejected"],
    }


# --- process metrics -------------------------------------------------------------------------


def _status_kb(pid: int | str, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def rss_bytes(pid: int | str = "self") -> int:
    return _status_kb(pid, "VmRSS") * 1024


def peak_rss_bytes(pid: int | str = "self") -> int:
    return _status_kb(pid, "VmHWM") * 1024


def reset_peak_rss() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def default_lambda_memory_mb() -> int:
    """The stack's default Lambda memory size, read from its config dataclass's default."""
    import dataclasses

    from prism_infra import config

    for value in vars(config).values():
        if dataclasses.is_dataclass(value) and isinstance(value, type):
            for spec in dataclasses.fields(value):
                if spec.name == "memory_mb":
                    return int(spec.default)  # type: ignore[arg-type]
    raise LookupError("no memory_mb default in prism_infra.config")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


# --- results ---------------------------------------------------------------------------------


def write_result(name: str, data: dict[str, Any]) -> Path:
    """Save one test's figures as .results/<name>.json (with when and where they were made)."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / ".gitignore").write_text("*\n")  # measured on this machine: not committed
    path = RESULTS / f"{name}.json"
    stamp = {"measured_at": time.strftime("%Y-%m-%d %H:%M:%S %z"), "cpus": os.cpu_count()}
    path.write_text(json.dumps(stamp | data, indent=2, sort_keys=True) + "\n")
    return path


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# --- live servers on loopback ----------------------------------------------------------------


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
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()
