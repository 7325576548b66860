"""POST <events path>: S3 notifications and S3 Batch Operations invocations, delivered by the
Lambda Web Adapter (a Batch Operations document is told apart by `invocationSchemaVersion`).

Needs no API key: the route checks itself that the request is a pass-through event
(prism.http.passthrough), which an HTTP caller cannot forge.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from prism.core.constants import RETRY_STATUS
from prism.core.settings import Settings
from prism.http import dependencies as deps
from prism.http.bodies import media_type, read_capped
from prism.http.passthrough import is_pass_through
from prism.http.problems import ProblemError, problem_responses
from prism.http.schemas import EventFailure, EventRejection, EventResult
from prism.service.claims import Busy
from prism.service.events import MAX_EVENT_BYTES, MalformedEvent, printable, select_uploads
from prism.storage.base import StorageError
from prism.storage.records import RejectionRecord

_EVENT_BODY = {
    "requestBody": {
        "required": True,
        "description": "an S3 notification event, or an S3 Batch Operations invocation "
        "(schema 2.0), exactly as AWS sends it",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


def events_router(settings: Settings) -> APIRouter:
    """The router, at the configured path (PRISM_EVENTS_PATH)."""
    router = APIRouter()

    @router.post(
        settings.events_path,
        response_model=EventResult,
        summary="S3 notifications, delivered by the Lambda Web Adapter (not for HTTP callers)",
        openapi_extra=_EVENT_BODY,
        responses=problem_responses(
            400,
            403,
            413,
            415,
            RETRY_STATUS,
            s400="not an S3 notification event (not retried)",
            s403="an HTTP request, not an event from the Lambda Web Adapter",
            s413="the body is far larger than any S3 event (not retried)",
            s415="the content type is not application/json",
            **{
                f"s{RETRY_STATUS}": "a transient failure: the invocation fails (the adapter's "
                "AWS_LWA_ERROR_STATUS_CODES) and Lambda retries the event"
            },
        ),
    )
    async def handle_events(
        request: Request,
        svc: deps.Services = Depends(deps.services),  # noqa: B008
    ) -> EventResult | JSONResponse:
        if not is_pass_through(request.headers, local=svc.local):
            raise ProblemError(
                403, "this route only takes S3 events from the Lambda Web Adapter", code="forbidden"
            )
        if media_type(request) != "application/json":
            # A form could post anything else cross-site without a preflight; the adapter
            # sends every event as application/json (aws-lambda-rust-runtime, lambda-http
            # src/request.rs, into_pass_through_request).
            got = request.headers.get("content-type") or "no content type"
            raise ProblemError(
                415,
                f"an event is sent as application/json, not {got!r}",
                code="unsupported_media_type",
            )
        body = await read_capped(
            request, MAX_EVENT_BYTES, f"an S3 event is far smaller than {MAX_EVENT_BYTES} bytes"
        )
        try:
            event = json.loads(body)
        except (ValueError, RecursionError) as exc:
            # Retrying cannot fix a malformed event, so it is answered as handled (4xx).
            detail = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise ProblemError(400, f"not an S3 event: {detail}", code="bad_event") from None
        if isinstance(event, dict) and "invocationSchemaVersion" in event:
            return await answer_batch(svc, event)
        try:
            selection = select_uploads(
                event, svc.storage.bucket_name("uploads"), svc.settings.uploads_prefix
            )
        except (ValueError, RecursionError, MalformedEvent) as exc:
            detail = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise ProblemError(400, f"not an S3 event: {detail}", code="bad_event") from None
        result = EventResult(
            processed=[],
            rejected=[],
            missing=[],
            ignored=selection.ignored,
            failed=[EventFailure(key=s.key, reason=s.reason) for s in selection.skipped],
        )
        retry: list[str] = []
        try:
            # Each record on its own: one failing neither stops nor undoes the others.
            for obj in selection.objects:
                try:
                    outcome = await run_in_threadpool(svc.ingestor.handle_upload, obj.key)
                except Busy as exc:
                    # The upload's own POST /images request is still on it; by the retry it
                    # has finished (then this is a no-op) or died (then this processes it).
                    retry.append(f"{printable(obj.key)}: {exc}")
                    continue
                except StorageError as exc:
                    if exc.transient:
                        retry.append(f"{printable(obj.key)}: {exc}")
                    else:
                        result.failed.append(EventFailure(key=printable(obj.key), reason=str(exc)))
                    continue
                if outcome.status == "processed":
                    result.processed.append(outcome.image_id)
                elif isinstance(outcome.record, RejectionRecord):
                    rejected = EventRejection(id=outcome.image_id, reason=outcome.record.reason)
                    result.rejected.append(rejected)
                else:
                    result.missing.append(outcome.image_id)
            for failure in result.failed:
                svc.telemetry.logger.warning(
                    "event record skipped", extra={"key": failure.key, "reason": failure.reason}
                )
        finally:
            svc.telemetry.flush()
        if retry:
            # Fail the invocation (the adapter maps this status to an error) so Lambda
            # retries; the records done so far are skipped then (same etag), not redone.
            svc.telemetry.logger.warning("event failed; Lambda will retry", extra={"error": retry})
            raise ProblemError(
                RETRY_STATUS, f"not done yet, retry the event: {'; '.join(retry)}", code="retry"
            )
        return result

    return router


async def answer_batch(svc: deps.Services, event: dict[str, Any]) -> JSONResponse:
    """An S3 Batch Operations task (prism reprocess): the answer is the result document Batch
    Operations reads, always 200; failures are per task, inside it."""
    # Imported on first use: Powertools' data classes are not needed to start the app.
    from prism.service.batch import MalformedInvocation
    from prism.service.batch_worker import answer_invocation

    try:
        answer = await run_in_threadpool(answer_invocation, svc.ingestor, event)
    except MalformedInvocation as exc:
        raise ProblemError(400, f"not a Batch Operations task: {exc}", code="bad_event") from None
    finally:
        svc.telemetry.flush()
    return JSONResponse(answer)
