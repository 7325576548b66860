"""Decode: a JPEG that may be decoded smaller goes through libjpeg-turbo's M/8 scales
(simplejpeg); everything else, and anything that decoder refuses, through Pillow."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops, ImageStat

from prism.core.limits import Limits
from prism.core.specs import VariantSpec
from prism.image import pipeline
from prism.image.decode import decode_scaled, finest_eighths, pillow_eighths
from prism.image.header import open_image
from tests.images import encode, noisy, photo_like, rgb_profile


def _opened(data: bytes) -> Image.Image:
    return open_image(data, Limits())


def test_a_jpeg_decodes_at_the_smallest_eighth_that_covers_the_draft() -> None:
    data = photo_like(1600, 1200)
    # 1/2 (800 px) would be too small for 900 px; Pillow's draft would decode in full,
    # libjpeg-turbo's 5/8 gives 1000 x 750
    scaled = decode_scaled(_opened(data), data, (900, 600))
    assert scaled is not None
    assert scaled.mode == "RGB"
    assert scaled.size == (1000, 750)
    with _opened(data) as im:
        im.draft("RGB", (900, 600))
        assert im.size == (1600, 1200)  # what Pillow alone would have decoded


def test_the_scaled_pixels_are_the_image() -> None:
    data = photo_like(1600, 1200)
    scaled = decode_scaled(_opened(data), data, (900, 600))
    assert scaled is not None
    with _opened(data) as im:
        im.load()
        reference = im.resize(scaled.size, Image.Resampling.LANCZOS)
    diff = ImageStat.Stat(ImageChops.difference(reference, scaled)).mean
    assert max(diff) < 2.0  # 5/8 in the IDCT against a full decode scaled by Lanczos


def test_grayscale_stays_single_channel_and_the_profile_travels() -> None:
    gray = encode(noisy((640, 480)).convert("L"), "JPEG", quality=90)
    scaled = decode_scaled(_opened(gray), gray, (200, 150))
    assert scaled is not None
    assert scaled.mode == "L"
    assert scaled.size == (240, 180)  # 3/8
    icc = rgb_profile("Display P3")
    tagged = encode(noisy((640, 480)), "JPEG", quality=90, icc_profile=icc)
    scaled = decode_scaled(_opened(tagged), tagged, (200, 150))
    assert scaled is not None
    assert scaled.info["icc_profile"] == icc  # to_srgb8 converts it after the decode


@pytest.mark.parametrize(
    "case",
    ["no draft", "png", "cmyk", "truncated"],
)
def test_anything_else_is_left_to_pillow(case: str) -> None:
    draft: tuple[int, int] | None = (100, 75)
    if case == "no draft":
        data, draft = photo_like(400, 300), None
    elif case == "png":
        data = encode(noisy((400, 300)), "PNG")
    elif case == "cmyk":
        data = encode(noisy((400, 300)).convert("CMYK"), "JPEG")
    else:
        data = photo_like(400, 300)[:-2000]
    assert decode_scaled(_opened(data), data, draft) is None


def test_a_truncated_jpeg_is_still_judged_by_pillow() -> None:
    # simplejpeg refuses it; the pipeline then decodes with Pillow, which rejects it as before
    from prism.core.errors import CorruptImage

    data = photo_like(1200, 900)[:-4000]
    spec = VariantSpec(name="t", format="jpeg", quality=80, width=300, height=None, fit="contain")
    with pytest.raises(CorruptImage):
        pipeline.make_variants(data, (spec,), workers=1, draft_margin=1.0)


def test_a_transform_through_either_decoder_looks_the_same(monkeypatch) -> None:
    data = photo_like(1600, 1200)
    spec = VariantSpec(name="t", format="png", width=900, height=None, fit="contain")
    made = pipeline.make_variants(data, (spec,), workers=1, draft_margin=1.0).variants[0]
    monkeypatch.setattr(pipeline, "decode_scaled", lambda *a: None)  # Pillow only
    plain = pipeline.make_variants(data, (spec,), workers=1, draft_margin=1.0).variants[0]
    assert (made.width, made.height) == (plain.width, plain.height) == (900, 675)
    a = Image.open(io.BytesIO(made.data)).convert("RGB")
    b = Image.open(io.BytesIO(plain.data)).convert("RGB")
    # 5/8 then Lanczos, against full size then Lanczos: the same picture
    assert max(ImageStat.Stat(ImageChops.difference(a, b)).mean) < 2.0


@pytest.mark.parametrize(
    ("size", "draft", "pillow", "finest"),
    [
        ((3264, 2448), (400, 300), 1, 1),  # 1/8 both: Pillow decodes it, no numpy
        ((2912, 4368), (800, 1200), 4, 3),  # 1/2 against 3/8
        ((2912, 4368), (1600, 2400), 8, 5),  # in full against 5/8
        ((1600, 1200), (900, 600), 8, 5),
        ((1600, 1200), (800, 600), 4, 4),
    ],
)
def test_scales_in_eighths(size, draft, pillow: int, finest: int) -> None:
    assert pillow_eighths(size, draft) == pillow
    assert finest_eighths(size, draft) == finest


def test_where_pillow_decodes_as_small_it_does_so_without_simplejpeg() -> None:
    data = photo_like(1600, 1200)
    assert decode_scaled(_opened(data), data, (800, 600)) is None  # 1/2 either way
