"""Placeholder: what a page shows before the image loads, from the decode the job already has.

A ThumbHash (https://evanw.github.io/thumbhash/: about 25 bytes that keep the aspect ratio
and alpha, decoded by a small function in the browser) and the dominant colour, both from
one tiny copy of the decoded image: a box reduction, a bilinear pass and a DCT of at most
100 x 100 pixels (ThumbHash's input limit), a few milliseconds beside the variants.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from PIL import Image

from prism.core.specs import VariantSpec
from prism.image.orient import orient
from prism.image.resize import REDUCING_GAP

#: ThumbHash encodes images of at most this many pixels a side.
MAX_SIDE = 100
#: The one variant a job needs to find the placeholder of an image already stored
#: (`prism reprocess` filling in an old manifest): a JPEG then decodes at its smallest scale.
SPEC = VariantSpec(name="placeholder", format="png", width=MAX_SIDE, height=MAX_SIDE)
#: Colours the tiny image is quantized to before the most frequent one is taken.
_CLUSTERS = 8


@dataclass(frozen=True, slots=True)
class Placeholder:
    thumbhash: str  # the ThumbHash bytes, base64 (standard alphabet, padded)
    color: str  # the dominant colour, "#rrggbb"


def placeholder(base: Image.Image, orientation: int = 1) -> Placeholder:
    """The placeholder of the decoded image `base` (8-bit L, LA, RGB or RGBA, possibly a
    reduced decode), as it looks once turned upright for EXIF `orientation`."""
    scale = MAX_SIDE / max(base.size)
    size = (max(1, round(base.width * scale)), max(1, round(base.height * scale)))
    # Box-reduce first (reducing_gap): a placeholder needs no more than a bilinear pass after.
    tiny = base.resize(size, Image.Resampling.BILINEAR, reducing_gap=REDUCING_GAP)
    tiny = orient(tiny, orientation).convert("RGBA")
    return Placeholder(_thumbhash(tiny), _dominant(tiny))


def _thumbhash(tiny: Image.Image) -> str:
    # Imported on first use, not at start-up: thash loads numpy (already there after a
    # scaled JPEG decode; simplejpeg depends on it) and then runs its vectorised encoder.
    import thash

    pixels = memoryview(tiny.tobytes())  # flat RGBA, read as uint8 by either backend
    return base64.b64encode(bytes(thash.rgba_to_thumb_hash(*tiny.size, pixels))).decode()


def _dominant(tiny: Image.Image) -> str:
    """The most frequent of a few clusters (fast octree), among the visible pixels."""
    quantized = tiny.quantize(_CLUSTERS, method=Image.Quantize.FASTOCTREE)
    palette = quantized.getpalette("RGBA") or []
    counts = sorted(quantized.getcolors() or [], reverse=True)
    visible = [(n, i) for n, i in counts if palette[4 * i + 3] >= 128]
    _, index = (visible or counts)[0]
    return "#{:02x}{:02x}{:02x}".format(*palette[4 * index : 4 * index + 3])
