"""`prism serve` only: the local stand-in for an S3 presigned POST and the notification after.

The upload form from POST /uploads points here. The file is checked against its signed
policy as S3 would (key, expiry, `image/` content type, size range), stored, and then an
`ObjectCreated:Post` event in AWS's shape is POSTed to the app's own events route, in-process
and in the background, the way the Lambda Web Adapter delivers S3 events on AWS.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.types import ASGIApp, Message

from prism.core.constants import RETRY_STATUS
from prism.http import dependencies as deps
from prism.http.bodies import media_type, parse_multipart_items, read_capped
from prism.http.passthrough import REQUEST_CONTEXT
from prism.http.problems import ProblemError
from prism.service.events import object_created_event
from prism.storage.local import LOCAL_UPLOAD_PATH, LocalStorage, UploadDenied

_FORM_OVERHEAD = 64 * 1024
# S3 retries a failed async invocation twice.
_ATTEMPTS = 3


async def post_in_process(app: ASGIApp, path: str, body: bytes, headers: dict[str, str]) -> int:
    """POST to the app itself over ASGI (no socket) and return the response status."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        # A Host like any HTTP/1.1 request's: the app answers only hosts it knows.
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"content-length", str(len(body)).encode()), (b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 80),
    }
    done = asyncio.Event()
    delivered = False
    status = 0

    async def receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    await app(scope, receive, send)
    return status


router = APIRouter()


def form_as_s3_reads_it(parts: list[tuple[str, str | UploadFile]]) -> dict[str, str | UploadFile]:
    """The form's fields, refusing what S3 refuses: the file must be the last field (S3
    ignores anything after it, policy included), and no field may appear twice."""
    names = [name for name, _ in parts]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        detail = f"the form repeats the field(s) {', '.join(repeated)}"
        raise ProblemError(400, detail, code="bad_form")
    if "file" in names and names[-1] != "file":
        raise ProblemError(400, "the file must be the last field of the form", code="bad_form")
    return dict(parts)


async def deliver(app: ASGIApp, svc: deps.Services, event: dict[str, Any]) -> None:
    """POST the event to the app's own events route, retried as S3 retries an invocation."""
    body = json.dumps(event).encode()
    headers = {"content-type": "application/json", REQUEST_CONTEXT: "null"}
    for attempt in range(1, _ATTEMPTS + 1):
        status = await post_in_process(app, svc.settings.events_path, body, headers)
        if status != RETRY_STATUS:
            return
        svc.telemetry.logger.warning("event delivery failed", extra={"attempt": attempt})
    svc.telemetry.logger.error("event dropped after retries", extra={"event": event})


@router.post(LOCAL_UPLOAD_PATH, include_in_schema=False, status_code=204)
async def local_upload(
    request: Request,
    svc: deps.Services = Depends(deps.services),  # noqa: B008
) -> Response:
    storage, settings = svc.storage, svc.settings
    assert isinstance(storage, LocalStorage)  # the router is included for local storage only
    cap = settings.limits.max_input_bytes + _FORM_OVERHEAD
    body = await read_capped(request, cap, "the upload exceeds the form's size limit")
    if media_type(request) != "multipart/form-data":
        raise ProblemError(400, "send the upload form as multipart/form-data", code="bad_form")
    form = form_as_s3_reads_it(await parse_multipart_items(request, body))
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        policy = storage.check_upload(fields)
    except UploadDenied as exc:
        raise ProblemError(exc.status, str(exc), code="upload_denied") from None
    except (ValueError, KeyError, TypeError):
        detail = "the upload form's policy is unreadable"
        raise ProblemError(403, detail, code="upload_denied") from None
    content_type = fields.get("Content-Type", "")
    if not content_type.startswith("image/"):
        raise ProblemError(
            403, "the Content-Type field must start with 'image/'", code="upload_denied"
        )
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ProblemError(400, "the form has no file field named 'file'", code="bad_form")
    data = await upload.read()
    if not 1 <= len(data) <= policy.max_bytes:
        raise ProblemError(
            400,
            f"the file must be 1 to {policy.max_bytes} bytes, got {len(data)}",
            code="upload_size",
        )
    etag = await run_in_threadpool(storage.put, "uploads", policy.key, data, content_type)
    event = object_created_event(storage.bucket_name("uploads"), policy.key, len(data), etag)
    # Like S3: the upload answers at once; the notification follows.
    return Response(status_code=204, background=BackgroundTask(deliver, request.app, svc, event))
