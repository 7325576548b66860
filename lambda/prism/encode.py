"""One prepared image + one spec -> encoded bytes. Each encoder is the fastest correct one
we measured for its format (see benchmarks/ and the README's performance section)."""

from __future__ import annotations

import io
import struct
import tempfile
import zlib

import oxipng
from PIL import Image

from prism.specs import VariantSpec

#: Formats that can carry alpha; JPEG variants are flattened onto the background colour.
ALPHA_FORMATS = frozenset({"png", "webp", "avif"})


def flatten(im: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    """Composite an image with alpha onto an opaque background (for JPEG)."""
    if im.mode not in ("LA", "RGBA"):
        return im
    if im.mode == "LA":
        gray = round(0.299 * background[0] + 0.587 * background[1] + 0.114 * background[2])
        base = Image.new("L", im.size, gray)
        base.paste(im.getchannel("L"), mask=im.getchannel("A"))
        return base
    base = Image.new("RGB", im.size, background)
    base.paste(im, mask=im.getchannel("A"))
    return base


def encode_jpeg(im: Image.Image, spec: VariantSpec) -> bytes:
    # A JPEG encode into BytesIO holds the GIL for its whole duration; into a real file
    # descriptor Pillow encodes in one C call with the GIL released, so JPEGs can run
    # alongside the other encoders.
    with tempfile.TemporaryFile() as fp:
        im.save(
            fp,
            "JPEG",
            quality=spec.quality,
            optimize=True,  # Huffman tables for this image: 1-39% smaller for ~+20 ms
            progressive=spec.progressive,
        )
        fp.seek(0)
        return fp.read()


def encode_webp(im: Image.Image, spec: VariantSpec) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "WEBP", quality=spec.quality, lossless=spec.lossless, method=spec.effort)
    return buf.getvalue()


def encode_avif(im: Image.Image, spec: VariantSpec) -> bytes:
    buf = io.BytesIO()
    # One encoder thread: the pipeline already runs variants in parallel, and a fixed
    # thread count keeps the output byte-identical between runs.
    im.save(buf, "AVIF", quality=spec.quality, speed=10 - spec.effort, max_threads=1)
    return buf.getvalue()


#: Row filters for PNG. Measured on corpus/photos against Pillow's zlib level 6: on photos
#: (noisy, lossy-coded sources) "Up" + libdeflate is ~5x faster and 3-5% smaller; on
#: graphics it can be 10% larger, so there oxipng tries three filters and keeps the smallest
#: (~3x the work, still faster than Pillow).
PHOTO_FILTERS = (oxipng.RowFilter.Up,)
GRAPHIC_FILTERS = (oxipng.RowFilter.NoOp, oxipng.RowFilter.Up, oxipng.RowFilter.MinSum)


# PNG colour type and bytes per pixel for each mode the pipeline produces.
_PNG_LAYOUT = {"L": (0, 1), "LA": (4, 2), "RGB": (2, 3), "RGBA": (6, 4)}


def _chunk(kind: bytes, parts: list[bytes]) -> list[bytes]:
    """A PNG chunk as pieces to join once: no copy of the (large) body is made here."""
    crc = zlib.crc32(kind)
    for part in parts:
        crc = zlib.crc32(part, crc)
    length = sum(len(part) for part in parts)
    return [struct.pack(">I", length), kind, *parts, struct.pack(">I", crc)]


def stored_png(im: Image.Image) -> bytes:
    """The image as the simplest valid PNG: no filtering, deflate 'stored' (uncompressed).

    Only a carrier for oxipng: pyoxipng's RawImage takes pixels as a Rust Vec<u8>, which pyo3
    fills one element at a time (~0.8 s for 14 MP, holding the GIL); optimize_from_memory
    reads a PNG from `bytes` without copying. The output is byte-identical either way.
    """
    color_type, depth = _PNG_LAYOUT[im.mode]
    stride = im.width * depth
    pixels = memoryview(im.tobytes())
    deflate = zlib.compressobj(0)  # stored blocks: a copy and a checksum, GIL released
    idat = []
    for row in range(im.height):
        idat.append(deflate.compress(b"\x00"))  # filter type 0 (None) for every row
        idat.append(deflate.compress(pixels[row * stride : (row + 1) * stride]))
    idat.append(deflate.flush())
    pixels.release()  # the raw copy goes before the PNG is joined: peak ~2 copies, not 3
    header = struct.pack(">IIBBBBB", im.width, im.height, 8, color_type, 0, 0, 0)
    signature = b"\x89PNG\r\n\x1a\n"
    chunks = [*_chunk(b"IHDR", [header]), *_chunk(b"IDAT", idat), *_chunk(b"IEND", [])]
    return b"".join([signature, *chunks])


def encode_png(im: Image.Image, spec: VariantSpec, *, photographic: bool = False) -> bytes:
    """PNG through oxipng (libdeflate), which also picks the smallest lossless colour type
    (grayscale, palette, lower bit depth) by itself.

    Note: oxipng holds the GIL, so the pipeline starts GIL-free encoders before calling it.
    """
    return oxipng.optimize_from_memory(
        stored_png(im),
        level=0,  # no preset search: just the filters below, one deflate pass each
        filter=list(PHOTO_FILTERS if photographic else GRAPHIC_FILTERS),
        # zlib's 0-9 scale means the same on libdeflate's 0-12: 0 stores, 6 is the default.
        deflate=oxipng.Deflaters.libdeflater(spec.compress_level),
    )


ENCODERS = {
    "jpeg": encode_jpeg,
    "webp": encode_webp,
    "avif": encode_avif,
}
#: Encoders that hold the GIL for their whole run: the pipeline runs them on the calling
#: thread once the GIL-free ones are under way.
HOLDS_GIL = frozenset({"png"})


def encode(im: Image.Image, spec: VariantSpec, *, photographic: bool = False) -> bytes:
    """Encode one variant. `photographic`: the source was lossy-coded (JPEG, HEIC, AVIF),
    which picks the PNG filter that suits camera noise."""
    if spec.format == "png":
        return encode_png(im, spec, photographic=photographic)
    return ENCODERS[spec.format](im, spec)
