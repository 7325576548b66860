"""Bring any decoded image to 8-bit sRGB: one of L, LA, RGB or RGBA.

Grayscale stays grayscale (a third of the bytes of RGB); alpha is kept; everything else
(palette, 1-bit, 16-bit, float, CMYK, Lab, YCbCr) becomes RGB, through its embedded ICC
profile when it has one.
"""

from __future__ import annotations

import io
from functools import cache, lru_cache

from PIL import Image, ImageCms

_SIXTEEN_BIT = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})


@cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@lru_cache(maxsize=32)
def _transform(icc: bytes, in_mode: str) -> ImageCms.ImageCmsTransform | None:
    """A transform from an embedded profile to sRGB, or None if it is sRGB already or unusable.

    Cached by profile bytes: most uploads carry one of a handful of profiles.
    """
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        description = (ImageCms.getProfileDescription(profile) or "").strip().lower()
        if description.startswith("srgb"):
            return None  # already what we output; skip a full-image pass
        return ImageCms.buildTransform(
            profile,
            _srgb(),
            in_mode,
            "RGB",
            renderingIntent=ImageCms.Intent.PERCEPTUAL,
            # No pixel cache: the transform is shared between concurrent requests.
            flags=ImageCms.Flags.NOCACHE,
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None  # a broken profile is ignored rather than failing the upload


def _lab_to_srgb(im: Image.Image) -> Image.Image:
    transform = ImageCms.buildTransform(
        ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")), _srgb(), "LAB", "RGB"
    )
    return ImageCms.applyTransform(im, transform)


def _to_8bit_gray(im: Image.Image) -> Image.Image:
    """16-bit and 32-bit integer / float grayscale to 8 bits by scaling, never by clipping."""
    if im.mode in _SIXTEEN_BIT:
        return im.convert("I").point(lambda v: v * (1 / 257)).convert("L")
    lo, hi = im.getextrema()
    if im.mode == "F" and lo >= 0 and hi <= 1.0:
        return im.point(lambda v: v * 255).convert("L")
    if lo >= 0 and hi <= 255:
        return im.convert("L")
    if im.mode == "I" and lo >= 0 and hi <= 65535:
        return im.point(lambda v: v * (1 / 257)).convert("L")
    span = (hi - lo) or 1  # anything else: stretch its range onto 0..255
    return im.point(lambda v: (v - lo) * (255 / span)).convert("L")


def _with_profile(im: Image.Image, icc: bytes | None) -> Image.Image:
    """Apply the embedded profile (if any, and not sRGB) to an RGB/RGBA/CMYK image."""
    if not icc:
        return im.convert("RGB") if im.mode == "CMYK" else im
    alpha = im.getchannel("A") if im.mode == "RGBA" else None
    base = im.convert("RGB") if alpha is not None else im
    transform = _transform(icc, base.mode)
    if transform is None:
        out = base.convert("RGB") if base.mode == "CMYK" else base
    else:
        out = ImageCms.applyTransform(base, transform)
    if alpha is not None:
        out.putalpha(alpha)
    return out


def to_srgb8(im: Image.Image) -> Image.Image:
    """Return an 8-bit sRGB image in one of L, LA, RGB or RGBA. `im` must be loaded."""
    icc = im.info.get("icc_profile")
    mode = im.mode
    if mode == "P":
        has_alpha = "transparency" in im.info or im.palette.mode == "RGBA"
        im = im.convert("RGBA" if has_alpha else "RGB")
    elif mode == "PA":
        im = im.convert("RGBA")
    elif mode == "1":
        return im.convert("L")
    elif mode in _SIXTEEN_BIT or mode in ("I", "F"):
        return _to_8bit_gray(im)
    elif mode == "LAB":
        return _lab_to_srgb(im)
    elif mode in ("La",):
        im = im.convert("LA")
    elif mode in ("RGBa",):
        im = im.convert("RGBA")
    elif mode in ("RGBX", "YCbCr", "HSV"):
        im = im.convert("RGB")
    elif mode in ("L", "LA"):
        # Gray ICC profiles are almost always gamma ~2.2, i.e. close to sRGB's curve; keeping
        # the single channel is worth more than the tiny tone difference.
        return im
    elif mode not in ("RGB", "RGBA", "CMYK"):
        im = im.convert("RGBA" if "A" in mode else "RGB")
    return _with_profile(im, icc if isinstance(icc, bytes) else None)
