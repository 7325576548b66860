"""The PNG encoders: lossless, valid, and the photo path's scanlines are what PNG says."""

import io
import struct
import zlib

import oxipng
import pytest
from PIL import Image

from prism.core.specs import VariantSpec
from prism.image import png
from prism.image.pipeline import make_variants
from tests.images import encode, noisy

MODES = ("L", "LA", "RGB", "RGBA")
# Sizes around the 64-row strips the photo path filters in, and single rows/columns.
SIZES = [(1, 1), (1, 200), (200, 1), (97, 63), (97, 64), (97, 65), (33, 129)]


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, body) of every chunk, checking each CRC on the way."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        chunks.append((kind, body))
        pos += 12 + length
    return chunks


def _up_reference(raw: bytes, stride: int) -> bytes:
    """PNG's Up filter written out byte by byte, independently of prism.image.png."""
    out, above = bytearray(), bytes(stride)
    for start in range(0, len(raw), stride):
        row = raw[start : start + stride]
        out += b"\x02" + bytes((x - a) % 256 for x, a in zip(row, above, strict=True))
        above = row
    return bytes(out)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("size", SIZES)
def test_photo_png_is_pixel_exact_and_up_filtered(mode, size):
    src = noisy(size, mode=mode)
    data = png.encode_photo(src, 6)
    out = Image.open(io.BytesIO(data))
    assert (out.mode, out.size) == (mode, size)
    assert out.tobytes() == src.tobytes()
    chunks = _chunks(data)
    assert [kind for kind, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]  # no metadata
    stride = len(src.tobytes()) // size[1]
    assert zlib.decompress(chunks[1][1]) == _up_reference(src.tobytes(), stride)


@pytest.mark.parametrize("level", [0, 1, 6, 9])
def test_photo_png_compression_levels_all_round_trip(level):
    src = noisy((150, 90))
    data = png.encode_photo(src, level)
    assert Image.open(io.BytesIO(data)).tobytes() == src.tobytes()
    if level == 0:  # stored: no smaller than the scanlines themselves
        assert len(data) > 150 * 90 * 3


def _raw_oxipng(src: Image.Image, **options) -> bytes:
    """oxipng straight from the raw pixels: the reference for what Prism's carriers feed it."""
    color_type = {
        "L": oxipng.ColorType.grayscale(),
        "LA": oxipng.ColorType.grayscale_alpha(),
        "RGB": oxipng.ColorType.rgb(),
        "RGBA": oxipng.ColorType.rgba(),
    }[src.mode]
    raw = oxipng.RawImage(src.tobytes(), src.width, src.height, color_type=color_type)
    return raw.create_optimized_png(**options)


def test_photo_png_is_oxipng_with_the_same_filter_and_deflater():
    # Same filter, same libdeflate level: the lean path must not cost a byte.
    src = noisy((640, 480))
    options = {"level": 0, "filter": [oxipng.RowFilter.Up]}
    ours = png.encode_photo(src, 6)
    assert len(ours) <= len(_raw_oxipng(src, **options, deflate=oxipng.Deflaters.libdeflater(6)))


@pytest.mark.parametrize("mode", MODES)
def test_graphic_png_equals_oxipng_from_raw_pixels(mode):
    # The compressed carrier only exists to reach oxipng cheaply; it must change nothing.
    src = noisy((123, 45), mode=mode)
    options = {"level": 0, "filter": list(png.GRAPHIC_FILTERS), "fast_evaluation": True}
    assert png.encode_graphic(src, 6) == _raw_oxipng(
        src, **options, deflate=oxipng.Deflaters.libdeflater(6)
    )


def test_png_variant_of_a_photo_is_the_decoded_photo_exactly():
    # JPEG source: the photo path. The PNG must hold exactly the pixels the JPEG decodes to.
    data = encode(noisy((333, 222)), "JPEG", quality=90)
    variant = make_variants(data, (VariantSpec("png", "png"),)).variants[0]
    decoded = Image.open(io.BytesIO(data)).convert("RGB")
    assert Image.open(io.BytesIO(variant.data)).tobytes() == decoded.tobytes()


def test_photo_and_graphic_paths_give_the_same_pixels():
    src = noisy((200, 150))
    photo = Image.open(io.BytesIO(png.encode_photo(src, 6)))
    graphic = Image.open(io.BytesIO(png.encode_graphic(src, 6)))
    assert photo.convert("RGB").tobytes() == graphic.convert("RGB").tobytes()
