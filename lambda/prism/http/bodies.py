"""Reading request bodies safely: capped in size, multipart parsed from the capped bytes."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartParser
from starlette.requests import ClientDisconnect

from prism.http.problems import ProblemError


async def read_capped(request: Request, cap: int, too_big: str) -> bytes:
    """The request body, refusing (413) as soon as it passes `cap` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise ProblemError(413, too_big, code="request_too_large")
    chunks: list[bytes] = []
    total = 0
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > cap:
                raise ProblemError(413, too_big, code="request_too_large")
            chunks.append(chunk)
    except ClientDisconnect:
        # The client went away mid-body (or was timed out): nobody hears the answer, and
        # it is no fault of ours to log a traceback about.
        raise ProblemError(
            400, "the client disconnected mid-body", code="incomplete_body"
        ) from None
    return b"".join(chunks)


def media_type(request: Request) -> str:
    """The request's media type, lower-cased and without parameters (RFC 9110: media types
    are case-insensitive)."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def parse_multipart_items(
    request: Request, body: bytes
) -> list[tuple[str, str | UploadFile]]:
    """Every part of a multipart/form-data body, in order, repeats included."""

    async def once() -> AsyncIterator[bytes]:
        yield body

    try:
        form = await MultiPartParser(request.headers, once(), max_files=1, max_fields=32).parse()
    except Exception as exc:  # the parser raises several types for malformed input
        raise ProblemError(
            400, f"malformed multipart/form-data body: {exc}", code="bad_form"
        ) from None
    return form.multi_items()


async def parse_multipart(request: Request, body: bytes) -> dict[str, str | UploadFile]:
    return dict(await parse_multipart_items(request, body))
