"""Giving freed memory back to the operating system after an image.

Each request thread gets its own glibc malloc arena, and an arena keeps what was freed in it
for reuse: eight images processed one after another on eight threads would otherwise leave
the process holding about eight images' worth of memory. `malloc_trim` returns the free
parts of every arena. A no-op where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


@cache
def _malloc_trim() -> object | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS)
        return None


def release_free_memory() -> None:
    trim = _malloc_trim()
    if trim is not None:
        trim(0)  # type: ignore[operator]
