from hypothesis import given
from hypothesis import strategies as st

from prism.core.specs import VariantSpec
from prism.image.geometry import plan


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
