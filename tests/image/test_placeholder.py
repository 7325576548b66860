"""The placeholder step: a ThumbHash and a dominant colour that look like the image, upright,
made from the decode the job already has."""

from __future__ import annotations

import base64
import subprocess
import sys

import pytest
import thash
from PIL import Image

from prism.core.specs import VariantSpec
from prism.image.pipeline import make_variants
from prism.image.placeholder import SPEC, placeholder
from tests.images import MARK, encode, oriented

PNG = (VariantSpec("png", "png"),)
THUMB = (VariantSpec("thumb", "jpeg", width=24, height=24),)  # smaller than the image


def decoded(hash64: str) -> Image.Image:
    """The ThumbHash as a browser would show it (thash's decoder, the reference's port)."""
    width, height, rgba = thash.thumb_hash_to_rgba(list(base64.b64decode(hash64)))
    return Image.frombytes("RGBA", (width, height), rgba)


def rgb(color: str) -> tuple[int, int, int]:
    return (int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16))


def near(a: tuple[int, ...], b: tuple[int, ...], tol: int) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=False))


def test_a_red_image_gives_a_red_colour_and_placeholder() -> None:
    look = make_variants(encode(Image.new("RGB", (300, 200), (200, 30, 40)), "PNG")).placeholder
    assert look is not None
    assert near(rgb(look.color), (200, 30, 40), 12)
    preview = decoded(look.thumbhash)
    for xy in [(0, 0), (preview.width // 2, preview.height // 2), (preview.width - 1, 0)]:
        assert near(preview.getpixel(xy), (200, 30, 40, 255), 40), xy


def test_the_placeholder_keeps_where_the_colours_are_and_the_aspect() -> None:
    im = Image.new("RGB", (400, 100), (220, 20, 30))
    im.paste((30, 60, 220), (200, 0, 400, 100))  # left red, right blue
    preview = decoded(placeholder(im).thumbhash)
    assert preview.width > 2 * preview.height  # landscape kept (ThumbHash quantizes it)
    left = preview.getpixel((1, preview.height // 2))
    right = preview.getpixel((preview.width - 2, preview.height // 2))
    assert left[0] > left[2] + 80, left
    assert right[2] > right[0] + 80, right


def test_dominant_colour_is_the_largest_area_not_the_average() -> None:
    im = Image.new("RGB", (100, 100), (20, 160, 40))
    im.paste((240, 240, 240), (0, 0, 100, 30))  # 30% white
    assert near(rgb(placeholder(im).color), (20, 160, 40), 12)


def test_transparent_pixels_neither_colour_nor_hide_the_alpha() -> None:
    im = Image.new("RGBA", (120, 80), (255, 0, 0, 0))  # invisible red
    im.paste((30, 60, 220, 255), (30, 20, 90, 60))
    look = placeholder(im)
    assert near(rgb(look.color), (30, 60, 220), 12)
    preview = decoded(look.thumbhash)
    assert preview.getpixel((0, 0))[3] < 100  # transparent corner
    assert preview.getpixel((preview.width // 2, preview.height // 2))[3] > 180


@pytest.mark.parametrize("mode", ["L", "LA"])
def test_grey_modes(mode: str) -> None:
    look = placeholder(Image.new(mode, (50, 70), (128, 255) if mode == "LA" else 128))
    assert near(rgb(look.color), (128, 128, 128), 8)
    preview = decoded(look.thumbhash)
    assert preview.height > preview.width
    assert near(preview.getpixel((preview.width // 2, preview.height // 2)), (128,) * 3, 16)


@pytest.mark.parametrize("specs", [PNG, THUMB], ids=["oriented-first", "oriented-late"])
@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_an_exif_rotated_jpeg_gives_an_upright_size_and_placeholder(
    specs: tuple[VariantSpec, ...], orientation: int
) -> None:
    result = make_variants(oriented("JPEG", orientation, (120, 60)), specs)
    assert (result.source.width, result.source.height) == (120, 60)
    assert result.placeholder is not None
    preview = decoded(result.placeholder.thumbhash)
    assert preview.width > preview.height  # upright: landscape, as the viewer sees it
    # The marker is in the top-left corner of the upright image.
    top_left = preview.getpixel((0, 0))
    bottom_right = preview.getpixel((preview.width - 1, preview.height - 1))
    assert top_left[0] - top_left[2] > bottom_right[0] - bottom_right[2] + 40
    assert top_left[0] > MARK[0] // 2


def test_a_transform_makes_no_placeholder() -> None:
    data = encode(Image.new("RGB", (64, 48), (1, 2, 3)), "PNG")
    assert make_variants(data, PNG, with_placeholder=False).placeholder is None


def test_the_fill_in_spec_decodes_a_large_jpeg_small_and_agrees() -> None:
    im = Image.new("RGB", (1600, 1200), (30, 140, 60))
    im.paste((230, 220, 40), (0, 0, 800, 1200))
    data = encode(im, "JPEG", quality=90)
    full, small = make_variants(data, PNG), make_variants(data, (SPEC,))
    assert (small.source.width, small.source.height) == (1600, 1200)
    assert small.variants[0].width == 100
    assert full.placeholder is not None
    assert small.placeholder is not None
    assert near(rgb(full.placeholder.color), rgb(small.placeholder.color), 8)
    a, b = decoded(full.placeholder.thumbhash), decoded(small.placeholder.thumbhash)
    assert a.size == b.size
    pairs = zip(a.get_flattened_data(), b.get_flattened_data(), strict=True)
    assert all(near(p, q, 12) for p, q in pairs)


def test_thash_loads_with_the_first_placeholder_not_with_the_pipeline() -> None:
    script = (
        "import sys, prism.image.pipeline as p; before = 'thash' in sys.modules; "
        "from PIL import Image; p.placeholder(Image.new('RGB', (8, 8))); "
        "print(before, 'thash' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]
