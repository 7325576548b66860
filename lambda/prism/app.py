"""The HTTP app: one FastAPI application for Lambda (behind the Lambda Web Adapter) and for
`prism serve`. Build it with `create_app()`; uvicorn runs `--factory prism.app:create_app`.

Nothing happens at import time; settings are read and storage opened in `create_app`.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Path, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from prism import __version__, api_keys, catalog, problems
from prism.events import MalformedEvent, select_uploads
from prism.keys import ID_PATTERN, new_image_id, upload_key
from prism.observability import Telemetry
from prism.passthrough import is_pass_through
from prism.problems import ProblemError, problem_responses
from prism.processing import Outcome, Processor
from prism.request_bodies import parse_multipart, read_capped
from prism.schemas import EventRejection, EventResult, Health, Manifest, Pending, UploadTicket
from prism.settings import RETRY_STATUS, Settings, load_settings
from prism.storage import Storage, StorageError, open_storage
from prism.storage_local import LocalStorage

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
_EVENT_BODY = {
    "requestBody": {
        "required": True,
        "description": "an S3 notification event, or an S3 Batch Operations invocation "
        "(schema 2.0), exactly as AWS sends it",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


def create_app(settings: Settings | None = None, *, storage: Storage | None = None) -> FastAPI:
    settings = settings if settings is not None else load_settings()
    storage = storage if storage is not None else open_storage(settings)
    telemetry = Telemetry(settings.log_level)
    processor = Processor(storage, settings, telemetry)
    local = isinstance(storage, LocalStorage)

    app = FastAPI(
        title="Prism",
        version=__version__,
        summary="Upload an image; get web-ready variants.",
        description=(
            "Errors are `application/problem+json` (RFC 9457). Images up to "
            f"{settings.max_request_bytes} bytes can be sent to `POST /images`; larger ones "
            "go straight to storage with the form from `POST /uploads`."
        ),
    )
    problems.install(app)
    if settings.api_keys_secret_arn:  # a public function URL: callers need a key
        api_keys.install(app, settings)
    app.state.settings = settings
    app.state.storage = storage

    def present(manifest: dict[str, Any], request: Request) -> dict[str, Any]:
        """A stored manifest as the API shows it: variant URLs instead of storage keys."""
        image_id = manifest["id"]
        variants = [
            {k: v for k, v in variant.items() if k != "key"}
            | {"url": str(request.url_for("get_variant", image_id=image_id, variant=v_name))}
            for variant in manifest["variants"]
            for v_name in [variant["name"]]
        ]
        return Manifest.model_validate(manifest | {"variants": variants}).model_dump()

    def rejected_problem(outcome: Outcome | None, record: dict[str, Any]) -> ProblemError:
        status = outcome.error.status if outcome and outcome.error else 422
        return ProblemError(
            status,
            f"the image was rejected: {record.get('detail')}",
            code=record.get("reason"),
            image_id=record.get("id"),
            reason=record.get("reason"),
            detected_format=record.get("detected_format"),
        )

    @app.get("/healthz", response_model=Health, summary="Liveness (the adapter's readiness check)")
    def healthz() -> Health:
        return Health()

    @app.post(
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
    async def create_image(request: Request) -> JSONResponse:
        content_type = request.headers.get("content-type", "")
        is_form = content_type.startswith("multipart/form-data")
        if not is_form and not content_type.startswith("image/"):
            raise ProblemError(
                415,
                f"send the image raw with an image/* content type or as multipart/form-data "
                f"field 'file', not {content_type or 'no content type'!r}",
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
            content_type = upload.content_type or "application/octet-stream"
        if not body:
            raise ProblemError(400, "the image is empty", code="empty_body")
        outcome = await run_in_threadpool(processor.ingest, body, content_type)
        telemetry.flush()
        if outcome.status == "rejected":
            assert outcome.record is not None
            raise rejected_problem(outcome, outcome.record)
        assert outcome.record is not None
        location = str(request.url_for("get_image", image_id=outcome.image_id))
        return JSONResponse(
            present(outcome.record, request), status_code=201, headers={"Location": location}
        )

    @app.post(
        "/uploads",
        response_model=UploadTicket,
        summary="Get a presigned form to upload an image straight to storage",
    )
    def create_upload(request: Request) -> UploadTicket:
        image_id = new_image_id()
        form = storage.upload_form(
            upload_key(settings.uploads_prefix, image_id),
            settings.upload_url_ttl,
            settings.limits.max_input_bytes,
        )
        # Local storage hands out a path on this very server.
        url = str(request.base_url).rstrip("/") + form.url if form.url.startswith("/") else form.url
        return UploadTicket(
            id=image_id,
            url=url,
            fields=form.fields,
            max_bytes=settings.limits.max_input_bytes,
            expires_in=settings.upload_url_ttl,
            status_url=str(request.url_for("get_image", image_id=image_id)),
        )

    @app.get(
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
    def get_image(request: Request, image_id: str = _IMAGE_ID) -> Any:
        found = catalog.lookup(storage, settings, image_id)
        if found.state == "processed":
            assert found.record is not None
            return present(found.record, request)
        if found.state == "rejected":
            assert found.record is not None
            raise rejected_problem(None, found.record)
        if found.state == "pending":
            return JSONResponse(Pending(id=image_id).model_dump(), status_code=202)
        raise ProblemError(404, f"no image with id {image_id}", code="not_found")

    @app.get(
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
    def get_variant(request: Request, image_id: str = _IMAGE_ID, variant: str = _VARIANT) -> Any:
        found = catalog.lookup(storage, settings, image_id)
        if found.state != "processed" or found.record is None:
            detail = {
                "rejected": f"image {image_id} was rejected and has no variants",
                "pending": f"image {image_id} is not processed yet",
            }.get(found.state, f"no image with id {image_id}")
            raise ProblemError(404, detail, code="not_found")
        entry = next((v for v in found.record["variants"] if v["name"] == variant), None)
        if entry is None:
            names = ", ".join(v["name"] for v in found.record["variants"])
            detail = f"image {image_id} has no variant {variant!r}; it has {names}"
            raise ProblemError(404, detail, code="not_found")
        url = storage.download_url(
            "processed", entry["key"], settings.download_url_ttl, entry["content_type"]
        )
        if url is not None:
            return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})
        data = storage.get("processed", entry["key"])
        if data is None:
            raise ProblemError(404, f"variant {variant!r} of {image_id} is gone", code="not_found")
        return Response(data, media_type=entry["content_type"])

    @app.delete(
        "/images/{image_id}",
        status_code=204,
        response_class=Response,
        summary="Delete the original, variants, manifest and rejection record",
        responses=problem_responses(
            404, 422, 503, s404="no image with this id", s422="the id is malformed"
        ),
    )
    def delete_image(image_id: str = _IMAGE_ID) -> Response:
        if not catalog.delete_image(storage, settings, image_id):
            raise ProblemError(404, f"no image with id {image_id}", code="not_found")
        return Response(status_code=204)

    @app.post(
        settings.events_path,
        response_model=EventResult,
        summary="S3 notifications, delivered by the Lambda Web Adapter (not for HTTP callers)",
        openapi_extra=_EVENT_BODY,
        responses=problem_responses(
            400,
            403,
            RETRY_STATUS,
            s400="not an S3 notification event (not retried)",
            s403="an HTTP request, not an event from the Lambda Web Adapter",
            s500="a transient failure: the invocation fails and Lambda retries the event",
        ),
    )
    async def handle_events(request: Request) -> EventResult | JSONResponse:
        if not is_pass_through(request.headers, local=local):
            raise ProblemError(
                403, "this route only takes S3 events from the Lambda Web Adapter", code="forbidden"
            )
        try:
            event = json.loads(await request.body())
        except ValueError as exc:
            raise ProblemError(400, f"not JSON: {exc}", code="bad_event") from None
        if isinstance(event, dict) and "invocationSchemaVersion" in event:
            return await answer_batch(event)
        try:
            selection = select_uploads(
                event, storage.bucket_name("uploads"), settings.uploads_prefix
            )
        except (ValueError, MalformedEvent) as exc:
            # Retrying cannot fix a malformed event, so it is answered as handled (4xx).
            raise ProblemError(400, f"not an S3 event: {exc}", code="bad_event") from None
        result = EventResult(processed=[], rejected=[], missing=[], ignored=selection.ignored)
        try:
            for obj in selection.objects:
                outcome = await run_in_threadpool(processor.handle_upload, obj.key)
                if outcome.status == "processed":
                    result.processed.append(outcome.image_id)
                elif outcome.status == "rejected":
                    reason = (outcome.record or {}).get("reason", "rejected")
                    result.rejected.append(EventRejection(id=outcome.image_id, reason=reason))
                else:
                    result.missing.append(outcome.image_id)
        except StorageError as exc:
            # Fail the invocation (the adapter maps this status to an error) so Lambda
            # retries; the work done so far is idempotent.
            telemetry.logger.warning("event failed; Lambda will retry", extra={"error": str(exc)})
            raise ProblemError(
                RETRY_STATUS, f"storage failed, retry the event: {exc}", code="retry"
            ) from None
        finally:
            telemetry.flush()
        return result

    async def answer_batch(event: dict[str, Any]) -> JSONResponse:
        """An S3 Batch Operations task: the answer is the result document Batch Operations
        reads, always 200 (failures are per task, inside it)."""
        # Imported on first use: Powertools' data classes are not needed to start the app.
        from prism.service.batch import MalformedInvocation
        from prism.service.batch_worker import answer_invocation

        try:
            answer = await run_in_threadpool(answer_invocation, processor, event)
        except MalformedInvocation as exc:
            raise ProblemError(
                400, f"not a Batch Operations task: {exc}", code="bad_event"
            ) from None
        finally:
            telemetry.flush()
        return JSONResponse(answer)

    if isinstance(storage, LocalStorage):
        from prism import local_uploads

        local_uploads.install(app, storage, settings, telemetry)

    return app
