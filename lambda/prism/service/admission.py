"""Admission by memory: images are processed at once only while their modelled peaks fit.

`prism.core.limits.peak_memory_mb` says what one image costs (a baseline plus bytes per
pixel). The baseline is paid once per process, so the budget for images is the memory,
less the headroom and the baseline; each image holds its pixel cost while it is processed.
One image is always admitted when nothing else runs: max_pixels already keeps it within the
memory on its own. Others wait for room, up to `wait` seconds, then get Overloaded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from prism.core.limits import BASELINE_MB, HEADROOM, PEAK_BYTES_PER_PIXEL
from prism.core.memory import release_free_memory


class Overloaded(Exception):
    """No room for the image within the wait; try again after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"busy with other images; try again in {retry_after} s")
        self.retry_after = retry_after

    @classmethod
    def after(cls, wait: float | None) -> Overloaded:
        """Refused after waiting `wait` seconds: asked to come back in a fraction of that."""
        return cls(retry_after=max(1, round(wait or 1) // 6))


def image_cost_mb(pixels: int) -> float:
    return pixels * PEAK_BYTES_PER_PIXEL / 2**20


class MemoryBudget:
    def __init__(self, memory_mb: int) -> None:
        self.total_mb = max(1.0, memory_mb * (1 - HEADROOM) - BASELINE_MB)
        self._used_mb = 0.0
        self._running = 0
        self._cond = threading.Condition()

    @contextmanager
    def hold(self, pixels: int, wait: float | None) -> Iterator[None]:
        """Hold an image's cost while the block runs; `wait=None` waits as long as it takes."""
        cost = min(image_cost_mb(pixels), self.total_mb)
        deadline = None if wait is None else time.monotonic() + wait
        with self._cond:
            while self._running and self._used_mb + cost > self.total_mb:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise Overloaded.after(wait)
                self._cond.wait(left)
            self._used_mb += cost
            self._running += 1
        try:
            yield
        finally:
            release_free_memory()  # before the next image is let in
            with self._cond:
                self._used_mb -= cost
                self._running -= 1
                self._cond.notify_all()
