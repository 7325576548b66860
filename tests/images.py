"""Test images made with Pillow: every mode, orientation, profile and container we accept."""

from __future__ import annotations

import io
import struct
from typing import Any

from PIL import Image, ImageDraw

MARK = (220, 20, 30)  # the colour of the corner marker
FIELD = (40, 120, 200)

# Pixels as stored, for each EXIF orientation, from the upright image: the inverse of what a
# viewer applies.
STORE_AS = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def marked(size: tuple[int, int] = (96, 64), mode: str = "RGB") -> Image.Image:
    """An upright image of `size` with a marker block in its top-left corner."""
    im = Image.new("RGB", size, FIELD)
    im.paste(MARK, (0, 0, size[0] // 4, size[1] // 4))
    return im.convert(mode)


def noisy(size=(320, 240), mode="RGB") -> Image.Image:
    """A photo-like image: gradients plus noise, so encoders have real work to do.
    (effect_noise is random: build it once per comparison.)"""
    base = Image.linear_gradient("L").resize(size)
    noise = Image.effect_noise(size, 60)
    rgb = Image.merge("RGB", (base, noise, base.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    if mode == "RGBA":
        rgb.putalpha(Image.linear_gradient("L").resize(size).rotate(90))
    return rgb.convert(mode)


def exif_with_orientation(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


def encode(im: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    if fmt == "HEIF":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def oriented(fmt: str, orientation: int, size: tuple[int, int] = (96, 64)) -> bytes:
    """A file whose pixels are stored rotated/flipped and whose EXIF says how to undo it."""
    upright = marked(size)
    method = STORE_AS[orientation]
    stored = upright.transpose(method) if method is not None else upright
    params: dict[str, object] = {"exif": exif_with_orientation(orientation)}
    if fmt == "JPEG":
        params["quality"] = 95
    if fmt in ("WEBP", "AVIF", "HEIF"):
        params["quality"] = 95 if fmt != "WEBP" else 100
    return encode(stored, fmt, **params)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares `width` x `height` but carries (almost) no data: a pixel bomb."""
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# --- ICC: a minimal v2 matrix/TRC profile, so tests need no profile files ------------------

_D50 = (0.9642, 1.0, 0.8249)
# Display P3 primaries, Bradford-adapted to D50 (as in Apple's Display P3 profile).
DISPLAY_P3_D50 = (
    (0.51512, 0.24120, -0.00105),
    (0.29198, 0.69225, 0.04189),
    (0.15710, 0.06657, 0.78407),
)


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(xyz: tuple[float, float, float]) -> bytes:
    return b"XYZ \x00\x00\x00\x00" + b"".join(_s15(v) for v in xyz)


def _srgb_curve() -> bytes:
    # parametricCurveType, function 3: the sRGB transfer curve.
    params = (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)
    return b"para\x00\x00\x00\x00" + struct.pack(">HH", 3, 0) + b"".join(_s15(p) for p in params)


def _desc(text: str) -> bytes:
    ascii_ = text.encode("ascii") + b"\x00"
    body = b"desc\x00\x00\x00\x00" + struct.pack(">I", len(ascii_)) + ascii_
    return body + b"\x00" * 4 + b"\x00" * 4 + b"\x00" * 2 + b"\x00" + b"\x00" * 67


def rgb_profile(description: str, primaries_d50=DISPLAY_P3_D50) -> bytes:
    """An ICC v2 RGB display profile with the given D50 primaries and the sRGB curve."""
    curve = _srgb_curve()
    tags = [
        (b"desc", _desc(description)),
        (b"wtpt", _xyz(_D50)),
        (b"rXYZ", _xyz(primaries_d50[0])),
        (b"gXYZ", _xyz(primaries_d50[1])),
        (b"bXYZ", _xyz(primaries_d50[2])),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
        (b"cprt", b"text\x00\x00\x00\x00" + b"public domain\x00"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for sig, body in tags:
        while (offset + len(data)) % 4:
            data += b"\x00"
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    total = offset + len(data)
    header = (
        struct.pack(">I", total)
        + b"\x00\x00\x00\x00"  # CMM
        + struct.pack(">I", 0x02100000)  # version 2.1
        + b"mntrRGB XYZ "
        + b"\x00" * 12  # date
        + b"acsp"
        + b"\x00" * 24  # platform, flags, manufacturer, model, attributes
        + struct.pack(">I", 0)  # perceptual intent
        + b"".join(_s15(v) for v in _D50)
        + b"\x00" * 4  # creator
        + b"\x00" * 44  # id + reserved
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


def p3_to_srgb(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """The sRGB value of a Display P3 colour, computed independently of LittleCMS."""

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    def enc(c: float) -> int:
        c = min(1.0, max(0.0, c))
        v = 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055
        return round(v * 255)

    r, g, b = (lin(c / 255) for c in rgb)
    # Linear Display P3 (D65) -> linear sRGB (D65).
    m = ((1.2249, -0.2247, 0.0), (-0.0420, 1.0419, 0.0), (-0.0197, -0.0786, 1.0979))
    return tuple(enc(row[0] * r + row[1] * g + row[2] * b) for row in m)  # type: ignore[return-value]


# --- whole encoded images, for the HTTP and reliability tests -----------------------


def image_bytes(
    width: int = 120, height: int = 80, fmt: str = "JPEG", mode: str = "RGB", **save: Any
) -> bytes:
    colour: Any = (30, 140, 220, 128) if mode == "RGBA" else (30, 140, 220)
    image = Image.new(mode, (width, height), colour)
    # A gradient stripe, so encoders have something to do.
    for x in range(width):
        image.putpixel((x, height // 2), (x % 256, 50, 50) + ((255,) if mode == "RGBA" else ()))
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def small_image(
    fmt: str = "JPEG", size: tuple[int, int] = (64, 48), seed: int = 0, **save: Any
) -> bytes:
    """A small image with a gradient and a seed-dependent colour, so encoders have work."""
    base = Image.linear_gradient("L").resize(size)
    colour = Image.new("RGB", size, ((seed * 37) % 256, (seed * 91) % 256, 128))
    image = Image.merge("RGB", (base, colour.getchannel(1), colour.getchannel(0)))
    if fmt in ("PNG", "WEBP", "GIF") and save.pop("alpha", False):
        image.putalpha(base)
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def photo_like(width: int, height: int, quality: int = 90) -> bytes:
    """A smooth, photo-like JPEG of any size, made quickly (upscaled random noise)."""
    seed = Image.effect_noise((max(2, width // 64), max(2, height // 64)), 80)
    channels = [
        seed.rotate(angle).resize((width, height), Image.Resampling.BILINEAR)
        for angle in (0, 90, 180)
    ]
    out = io.BytesIO()
    Image.merge("RGB", channels).save(out, "JPEG", quality=quality)
    return out.getvalue()


# --- For the browser tests: pictures a person would upload -----------------------------------


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
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to view
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


def exif_after_pixels(png: bytes) -> bytes:
    """The same PNG with its eXIf chunk moved after the image data (the PNG spec allows it;
    Pillow then learns the orientation only when it loads the pixels)."""
    chunks, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        chunks.append(png[pos : pos + 12 + length])
        pos += 12 + length
    exif = [c for c in chunks if c[4:8] == b"eXIf"]
    assert len(exif) == 1
    rest = [c for c in chunks if c[4:8] != b"eXIf"]
    return png[:8] + b"".join(rest[:-1]) + exif[0] + rest[-1]  # before IEND
