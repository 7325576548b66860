"""/openapi.json, /docs and /redoc, behind the API-key check.

FastAPI's own documentation routes take no dependencies, so the app turns them off and
serves them here. They are plain Starlette routes that call the key check themselves: an
APIRoute each would cost start-up time (FastAPI analyses every APIRoute's signature when it
is made) for routes that have no parameters to analyse.

The two UIs are pages from http/static/ whose scripts and styles the app serves itself
(routers.console): FastAPI's pages load them from a CDN and start them with an inline
script, which leaves them blank offline and breaks them under a Content-Security-Policy.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse

from prism.http.dependencies import require_api_key
from prism.http.routers.console import html_page

OPENAPI_PATH = "/openapi.json"
DOCS_PATH = "/docs"
REDOC_PATH = "/redoc"

router = APIRouter()


async def openapi(request: Request) -> JSONResponse:
    await require_api_key(request)
    return JSONResponse(request.app.openapi())


async def swagger_ui_html(request: Request) -> FileResponse:
    await require_api_key(request)
    return html_page("docs.html", request)


async def redoc_html(request: Request) -> FileResponse:
    await require_api_key(request)
    # ReDoc injects <style> elements: its page alone allows inline styles (never scripts).
    return html_page("redoc.html", request, inline_styles=True)


router.add_route(OPENAPI_PATH, openapi, include_in_schema=False)
router.add_route(DOCS_PATH, swagger_ui_html, include_in_schema=False)
router.add_route(REDOC_PATH, redoc_html, include_in_schema=False)
