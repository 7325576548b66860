"""Allowlist, limits and typed errors: every bad file ends as an ImageRejected with a reason."""

import io
import time
import tracemalloc

import pytest
from PIL import Image

from prism.core.errors import CorruptImage, ImageRejected, TooLarge, UnsupportedFormat
from prism.core.limits import Limits
from prism.image.header import open_image, read_header
from prism.image.pipeline import make_variants
from tests.images import encode, exif_after_pixels, marked, oriented, png_header_only

ACCEPTED = {
    "JPEG": {"quality": 90},
    "PNG": {},
    "WEBP": {"quality": 90},
    "GIF": {},
    "TIFF": {},
    "BMP": {},
    "AVIF": {"quality": 90},
    "HEIF": {"quality": 90},
}


@pytest.mark.parametrize("fmt", ACCEPTED)
def test_every_allowed_format_is_processed(fmt):
    data = encode(marked((64, 48)), fmt, **ACCEPTED[fmt])
    result = make_variants(data)
    assert result.source.format == fmt
    assert (result.source.width, result.source.height) == (64, 48)
    assert [v.name for v in result.variants] == ["jpeg85", "jpeg60", "webp", "png", "thumb"]
    for variant in result.variants:
        out = Image.open(io.BytesIO(variant.data))
        out.load()
        assert out.format == variant.spec.format.upper()
        assert out.size == (variant.width, variant.height) == (64, 48)


def test_mpo_first_frame():
    frames = [marked((64, 48)), Image.new("RGB", (64, 48), "black")]
    buf = io.BytesIO()
    frames[0].save(buf, "MPO", save_all=True, append_images=frames[1:], quality=95)
    result = make_variants(buf.getvalue())
    assert result.source.format == "MPO"
    assert result.source.frames == 2
    png = Image.open(io.BytesIO(result.variants[3].data)).convert("RGB")
    assert png.getpixel((40, 40))[2] > 150  # the blue field of frame 1, not frame 2's black


@pytest.mark.parametrize(
    ("fmt", "params"), [("GIF", {}), ("PNG", {}), ("WEBP", {"lossless": True})]
)
def test_animation_first_frame_becomes_the_still(fmt, params):
    first = Image.new("RGB", (32, 32), (255, 0, 0))
    later = [Image.new("RGB", (32, 32), (0, 255, 0)), Image.new("RGB", (32, 32), (0, 0, 255))]
    buf = io.BytesIO()
    first.save(buf, fmt, save_all=True, append_images=later, duration=100, **params)
    result = make_variants(buf.getvalue())
    assert result.source.frames == 3
    png = Image.open(io.BytesIO(result.variants[3].data)).convert("RGB")
    assert png.getpixel((16, 16)) == (255, 0, 0)


@pytest.mark.parametrize(
    ("data", "detected"),
    [
        (b"", "empty"),
        (b"%PDF-1.7\n1 0 obj <<>> endobj\n", "PDF"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "SVG"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "HTML"),
        (b"8BPS\x00\x01" + b"\x00" * 40, "PSD"),
        (b"\x00\x00\x01\x00\x01\x00" + b"\x00" * 40, "ICO"),
        (b"\x80\x04\x95\x00\x00", "Python pickle"),
        (b"just some text", "unknown"),
    ],
)
def test_non_images_are_rejected_before_any_decoder(data, detected):
    with pytest.raises(UnsupportedFormat) as excinfo:
        make_variants(data)
    assert excinfo.value.detected_format == detected
    assert excinfo.value.status == 415
    assert "accepted formats" in excinfo.value.detail


def test_formats_pillow_could_read_but_we_do_not_accept():
    for fmt in ("PPM", "TGA", "PCX", "ICO", "QOI" if "QOI" in Image.SAVE else "PPM"):
        with pytest.raises(UnsupportedFormat):
            make_variants(encode(marked((16, 16)), fmt))


def test_pixel_bomb_rejected_from_the_header_without_allocating():
    bomb = png_header_only(100_000, 100_000)  # 10 gigapixels declared in 100 bytes
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(TooLarge) as excinfo:
        make_variants(bomb)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "10000000000 pixels" in excinfo.value.detail.replace(",", "")
    assert "limit of 50,000,000 pixels" in excinfo.value.detail
    assert excinfo.value.detected_format == "PNG"
    assert peak < 5_000_000
    assert elapsed < 2


def test_pixel_limit_is_configurable():
    data = encode(marked((100, 100)), "PNG")
    make_variants(data, limits=Limits(max_pixels=10_000))
    with pytest.raises(TooLarge, match="limit is 9,999 pixels"):
        make_variants(data, limits=Limits(max_pixels=9_999))
    with pytest.raises(TooLarge):
        open_image(data, Limits(max_pixels=9_999))  # from the header alone


def test_byte_limit_is_checked_first():
    data = encode(marked((100, 100)), "PNG")
    with pytest.raises(TooLarge, match=f"upload is {len(data):,} bytes"):
        make_variants(data, limits=Limits(max_input_bytes=len(data) - 1))


def test_gif_frame_larger_than_its_canvas_counts():
    # A 10x10 canvas whose first frame's image descriptor claims 60000x60000.
    data = bytearray(encode(Image.new("P", (10, 10)), "GIF"))
    descriptor = data.index(b"\x2c")  # image separator
    data[descriptor + 5 : descriptor + 9] = (60000).to_bytes(2, "little") * 2
    with pytest.raises(ImageRejected) as excinfo:
        make_variants(bytes(data))
    assert isinstance(excinfo.value, TooLarge | CorruptImage)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP", "AVIF", "HEIF"])
def test_truncated_files_are_typed_as_corrupt(fmt):
    data = encode(marked((256, 256)), fmt, **ACCEPTED[fmt])
    for cut in (len(data) // 2, 40, 12):
        with pytest.raises(ImageRejected) as excinfo:
            make_variants(data[:cut])
        assert isinstance(excinfo.value, CorruptImage | UnsupportedFormat)
        assert excinfo.value.detail


def test_header_that_lies_about_the_format():
    data = b"\xff\xd8\xff" + b"\x00" * 100  # JPEG magic, garbage after
    with pytest.raises(CorruptImage) as excinfo:
        make_variants(data)
    assert excinfo.value.detected_format == "JPEG"


def test_header_bomb_under_pillows_own_guard_hits_ours():
    with pytest.raises(TooLarge, match=r"10000x10000 \(100,000,000 pixels\)"):
        make_variants(png_header_only(10_000, 10_000))


def _opened(data: bytes):
    im = open_image(data, Limits())
    return im, read_header(im, Limits(), data)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "AVIF"])
def test_orientation_is_read_before_the_pixels_where_the_file_states_it(fmt):
    """A sideways WebP, AVIF or PNG (eXIf ahead of its pixels) is upright from the header on,
    so limits on the upright size hold before anything is decoded."""
    im, header = _opened(oriented(fmt, 6))
    assert header.orientation == 6
    assert header.settled
    assert header.upright_size == (96, 64)
    assert not getattr(im, "_im", None)  # the pixels are not loaded


def test_png_orientation_after_its_pixels_is_not_settled_until_decoded():
    im, header = _opened(exif_after_pixels(oriented("PNG", 6)))
    assert (header.orientation, header.settled) == (1, False)
    assert not getattr(im, "_im", None)
    assert make_variants(exif_after_pixels(oriented("PNG", 6))).source.width == 96
