"""Safety limits applied before any pixel is decoded."""

from __future__ import annotations

from dataclasses import dataclass

#: Peak memory per decoded pixel of one image through the default variants: the decoded image
#: (3-4 B), WebP at method 4 (~13 B) and PNG through oxipng (~11 B) encoding at the same time,
#: JPEG's optimize buffers (~3 B) and the encoded outputs. Measured with VmHWM in
#: tests/reliability/test_memory.py and benchmarks/run.py (30-35 B/pixel), rounded up.
PEAK_BYTES_PER_PIXEL = 36
#: The process before any image: interpreter, FastAPI, boto3, Pillow (~60-150 MB measured;
#: the upper end, so small RGBA images, ~34 B/pixel, stay inside the model too).
BASELINE_MB = 150
#: Share of the function's memory kept free at the pixel limit.
HEADROOM = 0.25


def peak_memory_mb(pixels: int) -> float:
    """Expected peak memory (MB) for an image of `pixels` through the default variants."""
    return BASELINE_MB + pixels * PEAK_BYTES_PER_PIXEL / 2**20


def max_pixels_for(memory_mb: int, headroom: float = HEADROOM) -> int:
    """The largest image (pixels) that `memory_mb` processes with `headroom` to spare."""
    usable = memory_mb * (1 - headroom) - BASELINE_MB
    return max(0, int(usable * 2**20 / PEAK_BYTES_PER_PIXEL))


@dataclass(frozen=True, slots=True)
class Limits:
    #: Largest upload accepted, in bytes.
    max_input_bytes: int = 50 * 1024 * 1024
    #: Largest image accepted, in pixels (width x height), checked per frame from the header.
    #: 50 MP covers 48 MP phone sensors; see peak_memory_mb() for what it costs in memory.
    max_pixels: int = 50_000_000
