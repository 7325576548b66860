"""Safety limits applied before any pixel is decoded."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    #: Largest upload accepted, in bytes.
    max_input_bytes: int = 50 * 1024 * 1024
    #: Largest image accepted, in pixels (width x height), checked per frame from the header.
    #: 50 MP covers 48 MP phone sensors; peak memory is about 12 bytes per pixel + 25 MB.
    max_pixels: int = 50_000_000
