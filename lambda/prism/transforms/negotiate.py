"""`format=auto`: the best format the browser says it takes, from its Accept header.

Only an explicit `image/avif` or `image/webp` counts: `*/*` and `image/*` are sent by browsers
that cannot decode either (older Safari), so they get the format every browser takes. A media
range with q=0 is a refusal (RFC 9110 12.5.1). Mirrored in the edge function.
"""

from __future__ import annotations

import re
from typing import Literal

Negotiated = Literal["avif", "webp", "legacy"]

_ZERO = re.compile(r"0(\.0{0,3})?")
_OWS = " \t"  # HTTP's optional whitespace; exactly this, so the edge trims alike


def accepted_types(accept: str | None) -> set[str]:
    """The media types (lower case, parameters dropped) the header accepts with q > 0."""
    types: set[str] = set()
    for item in (accept or "").split(","):
        parts = [p.strip(_OWS) for p in item.split(";")]
        media = parts[0].lower()
        refused = any(
            name.rstrip(_OWS).lower() == "q" and _ZERO.fullmatch(value.lstrip(_OWS))
            for name, _, value in (p.partition("=") for p in parts[1:])
        )
        if media and not refused:
            types.add(media)
    return types


def negotiate(accept: str | None) -> Negotiated:
    """AVIF if accepted, else WebP, else `legacy` (JPEG; PNG when the image has alpha)."""
    types = accepted_types(accept)
    if "image/avif" in types:
        return "avif"
    if "image/webp" in types:
        return "webp"
    return "legacy"


def output_format(requested: str | None, source_family: str, has_alpha: bool) -> str:
    """The format actually encoded: `legacy` becomes PNG for images with alpha and JPEG
    otherwise; None (not given) becomes the original's family."""
    if requested == "legacy":
        return "png" if has_alpha else "jpeg"
    if requested is None:
        return source_family
    return requested
