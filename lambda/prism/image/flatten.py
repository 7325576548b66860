"""Flatten: composite alpha onto the background for a variant whose format cannot carry it."""

from __future__ import annotations

from PIL import Image

from prism.core.specs import VariantSpec


def flatten_for(
    im: Image.Image, spec: VariantSpec, background: tuple[int, int, int]
) -> Image.Image:
    """`im` as `spec`'s format can store it: unchanged if the format keeps alpha."""
    if spec.keeps_alpha:
        return im
    return flatten(im, background)


def flatten(im: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    """Composite an image with alpha onto an opaque background (JPEG has no alpha)."""
    if im.mode not in ("LA", "RGBA"):
        return im
    if im.mode == "LA":
        gray = round(0.299 * background[0] + 0.587 * background[1] + 0.114 * background[2])
        base = Image.new("L", im.size, gray)
        base.paste(im.getchannel("L"), mask=im.getchannel("A"))
        return base
    base = Image.new("RGB", im.size, background)
    base.paste(im, mask=im.getchannel("A"))
    return base
