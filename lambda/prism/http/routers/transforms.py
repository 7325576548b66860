"""GET /images/{image_id}/transform: any allowed size and format, made once, then stored.

The rules (parameters, canonical form, `format=auto`, signatures) are prism.transforms'; the
work is prism.service.transforms'. This router turns their answers into HTTP: a redirect to
storage or the bytes, with ETag, Vary and Cache-Control, and every refusal as problem+json.

The routes are async so that only the render leaves the event loop for the transforms' own
threads (Services.render_threads); the storage reads around it take anyio's shared ones
briefly, like any sync route. A render is not started for a client that has hung up.
"""

from __future__ import annotations

import time
from typing import Any

import anyio
from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from prism.core.errors import ImageRejected
from prism.http import dependencies as deps
from prism.http.api_keys import ApiKeyError
from prism.http.dependencies import Services
from prism.http.problems import (
    ProblemError,
    problem_responses,
    rejection_problem,
    signing_keys_unavailable,
)
from prism.service.admission import Overloaded
from prism.service.transforms import (
    CACHE_CONTROL,
    Abandoned,
    Answer,
    NotAvailable,
    policy,
    read_stored,
)
from prism.transforms.params import DEFAULT_QUALITY, TransformError
from prism.transforms.request import Resolved, resolve

#: Largest answer sent as bytes under `PRISM_TRANSFORM_DELIVERY=bytes`: a function URL
#: buffers at most 6 MB, and binary bodies travel base64-encoded (4/3 larger).
BYTES_LIMIT = 4_000_000
CODES = {400: "invalid_transform", 403: "invalid_signature", 404: "not_found"}
#: Answered to a client that hung up before its render (nginx's "client closed request"):
#: nobody receives it; the access log says what happened.
CLIENT_GONE = 499
#: How often a request waiting for another's render of the same result looks again.
FLIGHT_POLL_S = 0.05

_Q = ", ".join(f"{f} {q}" for f, q in DEFAULT_QUALITY.items() if f != "legacy")
_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }
    for name, schema, description in (
        (
            "width",
            {"type": "integer", "minimum": 1},
            "Largest width in pixels, 1 to the "
            "deployment's maximum (PRISM_TRANSFORM_MAX_SIZE, default 4096); with an allowlist "
            "(PRISM_TRANSFORM_WIDTHS) another width becomes the next allowed one up, or a 400.",
        ),
        ("height", {"type": "integer", "minimum": 1}, "Largest height in pixels, same bounds."),
        (
            "fit",
            {"type": "string", "enum": ["contain", "cover"], "default": "contain"},
            "`contain`: fit inside width x height; `cover`: fill it, centre-cropped. Never "
            "upscales.",
        ),
        (
            "format",
            {"type": "string", "enum": ["auto", "avif", "jpeg", "jpg", "png", "webp"]},
            "Output format; default: the original's (JPEG or PNG for formats browsers do not "
            "show). `auto`: AVIF if Accept lists image/avif, else WebP if it lists image/webp, "
            "else JPEG (PNG for images with alpha); such answers carry `Vary: Accept`.",
        ),
        (
            "quality",
            {"type": "integer", "minimum": 1, "maximum": 100},
            f"Encoder quality; default per format: {_Q}. Ignored for PNG.",
        ),
        (
            "sig",
            {"type": "string"},
            "Signature of the canonical form, required when the "
            "deployment signs transform URLs (see `prism sign-url`).",
        ),
    )
]

router = APIRouter(dependencies=[Depends(deps.require_api_key_unless_signed)])


