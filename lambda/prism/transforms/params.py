"""Transform query parameters: parse, bound, and reduce to ONE canonical form.

The same rules run at the edge (infrastructure/prism_infra/cdn/viewer_request.js) and are
tested against the same table of cases (tests/transforms/cases.json), so edge and origin can
never disagree. Change one, change both.

Canonical form: the parameters that differ from their defaults, as `name=value` joined by
commas in alphabetical order (`fit=cover,format=webp,height=300,width=400`), or `original`
when none do. Normalised away: parameter order, `fit=contain` (the default), `fit=cover`
with only one side (nothing to crop), `format=jpg` (spelled `jpeg`), a quality equal to the
format's default, and any quality for PNG (lossless).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import unquote_to_bytes

Fit = Literal["contain", "cover"]
#: Requested formats. `auto` is resolved from the Accept header (negotiate.py) into `avif`,
#: `webp` or `legacy` (JPEG, or PNG when the image has alpha). None: the original's family.
Format = Literal["jpeg", "webp", "avif", "png", "auto", "legacy"]

#: Default quality per output format; `legacy` renders JPEG unless the image has alpha.
DEFAULT_QUALITY: dict[str, int] = {"jpeg": 85, "webp": 80, "avif": 60, "legacy": 85}
REQUEST_FORMATS = ("auto", "avif", "jpeg", "png", "webp")
FITS = ("contain", "cover")
#: Every query parameter a transform URL may carry. `sig` is the URL's signature.
PARAMETERS = ("fit", "format", "height", "quality", "sig", "width")
DEFAULT_MAX_SIZE = 4096
#: A stored object's name when no parameter differs from its default.
ORIGINAL = "original"
TRANSFORM_FOLDER = "t"

_DIGITS = re.compile(r"[0-9]+")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_SAFE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,40}")
_IMAGE_ID = re.compile(r"[0-9a-f]{32}")


class TransformError(Exception):
    """A request the transform rules refuse: `status` 400 (bad parameter) or 403 (signature),
    `param` names the parameter at fault ("query" when it has no usable name)."""

    def __init__(self, status: int, param: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.param = param
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Policy:
    """What the deployment allows (settings in the app, constants in the edge function)."""

    max_size: int = DEFAULT_MAX_SIZE
    #: Allowed widths, ascending; empty = any width up to max_size.
    widths: tuple[int, ...] = ()
    #: Another width: "up" = the next allowed width up, "reject" = 400.
    widths_mode: Literal["up", "reject"] = "up"


@dataclass(frozen=True, slots=True)
class Transform:
    """One transform, already normalised: equal transforms compare (and hash) equal."""

    width: int | None = None
    height: int | None = None
    fit: Fit = "contain"
    format: Format | None = None
    quality: int | None = None

    def form(self) -> str:
        """The canonical form (module docstring)."""
        fields = {
            "fit": self.fit if self.fit != "contain" else None,
            "format": self.format,
            "height": self.height,
            "quality": self.quality,
            "width": self.width,
        }
        return ",".join(f"{k}={v}" for k, v in fields.items() if v is not None) or ORIGINAL


def normalise(t: Transform) -> Transform:
    """Fold every spelling of a transform into one: the defaults away (module docstring)."""
    fit = t.fit if t.width is not None and t.height is not None else "contain"
    quality = t.quality
    if t.format == "png" or (t.format in DEFAULT_QUALITY and quality == DEFAULT_QUALITY[t.format]):
        quality = None
    return replace(t, fit=fit, quality=quality)


def _decode(raw: str, param: str) -> str:
    """Percent-decode one name or value; '+' stays '+'. Strict, so edge and origin agree."""
    if _BAD_ESCAPE.search(raw):
        raise TransformError(400, param, "the query string has a malformed %-escape")
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise TransformError(400, param, "the query string is not valid UTF-8") from None


def split_query(raw: str | None) -> dict[str, str]:
    """The query's parameters by name. Unknown, duplicate or undecodable ones are refused,
    the first in query order first; empty segments (`a=1&&b=2`) are skipped."""
    found: dict[str, str] = {}
    for segment in (raw or "").split("&"):
        if not segment:
            continue
        raw_name, _, raw_value = segment.partition("=")
        name = _decode(raw_name, "query")
        if name not in PARAMETERS:
            shown = name if _SAFE_NAME.fullmatch(name) else "query"
            raise TransformError(400, shown, f"unknown parameter; allowed: {', '.join(PARAMETERS)}")
        value = _decode(raw_value, name)
        if name in found:
            raise TransformError(400, name, f"{name} is given more than once")
        found[name] = value
    return found


def _whole(params: dict[str, str], name: str, top: int) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    digits = value.lstrip("0") if _DIGITS.fullmatch(value) else None
    # Seven digits or more is out of range whatever they are; no need to convert them.
    number = int(digits) if digits is not None and 0 < len(digits) < 7 else 0
    if not 1 <= number <= top:
        raise TransformError(400, name, f"{name} must be a whole number from 1 to {top}")
    return number


def parse(params: dict[str, str], policy: Policy) -> Transform:
    """Validate the parameters (width, height, fit, format, quality; in that order) into a
    normalised Transform. `sig` is the caller's business."""
    width = _whole(params, "width", policy.max_size)
    height = _whole(params, "height", policy.max_size)
    fit = params.get("fit", "contain")
    if fit not in FITS:
        raise TransformError(400, "fit", f"fit must be one of: {', '.join(FITS)}")
    fmt = params.get("format")
    fmt = "jpeg" if fmt == "jpg" else fmt
    if fmt is not None and fmt not in REQUEST_FORMATS:
        raise TransformError(
            400, "format", f"format must be one of: {', '.join(REQUEST_FORMATS)} (or jpg)"
        )
    quality = _whole(params, "quality", 100)
    return normalise(Transform(width, height, fit, fmt, quality))  # type: ignore[arg-type]


