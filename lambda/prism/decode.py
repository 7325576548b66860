"""Bytes in, one upright 8-bit sRGB image out, or a typed rejection.

Order matters for safety: size limit, magic-byte allowlist, header-only dimension check,
and only then pixel decoding.
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from dataclasses import dataclass
from functools import cache

from PIL import Image, UnidentifiedImageError

from prism.color import to_srgb8
from prism.errors import CorruptImage, ImageRejected, TooLarge, UnsupportedFormat
from prism.limits import Limits
from prism.sniff import ALLOWED, describe, sniff

# Everything Pillow or its plugins raise on a malformed file. Caught only around Pillow calls.
DECODE_ERRORS = (
    OSError,
    ValueError,
    SyntaxError,
    TypeError,
    EOFError,
    IndexError,
    KeyError,
    ZeroDivisionError,
    AttributeError,
    RuntimeError,
    struct.error,
    zlib.error,
    MemoryError,
)

_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True, slots=True)
class Header:
    """What the file says about itself, read without decoding pixels."""

    format: str  # Pillow's format name: JPEG, MPO, PNG, WEBP, GIF, TIFF, BMP, AVIF, HEIF
    size: tuple[int, int]  # as stored
    mode: str
    orientation: int  # EXIF orientation 1-8 (anything else is read as 1)
    frames: int = 1

    @property
    def upright_size(self) -> tuple[int, int]:
        if self.format == "TIFF":
            return self.size  # Pillow reports TIFF sizes upright and rotates while loading
        w, h = self.size
        return (h, w) if self.orientation in (5, 6, 7, 8) else (w, h)


@cache
def _register_heif() -> None:
    # Lazily: importing pillow-heif costs start-up time that most requests don't need.
    from pillow_heif import register_heif_opener

    register_heif_opener(thumbnails=False)


def _orientation(im: Image.Image) -> int:
    try:
        value = im.getexif().get(0x0112, 1)
    except DECODE_ERRORS:
        return 1  # unreadable EXIF: treat as upright rather than reject a viewable image
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _check_pixels(im: Image.Image, limits: Limits, fmt: str) -> None:
    width, height = im.size
    if width <= 0 or height <= 0:
        raise CorruptImage(f"{fmt} header declares an empty image ({width}x{height})")
    # The canvas and every tile of the first frame: a frame may declare more than the canvas.
    extents = [width * height]
    extents += [(t[1][2] - t[1][0]) * (t[1][3] - t[1][1]) for t in (im.tile or ())]
    declared = max(extents)
    if declared > limits.max_pixels:
        raise TooLarge(
            f"image declares {width}x{height} ({declared:,} pixels); "
            f"the limit is {limits.max_pixels:,} pixels",
            detected_format=fmt,
        )


def _bomb_detail(exc: Exception, limits: Limits) -> str:
    # Pillow's own guard (at twice its global limit) fired before ours could look.
    return f"image is over the limit of {limits.max_pixels:,} pixels ({exc})"


def open_image(data: bytes, limits: Limits) -> Image.Image:
    """Open (headers only) an allowlisted image within the limits. Pixels are not decoded."""
    if len(data) > limits.max_input_bytes:
        raise TooLarge(
            f"upload is {len(data):,} bytes; the limit is {limits.max_input_bytes:,} bytes"
        )
    fmt = sniff(data)
    if fmt is None:
        what = describe(data)
        detail = "the upload is empty" if what == "empty" else f"{what} is not a supported image"
        raise UnsupportedFormat(
            f"{detail}; accepted formats: JPEG, PNG, WebP, GIF, TIFF, BMP, AVIF, HEIC/HEIF",
            detected_format=what,
        )
    if fmt == "HEIF":
        _register_heif()
    try:
        with warnings.catch_warnings():
            # Our own pixel limit applies below; Pillow's global bomb warning is noise here.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=[ALLOWED[fmt]])
    except Image.DecompressionBombError as exc:
        raise TooLarge(_bomb_detail(exc, limits), detected_format=fmt) from None
    except UnidentifiedImageError:
        raise CorruptImage(
            f"the file starts like {fmt} but its header is not valid", detected_format=fmt
        ) from None
    except DECODE_ERRORS as exc:
        raise CorruptImage(f"invalid {fmt} header: {exc}", detected_format=fmt) from None
    _check_pixels(im, limits, im.format or fmt)
    return im


def _frames(im: Image.Image) -> int:
    try:
        return int(getattr(im, "n_frames", 1))
    except DECODE_ERRORS:
        return 1  # only the first frame is used; a broken later frame does not matter


def read_header(data: bytes, limits: Limits) -> Header:
    """Identify and check an upload without decoding its pixels."""
    with open_image(data, limits) as im:
        return Header(im.format or "?", im.size, im.mode, _orientation(im), _frames(im))


def decode(
    data: bytes, limits: Limits, *, draft_size: tuple[int, int] | None = None
) -> tuple[Header, Image.Image]:
    """Decode the first frame into an upright 8-bit sRGB image (L, LA, RGB or RGBA).

    `draft_size` (upright) lets JPEG decode at a reduced DCT scale when every variant is
    at most that size.
    """
    im = open_image(data, limits)
    fmt = im.format or "?"
    try:
        # Count frames before loading: counting seeks, and seeking drops loaded pixels.
        header = Header(fmt, im.size, im.mode, 1, _frames(im))
        if draft_size and fmt in ("JPEG", "MPO"):
            orientation = _orientation(im)
            w, h = draft_size
            im.draft(im.mode, (h, w) if orientation in (5, 6, 7, 8) else (w, h))
        im.load()
        # Read after load: a PNG's eXIf chunk may follow the pixel data.
        header = Header(fmt, header.size, header.mode, _orientation(im), header.frames)
        out = to_srgb8(im)
        method = _TRANSPOSE.get(header.orientation)
        if method is not None:
            out = out.transpose(method)
    except ImageRejected:
        im.close()
        raise
    except Image.DecompressionBombError as exc:
        im.close()
        raise TooLarge(_bomb_detail(exc, limits), detected_format=fmt) from None
    except DECODE_ERRORS as exc:
        im.close()
        raise CorruptImage(
            f"{fmt} data is corrupt or truncated: {exc}", detected_format=fmt
        ) from None
    if out is not im:
        im.close()  # release the file's decoded pixels now that we hold our own copy
    return header, out
