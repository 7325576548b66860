"""Output properties: deterministic, thread-safe, lossless where promised, boxes respected."""

import io
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops

from prism.core.specs import DEFAULT_SPECS, VariantSpec
from prism.image.pipeline import make_variants
from tests.images import encode, marked, noisy

EVERY_FORMAT = (
    *DEFAULT_SPECS,
    VariantSpec("avif", "avif", quality=60),
    VariantSpec("webp-lossless", "webp", lossless=True),
    VariantSpec("square", "jpeg", width=50, height=50, fit="cover", progressive=True),
    VariantSpec("png-fast", "png", width=120, compress_level=1),
    VariantSpec("webp-fast", "webp", width=200, effort=0),
)


def test_effort_trades_speed_for_size():
    # Structure, not random noise: on pure noise, WebP's effort 0 sometimes wins (1 run in 3).
    size = (400, 300)
    ramp = Image.linear_gradient("L").resize(size)
    fractal = Image.effect_mandelbrot(size, (-2, -1.2, 1, 1.2), 60)
    data = encode(Image.merge("RGB", (ramp, fractal, ramp.rotate(180))), "PNG")
    sizes = {
        effort: len(
            make_variants(data, (VariantSpec("w", "webp", effort=effort),)).variants[0].data
        )
        for effort in (0, 6)
    }
    assert sizes[6] < sizes[0]


def outputs(data: bytes, **kw) -> dict[str, bytes]:
    return {v.name: v.data for v in make_variants(data, EVERY_FORMAT, **kw).variants}


def test_same_input_gives_byte_identical_outputs():
    data = encode(noisy(), "JPEG", quality=92)
    assert outputs(data) == outputs(data)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])  # oxipng holds the GIL; the photo path doesn't
def test_serial_and_concurrent_runs_are_byte_identical(fmt):
    # Regression for Pillow's Image.save state on shared Image objects.
    data = encode(noisy(mode="RGBA" if fmt == "PNG" else "RGB"), fmt)
    serial = outputs(data, workers=1)
    assert outputs(data, workers=4) == serial
    with ThreadPoolExecutor(4) as pool:
        for result in pool.map(lambda _: outputs(data, workers=3), range(8)):
            assert result == serial


def test_png_variants_are_pixel_exact():
    for mode in ("RGB", "RGBA", "L", "LA"):
        src = noisy(mode=mode)
        png = make_variants(encode(src, "PNG"), (VariantSpec("png", "png"),)).variants[0]
        out = Image.open(io.BytesIO(png.data))
        assert out.format == "PNG"
        assert out.convert(mode).tobytes() == src.tobytes(), mode
    src = noisy()
    lossless = make_variants(encode(src, "PNG"), (VariantSpec("w", "webp", lossless=True),))
    out = Image.open(io.BytesIO(lossless.variants[0].data)).convert("RGB")
    assert ImageChops.difference(out, src).getbbox() is None


def test_palette_image_png_stays_small_and_exact():
    src = marked((200, 100)).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    png = make_variants(encode(src, "GIF"), (VariantSpec("png", "png"),)).variants[0]
    out = Image.open(io.BytesIO(png.data))
    assert out.convert("RGB").tobytes() == src.convert("RGB").tobytes()
    assert len(png.data) < 1000  # reduced to a palette, not 60 kB of RGB


MODES = st.sampled_from(["RGB", "RGBA", "L", "LA", "P", "1", "I;16", "CMYK"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    width=st.integers(1, 700),
    height=st.integers(1, 700),
    mode=MODES,
    box=st.tuples(st.integers(1, 400), st.integers(1, 400)),
    fit=st.sampled_from(["contain", "cover"]),
)
def test_every_variant_decodes_and_respects_its_box(width, height, mode, box, fit):
    fmt = {"CMYK": "JPEG", "I;16": "PNG"}.get(mode, "PNG")
    src = Image.new(mode, (width, height))
    specs = (
        VariantSpec("full", "webp"),
        VariantSpec("boxed", "jpeg", width=box[0], height=box[1], fit=fit),
        VariantSpec("png", "png", width=box[0], height=box[1], fit=fit),
    )
    result = make_variants(encode(src, fmt), specs)
    for variant in result.variants:
        out = Image.open(io.BytesIO(variant.data))
        out.load()
        assert out.size == (variant.width, variant.height)
        if variant.spec.width is None:
            assert out.size == (width, height)
            continue
        assert out.width <= min(box[0], width if fit == "contain" else box[0])
        assert out.height <= min(box[1], height if fit == "contain" else box[1])
        if fit == "contain" and out.width > 1 and out.height > 1:
            assert abs(out.width * height / width - out.height) <= 1 or (
                abs(out.height * width / height - out.width) <= 1
            )
        if fit == "cover":
            # Fills the box unless the source is smaller, and never upscales.
            scale = min(1, max(box[0] / width, box[1] / height))
            assert out.width == min(box[0], max(1, round(width * scale)))
            assert out.height == min(box[1], max(1, round(height * scale)))


def test_check_upright_sees_the_final_size_before_any_resize(monkeypatch):
    """A PNG whose eXIf follows its pixels is upright only once decoded: the caller's check
    gets that size, and what it raises ends the call as it is (not as a corrupt file)."""
    from prism.image import pipeline
    from tests.images import exif_after_pixels, oriented

    resized: list[int] = []
    real = pipeline.resize
    monkeypatch.setattr(pipeline, "resize", lambda *a, **k: resized.append(1) or real(*a, **k))
    seen: list[tuple[int, int]] = []

    def refuse(upright: tuple[int, int]) -> None:
        seen.append(upright)
        raise ValueError("over the caller's limit")

    with pytest.raises(ValueError, match="caller's limit"):
        make_variants(
            exif_after_pixels(oriented("PNG", 6)), DEFAULT_SPECS[:1], check_upright=refuse
        )
    assert seen == [(96, 64)]
    assert not resized
