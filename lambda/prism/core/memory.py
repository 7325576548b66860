"""Giving freed memory back to the operating system after an image.

Each request thread gets its own glibc malloc arena, and an arena keeps what was freed in it
for reuse: eight images processed one after another on eight threads would otherwise leave
the process holding about eight images' worth of memory. `malloc_trim` returns the free
parts of every arena. A no-op where the C library is not glibc.
"""

from __future__ import annotations

from functools import cache


@cache
def _malloc_trim() -> object | None:
    # ctypes loads on the first image, not at start-up. The process's own symbols include
    # the C library's, so nothing is searched for on disk.
    import ctypes

    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS)
        return None


def release_free_memory() -> None:
    trim = _malloc_trim()
    if trim is not None:
        trim(0)  # type: ignore[operator]
