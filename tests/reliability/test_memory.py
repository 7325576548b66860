"""Memory: an image just under the default pixel limit fits the stack's default Lambda memory
with at least 25% headroom, measured as peak RSS (VmHWM) of a separate process that handles
the S3 event (download, decode, every variant, uploads). From the measured bytes per pixel the
report derives the largest image each Lambda memory size can take."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from prism.limits import Limits
from tests.reliability.support import (
    MB,
    REPO,
    default_lambda_memory_mb,
    photo_like,
    write_result,
)

HEADROOM = 0.25
WORKER = [sys.executable, "-m", "tests.reliability.memory_worker"]
LAMBDA_SIZES_MB = (512, 1024, 1536, 2048, 3008, 4096, 10240)


def just_under(limit: int, aspect: float = 1.5) -> tuple[int, int]:
    """The largest width x height with this aspect whose pixel count is under `limit`."""
    height = int(math.sqrt(limit / aspect))
    width = (limit - 1) // height
    return width, height


def measure(tmp_path: Path, name: str, data: bytes) -> dict[str, Any]:
    image = tmp_path / name
    image.write_bytes(data)
    worker = subprocess.run(
        [*WORKER, str(image), str(tmp_path / f"data-{name}")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert worker.returncode == 0, worker.stderr[-2000:]
    result = json.loads(worker.stdout.strip().splitlines()[-1])
    assert result["result"]["processed"], result  # processed, not rejected
    with Image.open(io.BytesIO(data)) as im:
        pixels = im.width * im.height
        size = im.size
    growth = result["peak_rss"] - result["rss_before"]
    return {
        "image": name,
        "size": size,
        "pixels": pixels,
        "bytes": len(data),
        "rss_before_mb": round(result["rss_before"] / MB, 1),
        "peak_rss_mb": round(result["peak_rss"] / MB, 1),
        "bytes_per_pixel": round(growth / pixels, 2),
    }


def test_largest_default_image_fits_default_lambda_memory_with_headroom(tmp_path: Path) -> None:
    memory_mb = default_lambda_memory_mb()
    limit = Limits().max_pixels
    width, height = just_under(limit)
    assert limit * 0.999 < width * height < limit
    runs = [
        measure(tmp_path, "12mp.jpg", photo_like(4000, 3000)),
        measure(tmp_path, "under-limit.jpg", photo_like(width, height)),
        measure(tmp_path, "12mp-rgba.png", _rgba_png(4000, 3000)),
    ]
    largest = runs[1]
    budget_mb = memory_mb * (1 - HEADROOM)
    # The worst bytes per pixel measured (and the largest fixed part) sizes every memory class.
    per_pixel = max(r["bytes_per_pixel"] for r in runs)
    base_mb = max(r["rss_before_mb"] for r in runs)
    table = {
        size: int(((size * (1 - HEADROOM)) - base_mb) * MB / per_pixel) for size in LAMBDA_SIZES_MB
    }
    write_result(
        "memory",
        {
            "default_memory_mb": memory_mb,
            "headroom": HEADROOM,
            "max_pixels": limit,
            "runs": runs,
            "bytes_per_pixel_worst": per_pixel,
            "base_mb": base_mb,
            "largest_pixels_with_headroom": table,
            "headroom_at_limit": round(1 - largest["peak_rss_mb"] / memory_mb, 3),
        },
    )
    assert largest["peak_rss_mb"] <= budget_mb, largest
    # The table must agree with what was measured: the default size takes the default limit.
    assert table[memory_mb] >= limit


def _rgba_png(width: int, height: int) -> bytes:
    with Image.open(io.BytesIO(photo_like(width, height))) as im:
        rgba = im.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize((width, height)))
    out = io.BytesIO()
    rgba.save(out, "PNG", compress_level=1)
    return out.getvalue()


@pytest.mark.parametrize("aspect", [1.0, 1.5, 16 / 9, 4.0])
def test_just_under_is_just_under(aspect: float) -> None:
    width, height = just_under(50_000_000, aspect)
    assert 49_990_000 < width * height < 50_000_000
