"""Decode: load the opened image's pixels once (a JPEG at a reduced DCT scale if allowed)."""

from __future__ import annotations

from PIL import Image

from prism.image.header import read_orientation


def decode(im: Image.Image, draft: tuple[int, int] | None) -> int:
    """Load the first frame's pixels into `im`; returns the EXIF orientation read after
    loading (a PNG's eXIf chunk may follow the pixel data). `draft` (stored orientation) is
    the size a JPEG may be decoded down to; only JPEG can decode at a reduced scale."""
    if draft is not None and im.format in ("JPEG", "MPO"):
        im.draft(im.mode, draft)
    im.load()
    return read_orientation(im)
