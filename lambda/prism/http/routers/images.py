"""/images: send an image (POST), read its manifest or a variant (GET), delete it (DELETE)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from prism.core.settings import Settings
from prism.core.telemetry import Telemetry
from prism.http import dependencies as deps
from prism.http.bodies import media_type, parse_multipart, read_capped
from prism.http.problems import ProblemError, problem_responses, rejection_problem
from prism.http.schemas import ImageList, Manifest, Pending, manifest_view
from prism.service import catalog, listing
from prism.service.processing import Ingestor
from prism.storage.base import Storage, StorageError
from prism.storage.edge_cache import EdgeCache
from prism.storage.layout import ID_PATTERN
from prism.storage.records import ManifestRecord, RejectionRecord

VARIANT_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"
_IMAGE_ID = Path(pattern=ID_PATTERN, description="32 lowercase hex characters")
_VARIANT = Path(pattern=VARIANT_PATTERN, description="a variant name from the manifest")
_IMAGE_BODY = {
    "requestBody": {
        "required": True,
        "description": "the image, raw with an image/* content type, or as multipart field `file`",
        "content": {
            "image/*": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}

router = APIRouter(dependencies=[Depends(deps.require_api_key)])


def _view(record: ManifestRecord, request: Request) -> dict[str, Any]:
    cdn_url = deps.settings(request).cdn_url

    def url(variant: str) -> str:
        if cdn_url:  # behind the CDN: public, cacheable URLs (its router maps them)
            return f"{cdn_url}/images/{record.id}/{variant}"
        return str(request.url_for("get_variant", image_id=record.id, variant=variant))

    return manifest_view(record, url)


@router.post(
    "/images",
    status_code=201,
    response_model=Manifest,
    summary="Process an image sent in the request",
    openapi_extra=_IMAGE_BODY,
    responses=problem_responses(
        400,
        413,
        415,
        422,
        503,
        s400="empty body, or a multipart form without a `file` field",
        s413="the body is larger than a request may be (use POST /uploads), or the image "
        "exceeds a limit",
        s415="the content type is not image/* or multipart/form-data, or the bytes are "
        "not a supported image format",
        s422="the image is corrupt or truncated",
        s503="storage is temporarily unavailable; retry",
    ),
)
async def create_image(
    request: Request,
    settings: Settings = Depends(deps.settings),  # noqa: B008
    ingestor: Ingestor = Depends(deps.ingestor),  # noqa: B008
    telemetry: Telemetry = Depends(deps.telemetry),  # noqa: B008
) -> JSONResponse:
    content_type = media_type(request)
    is_form = content_type == "multipart/form-data"
    if not is_form and not content_type.startswith("image/"):
        raise ProblemError(
            415,
            f"send the image raw with an image/* content type or as multipart/form-data "
            f"field 'file', not {request.headers.get('content-type') or 'no content type'!r}",
            code="unsupported_media_type",
        )
    body = await read_capped(
        request,
        settings.max_request_bytes,
        f"the request is larger than {settings.max_request_bytes} bytes, the most a "
        "function URL request can carry; ask POST /uploads for an upload form and send "
        "the file straight to storage",
    )
    if is_form:
        upload = (await parse_multipart(request, body)).get("file")
        if not isinstance(upload, UploadFile):
            raise ProblemError(400, "the form has no file field named 'file'", code="bad_form")
        body = await upload.read()
        content_type = (upload.content_type or "application/octet-stream").lower()
    if not body:
        raise ProblemError(400, "the image is empty", code="empty_body")
    outcome = await run_in_threadpool(ingestor.ingest, body, content_type)
    telemetry.flush()
    if isinstance(outcome.record, RejectionRecord):
        status = outcome.error.status if outcome.error else 422
        raise rejection_problem(outcome.record, status)
    assert isinstance(outcome.record, ManifestRecord)
    location = str(request.url_for("get_image", image_id=outcome.image_id))
    return JSONResponse(
        _view(outcome.record, request), status_code=201, headers={"Location": location}
    )


@router.get(
    "/images",
    response_model=ImageList,
    summary="Processed images, newest first, a page at a time",
    responses=problem_responses(
        400,
        422,
        503,
        s400="the cursor is not one this listing handed out",
        s422="limit is not a number from 1 to 100",
    ),
)
def list_images(
    request: Request,
    cursor: str | None = Query(
        None, description="`next_cursor` of the previous page; leave out for the first page"
    ),
    limit: int = Query(
        24, ge=1, le=100, description="at most this many images; a page may hold fewer"
    ),
    storage: Storage = Depends(deps.storage),  # noqa: B008
) -> ImageList:
    # One storage listing call per page, resuming after the previous page, then the
    # manifests of the images it lists (service.listing says why the order is newest first).
    try:
        page = listing.list_images(storage, cursor, limit)
    except listing.BadCursor as exc:
        raise ProblemError(400, str(exc), code="bad_cursor") from None
    items = [Manifest.model_validate(_view(record, request)) for record in page.images]
    return ImageList(items=items, next_cursor=page.next_cursor)


@router.get(
    "/images/{image_id}",
    response_model=Manifest,
    summary="The manifest of an image",
    responses={
        202: {"model": Pending, "description": "uploaded, not processed yet"},
        **problem_responses(
            404,
            422,
            503,
            s404="no image with this id",
            s422="the image was rejected (reason in the body), or the id is malformed",
        ),
    },
)
def get_image(
    request: Request,
    image_id: str = _IMAGE_ID,
    storage: Storage = Depends(deps.storage),  # noqa: B008
    settings: Settings = Depends(deps.settings),  # noqa: B008
) -> Any:
    found = catalog.lookup(storage, settings, image_id)
    if isinstance(found.record, ManifestRecord):
        return _view(found.record, request)
    if isinstance(found.record, RejectionRecord):
        raise rejection_problem(found.record)
    if found.state == "pending":
        return JSONResponse(Pending(id=image_id).model_dump(), status_code=202)
    raise ProblemError(404, f"no image with id {image_id}", code="not_found")


@router.get(
    "/images/{image_id}/{variant}",
    summary="One variant's bytes (a redirect to a short-lived URL on AWS)",
    response_class=Response,
    responses={
        200: {
            "description": "the variant's bytes (local storage)",
            "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}},
        },
        302: {"description": "redirect to a short-lived presigned URL (S3 storage)"},
        **problem_responses(
            404,
            422,
            503,
            s404="no such image, or no such variant of it",
            s422="the id or variant name is malformed",
        ),
    },
)
def get_variant(
    image_id: str = _IMAGE_ID,
    variant: str = _VARIANT,
    storage: Storage = Depends(deps.storage),  # noqa: B008
    settings: Settings = Depends(deps.settings),  # noqa: B008
) -> Any:
    # (No docstring: FastAPI would publish it in the OpenAPI description.) The manifest
    # names the variant's key; S3 answers with a redirect, local storage with the bytes.
    found = catalog.lookup(storage, settings, image_id)
    if not isinstance(found.record, ManifestRecord):
        detail = {
            "rejected": f"image {image_id} was rejected and has no variants",
            "pending": f"image {image_id} is not processed yet",
        }.get(found.state, f"no image with id {image_id}")
        raise ProblemError(404, detail, code="not_found")
    entry = found.record.variant(variant)
    if entry is None:
        names = ", ".join(v.name for v in found.record.variants)
        detail = f"image {image_id} has no variant {variant!r}; it has {names}"
        raise ProblemError(404, detail, code="not_found")
    url = storage.download_url(
        "processed", entry.key, settings.download_url_ttl, entry.content_type
    )
    if url is not None:
        return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})
    data = storage.get("processed", entry.key)
    if data is None:
        raise ProblemError(404, f"variant {variant!r} of {image_id} is gone", code="not_found")
    # Variants change only with their image: a browser may keep one as long as a presigned
    # URL would live on AWS. nosniff: the bytes are exactly the type named, never a page.
    headers = {
        "Cache-Control": f"private, max-age={settings.download_url_ttl}",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(data, media_type=entry.content_type, headers=headers)


@router.delete(
    "/images/{image_id}",
    status_code=204,
    response_class=Response,
    summary="Delete the original, variants, transforms, manifest and rejection record (and"
    " forget them at the CDN)",
    responses=problem_responses(
        404, 422, 503, s404="no image with this id", s422="the id is malformed"
    ),
)
def delete_image(
    image_id: str = _IMAGE_ID,
    storage: Storage = Depends(deps.storage),  # noqa: B008
    settings: Settings = Depends(deps.settings),  # noqa: B008
    edge_cache: EdgeCache = Depends(deps.edge_cache),  # noqa: B008
) -> Response:
    if not catalog.delete_image(storage, settings, image_id):
        raise ProblemError(404, f"no image with id {image_id}", code="not_found")
    # After the objects are gone, so an edge cannot fetch them again once invalidated.
    try:
        edge_cache.forget_image(image_id)
    except StorageError as exc:
        # The image is gone, so a retried DELETE would only say 404: tell what is left.
        raise ProblemError(
            503,
            f"image {image_id} was deleted, but the CDN could not be told to forget it "
            f"({exc}); cached copies last until they expire unless /{image_id}/* and "
            f"/images/{image_id}/* are invalidated",
            code="cdn_invalidation_failed",
        ) from None
    return Response(status_code=204)
