"""EXIF orientation 1-8, in every container that carries it: the marker ends up top-left."""

import io

import pytest
from PIL import Image

from prism.core.specs import VariantSpec
from prism.image.pipeline import make_variants
from tests.images import FIELD, MARK, encode, marked, oriented

PNG = (VariantSpec("png", "png"),)
CONTAINERS = ["JPEG", "PNG", "WEBP", "TIFF", "AVIF", "HEIF"]


def near(a, b, tol=40):
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def assert_upright(data: bytes, size=(96, 64)):
    result = make_variants(data, PNG)
    assert (result.source.width, result.source.height) == size
    out = Image.open(io.BytesIO(result.variants[0].data)).convert("RGB")
    assert out.size == size
    w, h = size
    assert near(out.getpixel((2, 2)), MARK), "marker not in the top-left corner"
    for corner in [(w - 3, 2), (2, h - 3), (w - 3, h - 3)]:
        assert near(out.getpixel(corner), FIELD), f"marker found at {corner}"


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("fmt", CONTAINERS)
def test_orientation_applied(fmt, orientation):
    assert_upright(oriented(fmt, orientation))


@pytest.mark.parametrize("orientation", [0, 9, 255])
def test_out_of_range_orientation_is_ignored(orientation):
    data = oriented("JPEG", 1)
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(marked(), "JPEG", quality=95, exif=exif.tobytes())
    assert_upright(data)


def test_outputs_carry_no_orientation_or_metadata():
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 0.0)}  # GPS IFD
    stored = marked().transpose(Image.Transpose.ROTATE_90)
    data = encode(stored, "JPEG", quality=95, exif=exif.tobytes(), icc_profile=b"")
    result = make_variants(data)
    for variant in result.variants:
        out = Image.open(io.BytesIO(variant.data))
        assert not out.getexif(), f"{variant.name} carries EXIF"
        assert "exif" not in out.info
        assert b"SecretCam" not in variant.data
        assert not out.info.get("icc_profile")


@pytest.mark.parametrize("fmt", CONTAINERS)
def test_source_reports_upright_size(fmt):
    info = make_variants(oriented(fmt, 6)).source
    assert (info.width, info.height) == (96, 64)
