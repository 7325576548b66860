"""Variant specs: what to make from each upload. Data in (dicts / JSON / the compact text form),
frozen dataclasses out."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from prism.core.errors import InvalidSpec

Format = Literal["jpeg", "webp", "png", "avif"]
Fit = Literal["contain", "cover"]

FORMATS: dict[str, tuple[str, str]] = {
    # format -> (file extension, content type)
    "jpeg": ("jpg", "image/jpeg"),
    "webp": ("webp", "image/webp"),
    "png": ("png", "image/png"),
    "avif": ("avif", "image/avif"),
}
#: Formats that can carry alpha; a variant in any other format is flattened onto the background.
FORMATS_WITH_ALPHA = frozenset({"png", "webp", "avif"})
# Names end up in storage keys and URLs, so they are kept to a safe alphabet.
RESERVED_NAMES = frozenset({"transform"})
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_MAX_SIDE = 16384
_FIELDS = {
    "name",
    "format",
    "quality",
    "width",
    "height",
    "fit",
    "progressive",
    "compress_level",
    "lossless",
    "effort",
}


@dataclass(frozen=True, slots=True)
class VariantSpec:
    """One output. `width`/`height` bound the size (never upscaled); None means unbounded."""

    name: str
    format: Format
    quality: int = 85
    width: int | None = None
    height: int | None = None
    fit: Fit = "contain"
    progressive: bool = False
    compress_level: int = 6
    lossless: bool = False
    #: WebP method / AVIF speed trade-off, 0 (fastest) to 6 (smallest). 4 is libwebp's and
    #: sharp's default; for AVIF it means Pillow's default speed 6 (speed = 10 - effort).
    effort: int = 4

    @property
    def extension(self) -> str:
        return FORMATS[self.format][0]

    @property
    def content_type(self) -> str:
        return FORMATS[self.format][1]

    @property
    def keeps_alpha(self) -> bool:
        return self.format in FORMATS_WITH_ALPHA

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


DEFAULT_SPECS: tuple[VariantSpec, ...] = (
    VariantSpec(name="jpeg85", format="jpeg", quality=85),
    VariantSpec(name="jpeg60", format="jpeg", quality=60),
    VariantSpec(name="webp", format="webp", quality=80),
    VariantSpec(name="png", format="png"),
    VariantSpec(name="thumb", format="jpeg", quality=85, width=300, height=300, fit="contain"),
)


def _int(raw: Mapping[str, Any], key: str, default: int | None, lo: int, hi: int) -> int | None:
    value = raw.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidSpec(f"{key} must be an integer, got {value!r}")
    if not lo <= value <= hi:
        raise InvalidSpec(f"{key} must be between {lo} and {hi}, got {value}")
    return value


def _bool(raw: Mapping[str, Any], key: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise InvalidSpec(f"{key} must be true or false, got {value!r}")
    return value


def parse_spec(raw: Any) -> VariantSpec:
    """Validate one spec dict. Errors name the variant and the field."""
    if not isinstance(raw, Mapping):
        raise InvalidSpec(f"a variant spec must be an object, got {type(raw).__name__}")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidSpec(
            f"variant name {name!r} must be 1-32 characters of a-z, 0-9, '_' or '-', "
            "starting with a letter or digit"
        )
    if name in RESERVED_NAMES:
        # GET /images/{id}/transform is the transform route, not a variant.
        raise InvalidSpec(f"variant name {name!r} is reserved")
    try:
        unknown = sorted(set(raw) - _FIELDS)
        if unknown:
            raise InvalidSpec(f"unknown field(s) {', '.join(unknown)}")
        fmt = raw.get("format")
        if fmt not in FORMATS:
            raise InvalidSpec(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        fit = raw.get("fit", "contain")
        if fit not in ("contain", "cover"):
            raise InvalidSpec(f"fit must be 'contain' or 'cover', got {fit!r}")
        width = _int(raw, "width", None, 1, _MAX_SIDE)
        height = _int(raw, "height", None, 1, _MAX_SIDE)
        if fit == "cover" and (width is None or height is None):
            raise InvalidSpec("fit 'cover' needs both width and height")
        return VariantSpec(
            name=name,
            format=fmt,
            quality=_int(raw, "quality", 85, 1, 100) or 85,
            width=width,
            height=height,
            fit=fit,
            progressive=_bool(raw, "progressive"),
            compress_level=_int(raw, "compress_level", 6, 0, 9) or 0,
            lossless=_bool(raw, "lossless"),
            effort=_int(raw, "effort", 4, 0, 6) or 0,
        )
    except InvalidSpec as exc:
        raise InvalidSpec(f"variant {name!r}: {exc}") from None


def parse_specs(raw: Iterable[Any] | str) -> tuple[VariantSpec, ...]:
    """Validate a list of spec dicts (or its JSON text) into specs with unique names."""
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InvalidSpec(f"variant specs are not valid JSON: {exc}") from None
    if not isinstance(raw, list) or not raw:
        raise InvalidSpec("variant specs must be a non-empty list of objects")
    specs = tuple(parse_spec(item) for item in raw)
    names = [s.name for s in specs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidSpec(f"duplicate variant name(s): {', '.join(duplicates)}")
    return specs


#: The compact text form: `name:format[:field=value...]` per spec, specs joined by `;`, e.g.
#: `jpeg60:jpeg:quality=60;thumb:jpeg:width=300:height=300`. None of `;:=` can occur in a
#: name, format or value, and it has no quotes: a JSON list in a Lambda variable costs two
#: bytes per quote, as Lambda measures its 4 KB of variables as one JSON object.
_SPEC_SEPARATOR = ";"
_PART_SEPARATOR = ":"
_INT_FIELDS = frozenset({"quality", "width", "height", "compress_level", "effort"})
_BOOL_FIELDS = frozenset({"progressive", "lossless"})


def specs_text(specs: Iterable[VariantSpec]) -> str:
    """The compact text form, naming only the fields away from their defaults."""
    return _SPEC_SEPARATOR.join(_spec_text(spec) for spec in specs)


def _spec_text(spec: VariantSpec) -> str:
    parts = [spec.name, spec.format]
    for f in fields(VariantSpec)[2:]:  # after name and format, each with its default
        value = getattr(spec, f.name)
        if value == f.default:
            continue
        parts.append(f"{f.name}={str(value).lower() if isinstance(value, bool) else value}")
    return _PART_SEPARATOR.join(parts)


def parse_specs_text(text: str) -> tuple[VariantSpec, ...]:
    """A JSON list of spec objects, or the compact text form (`specs_text`)."""
    if text.lstrip()[:1] in ("[", "{"):
        return parse_specs(text)
    items = [item.strip() for item in text.split(_SPEC_SEPARATOR)]
    return parse_specs([_spec_object(item) for item in items if item])


def _spec_object(item: str) -> dict[str, Any]:
    """One `name:format[:field=value...]` as the object parse_spec validates."""
    name, _, rest = item.partition(_PART_SEPARATOR)
    fmt, _, rest = rest.partition(_PART_SEPARATOR)
    name = name.strip()
    raw: dict[str, Any] = {"name": name, "format": fmt.strip()}
    for part in rest.split(_PART_SEPARATOR) if rest else ():
        key, equals, value = (p.strip() for p in part.partition("="))
        if not equals:
            raise InvalidSpec(f"variant {name!r}: {part.strip()!r} is not field=value")
        if key in raw:
            raise InvalidSpec(f"variant {name!r}: {key} is given twice")
        raw[key] = _value(key, value)
    return raw


def _value(key: str, text: str) -> Any:
    """The text as the type the field takes; anything else stays text for parse_spec to name."""
    if key in _INT_FIELDS and re.fullmatch(r"[0-9]{1,9}", text):
        return int(text)
    if key in _BOOL_FIELDS and text in ("true", "false"):
        return text == "true"
    return text
