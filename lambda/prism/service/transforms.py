"""Transforms by URL: made on the first request, stored, then answered from storage.

    resolve            prism.transforms: 404 / 400 / 403 before storage is touched
    stored already?    HEAD of <id>/t/<form>: yes -> answered from storage, nothing decoded
    the original       the manifest's source, or the upload while it is still pending
    render             the presets' pipeline (make_variants) with this one spec: the same
                       decode, colour, orientation, metadata stripping and flattening
    store, answer      under the canonical key, with its type and an immutable Cache-Control

Concurrent first requests may both render; the encoders are deterministic and a PUT is
atomic, so the stored object is whole and the same either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from prism.core.settings import Settings
from prism.core.specs import FORMATS, VariantSpec
from prism.image.geometry import plan
from prism.image.sniff import sniff
from prism.service.catalog import read_original
from prism.storage.base import Storage
from prism.storage.records import RejectionRecord
from prism.transforms.negotiate import output_format
from prism.transforms.params import (
    DEFAULT_QUALITY,
    Policy,
    Transform,
    TransformError,
    check_image_id,
    parse_form,
    storage_key,
)
from prism.transforms.request import Resolved, resolve

#: Stored results never change under their key (the key is the transform), so caches may
#: keep them for a year without asking again.
CACHE_CONTROL = "public, max-age=31536000, immutable"
#: Formats a browser shows, kept when no format is asked for; others follow `legacy`.
_WEB_FAMILY = {"JPEG": "jpeg", "MPO": "jpeg", "PNG": "png", "WEBP": "webp", "AVIF": "avif"}
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
#: One output per request: decode a JPEG down to just above it (Pillow's draft keeps at least
#: the size asked), as libvips' shrink-on-load does in sharp by default. Measured on 8-14 MP
#: camera JPEGs to 400-1600 px: SSIM against a full-resolution Lanczos reference drops by
#: 0.0005-0.0045, while decode + resize take a half to a third of the time at the presets' 2.
DRAFT_MARGIN = 1.0
_SNIFFED = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "AVIF": "image/avif"}


class NotAvailable(Exception):
    """No result can be made: 404 (no such image) or 422 (its upload was rejected)."""

    def __init__(self, status: int, detail: str, rejection: RejectionRecord | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.rejection = rejection


@dataclass(frozen=True, slots=True)
class Answer:
    resolved: Resolved
    etag: str
    #: None when the stored object's own type applies (legacy/original formats, cached).
    content_type: str | None
    size: int
    #: The bytes, when made by this request.
    data: bytes | None
    made: bool

    @property
    def key(self) -> str:
        return self.resolved.key


def policy(settings: Settings) -> Policy:
    return Policy(
        max_size=settings.transform_max_size,
        widths=settings.transform_widths,
        widths_mode=settings.transform_widths_mode,
    )


def find_or_make(
    storage: Storage,
    settings: Settings,
    keys: Sequence[str],
    image_id: str,
    raw_query: str | None,
    accept: str | None,
) -> Answer:
    """The stored result for this request, made now if it is not stored yet.
    Raises TransformError (400/403/404), NotAvailable (404/422), or ImageRejected when
    the original cannot be read (413/415/422)."""
    resolved = resolve(image_id, raw_query, accept, policy(settings), keys)
    return _find_or_make(storage, settings, image_id, resolved)


def find_or_make_stored(storage: Storage, settings: Settings, image_id: str, form: str) -> Answer:
    """The same, for a request that arrives already rewritten to its storage key by the CDN's
    edge function (which checked the parameters and the signature): `<id>/t/<form>`.
    Raises TransformError (400/404) for a form that is not exactly canonical."""
    check_image_id(image_id)
    t = parse_form(form, policy(settings))
    resolved = Resolved(t, t, storage_key(image_id, t), negotiated=False)
    return _find_or_make(storage, settings, image_id, resolved)


def _find_or_make(
    storage: Storage, settings: Settings, image_id: str, resolved: Resolved
) -> Answer:
    stored = storage.head("processed", resolved.key)
    if stored is not None:
        content_type = _known_type(resolved.transform)
        return Answer(resolved, stored.etag, content_type, stored.size, None, made=False)
    data, content_type = render(
        _original(storage, settings, image_id), resolved.transform, settings
    )
    etag = storage.put("processed", resolved.key, data, content_type, cache_control=CACHE_CONTROL)
    return Answer(resolved, etag, content_type, len(data), data, made=True)


def read_stored(storage: Storage, answer: Answer) -> tuple[bytes, str] | None:
    """A stored answer's bytes and type (the type sniffed when the key does not say)."""
    data = answer.data if answer.data is not None else storage.get("processed", answer.key)
    if data is None:
        return None
    return data, answer.content_type or _SNIFFED.get(sniff(data) or "", "image/jpeg")


def _known_type(t: Transform) -> str | None:
    return FORMATS[t.format][1] if t.format in FORMATS else None


def _original(storage: Storage, settings: Settings, image_id: str) -> bytes:
    found, data = read_original(storage, settings, image_id)
    if found.state == "rejected":
        assert isinstance(found.record, RejectionRecord)
        raise NotAvailable(422, f"image {image_id} was rejected", found.record)
    if found.state == "unknown":
        raise NotAvailable(404, f"no image with id {image_id}")
    if data is None:
        raise NotAvailable(404, f"the original of image {image_id} is gone")
    return data


def render(data: bytes, t: Transform, settings: Settings) -> tuple[bytes, str]:
    """Encode one transform of `data` through the presets' pipeline; never upscales."""
    # Imported here: Pillow & co. load on the first render, not at the app's start-up.
    from prism.image.header import open_image, read_header
    from prism.image.pipeline import make_variants

    with open_image(data, settings.limits) as im:  # header only: limits, format, alpha
        header = read_header(im, settings.limits)
        alpha = im.mode in _ALPHA_MODES or "transparency" in im.info
    family = _WEB_FAMILY.get(header.format) or ("png" if alpha else "jpeg")
    fmt = output_format(t.format, family, alpha)
    spec = VariantSpec(
        name="transform",
        format=fmt,  # type: ignore[arg-type]  # one of FORMATS
        quality=t.quality or DEFAULT_QUALITY.get(fmt, 85),
        width=t.width,
        height=t.height,
        fit=t.fit,
    )
    width, height = plan(*header.upright_size, spec).size
    if width * height > settings.transform_max_pixels:
        raise TransformError(
            400,
            "width" if t.width or not t.height else "height",
            f"the result would be {width}x{height} ({width * height:,} pixels); the limit is "
            f"{settings.transform_max_pixels:,}: ask for a smaller width or height",
        )
    made = make_variants(
        data,
        (spec,),
        settings.limits,
        background=settings.background,
        draft_margin=DRAFT_MARGIN,
        with_placeholder=False,  # the manifest has it; a transform is bytes only
    )
    return made.variants[0].data, spec.content_type
