"""One prepared image + one spec -> encoded bytes. Each encoder is the fastest correct one
we measured for its format (see benchmarks/ and the README's performance section)."""

from __future__ import annotations

import io
import tempfile

import oxipng
from PIL import Image

from prism.specs import VariantSpec

#: Formats that can carry alpha; JPEG variants are flattened onto the background colour.
ALPHA_FORMATS = frozenset({"png", "webp", "avif"})

_PNG_COLOR_TYPES = {
    "L": oxipng.ColorType.grayscale,
    "LA": oxipng.ColorType.grayscale_alpha,
    "RGB": oxipng.ColorType.rgb,
    "RGBA": oxipng.ColorType.rgba,
}


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
    im.save(buf, "WEBP", quality=spec.quality, lossless=spec.lossless, method=4)
    return buf.getvalue()


def encode_avif(im: Image.Image, spec: VariantSpec) -> bytes:
    buf = io.BytesIO()
    # One encoder thread: the pipeline already runs variants in parallel, and a fixed
    # thread count keeps the output byte-identical between runs.
    im.save(buf, "AVIF", quality=spec.quality, max_threads=1)
    return buf.getvalue()


def encode_png(im: Image.Image, spec: VariantSpec) -> bytes:
    """PNG through oxipng (libdeflate): ~2x faster than Pillow's zlib at the same size.

    oxipng also picks the smallest lossless colour type (grayscale, palette) by itself.
    Note: it holds the GIL, so the pipeline starts GIL-free encoders before calling it.
    """
    raw = oxipng.RawImage(im.tobytes(), im.width, im.height, color_type=_PNG_COLOR_TYPES[im.mode]())
    return raw.create_optimized_png(
        level=0,  # no trial-and-error passes: one filter, one deflate
        filter=[oxipng.RowFilter.MinSum],
        # zlib's levels 0-9 mapped onto libdeflate's 0-12; level 6 -> libdeflate 7.
        deflate=oxipng.Deflaters.libdeflater(min(12, round(spec.compress_level * 7 / 6))),
    )


ENCODERS = {
    "jpeg": encode_jpeg,
    "webp": encode_webp,
    "avif": encode_avif,
    "png": encode_png,
}
#: Encoders that hold the GIL for their whole run: the pipeline runs them on the calling
#: thread once the GIL-free ones are under way.
HOLDS_GIL = frozenset({"png"})


def encode(im: Image.Image, spec: VariantSpec) -> bytes:
    return ENCODERS[spec.format](im, spec)
