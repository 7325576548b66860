"""Orient: turn the decoded image upright, the one place EXIF orientation is applied."""

from __future__ import annotations

from PIL import Image

_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def orient(im: Image.Image, orientation: int) -> Image.Image:
    """`im` upright for EXIF `orientation` 1-8 (1, or anything else: unchanged)."""
    method = _TRANSPOSE.get(orientation)
    if method is None:
        return im
    return im.transpose(method)