@router.get(
    "/images/{image_id}/transform",
    name="transform_image",
    summary="The image at any allowed size and format, made on the first request",
    description=(
        "Parameters are normalised into one canonical form, so every spelling of a transform "
        "shares one stored result. The first request renders it through the same pipeline as "
        "the variants and stores it; later ones never decode. Unknown, repeated or malformed "
        "parameters answer 400 naming the parameter (`param` in the problem)."
    ),
    response_class=Response,
    openapi_extra={"parameters": _PARAMETERS},
    responses={
        200: {
            "description": "the bytes (local storage, or PRISM_TRANSFORM_DELIVERY=bytes)",
            "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}},
        },
        302: {"description": "redirect to a short-lived presigned URL (S3 storage)"},
        304: {"description": "not modified (If-None-Match matched the ETag)"},
        **problem_responses(
            400,
            403,
            404,
            422,
            503,
            s400="a parameter is unknown, repeated, malformed or out of range (named in "
            "`param`), or the result would have too many pixels",
            s403="the URL must be signed and its `sig` is missing or wrong",
            s404="no image with this id",
            s422="the image was rejected, or its original cannot be read (reason in the body)",
        ),
    },
)
async def transform_image(
    request: Request,
    image_id: str = Path(description="32 lowercase hex characters"),
    svc: Services = Depends(deps.services),  # noqa: B008
) -> Response:
    accept = ",".join(request.headers.getlist("accept")) or None
    started = time.perf_counter()
    tags = _tags(request.headers.get("if-none-match"))
    try:
        keys = await run_in_threadpool(svc.signing.keys)  # may read the secret
        resolved = resolve(image_id, request.url.query or None, accept, policy(svc.settings), keys)
        answer = await run_in_threadpool(svc.transforms.find, image_id, resolved)
        # RFC 9110 13.1.2: "*" is false when a current representation exists, and for GET
        # the answer is then 304. An image that exists has one, rendered or not: nothing is
        # rendered to say so (hence no ETag: it is not known yet). Otherwise the request
        # goes on as if the field were absent (a 404 or 422).
        if (
            answer is None
            and "*" in tags
            and await run_in_threadpool(svc.transforms.exists, image_id)
        ):
            return Response(status_code=304, headers=_vary(resolved))
        if answer is None:
            answer = await made(request, svc, image_id, resolved)
    except Abandoned:
        return Response(status_code=CLIENT_GONE)
    except Exception as e:
        raise transform_problem(e) from None

    if answer.made:
        svc.telemetry.logger.info(
            "transform made",
            extra={
                "image_id": image_id,
                "key": answer.key,
                "bytes_out": answer.size,
                "total_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
    headers = _vary(answer.resolved)
    if svc.settings.transform_delivery == "redirect" or answer.size > BYTES_LIMIT:
        ttl = svc.settings.download_url_ttl
        url = svc.storage.download_url("processed", answer.key, ttl, answer.content_type)
        if url is not None:
            return RedirectResponse(
                url, status_code=302, headers=headers | {"Cache-Control": "no-store"}
            )
    etag = f'"{answer.etag}"'
    headers |= {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if {etag, "*"} & tags:
        return Response(status_code=304, headers=headers)
    stored = await run_in_threadpool(read_stored, svc.storage, answer)
    if stored is None:  # deleted between the HEAD and the GET
        raise ProblemError(404, f"no image with id {image_id}", code="not_found")
    data, content_type = stored
    return Response(data, media_type=content_type, headers=headers)


async def made(request: Request, svc: Services, image_id: str, resolved: Resolved) -> Answer:
    """The result rendered (or waited for) on the transforms' own threads; Abandoned when the
    client hangs up before its render starts."""

    def wanted() -> bool:  # on a render thread: asks the event loop
        return not anyio.from_thread.run(request.is_disconnected)

    # The same result being rendered: wait for it off any thread, then read it (a herd
    # takes no render slot). make() is the single flight all the same, should this miss.
    polled = False
    while svc.transforms.in_flight(resolved.key):
        polled = True
        await anyio.sleep(FLIGHT_POLL_S)
    if polled and (found := await run_in_threadpool(svc.transforms.find, image_id, resolved)):
        return found
    # One wait in all, for a render slot and then for memory: a flood queues here, bounded
    # like an upload's, instead of for as long as the renders before it take.
    wait = svc.transforms.wait
    started = time.monotonic()
    with anyio.move_on_after(wait) as waited:
        await svc.render_slots.acquire()
    if waited.cancelled_caught:
        raise Overloaded.after(wait)
    try:
        left = wait - (time.monotonic() - started)
        return await anyio.to_thread.run_sync(
            svc.transforms.make, image_id, resolved, wanted, left, limiter=svc.render_threads
        )
    finally:
        svc.render_slots.release()


def transform_problem(e: Exception) -> Exception:
    """What a transform's failure answers (shared with the CDN's miss route); anything not a
    transform's own error is passed on to the app's handlers (503 Overloaded, storage...)."""
    if isinstance(e, TransformError):
        return ProblemError(e.status, e.detail, code=CODES[e.status], param=e.param)
    if isinstance(e, NotAvailable):
        if e.rejection is not None:
            return rejection_problem(e.rejection)
        return ProblemError(404, e.detail, code="not_found")
    if isinstance(e, ImageRejected):
        # An original still pending that turns out unreadable: 422 like a rejected image.
        return ProblemError(
            422,
            f"the image cannot be transformed: {e.detail}",
            code=e.reason,
            reason=e.reason,
            detected_format=e.detected_format,
        )
    if isinstance(e, ApiKeyError):
        return signing_keys_unavailable(e.retry_after)
    return e


def _vary(resolved: Resolved) -> dict[str, str]:
    return {"Vary": "Accept"} if resolved.negotiated else {}


def _tags(header: str | None) -> set[str]:
    return {t.strip().removeprefix("W/") for t in (header or "").split(",") if t.strip()}
