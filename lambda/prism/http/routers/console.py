"""The page at `/` (upload, gallery, variants side by side, transform playground) and the
API docs at `/docs`, both served from files in `http/static/` with every asset local: no CDN,
so both work offline, under a strict Content-Security-Policy (no inline script or style).

Swagger UI's script and stylesheet come from the `fastapi-offline` package, which ships them
(FastAPI's own /docs page loads them from a CDN and starts them with an inline script).
The static files are always served (/docs needs them); the page itself only when the
console is enabled.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from functools import cache
from html import escape
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.staticfiles import PathLike
from starlette.types import Scope

from prism.http.dependencies import require_api_key

if TYPE_CHECKING:
    from prism.storage.base import Storage

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
STATIC_PATH = "/static"
SWAGGER_PATH = "/static/swagger-ui"


def swagger_dir() -> Path:
    """Swagger UI's files (swagger-ui-bundle.js, swagger-ui.css) as packaged on PyPI."""
    return Path(str(files("fastapi_offline") / "static"))


def content_security_policy(
    origins: Iterable[str] = (),
    *,
    image_origins: Iterable[str] = (),
    inline_styles: bool = False,
) -> str:
    """The pages' CSP: scripts and styles from this app only; images and requests also to
    `origins` (on AWS: the buckets that presigned uploads and downloads point at), images
    also from `image_origins` (the CDN that manifests' URLs name behind it).
    `inline_styles` is for ReDoc alone, which injects <style> elements and cannot run
    without them; scripts stay 'self' only everywhere."""
    extra = "".join(f" {origin}" for origin in sorted(set(origins)))
    images = "".join(f" {origin}" for origin in sorted(set(origins) | set(image_origins)))
    styles = "style-src 'self' 'unsafe-inline'" if inline_styles else "style-src 'self'"
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            styles,
            "worker-src 'self' blob:",
            f"img-src 'self' data: blob:{images}",
            f"connect-src 'self'{extra}",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )


def origin_of(url: str | None) -> str | None:
    """`scheme://host[:port]` of an absolute URL; None for a relative one or None."""
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def cdn_origins(cdn_url: str | None) -> list[str]:
    """The CDN's origin, where manifests' variant URLs point behind it (settings.cdn_url)."""
    origin = origin_of(cdn_url)
    return [origin] if origin else []


def storage_origins(storage: Storage) -> list[str]:
    """Where the page uploads to and loads images from when storage hands out URLs (S3's
    presigned POST and GET). Presigning is local computation: no request is made."""
    form = storage.upload_form("probe", 60, 1)
    download = storage.download_url("processed", "probe", 60, "image/jpeg")
    return [origin for origin in (origin_of(form.url), origin_of(download)) if origin]


class _Assets(StaticFiles):
    """Static files that browsers must not sniff into another type."""

    def file_response(
        self, full_path: PathLike, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def _page_headers(request: Request, inline_styles: bool) -> dict[str, str]:
    policy: Callable[[bool], str] = request.app.state.content_security_policy
    return {
        "Content-Security-Policy": policy(inline_styles),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


def html_page(name: str, request: Request, *, inline_styles: bool = False) -> FileResponse:
    """One of the HTML files in static/, with the CSP and the other headers a page needs."""
    headers = _page_headers(request, inline_styles)
    return FileResponse(STATIC_DIR / name, media_type="text/html", headers=headers)


@cache
def _console_html() -> str:
    return (STATIC_DIR / "index.html").read_text(encoding="utf-8")


async def console_page(request: Request) -> HTMLResponse:
    """The page, told the origin this app writes into the URLs it hands out (the request's
    host). Behind a signing proxy that is the function URL's, which the browser cannot call
    unsigned: the page's script (api.js `viaPage`) calls such URLs through its own origin."""
    await require_api_key(request)
    own = escape(origin_of(str(request.base_url)) or "", quote=True)
    text = _console_html().replace('data-app-origin=""', f'data-app-origin="{own}"', 1)
    return HTMLResponse(text, headers=_page_headers(request, False))


#: GET /, included only when the console is enabled (settings.console_enabled). A plain
#: route, as in routers.docs: no parameters for FastAPI to analyse at start-up.
router = APIRouter()
router.add_route("/", console_page, include_in_schema=False)


def install_assets(
    app: FastAPI,
    origins: Callable[[], Iterable[str]] = tuple,
    image_origins: Iterable[str] = (),
) -> None:
    """Serve static/ (the page's and /docs' files) and Swagger UI's. `origins` is asked once,
    on the first page served: on AWS it makes a boto3 client, which start-up should not wait
    for. `image_origins`: where else the pages load images from (the CDN)."""
    cached: list[list[str]] = []
    images = list(image_origins)

    def policy(inline_styles: bool) -> str:
        if not cached:
            cached.append(list(origins()))
        return content_security_policy(cached[0], image_origins=images, inline_styles=inline_styles)

    app.state.content_security_policy = policy
    # The more specific mount first: Starlette takes the first that matches.
    app.mount(SWAGGER_PATH, _Assets(directory=swagger_dir()), name="swagger-ui")
    app.mount(STATIC_PATH, _Assets(directory=STATIC_DIR), name="static")
