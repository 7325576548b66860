"""Safety limits applied before any pixel is decoded."""

from __future__ import annotations

from dataclasses import dataclass

#: Peak memory per decoded pixel of one image through the default variants, above the process
#: baseline. The worst case is a noisy RGBA graphic: the decoded image (4 B), WebP with alpha
#: (~21 B) beside a JPEG (flatten + optimize buffers, ~7 B), then oxipng alone (~20 B). Measured
#: with VmHWM in tests/reliability/test_memory.py: 34-45 B/pixel for RGBA at 2-12 MP, 14 B/pixel
#: for camera JPEGs (benchmarks/run.py: 9 B/pixel + 93 MB by least squares).
PEAK_BYTES_PER_PIXEL = 40
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
    #: Most frames (pages, animation frames) a file may have. Only the first is used, but
    #: counting them costs time (TIFF's IFD chain), so files past this are refused as
    #: too_large before any per-frame work.
    max_frames: int = 1000
