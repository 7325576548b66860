"""Reading request bodies safely: capped in size, multipart parsed from the capped bytes."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartParser

from prism.http.problems import ProblemError


async def read_capped(request: Request, cap: int, too_big: str) -> bytes:
    """The request body, refusing (413) as soon as it passes `cap` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise ProblemError(413, too_big, code="request_too_large")
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > cap:
            raise ProblemError(413, too_big, code="request_too_large")
        chunks.append(chunk)
    return b"".join(chunks)


async def parse_multipart(request: Request, body: bytes) -> dict[str, str | UploadFile]:
    async def once() -> AsyncIterator[bytes]:
        yield body

    try:
        form = await MultiPartParser(request.headers, once(), max_files=1, max_fields=32).parse()
    except Exception as exc:  # the parser raises several types for malformed input
        raise ProblemError(
            400, f"malformed multipart/form-data body: {exc}", code="bad_form"
        ) from None
    return dict(form.items())
