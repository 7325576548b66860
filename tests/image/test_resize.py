"""Resize: a banded resize is the whole resize; orienting the small output instead of the
large base gives the same image, for every EXIF orientation."""

import io

import pytest
from PIL import Image, ImageChops

from prism.core.specs import VariantSpec
from prism.image import resize as resize_module
from prism.image.geometry import Plan, as_stored
from prism.image.orient import orient
from prism.image.pipeline import make_variants
from prism.image.resize import resize
from tests.images import FIELD, MARK, STORE_AS, encode, marked, noisy, oriented


def max_difference(a: Image.Image, b: Image.Image) -> int:
    assert a.size == b.size
    assert a.mode == b.mode
    extrema = ImageChops.difference(a, b).getextrema()
    return extrema[1] if a.mode == "L" else max(high for _, high in extrema)


def whole(im: Image.Image, box, size) -> Image.Image:
    return im.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)


@pytest.mark.parametrize("mode", ["RGB", "L"])
@pytest.mark.parametrize("threads", [2, 3])
@pytest.mark.parametrize(
    ("box", "size"),
    [
        ((0, 0, 1200, 900), (700, 525)),  # 1.7x: the camera-JPEG-to-1600 case
        ((0, 0, 1200, 900), (300, 225)),  # 4x, still without Pillow's box reduction
        ((133.5, 50.25, 1000.0, 890.0), (433, 420)),  # an off-centre crop
    ],
)
def test_bands_are_the_whole_resize(mode, threads, box, size):
    im = noisy((1200, 900), mode)
    banded = resize(im, box, size, threads)
    assert max_difference(banded, whole(im, box, size)) <= 1
    assert resize(im, box, size, threads).tobytes() == banded.tobytes()  # deterministic


def test_a_banded_resize_runs_one_resize_per_band(monkeypatch):
    im = noisy((1200, 900))
    calls = []
    original = Image.Image.resize

    def counting(self, *args, **kwargs):
        calls.append(args[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "resize", counting)
    resize(im, (0, 0, 1200, 900), (700, 525), 2)
    bands = 2 * resize_module.BANDS_PER_THREAD  # 525 rows make 8 bands of at least 64
    assert len(calls) == bands
    assert {w for w, _ in calls} == {700}
    assert sum(h for _, h in calls) == 525
    assert all(h >= resize_module.MIN_BAND_ROWS for _, h in calls)


@pytest.mark.parametrize(
    ("mode", "box", "size"),
    [
        ("RGBA", (0, 0, 1200, 900), (700, 525)),  # premultiplied by Pillow, once
        ("RGB", (0, 0, 1200, 900), (150, 112)),  # 8x: Pillow box-reduces first
        ("RGB", (0, 0, 1200, 900), (700, 100)),  # too few rows to split
    ],
)
def test_what_is_not_split_is_pillows_own_resize(mode, box, size):
    im = noisy((1200, 900), mode)
    assert resize(im, box, size, 2).tobytes() == whole(im, box, size).tobytes()


def test_full_size_is_the_same_pixels_without_a_copy():
    im = noisy((64, 48))
    out = resize(im, (0, 0, 64, 48), (64, 48), 2)
    assert out is not im
    assert out.im is im.im


@pytest.mark.parametrize("orientation", range(1, 9))
def test_resizing_the_stored_pixels_then_orienting_is_the_same_image(orientation):
    upright = noisy((600, 400))
    transpose = STORE_AS[orientation]
    stored = upright.transpose(transpose) if transpose is not None else upright
    want = Plan((250, 190), (37.5, 20.0, 560.0, 410.0 - 15))  # off-centre on both axes
    early = whole(upright, want.box, want.size)
    p = as_stored(want, upright.size, orientation)
    late = orient(resize(stored, p.box, p.size, 2), orientation)
    assert max_difference(late, early) <= 1


SMALL = (VariantSpec("small", "png", width=48),)
CONTAINERS = ["JPEG", "PNG", "WEBP", "TIFF", "AVIF", "HEIF"]


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("fmt", CONTAINERS)
def test_a_smaller_output_is_oriented_after_resizing(fmt, orientation, monkeypatch):
    oriented_sizes = []

    def recording(im: Image.Image, o: int) -> Image.Image:
        if o != 1:
            oriented_sizes.append(im.size)
        return orient(im, o)

    monkeypatch.setattr("prism.image.pipeline.orient", recording)
    result = make_variants(oriented(fmt, orientation), SMALL)
    out = Image.open(io.BytesIO(result.variants[0].data)).convert("RGB")
    assert out.size == (48, 32)
    assert max(abs(a - b) for a, b in zip(out.getpixel((1, 1)), MARK, strict=True)) <= 40
    assert max(abs(a - b) for a, b in zip(out.getpixel((46, 30)), FIELD, strict=True)) <= 40
    if orientation != 1 and fmt not in ("TIFF", "HEIF"):  # these two load upright already
        assert oriented_sizes == [(48, 32) if orientation <= 4 else (32, 48)]


def test_a_full_size_variant_orients_the_base_once(monkeypatch):
    sizes = []

    def recording(im: Image.Image, o: int) -> Image.Image:
        sizes.append((im.size, o))
        return orient(im, o)

    monkeypatch.setattr("prism.image.pipeline.orient", recording)
    specs = (VariantSpec("full", "png"), VariantSpec("small", "png", width=48))
    make_variants(oriented("PNG", 6), specs)
    assert sizes[0] == ((64, 96), 6)
    assert all(o == 1 for _, o in sizes[1:])


def test_a_single_variant_resizes_in_bands(monkeypatch):
    seen = []
    monkeypatch.setattr(
        resize_module,
        "_banded",
        lambda base, box, size, bands, threads: seen.append(threads) or Image.new(base.mode, size),
    )
    data = encode(marked((1200, 900)), "PNG")
    monkeypatch.setattr("prism.image.pipeline.cpus", lambda: 2)
    make_variants(data, (VariantSpec("one", "png", width=700),))
    assert seen == [2]
    seen.clear()
    two = (VariantSpec("a", "png", width=700), VariantSpec("b", "png", width=600))
    make_variants(data, two)  # variants run side by side instead: each resize is whole
    assert seen == []
