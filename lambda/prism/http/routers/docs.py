"""/openapi.json, /docs and /redoc, as FastAPI serves them, behind the API-key check.

FastAPI's own documentation routes take no dependencies, so the app turns them off and
serves them here with the same answers. They are plain Starlette routes that call the key
check themselves: an APIRoute each would cost start-up time (FastAPI analyses every APIRoute's
signature when it is made) for routes that have no parameters to analyse.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, JSONResponse

from prism.http.dependencies import require_api_key

OPENAPI_PATH = "/openapi.json"
DOCS_PATH = "/docs"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"
REDOC_PATH = "/redoc"

router = APIRouter()


async def openapi(request: Request) -> JSONResponse:
    await require_api_key(request)
    return JSONResponse(request.app.openapi())


async def swagger_ui_html(request: Request) -> HTMLResponse:
    await require_api_key(request)
    return get_swagger_ui_html(
        openapi_url=OPENAPI_PATH,
        title=f"{request.app.title} - Swagger UI",
        oauth2_redirect_url=OAUTH2_REDIRECT_PATH,
    )


async def swagger_ui_redirect(request: Request) -> HTMLResponse:
    await require_api_key(request)
    return get_swagger_ui_oauth2_redirect_html()


async def redoc_html(request: Request) -> HTMLResponse:
    await require_api_key(request)
    return get_redoc_html(openapi_url=OPENAPI_PATH, title=f"{request.app.title} - ReDoc")


router.add_route(OPENAPI_PATH, openapi, include_in_schema=False)
router.add_route(DOCS_PATH, swagger_ui_html, include_in_schema=False)
router.add_route(OAUTH2_REDIRECT_PATH, swagger_ui_redirect, include_in_schema=False)
router.add_route(REDOC_PATH, redoc_html, include_in_schema=False)
