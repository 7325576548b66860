"""One prepared image + one spec -> encoded bytes. Each encoder is the fastest correct one
we measured for its format (see benchmarks/ and the README's performance section)."""

from __future__ import annotations

import io
import tempfile

from PIL import Image

from prism.core.specs import VariantSpec
from prism.image import png


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
    (the pipeline runs it after the GIL-free encoders). See prism.image.png."""
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
