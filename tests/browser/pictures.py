"""Test pictures made with Pillow: a photo-like JPEG stored sideways with an EXIF rotation,
a PNG with transparency, and a file that only claims to be an image."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

ORIENTATION = 0x0112


def _landscape(width: int, height: int) -> Image.Image:
    """A sky gradient, a sun and two ridges: enough detail for encoders to differ visibly."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / height
        draw.line(
            [(0, y), (width, y)], fill=(int(40 + 180 * t), int(90 + 120 * t), int(200 - 60 * t))
        )
    sun = min(width, height) // 6
    draw.ellipse(
        [width * 0.68, height * 0.15, width * 0.68 + sun, height * 0.15 + sun], fill=(255, 214, 90)
    )
    draw.polygon(
        [
            (0, height),
            (width * 0.3, height * 0.45),
            (width * 0.62, height),
        ],
        fill=(46, 92, 64),
    )
    draw.polygon(
        [
            (width * 0.35, height),
            (width * 0.75, height * 0.5),
            (width, height * 0.8),
            (width, height),
        ],
        fill=(30, 66, 48),
    )
    for x in range(0, width, 7):  # fine texture: where JPEG artefacts show
        draw.line([(x, height * 0.92), (x + 3, height)], fill=(90, 140, 80))
    return image


def rotated_jpeg(width: int = 1200, height: int = 800) -> bytes:
    """Pixels stored sideways (height x width) with EXIF orientation 6: upright, the image
    is `width` x `height`."""
    stored = _landscape(width, height).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    out = io.BytesIO()
    stored.save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


def alpha_png(width: int = 640, height: int = 480) -> bytes:
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for i in range(6):
        inset = i * min(width, height) // 16
        colour = (220 - i * 30, 60 + i * 25, 120 + i * 20, 255 - i * 35)
        draw.rounded_rectangle(
            [inset, inset, width - inset, height - inset],
            radius=min(width, height) // 12,
            outline=colour,
            width=14,
        )
    draw.ellipse([width * 0.3, height * 0.3, width * 0.7, height * 0.7], fill=(250, 120, 40, 200))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def not_an_image() -> bytes:
    return b"Meeting notes, not a picture.\n" * 40
