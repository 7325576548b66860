"""Every mode comes out 8-bit sRGB with the right values; alpha kept or flattened per format."""

import io

import pytest
from PIL import Image

from prism.core.specs import VariantSpec
from prism.image.pipeline import make_variants
from tests.images import encode, p3_to_srgb, rgb_profile

PNG = VariantSpec("png", "png")
JPEG = VariantSpec("jpeg", "jpeg", quality=95)
WEBP = VariantSpec("webp", "webp", lossless=True)
AVIF = VariantSpec("avif", "avif", quality=90)


def decoded(data: bytes, spec: VariantSpec = PNG, **kw) -> Image.Image:
    (variant,) = make_variants(data, (spec,), **kw).variants
    return Image.open(io.BytesIO(variant.data))


def close(a, b, tol):
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("colour", [(200, 100, 50), (255, 0, 0), (230, 40, 40), (10, 200, 30)])
@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "TIFF"])
def test_display_p3_becomes_the_right_srgb(colour, fmt):
    src = Image.new("RGB", (32, 32), colour)
    params = {"quality": 100} if fmt in ("JPEG", "WEBP") else {}
    data = encode(src, fmt, icc_profile=rgb_profile("Display P3"), **params)
    out = decoded(data).convert("RGB")
    assert close(out.getpixel((16, 16)), p3_to_srgb(colour), tol=3 if fmt == "PNG" else 6)


def test_srgb_tagged_image_is_left_alone():
    src = Image.new("RGB", (16, 16), (200, 100, 50))
    data = encode(src, "PNG", icc_profile=rgb_profile("sRGB IEC61966-2.1"))
    assert decoded(data).convert("RGB").getpixel((8, 8)) == (200, 100, 50)


def test_broken_icc_profile_is_ignored_not_fatal():
    src = Image.new("RGB", (16, 16), (200, 100, 50))
    data = encode(src, "PNG", icc_profile=b"\x00\x00\x00\x10garbage-profile")
    assert decoded(data).convert("RGB").getpixel((8, 8)) == (200, 100, 50)


@pytest.mark.parametrize(
    ("cmyk", "rgb"),
    [((0, 0, 0, 0), (255, 255, 255)), ((255, 0, 0, 0), (0, 255, 255)), ((0, 0, 0, 255), (0, 0, 0))],
)
def test_cmyk_jpeg_including_adobe_inverted(cmyk, rgb):
    data = encode(Image.new("CMYK", (32, 32), cmyk), "JPEG", quality=100)
    assert b"Adobe" in data  # Pillow writes Adobe (inverted) CMYK JPEGs
    out = decoded(data, JPEG)
    assert out.mode == "RGB"
    assert close(out.getpixel((16, 16)), rgb, tol=4)


def test_grayscale_stays_grayscale():
    data = encode(Image.new("L", (32, 32), 77), "PNG")
    out = decoded(data)
    assert out.mode == "L"
    assert out.getpixel((5, 5)) == 77
    jpeg = decoded(data, JPEG)
    assert jpeg.mode == "L"
    assert abs(jpeg.getpixel((5, 5)) - 77) <= 1


@pytest.mark.parametrize(("value16", "value8"), [(0, 0), (65535, 255), (32896, 128), (2570, 10)])
def test_16_bit_grayscale_is_scaled_not_clipped(value16, value8):
    data = encode(Image.new("I;16", (16, 16), value16), "PNG")
    out = decoded(data)
    assert out.mode in ("L", "1")  # oxipng may store a two-level image at 1 bit, losslessly
    assert out.convert("L").getpixel((3, 3)) == value8


def test_16_bit_tiff_and_float():
    im = Image.new("I;16", (8, 8), 65535)
    assert decoded(encode(im, "TIFF")).getpixel((1, 1)) == 255
    f = Image.new("F", (8, 8), 0.5)
    assert abs(decoded(encode(f, "TIFF")).getpixel((1, 1)) - 128) <= 1


def test_one_bit_image():
    im = Image.new("1", (16, 16), 0)
    im.paste(1, (0, 0, 8, 16))
    out = decoded(encode(im, "PNG"))
    assert out.getpixel((2, 2)) in (255, (255,) * 3)
    assert out.getpixel((12, 2)) in (0, (0, 0, 0))


def palette_with_transparency() -> bytes:
    im = Image.new("P", (16, 16), 0)
    im.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    im.paste(1, (8, 0, 16, 16))
    return encode(im, "GIF", transparency=0)


@pytest.mark.parametrize("spec", [PNG, WEBP, AVIF])
def test_alpha_is_kept_for_formats_with_alpha(spec):
    out = decoded(palette_with_transparency(), spec).convert("RGBA")
    assert out.getpixel((2, 8))[3] == 0  # transparent half
    opaque = out.getpixel((12, 8))
    assert opaque[3] == 255
    assert close(opaque[:3], (0, 0, 255), tol=12)


@pytest.mark.parametrize(
    ("background", "expected"), [((255, 255, 255), (255, 255, 255)), ((0, 128, 0), (0, 128, 0))]
)
def test_alpha_is_flattened_onto_the_background_for_jpeg(background, expected):
    out = decoded(palette_with_transparency(), JPEG, background=background)
    assert out.mode == "RGB"
    assert close(out.getpixel((2, 8)), expected, tol=4)
    assert close(out.getpixel((13, 8)), (0, 0, 255), tol=8)


def test_la_and_rgba_with_partial_alpha():
    la = Image.new("LA", (16, 16), (100, 128))
    out = decoded(encode(la, "PNG"), JPEG, background=(255, 255, 255))
    assert out.mode == "L"
    assert abs(out.getpixel((4, 4)) - round(100 * 128 / 255 + 255 * 127 / 255)) <= 2
    rgba = Image.new("RGBA", (16, 16), (255, 0, 0, 128))
    png = decoded(encode(rgba, "PNG")).convert("RGBA")
    assert png.getpixel((4, 4)) == (255, 0, 0, 128)


def test_lab_tiff_is_converted():
    lab = Image.new("LAB", (8, 8), (255, 128, 128))  # L*=100, neutral: white
    out = decoded(encode(lab, "TIFF")).convert("RGB")
    assert close(out.getpixel((2, 2)), (255, 255, 255), tol=3)
