"""POST <events path>: S3 notifications, delivered by the Lambda Web Adapter.

Needs no API key: the route checks itself that the request is a pass-through event
(prism.http.passthrough), which an HTTP caller cannot forge.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from prism.core.constants import RETRY_STATUS
from prism.core.settings import Settings
from prism.http import dependencies as deps
from prism.http.passthrough import is_pass_through
from prism.http.problems import ProblemError, problem_responses
from prism.http.schemas import EventRejection, EventResult
from prism.service.events import MalformedEvent, select_uploads
from prism.storage.base import StorageError
from prism.storage.records import RejectionRecord

_EVENT_BODY = {
    "requestBody": {
        "required": True,
        "description": "an S3 notification event, exactly as AWS sends it",
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
            RETRY_STATUS,
            s400="not an S3 notification event (not retried)",
            s403="an HTTP request, not an event from the Lambda Web Adapter",
            s500="a transient failure: the invocation fails and Lambda retries the event",
        ),
    )
    async def handle_events(
        request: Request,
        svc: deps.Services = Depends(deps.services),  # noqa: B008
    ) -> EventResult:
        if not is_pass_through(request.headers, local=svc.local):
            raise ProblemError(
                403, "this route only takes S3 events from the Lambda Web Adapter", code="forbidden"
            )
        try:
            event = json.loads(await request.body())
            selection = select_uploads(
                event, svc.storage.bucket_name("uploads"), svc.settings.uploads_prefix
            )
        except (ValueError, MalformedEvent) as exc:
            # Retrying cannot fix a malformed event, so it is answered as handled (4xx).
            raise ProblemError(400, f"not an S3 event: {exc}", code="bad_event") from None
        result = EventResult(processed=[], rejected=[], missing=[], ignored=selection.ignored)
        try:
            for obj in selection.objects:
                outcome = await run_in_threadpool(svc.ingestor.handle_upload, obj.key)
                if outcome.status == "processed":
                    result.processed.append(outcome.image_id)
                elif isinstance(outcome.record, RejectionRecord):
                    rejected = EventRejection(id=outcome.image_id, reason=outcome.record.reason)
                    result.rejected.append(rejected)
                else:
                    result.missing.append(outcome.image_id)
        except StorageError as exc:
            # Fail the invocation (the adapter maps this status to an error) so Lambda
            # retries; the work done so far is idempotent.
            svc.telemetry.logger.warning(
                "event failed; Lambda will retry", extra={"error": str(exc)}
            )
            raise ProblemError(
                RETRY_STATUS, f"storage failed, retry the event: {exc}", code="retry"
            ) from None
        finally:
            svc.telemetry.flush()
        return result

    return router
