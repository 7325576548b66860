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

from prism.core.limits import Limits, peak_memory_mb
from tests.images import photo_like
from tests.reliability.paths import MB, REPO
from tests.reliability.procstats import default_lambda_memory_mb
from tests.reliability.results import write_result

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


def largest_per_memory_size(run: dict[str, Any]) -> dict[int, int]:
    """Pixels each Lambda memory size takes with the headroom, at this run's bytes/pixel."""
    sizes = sorted({*LAMBDA_SIZES_MB, default_lambda_memory_mb()})
    usable = {size: size * (1 - HEADROOM) - run["rss_before_mb"] for size in sizes}
    return {size: int(mb * MB / run["bytes_per_pixel"]) for size, mb in usable.items()}


def test_largest_default_image_fits_default_lambda_memory_with_headroom(tmp_path: Path) -> None:
    """A photo (RGB JPEG) just under the pixel limit. (RGBA, the costliest kind per pixel,
    is measured at the limit by the slow test below.)"""
    memory_mb = default_lambda_memory_mb()
    limit = Limits().max_pixels
    width, height = just_under(limit)
    assert limit * 0.999 < width * height < limit
    photo = measure(tmp_path, "under-limit.jpg", photo_like(width, height))
    write_result(
        "memory",
        {
            "default_memory_mb": memory_mb,
            "headroom": HEADROOM,
            "max_pixels": limit,
            "runs": [photo],
            "headroom_at_limit": round(1 - photo["peak_rss_mb"] / memory_mb, 3),
            "largest_pixels_rgb_jpeg": largest_per_memory_size(photo),
        },
    )
    assert photo["peak_rss_mb"] <= memory_mb * (1 - HEADROOM), photo
    assert largest_per_memory_size(photo)[memory_mb] >= limit
    # The model the stack sizes memory with (prism.core.limits) covers the image at the limit.
    assert photo["peak_rss_mb"] <= peak_memory_mb(photo["pixels"]), photo


def test_noisy_rgba_graphic_stays_within_the_memory_model(tmp_path: Path) -> None:
    """The costliest kind per pixel: RGBA, incompressible, not a photo (so the PNG goes through
    oxipng). 6 MP peaked at 414 MB while oxipng ran beside WebP, above the model's 379 MB."""
    width, height = 3000, 2000
    size = (width, height)
    ramp = Image.linear_gradient("L").resize(size)
    rgba = Image.merge("RGBA", (ramp, Image.effect_noise(size, 60), ramp.rotate(180), ramp))
    out = io.BytesIO()
    rgba.save(out, "PNG", compress_level=1)
    run = measure(tmp_path, "noisy-rgba.png", out.getvalue())
    assert run["peak_rss_mb"] <= peak_memory_mb(run["pixels"]), run


@pytest.mark.slow
def test_rgba_png_just_under_the_limit_has_the_headroom_too(tmp_path: Path) -> None:
    memory_mb = default_lambda_memory_mb()
    width, height = just_under(Limits().max_pixels)
    run = measure(tmp_path, "under-limit-rgba.png", rgba_png(width, height))
    write_result(
        "memory-rgba-at-limit",
        {
            "default_memory_mb": memory_mb,
            "run": run,
            "largest_pixels_rgba_png": largest_per_memory_size(run),
        },
    )
    assert run["peak_rss_mb"] <= memory_mb * (1 - HEADROOM), run


def rgba_png(width: int, height: int) -> bytes:
    """An RGBA PNG of pure gradients, so that even 50 MP stays under the upload limit."""
    alpha = Image.linear_gradient("L").resize((width, height))
    channels = [alpha, alpha.transpose(Image.Transpose.FLIP_LEFT_RIGHT), alpha.rotate(180)]
    out = io.BytesIO()
    Image.merge("RGBA", (*channels, alpha)).save(out, "PNG", compress_level=9)
    return out.getvalue()


@pytest.mark.parametrize("aspect", [1.0, 1.5, 16 / 9, 4.0])
def test_just_under_is_just_under(aspect: float) -> None:
    width, height = just_under(50_000_000, aspect)
    assert 49_990_000 < width * height < 50_000_000
