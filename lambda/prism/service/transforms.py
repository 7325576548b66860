"""Transforms by URL: made on the first request, stored, then answered from storage.

    resolve            prism.transforms: 404 / 400 / 403 before storage is touched
    stored already?    HEAD of <id>/t/<form>: yes -> answered from storage, nothing decoded
    the original       the manifest's source, or the upload while it is still pending
    render             the presets' pipeline (make_variants) with this one spec: the same
                       decode, colour, orientation, metadata stripping and flattening
    store, answer      under the canonical key, with its type and an immutable Cache-Control

One `Transforms` per process holds what concurrent requests share:
- single flight: one render per storage key at a time; the others wait for it, then read the
  stored result (or share its error) instead of rendering the same thing again;
- admission: a render holds its image's modelled memory in the budget uploads use
  (service/admission.py), waiting for room, then Overloaded (503 with Retry-After); the
  budget gives freed memory back to the OS after each image, and the last render of a burst
  does once more after its buffers are gone.

Deleted and rejected images serve nothing. A DELETE (or a rejection's cleanup) removes the
original or writes its record first and lists the image folder after, so a result stored
before it is checked is deleted by it, and one stored after it is caught by the check: the
result is stored, then the image is looked up again, and the result removed if it is gone.
A stored result is answered only while the image's manifest exists (one small HEAD), or
while it is still pending.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import partial

from prism.core.memory import release_free_memory
from prism.core.settings import Settings
from prism.core.specs import FORMATS, VariantSpec
from prism.image.geometry import ENCODER_MAX_SIDE, FORMAT_NAMES, plan
from prism.image.sniff import sniff
from prism.service.admission import MemoryBudget
from prism.service.catalog import Lookup, lookup, read_original
from prism.storage.base import Storage
from prism.storage.layout import manifest_key
from prism.storage.records import RejectionRecord
from prism.transforms.negotiate import output_format
from prism.transforms.params import (
    DEFAULT_QUALITY,
    ORIGINAL,
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
#: How long a render waits for memory before Overloaded: less than uploads' 30 s, as an <img>
#: (or the CDN, whose origin times out at 30 s) is waiting, and the render takes time too.
ADMISSION_WAIT_S = 10.0


class Abandoned(Exception):
    """The client went away before its render started: nothing was rendered or stored."""


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
    """The stored result for this request, made now if it is not stored yet (one call on its
    own: no single flight with other calls; the app uses one `Transforms`).
    Raises TransformError (400/403/404), NotAvailable (404/422), or ImageRejected when
    the original cannot be read (413/415/422)."""
    resolved = resolve(image_id, raw_query, accept, policy(settings), keys)
    return Transforms(storage, settings).find_or_make(image_id, resolved)


def find_or_make_stored(storage: Storage, settings: Settings, image_id: str, form: str) -> Answer:
    """The same, for a request that arrives already rewritten to its storage key by the CDN's
    edge function (which checked the parameters and the signature): `<id>/t/<form>`.
    Raises TransformError (400/404) for a form that is not exactly canonical."""
    return Transforms(storage, settings).find_or_make(
        image_id, resolve_stored(settings, image_id, form)
    )


def resolve_stored(
    settings: Settings,
    image_id: str,
    form: str,
    keys: Sequence[str] = (),
    query: str | None = None,
) -> Resolved:
    """A storage key's form as a request, held to the transform route's rules: TransformError
    (400/404) unless it is exactly canonical and the very key `resolve` makes of it (the
    allowlist, the bounds: a key no transform URL leads to is not made). With `keys`, 403
    unless `query` carries the signature of the form (format=legacy read as the format=auto it
    comes from), as the transform route would ask of the same transform."""
    check_image_id(image_id)
    t = parse_form(form, policy(settings))
    asked = replace(t, format="auto") if t.format == "legacy" else t
    parts = [] if asked.form() == ORIGINAL else asked.form().split(",")
    raw = "&".join([*parts, query] if query else parts) or None
    # No Accept: `auto` then negotiates to `legacy`, the only format it can stand for here.
    made = resolve(image_id, raw, None, policy(settings), keys).transform
    if made != t:
        name = next(f.name for f in fields(t) if getattr(made, f.name) != getattr(t, f.name))
        raise TransformError(
            400, name, f"{name}: this deployment makes {made.form()} of it, never {form}"
        )
    return Resolved(t, t, storage_key(image_id, t), negotiated=False)


@dataclass(slots=True)
class _Flight:
    """One render in progress; the requests for the same key wait on `done`."""

    done: threading.Event = field(default_factory=threading.Event)
    error: Exception | None = None


class Transforms:
    """Transforms for one process: the renders in flight (one per key) and the memory budget
    they share with uploads."""

    def __init__(
        self,
        storage: Storage,
        settings: Settings,
        budget: MemoryBudget | None = None,
        *,
        wait: float = ADMISSION_WAIT_S,
    ) -> None:
        self.storage = storage
        self.settings = settings
        self.budget = budget if budget is not None else MemoryBudget(settings.memory_mb)
        self.wait = wait
        self._flights: dict[str, _Flight] = {}
        self._lock = threading.Lock()

    def find_or_make(
        self, image_id: str, resolved: Resolved, wanted: Callable[[], bool] = lambda: True
    ) -> Answer:
        return self.find(image_id, resolved) or self.make(image_id, resolved, wanted)

    def find(self, image_id: str, resolved: Resolved) -> Answer | None:
        """The stored result, if there is one and its image still exists; None if not stored.
        Never decodes. Raises NotAvailable for a result whose image is gone or rejected (and
        removes it, so the bucket behind a CDN stops serving it too)."""
        stored = self.storage.head("processed", resolved.key)
        if stored is None:
            return None
        if self.storage.head("processed", manifest_key(image_id)) is None:
            # Rare: still pending, or left by a render that raced a DELETE before this fix.
            self._check_exists(image_id, lookup(self.storage, self.settings, image_id), resolved)
        content_type = _known_type(resolved.transform)
        return Answer(resolved, stored.etag, content_type, stored.size, None, made=False)

    def in_flight(self, key: str) -> bool:
        """Whether a render of `key` is under way (its result is worth waiting for)."""
        return key in self._flights

    def exists(self, image_id: str) -> bool:
        """Whether the image is processed or pending (what a transform may be made of)."""
        return lookup(self.storage, self.settings, image_id).state in ("processed", "pending")

    def make(
        self,
        image_id: str,
        resolved: Resolved,
        wanted: Callable[[], bool] = lambda: True,
        wait: float | None = None,
    ) -> Answer:
        """Render, store and answer the result; one render per key at a time. `wanted` is
        asked just before rendering: False (the client has gone) raises Abandoned. `wait`:
        what is left of the time allowed for memory (default: all of `self.wait`)."""
        while True:
            with self._lock:
                flight = self._flights.get(resolved.key)
                leading = flight is None
                if flight is None:
                    flight = self._flights[resolved.key] = _Flight()
            if leading:
                return self._lead(flight, image_id, resolved, wanted, wait)
            flight.done.wait()
            # Its own client's departure is no answer for this one: then it renders itself.
            if flight.error is not None and not isinstance(flight.error, Abandoned):
                raise flight.error
            found = self.find(image_id, resolved)
            if found is not None:
                return found
            # Stored and removed again since (a DELETE): go round, and find out why.

    def _lead(
        self,
        flight: _Flight,
        image_id: str,
        resolved: Resolved,
        wanted: Callable[[], bool],
        wait: float | None,
    ) -> Answer:
        try:
            # A render that ended between this request's miss and its flight stored it.
            found = self.find(image_id, resolved)
            return found or self._render(image_id, resolved, wanted, wait)
        except Exception as e:
            flight.error = e  # the same answer for the requests that waited
            raise
        finally:
            with self._lock:
                del self._flights[resolved.key]
                idle = not self._flights
            flight.done.set()
            if idle:
                # The end of a burst: the originals and results just dropped were freed after
                # the budget's own release, in whichever arenas their threads used.
                release_free_memory()

    def _render(
        self, image_id: str, resolved: Resolved, wanted: Callable[[], bool], wait: float | None
    ) -> Answer:
        from prism.image.header import declared_pixels  # Pillow: on the first render only

        if not wanted():
            raise Abandoned
        original = _original(self.storage, self.settings, image_id)
        pixels = declared_pixels(original, self.settings.limits)
        with self.budget.hold(pixels, self.wait if wait is None else max(0.0, wait)):
            if not wanted():  # gone while waiting for memory
                raise Abandoned
            data, content_type = render(original, resolved.transform, self.settings)
        del original
        key = resolved.key
        etag = self.storage.put("processed", key, data, content_type, cache_control=CACHE_CONTROL)
        # After the PUT: a DELETE or rejection that lists the folder later removes it itself.
        self._check_exists(image_id, lookup(self.storage, self.settings, image_id), resolved)
        return Answer(resolved, etag, content_type, len(data), data, made=True)

    def _check_exists(self, image_id: str, found: Lookup, resolved: Resolved) -> None:
        """NotAvailable, the stored result removed, unless the image is processed or pending."""
        if found.state in ("processed", "pending"):
            return
        self.storage.delete("processed", [resolved.key])
        if found.state == "rejected":
            assert isinstance(found.record, RejectionRecord)
            raise NotAvailable(422, f"image {image_id} was rejected", found.record)
        raise NotAvailable(404, f"no image with id {image_id}")


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
        header = read_header(im, settings.limits, data)
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
    check = partial(_check_result, spec=spec, t=t, settings=settings)
    if header.settled:  # refused before decoding when the header already tells the orientation
        check(header.upright_size)
    made = make_variants(
        data,
        (spec,),
        settings.limits,
        background=settings.background,
        draft_margin=DRAFT_MARGIN,
        check_upright=check,  # and again once the pixels have told it (a PNG's late eXIf)
        with_placeholder=False,  # the manifest has it; a transform is bytes only
    )
    return made.variants[0].data, spec.content_type


def _check_result(
    upright: tuple[int, int], *, spec: VariantSpec, t: Transform, settings: Settings
) -> None:
    """Refuse (400, naming the side to ask for) a result of the image of `upright` size past
    the transform side limit, the encoder's side limit or the transform pixel limit. A result
    is never fitted down silently: a client asking for width=1000 gets 1000 px or a problem
    saying what to ask for instead."""
    width, height = plan(*upright, spec).size
    result = f"the result would be {width}x{height}"
    encoder_max = ENCODER_MAX_SIDE[spec.format]
    for side, value in (("width", width), ("height", height)):
        if value > settings.transform_max_size:
            raise TransformError(
                400,
                side,
                f"{result}; a side may be at most {settings.transform_max_size} px: "
                f"ask for a {side} of {settings.transform_max_size} or less",
            )
        if value > encoder_max:
            raise TransformError(
                400,
                side,
                f"{result}; {FORMAT_NAMES[spec.format]} holds at most {encoder_max} px a "
                f"side: ask for a {side} of {encoder_max} or less, or another format",
            )
    if width * height > settings.transform_max_pixels:
        raise TransformError(
            400,
            "width" if t.width or not t.height else "height",
            f"{result} ({width * height:,} pixels); the limit is "
            f"{settings.transform_max_pixels:,}: ask for a smaller width or height",
        )
