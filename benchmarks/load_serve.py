"""Load on `prism serve` over loopback: concurrent clients mixing uploads (POST /images),
manifest reads and variant downloads. Reports requests/s, p50/p99 latency per operation,
errors, the server's open file descriptors and temporary files before and after, and its RSS
over the run.

    uv run python benchmarks/load_serve.py                      # 3000 requests, 4 clients
    uv run python benchmarks/load_serve.py --requests 50000 --clients 16 --min-rps 100

Speed thresholds (--min-rps, --max-p99-ms) live here, not in tests; the test
(tests/reliability/test_load.py) asserts only correctness: zero errors, no leaks, flat memory.
Loopback only: the server is started on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# After the path set-up above:
from tests.reliability.procstats import open_fds, rss_bytes  # noqa: E402
from tests.reliability.results import percentile  # noqa: E402
from tests.servers import prism_serve  # noqa: E402

#: Mostly reads, as an image service sees; uploads are the costly part of each run.
MIX = (("upload", 0.05), ("manifest", 0.45), ("variant", 0.5))
MB = 1024 * 1024


def tiny_image(seed: int) -> tuple[bytes, str]:
    rng = random.Random(seed)
    size = (rng.randint(16, 64), rng.randint(16, 64))
    im = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    im.putpixel((0, 0), (seed % 256, 0, 0))
    fmt, ctype = rng.choice([("JPEG", "image/jpeg"), ("PNG", "image/png")])
    out = io.BytesIO()
    im.save(out, fmt)
    return out.getvalue(), ctype


@dataclass
class Run:
    samples: list[tuple[str, float, float]] = field(default_factory=list)  # op, end, seconds
    errors: list[str] = field(default_factory=list)
    rss: list[tuple[float, int]] = field(default_factory=list)  # time, bytes
    lock: threading.Lock = field(default_factory=threading.Lock)


def client_loop(base: str, run: Run, quota: Iterator[int], known: list[dict[str, Any]]) -> None:
    rng = random.Random(threading.get_ident())
    ops, weights = zip(*MIX, strict=True)
    with httpx.Client(base_url=base, timeout=60) as http:
        for n in quota:
            op = rng.choices(ops, weights)[0] if known else "upload"
            start = time.perf_counter()
            try:
                if op == "upload":
                    body, ctype = tiny_image(n)
                    response = http.post("/images", content=body, headers={"content-type": ctype})
                    ok = response.status_code == 201
                    if ok:
                        with run.lock:
                            known.append(response.json())
                elif op == "manifest":
                    image = rng.choice(known)
                    response = http.get(f"/images/{image['id']}")
                    ok = response.status_code == 200 and response.json()["id"] == image["id"]
                else:
                    variant = rng.choice(rng.choice(known)["variants"])
                    response = http.get(variant["url"])
                    ok = response.status_code == 200 and len(response.content) == variant["bytes"]
                if not ok:
                    run.errors.append(f"{op}: {response.status_code} {response.text[:200]}")
            except httpx.HTTPError as exc:
                run.errors.append(f"{op}: {type(exc).__name__}: {exc}")
            with run.lock:
                run.samples.append((op, time.perf_counter(), time.perf_counter() - start))


def temp_files(*folders: Path) -> int:
    return sum(1 for folder in folders for p in folder.rglob("*") if p.name.startswith(".tmp"))


def all_files(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file())


def settle_fds(pid: int, target: int, seconds: float = 5.0) -> int:
    """Open fds, after waiting (briefly) for closed client connections to be reaped."""
    deadline = time.monotonic() + seconds
    while (count := open_fds(pid)) > target and time.monotonic() < deadline:
        time.sleep(0.05)
    return count


@contextmanager
def server(data: Path, tmp: Path) -> Iterator[tuple[str, int]]:
    with prism_serve(data, env={"TMPDIR": str(tmp)}) as (base, process):
        yield base, process.pid


def load(base: str, pid: int, data: Path, tmp: Path, requests: int, clients: int) -> dict[str, Any]:
    known: list[dict[str, Any]] = []
    # Warm up: lazy imports, thread pools, first connections.
    warm = Run()
    client_loop(base, warm, iter(range(1_000_000, 1_000_000 + 40)), known)
    fds_before = settle_fds(pid, 0, 0.5)
    temp_before, tmp_dir_before = temp_files(data), all_files(tmp)

    run = Run()
    counter = iter(range(requests))
    lock = threading.Lock()

    def quota() -> Iterator[int]:
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            yield n

    stop = threading.Event()

    def sample_rss() -> None:
        while not stop.is_set():
            run.rss.append((time.perf_counter(), rss_bytes(pid)))
            stop.wait(0.1)

    sampler = threading.Thread(target=sample_rss, daemon=True)
    threads = [
        threading.Thread(target=client_loop, args=(base, run, quota(), known))
        for _ in range(clients)
    ]
    began = time.perf_counter()
    sampler.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    stop.set()
    sampler.join()

    fds_after = settle_fds(pid, fds_before)
    ends = sorted(end for _, end, _ in run.samples)
    q1_end, q4_start = ends[len(ends) // 4], ends[(3 * len(ends)) // 4]
    first = [rss for t, rss in run.rss if t <= q1_end] or [run.rss[0][1]]
    last = [rss for t, rss in run.rss if t >= q4_start] or [run.rss[-1][1]]
    latency = {
        op: {
            "count": len(times),
            "p50_ms": round(percentile(times, 0.5) * 1000, 2),
            "p99_ms": round(percentile(times, 0.99) * 1000, 2),
        }
        for op in [o for o, _ in MIX] + ["all"]
        for times in [[s for o, _, s in run.samples if op in (o, "all")]]
    }
    return {
        "requests": len(run.samples),
        "clients": clients,
        "errors": len(run.errors),
        "error_examples": run.errors[:5],
        "seconds": round(elapsed, 2),
        "requests_per_second": round(len(run.samples) / elapsed, 1),
        "latency": latency,
        "fds_before": fds_before,
        "fds_after": fds_after,
        "temp_files_before": temp_before,
        "temp_files_after": temp_files(data),
        "tmpdir_files_before": tmp_dir_before,
        "tmpdir_files_after": all_files(tmp),
        "rss_first_quarter_mb": round(sum(first) / len(first) / MB, 1),
        "rss_last_quarter_mb": round(sum(last) / len(last) / MB, 1),
        "rss_max_mb": round(max(r for _, r in run.rss) / MB, 1),
        "images_uploaded": len(known),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--min-rps", type=float, help="fail below this many requests/s")
    parser.add_argument("--max-p99-ms", type=float, help="fail above this p99 latency")
    parser.add_argument("--json", metavar="FILE", help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="prism-load-") as work:
        data, tmp = Path(work, "data"), Path(work, "tmp")
        tmp.mkdir()
        with server(data, tmp) as (base, pid):
            figures = load(base, pid, data, tmp, args.requests, args.clients)
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    failed = figures["errors"] > 0
    if args.min_rps is not None and figures["requests_per_second"] < args.min_rps:
        print(f"below {args.min_rps} requests/s", file=sys.stderr)
        failed = True
    if args.max_p99_ms is not None and figures["latency"]["all"]["p99_ms"] > args.max_p99_ms:
        print(f"p99 above {args.max_p99_ms} ms", file=sys.stderr)
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
