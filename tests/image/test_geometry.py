from hypothesis import given
from hypothesis import strategies as st

from prism.core.specs import VariantSpec
from prism.image.geometry import ENCODER_MAX_SIDE, plan, within_side
from prism.image.header import Header
from prism.image.prepare import prepare


def spec(**kw) -> VariantSpec:
    return VariantSpec(name="v", format="jpeg", **kw)


def test_full_size_is_identity():
    p = plan(4000, 3000, spec())
    assert p.size == (4000, 3000)
    assert p.box == (0, 0, 4000, 3000)


def test_contain_fits_the_box_and_keeps_aspect():
    assert plan(4000, 3000, spec(width=300, height=300)).size == (300, 225)
    assert plan(3000, 4000, spec(width=300, height=300)).size == (225, 300)
    assert plan(4000, 3000, spec(width=1000)).size == (1000, 750)
    assert plan(4000, 3000, spec(height=600)).size == (800, 600)


def test_never_upscales():
    assert plan(200, 100, spec(width=300, height=300)).size == (200, 100)
    assert plan(200, 100, spec(width=300, height=300, fit="cover")).size == (200, 100)


def test_cover_fills_the_box_and_centre_crops():
    p = plan(4000, 3000, spec(width=300, height=300, fit="cover"))
    assert p.size == (300, 300)
    left, top, right, bottom = p.box
    assert (top, bottom) == (0, 3000)
    assert right - left == 3000
    assert left == 500  # centred


def test_cover_of_a_small_source_keeps_the_box_aspect():
    p = plan(200, 100, spec(width=100, height=100, fit="cover"))
    assert p.size == (100, 100)
    assert p.box == (50, 0, 150, 100)


sides = st.integers(min_value=1, max_value=20000)
boxes = st.integers(min_value=1, max_value=4000)


@given(sides, sides, boxes, boxes)
def test_contain_properties(width, height, box_w, box_h):
    out_w, out_h = plan(width, height, spec(width=box_w, height=box_h)).size
    assert 1 <= out_w <= min(box_w, width)
    assert 1 <= out_h <= min(box_h, height)
    # Aspect ratio within one pixel (rounding) unless an edge hit the 1-pixel floor.
    if out_w > 1 and out_h > 1:
        assert abs(out_w * height / width - out_h) <= 1 or abs(out_h * width / height - out_w) <= 1


@given(sides, sides, boxes, boxes)
def test_cover_properties(width, height, box_w, box_h):
    p = plan(width, height, spec(width=box_w, height=box_h, fit="cover"))
    out_w, out_h = p.size
    assert out_w <= box_w
    assert out_h <= box_h
    left, top, right, bottom = p.box
    assert 0 <= left < right <= width
    assert 0 <= top < bottom <= height
    assert right - left >= out_w - 1e-6  # no upscaling of the cropped region
    assert bottom - top >= out_h - 1e-6


@given(sides, sides, st.integers(min_value=1, max_value=20000))
def test_within_side_keeps_the_region_and_the_aspect(width, height, max_side):
    full = plan(width, height, spec())
    p = within_side(full, max_side)
    assert p.box == full.box
    assert max(p.size) == min(max(full.size), max_side)
    assert min(p.size) >= 1
    if min(p.size) > 1:  # aspect within one pixel of rounding
        scale = max(p.size) / max(full.size)
        assert abs(min(full.size) * scale - min(p.size)) <= 1


def test_a_variant_past_its_encoders_side_is_fitted_within_it():
    """WebP holds 16383 px a side: the preset is made as large as that, not refused."""
    webp = VariantSpec(name="w", format="webp")
    (p,) = prepare(Header("PNG", (20000, 1), "RGB", 1), (webp,)).plans
    assert p.size == (16383, 1)
    assert p.box == (0, 0, 20000, 1)
    # On the upright size: stored 20000x1, orientation 6.
    (p,) = prepare(Header("PNG", (20000, 1), "RGB", 6), (webp,)).plans
    assert p.size == (1, 16383)
    assert ENCODER_MAX_SIDE["webp"] == 16383
