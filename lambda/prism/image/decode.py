"""Decode: load the opened image's pixels once (a JPEG at a reduced DCT scale if allowed).

Pillow's JPEG draft scales by 1/2, 1/4 or 1/8 only. libjpeg-turbo can also scale by any M/8
(3/8, 5/8, ...), which simplejpeg (the same libjpeg-turbo, through TurboJPEG) exposes: a
1600 px result from a 2912 px wide photo decodes at 5/8 (1820 px) instead of in full, and
the resize after it has half the pixels to read. So a JPEG that may be decoded smaller goes
through simplejpeg when an eighth finer than Pillow's scale does (simplejpeg brings numpy,
~11 MB and ~75 ms on first use, so not where Pillow decodes as small), and when it is a
plain RGB or grayscale JPEG; anything it refuses or warns about (CMYK, a truncated file, ...)
is decoded by Pillow, which says what is wrong with it.
"""

from __future__ import annotations

from PIL import Image

from prism.image.header import read_orientation
from prism.image.prepare import DRAFTABLE_FORMATS

#: Pillow modes simplejpeg decodes to, by its colour space name.
_SCALABLE_MODES = {"RGB": "RGB", "L": "GRAY"}


def pillow_eighths(size: tuple[int, int], draft: tuple[int, int]) -> int:
    """The scale, in eighths, Pillow's JPEG draft decodes at: 1/1, 1/2, 1/4 or 1/8."""
    fits = min(size[0] // draft[0], size[1] // draft[1])
    return 8 // next(s for s in (8, 4, 2, 1) if fits >= s)


def finest_eighths(size: tuple[int, int], draft: tuple[int, int]) -> int:
    """The smallest M/8 (M in 1..8) at which libjpeg-turbo's output, ceil(size * M / 8),
    still covers `draft`."""
    (width, height), (need_w, need_h) = size, draft
    return next(
        m for m in range(1, 9) if -(-width * m // 8) >= need_w and -(-height * m // 8) >= need_h
    )


def decode(im: Image.Image, draft: tuple[int, int] | None) -> int:
    """Load the first frame's pixels into `im`; returns the EXIF orientation read after
    loading (a PNG's eXIf chunk may follow the pixel data). `draft` (stored orientation) is
    the size a JPEG may be decoded down to; only JPEG can decode at a reduced scale."""
    if draft is not None and im.format in DRAFTABLE_FORMATS:
        im.draft(im.mode, draft)
    im.load()
    return read_orientation(im)


def decode_scaled(
    im: Image.Image, data: bytes, draft: tuple[int, int] | None
) -> Image.Image | None:
    """The first frame of the JPEG `data` (opened as `im`, header read) decoded at the
    smallest M/8 scale that still covers `draft`, as a new image carrying `im`'s ICC profile;
    None where Pillow's decode() must do it (not a JPEG, no draft, CMYK, any decoder warning).
    Its orientation is the header's: a JPEG keeps EXIF ahead of its pixels."""
    colourspace = _SCALABLE_MODES.get(im.mode)
    if draft is None or im.format not in DRAFTABLE_FORMATS or colourspace is None:
        return None
    if finest_eighths(im.size, draft) == pillow_eighths(im.size, draft):
        return None  # Pillow's draft decodes at the same scale
    import simplejpeg  # with numpy: loaded by the first scaled decode, not at start-up

    try:
        pixels = simplejpeg.decode_jpeg(
            data, colorspace=colourspace, min_width=draft[0], min_height=draft[1], strict=True
        )
    except ValueError:  # refused, or a recoverable fault: Pillow decodes it (or says why not)
        return None
    decoded = Image.fromarray(pixels[:, :, 0] if im.mode == "L" else pixels)
    if icc := im.info.get("icc_profile"):
        decoded.info["icc_profile"] = icc
    return decoded
