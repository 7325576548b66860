"""Issue 22, items 4 and 5, measured on a live `prism serve`: the figures for
docs/reliability.md (*Third round*). Slow, and no assertion on time: the default suite's
deterministic tests are in tests/http/test_transform_races.py.

The image is a 24 MP RGBA PNG (no scaled decode: every render pays for all its pixels, about
915 MB in the memory model, so the default 2048 MB admits one render at a time).
- The herd: 30 identical first requests for one transform. Before the fix about 21 of them
  rendered (2.4 GB peak); now one renders and the others read its result.
- The flood: 60 distinct transforms at once while a client reads the image's manifest.
  Before the fix the manifest read took 12.4 s (every thread of anyio's pool was rendering).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.reliability.procstats import peak_rss_bytes, rss_bytes
from tests.reliability.results import percentile, write_result
from tests.reliability.test_bounded_serve import flat_png, reset_peak, serve

MB = 1024 * 1024
SIZE = (6000, 4000)
pytestmark = pytest.mark.slow


def upload(base: str) -> str:
    r = httpx.post(
        f"{base}/images",
        content=flat_png(*SIZE, seed=1),
        headers={"content-type": "image/png"},
        timeout=300,
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def get(url: str) -> int:
    response = httpx.get(url, timeout=300)
    if response.status_code == 503:  # refused after its wait: told when to come back
        assert int(response.headers["retry-after"]) >= 1
    return response.status_code


def test_a_herd_of_identical_first_requests(tmp_path: Path) -> None:
    with serve(tmp_path / "data", log_level="INFO") as (base, process, lines):
        image_id = upload(base)
        time.sleep(0.5)
        before = rss_bytes(process.pid)
        reset_peak(process.pid)
        url = f"{base}/images/{image_id}/transform?width=2000&format=webp"
        started = time.perf_counter()
        with ThreadPoolExecutor(30) as pool:
            statuses = list(pool.map(get, [url] * 30))
        seconds = time.perf_counter() - started
        peak = peak_rss_bytes(process.pid)
        time.sleep(1.0)
        idle = rss_bytes(process.pid)
        renders = sum(b'"transform made"' in line for line in lines)
    write_result(
        "transform_herd",
        {
            "requests": 30,
            "pixels": SIZE[0] * SIZE[1],
            "renders": renders,
            "statuses": statuses,
            "seconds": round(seconds, 2),
            "rss_before_mb": round(before / MB),
            "peak_rss_mb": round(peak / MB),
            "idle_rss_mb": round(idle / MB),
        },
    )
    assert statuses == [200] * 30
    assert renders == 1


def test_manifest_reads_under_a_flood_of_transforms(tmp_path: Path) -> None:
    with serve(tmp_path / "data") as (base, process, _):
        image_id = upload(base)
        urls = [f"{base}/images/{image_id}/transform?width={300 + 20 * i}" for i in range(60)]
        time.sleep(0.5)
        reset_peak(process.pid)
        latencies: list[float] = []
        with ThreadPoolExecutor(60) as pool:
            flood = [pool.submit(get, url) for url in urls]
            time.sleep(0.5)  # every render queued or running
            while not all(f.done() for f in flood) or not latencies:
                started = time.perf_counter()
                assert get(f"{base}/images/{image_id}") == 200
                latencies.append(time.perf_counter() - started)
                time.sleep(0.2)
            statuses = [f.result() for f in flood]
        peak = peak_rss_bytes(process.pid)
    write_result(
        "transform_flood",
        {
            "transforms": len(urls),
            "pixels": SIZE[0] * SIZE[1],
            "statuses": statuses,
            "manifest_reads": len(latencies),
            "manifest_p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
            "manifest_max_ms": round(max(latencies) * 1000, 1),
            "peak_rss_mb": round(peak / MB),
        },
    )
    assert set(statuses) <= {200, 503}
