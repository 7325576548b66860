"""Signed transform URLs: HMAC-SHA256 of the image id and the canonical form.

    sig = base64url(HMAC-SHA256(key, "<image id>/<canonical form>")[:24]), without padding

As imgproxy does, the raw digest is truncated before encoding; 24 bytes (192 bits) keep URLs
short while leaving forgery out of reach, and being a multiple of 3 it encodes to exactly 32
characters with no padding to strip. The canonical form is taken before `format=auto` is
resolved and before the width allowlist applies, so a signature does not depend on the
browser or on the deployment's allowlist. Keys are text (UTF-8). Two keys may be live at
once: sign with the first, accept either, so a key can be rotated without breaking URLs.

Apps import `sign_url` (stdlib only), or run `prism sign-url`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from urllib.parse import quote

from prism.transforms.params import ORIGINAL, Policy, check_image_id, parse

SIGNATURE_BYTES = 24
SIGNATURE_CHARS = SIGNATURE_BYTES * 4 // 3


def message(image_id: str, form: str) -> bytes:
    return f"{image_id}/{form}".encode()


def signature(key: str, image_id: str, form: str) -> str:
    digest = hmac.new(key.encode(), message(image_id, form), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:SIGNATURE_BYTES]).decode("ascii")


def verify(keys: Sequence[str], image_id: str, form: str, sig: str | None) -> bool:
    """True if `sig` was made with any of `keys`. Every key is tried, in constant time."""
    if not sig:
        return False
    given = sig.encode("utf-8")  # compare_digest refuses non-ASCII str; bytes compare fine
    matches = [hmac.compare_digest(signature(key, image_id, form).encode(), given) for key in keys]
    return any(matches)


def sign_url(
    base_url: str,
    image_id: str,
    key: str,
    *,
    width: int | None = None,
    height: int | None = None,
    fit: str = "contain",
    format: str | None = None,  # the query parameter's name
    quality: int | None = None,
) -> str:
    """A signed transform URL in canonical form, e.g.
    sign_url("https://cdn.example.com", image_id, key, width=800, format="auto").
    Raises TransformError for a value no deployment accepts (the size bound is the server's)."""
    check_image_id(image_id)
    given = {"width": width, "height": height, "fit": fit, "format": format, "quality": quality}
    params = {name: str(value) for name, value in given.items() if value is not None}
    form = parse(params, Policy(max_size=999_999)).form()
    sig = signature(key, image_id, form)
    parts = [] if form == ORIGINAL else form.split(",")
    query = "&".join([*parts, f"sig={quote(sig)}"])
    return f"{base_url.rstrip('/')}/images/{image_id}/transform?{query}"
