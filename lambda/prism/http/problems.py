"""Every error as `application/problem+json` (RFC 9457), with a human-readable `detail`.

`type` is `about:blank` for plain HTTP errors (unknown route, wrong method) and
`urn:prism:problem:<code>` for Prism's own, where `<code>` is stable for clients to match on
(for rejected images it is the rejection reason: unsupported_format, too_large, corrupt).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from prism.core.constants import RETRY_STATUS
from prism.core.errors import ImageRejected
from prism.service.admission import Overloaded
from prism.storage.base import StorageError
from prism.storage.records import RejectionRecord

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger("prism.http")


class Problem(BaseModel):
    """RFC 9457 problem details; extra members (e.g. `reason`, `image_id`) may appear."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None


class ProblemError(Exception):
    """Raise from a route to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code
        self.headers = headers
        self.extra = extra


def rejection_problem(record: RejectionRecord, status: int = 422) -> ProblemError:
    """The one answer for a rejected image: POST /images (with the rejection's own status)
    and GET /images/{id} (422: the request is fine, the stored image is not)."""
    return ProblemError(
        status,
        f"the image was rejected: {record.detail}",
        code=record.reason,
        image_id=record.id,
        reason=record.reason,
        detected_format=record.detected_format,
    )


def signing_keys_unavailable(retry_after: int) -> ProblemError:
    """503 for a request that needs the transform signing keys while their secret cannot be
    read (prism.http.signing_keys backs off; Retry-After says until when)."""
    return ProblemError(
        503,
        "the signing keys cannot be read right now; try again shortly",
        code="keys_unavailable",
        headers={"Retry-After": str(retry_after)},
    )


def title(status: int) -> str:
    """The status's reason phrase; the events route's retry status (unassigned) has its own."""
    if status == RETRY_STATUS:
        return "Event Failed, Retry"
    return HTTPStatus(status).phrase


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    code: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    return problem_at(request.url.path, status, detail, code=code, headers=headers, **extra)


def problem_at(
    path: str,
    status: int,
    detail: str,
    *,
    code: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """The problem for a request at `path`: for middleware, which answers before a Request's
    URL (built from the Host header it may be refusing) can be trusted."""
    body: dict[str, Any] = {
        "type": f"urn:prism:problem:{code}" if code else "about:blank",
        "title": title(status),
        "status": status,
        "detail": detail,
        "instance": path,
        **extra,
    }
    return JSONResponse(
        jsonable_encoder(body), status_code=status, headers=headers, media_type=PROBLEM_JSON
    )


def problem_responses(*statuses: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for error statuses, described per status (`s404="..."`)."""
    return {
        status: {
            "model": Problem,
            "description": descriptions.get(f"s{status}") or title(status),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def _allowed_methods(app: FastAPI, request: Request) -> str:
    methods: set[str] = set()
    # Routes of included routers, as the app sees them (with any prefix applied).
    for context in iter_route_contexts(app.router.routes):
        route = context.original_route
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    if "GET" in methods:
        methods.add("HEAD")  # answered for every GET route (prism.http.head)
    return ", ".join(sorted(methods))


def install(app: FastAPI) -> None:
    """Route every error the app can raise through problem_response."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem_response(
            request, exc.status, exc.detail, code=exc.code, headers=exc.headers, **exc.extra
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"nothing is served at {request.url.path}"
        headers = exc.headers
        if exc.status_code == 405:
            # Starlette lists only the first matching route's methods; GET and DELETE of one
            # path are separate routes, so gather them all.
            allowed = _allowed_methods(app, request)
            headers = {**(exc.headers or {}), "Allow": allowed}
            detail = f"{request.method} is not allowed on {request.url.path}; allowed: {allowed}"
        return problem_response(request, exc.status_code, detail, headers=headers)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(part) for part in first["loc"])
        return problem_response(
            request,
            422,
            f"{where}: {first['msg']}" if where else str(first["msg"]),
            code="invalid_request",
            errors=errors,
        )

    async def on_rejected(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ImageRejected)
        return problem_response(
            request,
            exc.status,
            exc.detail,
            code=exc.reason,
            reason=exc.reason,
            detected_format=exc.detected_format,
        )

    async def on_storage(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StorageError)
        logger.warning("storage failed: %s", exc, extra={"path": request.url.path})
        if exc.transient:
            return problem_response(
                request,
                503,
                "storage is temporarily unavailable; try again shortly",
                code="storage_unavailable",
                headers={"Retry-After": "2"},
            )
        return problem_response(request, 500, "storage failed", code="storage_error")

    async def on_overloaded(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Overloaded)
        return problem_response(
            request,
            503,
            "busy processing other images; try again shortly",
            code="busy",
            headers={"Retry-After": str(exc.retry_after)},
        )

    async def on_crash(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(request, 500, "internal error", code="internal")

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(ImageRejected, on_rejected)
    app.add_exception_handler(StorageError, on_storage)
    app.add_exception_handler(Overloaded, on_overloaded)
    app.add_exception_handler(Exception, on_crash)
