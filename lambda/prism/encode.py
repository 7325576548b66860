"""One prepared image + one spec -> encoded bytes. Each encoder is the fastest correct one
we measured for its format (see benchmarks/ and the README's performance section)."""

from __future__ import annotations

import io
import tempfile

from PIL import Image

from prism import png
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


def encode_png(im: Image.Image, spec: VariantSpec, *, photographic: bool = False) -> bytes:
    """Photos: Up filter + libdeflate, GIL released. Graphics: oxipng, which holds the GIL
    (the pipeline runs it after the GIL-free encoders). See prism.png."""
    if photographic:
        return png.encode_photo(im, spec.compress_level)
    return png.encode_graphic(im, spec.compress_level)


ENCODERS = {
    "jpeg": encode_jpeg,
    "webp": encode_webp,
    "avif": encode_avif,
}


def holds_gil(spec: VariantSpec, *, photographic: bool) -> bool:
    """Whether the encoder holds the GIL for its whole run (oxipng): the pipeline runs such
    variants on the calling thread after the GIL-free ones are done."""
    return spec.format == "png" and not photographic


def encode(im: Image.Image, spec: VariantSpec, *, photographic: bool = False) -> bytes:
    """Encode one variant. `photographic`: the source was lossy-coded (JPEG, HEIC, AVIF),
    which picks the PNG filter that suits camera noise."""
    if spec.format == "png":
        return encode_png(im, spec, photographic=photographic)
    return ENCODERS[spec.format](im, spec)
