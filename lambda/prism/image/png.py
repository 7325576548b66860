"""PNG encoders: a lean one for photos, oxipng for everything else.

Photos (lossy-coded sources: camera noise, no flat areas) gain nothing from oxipng's search:
one row filter, "Up", with libdeflate is the smallest and fastest choice we measured. Doing
that directly keeps one filtered copy of the image (~3 bytes per pixel) and releases the GIL
while compressing. oxipng's in-memory API instead decodes a PNG before re-encoding it (four
copies of the image, ~12 bytes per pixel, at 14 MP +171 MB) and holds the GIL throughout.

Graphics (PNG, GIF, WebP, TIFF sources) still go through oxipng: trying three filters and
reducing to palette, grayscale or lower bit depth can halve their size.
"""

from __future__ import annotations

import struct
import zlib

import deflate
import oxipng
from PIL import Image, ImageChops

# PNG colour type and bytes per pixel for each mode the pipeline produces.
_LAYOUT = {"L": (0, 1), "LA": (4, 2), "RGB": (2, 3), "RGBA": (6, 4)}
_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_UP = 2  # PNG filter type: each byte minus the byte above it, modulo 256
_STRIP_ROWS = 64  # rows filtered per step: bounds the temporaries to a few MB

#: Filters oxipng tries on graphics; it keeps the smallest result (~3x the work of one).
GRAPHIC_FILTERS = (oxipng.RowFilter.NoOp, oxipng.RowFilter.Up, oxipng.RowFilter.MinSum)


def _chunk(kind: bytes, body: bytes | bytearray) -> list[bytes | bytearray]:
    """A PNG chunk as pieces to join once: a large body is copied only by that join."""
    crc = zlib.crc32(body, zlib.crc32(kind))
    return [struct.pack(">I", len(body)), kind, body, struct.pack(">I", crc)]


def _png(im: Image.Image, idat: bytes | bytearray) -> bytes:
    """An 8-bit PNG of `im` around ready-made IDAT data (a zlib stream)."""
    color_type, _ = _LAYOUT[im.mode]
    header = struct.pack(">IIBBBBB", im.width, im.height, 8, color_type, 0, 0, 0)
    chunks = [*_chunk(b"IHDR", header), *_chunk(b"IDAT", idat), *_chunk(b"IEND", b"")]
    return b"".join([_SIGNATURE, *chunks])


def up_filtered(im: Image.Image) -> bytearray:
    """The image's PNG scanlines, every row with the Up filter: a filter-type byte, then each
    byte minus the one above it (the row above the first is zeros), modulo 256."""
    _, depth = _LAYOUT[im.mode]
    stride = im.width * depth
    lines = bytearray(im.height * (stride + 1))
    out = memoryview(lines)
    for top in range(0, im.height, _STRIP_ROWS):
        bottom = min(top + _STRIP_ROWS, im.height)
        # Cropping one row higher gives the rows above; above the image, crop() pads with zeros.
        above = im.crop((0, top - 1, im.width, bottom - 1))
        strip = memoryview(
            ImageChops.subtract_modulo(im.crop((0, top, im.width, bottom)), above).tobytes()
        )
        for row in range(bottom - top):
            start = (top + row) * (stride + 1)
            out[start] = _UP
            out[start + 1 : start + 1 + stride] = strip[row * stride : (row + 1) * stride]
    return lines


def encode_photo(im: Image.Image, level: int) -> bytes:
    """PNG of a photo: the Up filter on every row, then libdeflate (GIL released).
    `level` is zlib's 0-9 scale, which means the same on libdeflate's 0-12."""
    idat = deflate.zlib_compress(up_filtered(im), level)  # the filtered copy is freed here
    return _png(im, idat)


def encode_graphic(im: Image.Image, level: int) -> bytes:
    """PNG through oxipng (libdeflate), which also picks the smallest lossless colour type
    (grayscale, palette, lower bit depth). Holds the GIL for its whole run.

    oxipng's in-memory API takes a PNG: it gets encode_photo's output at libdeflate's
    fastest level. A compressed carrier costs ~0.2 s at 6 MP (GIL released) and saves more
    than that in oxipng's decode, which holds the compressed and the inflated image at once:
    peak +116 MB instead of +184 MB for 6 MP RGBA. (pyoxipng's RawImage would copy the pixels
    one element at a time, ~0.8 s for 14 MP with the GIL held.)
    """
    return oxipng.optimize_from_memory(
        encode_photo(im, 1),
        level=0,  # no preset search: just the filters below
        filter=list(GRAPHIC_FILTERS),
        # Rank the filters with a fast deflate, then compress only the best one: on the corpus
        # 0.01% more bytes, 7% less time, and 20-50% less memory than a full pass per filter.
        fast_evaluation=True,
        deflate=oxipng.Deflaters.libdeflater(level),
    )
