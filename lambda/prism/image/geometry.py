"""Output sizes from source size and a variant's box. Pure arithmetic, no pixels."""

from __future__ import annotations

from dataclasses import dataclass

from prism.core.specs import VariantSpec


@dataclass(frozen=True, slots=True)
class Plan:
    """How to make one variant: resize the source region `box` to `size`."""

    size: tuple[int, int]
    box: tuple[float, float, float, float]  # (left, top, right, bottom) in source pixels


#: The longest side each output format is written with, measured with Pillow 13's encoders:
#: libwebp refuses more than 16383 (WEBP_MAX_DIMENSION), libjpeg-turbo more than 65500
#: (JPEG_MAX_DIMENSION); libavif writes up to 65536 but by default reads back at most 32768
#: (AVIF_DEFAULT_IMAGE_DIMENSION_LIMIT), so 32768; PNG's own limit is 2^31 - 1.
ENCODER_MAX_SIDE: dict[str, int] = {"webp": 16383, "jpeg": 65500, "avif": 32768, "png": 2**31 - 1}
#: Format names as people write them, for messages.
FORMAT_NAMES = {"webp": "WebP", "jpeg": "JPEG", "avif": "AVIF", "png": "PNG"}


def plan(width: int, height: int, spec: VariantSpec) -> Plan:
    """Never upscales. `contain` fits inside the box keeping aspect; `cover` fills the box
    and centre-crops (if the source is smaller than the box, the crop keeps the box's
    aspect ratio at the source's scale)."""
    full = (0.0, 0.0, float(width), float(height))
    box_w, box_h = spec.width, spec.height
    if box_w is None and box_h is None:
        return Plan((width, height), full)

    if spec.fit == "cover" and box_w is not None and box_h is not None:
        scale = min(max(box_w / width, box_h / height), 1.0)
        out_w = min(box_w, max(1, round(width * scale)))
        out_h = min(box_h, max(1, round(height * scale)))
        # Source region with the output's aspect ratio, centred.
        crop_w = min(float(width), out_w / scale)
        crop_h = min(float(height), out_h / scale)
        left = (width - crop_w) / 2
        top = (height - crop_h) / 2
        return Plan((out_w, out_h), (left, top, left + crop_w, top + crop_h))

    scale = min(
        box_w / width if box_w is not None else 1.0,
        box_h / height if box_h is not None else 1.0,
        1.0,
    )
    if scale >= 1.0:
        return Plan((width, height), full)
    return Plan((max(1, round(width * scale)), max(1, round(height * scale))), full)


def within_side(p: Plan, max_side: int) -> Plan:
    """`p` made smaller, if need be, so that neither side exceeds `max_side`: the same source
    region at the same aspect ratio (an encoder's limit, for a preset that would pass it)."""
    longest = max(p.size)
    if longest <= max_side:
        return p
    scale = max_side / longest
    width, height = (min(max_side, max(1, round(side * scale))) for side in p.size)
    return Plan((width, height), p.box)


# Where an upright point (x, y) lies in the stored pixels, for each EXIF orientation; `w, h`
# is the upright size. The inverse of what orient() applies, in continuous coordinates.
_TO_STORED = {
    1: lambda x, y, w, h: (x, y),
    2: lambda x, y, w, h: (w - x, y),
    3: lambda x, y, w, h: (w - x, h - y),
    4: lambda x, y, w, h: (x, h - y),
    5: lambda x, y, w, h: (y, x),
    6: lambda x, y, w, h: (y, w - x),
    7: lambda x, y, w, h: (h - y, w - x),
    8: lambda x, y, w, h: (h - y, x),
}


def as_stored(p: Plan, upright: tuple[int, int], orientation: int) -> Plan:
    """`p` (upright coordinates, `upright` size) for the pixels as stored with EXIF
    `orientation`: resizing the stored pixels with it, then orienting, gives `p`'s image."""
    to_stored = _TO_STORED.get(orientation, _TO_STORED[1])
    left, top, right, bottom = p.box
    x0, y0 = to_stored(left, top, *upright)
    x1, y1 = to_stored(right, bottom, *upright)
    size = (p.size[1], p.size[0]) if orientation in (5, 6, 7, 8) else p.size
    return Plan(size, (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
