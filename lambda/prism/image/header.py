"""Open an upload and read what it says about itself, without decoding pixels.

Order matters for safety: size limit, magic-byte allowlist (sniff), header-only dimension
check, and only then (in decode) pixel decoding.
"""

from __future__ import annotations

import contextlib
import io
import struct
import warnings
import zlib
from dataclasses import dataclass
from functools import cache

from PIL import Image, UnidentifiedImageError

from prism.core.errors import CorruptImage, ImageRejected, TooLarge, UnsupportedFormat
from prism.core.limits import Limits
from prism.image.sniff import ALLOWED, describe, sniff

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


@dataclass(frozen=True, slots=True)
class Header:
    """What the file says about itself, read without decoding pixels."""

    format: str  # Pillow's format name: JPEG, MPO, PNG, WEBP, GIF, TIFF, BMP, AVIF, HEIF
    size: tuple[int, int]  # as stored
    mode: str
    orientation: int  # EXIF orientation 1-8 (anything else is read as 1)
    frames: int = 1
    #: False while the orientation may still change once the pixels are read (a PNG whose
    #: eXIf or XMP follows its image data): limits on the upright size must wait for decode.
    settled: bool = True

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


def read_orientation(im: Image.Image) -> int:
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


def bomb_detail(exc: Exception, limits: Limits) -> str:
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
        raise TooLarge(bomb_detail(exc, limits), detected_format=fmt) from None
    except UnidentifiedImageError:
        raise CorruptImage(
            f"the file starts like {fmt} but its header is not valid", detected_format=fmt
        ) from None
    except DECODE_ERRORS as exc:
        raise CorruptImage(f"invalid {fmt} header: {exc}", detected_format=fmt) from None
    _check_pixels(im, limits, im.format or fmt)
    return im


def declared_pixels(data: bytes, limits: Limits) -> int:
    """Pixels of the first frame, from the header alone; 0 for a file the pipeline will
    refuse anyway (it says why)."""
    try:
        with open_image(data, limits) as im:
            return im.width * im.height
    except ImageRejected:
        return 0


def _walk_frames(im: Image.Image, stop: int) -> int:
    """Frames counted by seeking, up to `stop`; a broken later frame ends the count (only the
    first frame is used)."""
    frames = 1
    try:
        while frames < stop:
            if im.format == "GIF":
                # Pillow's own GIF counting parses without decoding; its public seek() would
                # decode every frame on the way.
                im._seek(frames, False)  # type: ignore[attr-defined]
            else:
                im.seek(frames)
            frames += 1
    except EOFError:
        pass
    except DECODE_ERRORS:
        pass
    finally:
        with contextlib.suppress(*DECODE_ERRORS):  # frame 0 was readable a moment ago
            im.seek(0)
    return frames


def count_frames(im: Image.Image, limits: Limits) -> int:
    """Frames in the file, refusing (TooLarge) more than `limits.max_frames` before any
    per-frame work. GIF and TIFF are counted by walking their frames, stopping one past the
    cap (Pillow's own TIFF count is quadratic in the frames); the other formats state their
    count in a header (PNG's acTL, WebP's and HEIF's containers, MPO's index)."""
    fmt = im.format or "?"
    if fmt in ("GIF", "TIFF"):
        if not getattr(im, "is_animated", False):
            return 1
        frames = _walk_frames(im, limits.max_frames + 1)
    else:
        try:
            frames = int(getattr(im, "n_frames", 1))
        except DECODE_ERRORS:
            frames = 1
    if frames > limits.max_frames:
        raise TooLarge(
            f"the file has more than {limits.max_frames:,} frames, the most accepted",
            detected_format=fmt,
        )
    return frames


#: Formats whose whole metadata Pillow has read once the file is open (JPEG's APP1 precedes
#: the pixels; WebP's and AVIF's containers carry it apart from them).
_ORIENTED_AT_OPEN = frozenset({"JPEG", "MPO", "WEBP", "AVIF"})
#: PNG chunks read after the pixels that may state an orientation: eXIf, or text chunks (XMP,
#: ImageMagick's raw EXIF profile), which Pillow reads too.
_PNG_ORIENTING = frozenset({b"eXIf", b"tEXt", b"zTXt", b"iTXt"})


def _png_orients_after_pixels(data: bytes) -> bool:
    """Whether a chunk after the PNG's first IDAT may state an orientation, from the chunk
    headers alone (a few thousand at most: nothing is decompressed)."""
    pos, seen_pixels = 8, False
    while pos + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        if kind == b"IEND":
            return False
        seen_pixels = seen_pixels or kind == b"IDAT"
        if seen_pixels and kind in _PNG_ORIENTING:
            return True
        pos += 12 + length
    return False


def _orientation_at_open(im: Image.Image, data: bytes) -> tuple[int, bool]:
    """The orientation an opened file states, and whether loading its pixels can change it."""
    fmt = im.format or "?"
    if fmt in _ORIENTED_AT_OPEN:
        return read_orientation(im), True
    if fmt == "PNG":
        if _png_orients_after_pixels(data):
            return 1, False  # known once decode() has read the chunks after the pixels
        # Everything is read already: Image.getexif reads it as PNG's own getexif does after
        # loading, without loading the pixels first.
        try:
            value = Image.Image.getexif(im).get(0x0112, 1)
        except DECODE_ERRORS:
            return 1, True
        return (value if isinstance(value, int) and 1 <= value <= 8 else 1), True
    # HEIF and TIFF are decoded upright by their plugins; GIF and BMP carry no EXIF.
    return 1, True


def read_header(im: Image.Image, limits: Limits, data: bytes) -> Header:
    """The header of the opened, not yet loaded image of `data`. Frames are counted now:
    counting seeks, and seeking drops loaded pixels. The orientation is what the file states
    ahead of its pixels; where a PNG may state it after them, it is 1 and not `settled` until
    decode() has read the whole file (the plans follow then: Prepared.with_orientation)."""
    fmt = im.format or "?"
    frames = count_frames(im, limits)
    orientation, settled = _orientation_at_open(im, data)
    return Header(fmt, im.size, im.mode, orientation, frames, settled)