def snap_width(t: Transform, policy: Policy) -> Transform:
    """Apply the width allowlist: the next allowed width up, or a 400 (policy.widths_mode)."""
    if not policy.widths or t.width is None or t.width in policy.widths:
        return t
    allowed = ", ".join(str(w) for w in policy.widths)
    bigger = [w for w in policy.widths if w > t.width]
    if policy.widths_mode == "reject" or not bigger:
        raise TransformError(400, "width", f"width must be one of: {allowed}")
    return normalise(replace(t, width=bigger[0]))


def parse_form(form: str, policy: Policy) -> Transform:
    """The Transform a canonical form names (the inverse of Transform.form), for a request
    that arrives by its storage key. Anything that is not exactly canonical is refused."""
    if form == ORIGINAL:
        return Transform()
    params = dict(part.partition("=")[::2] for part in form.split(","))
    legacy = params.get("format") == "legacy"
    if legacy:
        params["format"] = "auto"  # parse() would refuse `legacy` from a user
    t = parse(params, policy)
    t = replace(t, format="legacy") if legacy else t
    t = normalise(t)
    if t.form() != form or t.format == "auto" or "sig" in params:
        raise TransformError(400, "query", "not a canonical transform")
    return t


def check_image_id(image_id: str) -> None:
    if not _IMAGE_ID.fullmatch(image_id):
        raise TransformError(404, "image_id", "an image id is 32 lowercase hex characters")


def storage_key(image_id: str, resolved: Transform) -> str:
    """Where a transform's result is stored in the processed bucket (and, behind the CDN,
    its URI): inside the image's folder, so deleting the image deletes its transforms."""
    if not _IMAGE_ID.fullmatch(image_id):
        raise ValueError(f"not an image id: {image_id!r}")
    if resolved.format == "auto":
        raise ValueError("resolve format=auto before building a storage key")
    return f"{image_id}/{TRANSFORM_FOLDER}/{resolved.form()}"
